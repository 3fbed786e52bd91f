"""MetadataStore: every metadata query, run in the database thread pool.

Public methods return Deferreds of frozen dataclasses (never models or queries), so
nothing lazy escapes the database thread.  Each call is one transaction.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from peewee import IntegrityError, fn

from ramod.metadata import errors
from ramod.metadata.compiled import SqlCache
from ramod.metadata.db import is_postgres
from ramod.metadata.migrations import migrate
from ramod.metadata.models import Blob, Bucket, Credential, GarbageBlob, Object


@dataclass(frozen=True)
class CredentialInfo:
    id: int
    user_name: str
    access_key: str
    secret_key: str
    is_active: bool
    is_root: bool


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner_id: int
    owner_name: str
    region: str
    created_at: datetime
    id: int = 0


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    blob_id: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    checksums: dict = field(default_factory=dict)
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class NewObject:
    """What a PUT stores: the committed blob and the object's attributes."""

    blob_id: str
    size: int
    etag: str
    content_type: str | None
    headers: dict
    checksums: dict


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(dt) -> datetime:
    """A UTC datetime from a model value or a raw SQLite/PostgreSQL column."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def _bucket_info(row: Bucket) -> BucketInfo:
    return BucketInfo(row.name, row.owner_id, row.owner.user_name, row.region,
                      _aware(row.created_at), row.id)


# Column lists of the compiled (hot-path) queries, and the row -> dataclass converters.
_CREDENTIAL_COLUMNS = (Credential.id, Credential.user_name, Credential.access_key,
                       Credential.secret_key, Credential.is_active, Credential.is_root)
_BUCKET_COLUMNS = (Bucket.name, Bucket.owner, Credential.user_name, Bucket.region,
                   Bucket.created_at, Bucket.id)
_OBJECT_COLUMNS = (Object.key, Object.blob, Object.size, Object.etag, Object.last_modified,
                   Object.content_type, Object.headers, Object.checksums, Object.storage_class,
                   Object.id)


def _credential_row(row) -> CredentialInfo:
    return CredentialInfo(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]))


def _bucket_row(row) -> BucketInfo:
    return BucketInfo(row[0], row[1], row[2], row[3], _aware(row[4]), row[5])


def _object_row(row, bucket: str) -> ObjectInfo:
    return ObjectInfo(bucket=bucket, key=row[0], blob_id=row[1], size=row[2], etag=row[3],
                      last_modified=_aware(row[4]), content_type=row[5],
                      headers=json.loads(row[6]), checksums=json.loads(row[7]),
                      storage_class=row[8])


class MetadataStore:
    """Async facade over the models; ``pools.run_db`` runs each call in a transaction."""

    def __init__(self, db, pools):
        self._db = db
        self._pools = pools
        self._sql = SqlCache(db)

    def _run(self, fn_, *args):
        def in_thread():
            # each pool thread keeps its own connection open (peewee's state is per thread):
            # reconnecting per call would re-run the SQLite pragmas every time
            self._db.connect(reuse_if_open=True)
            with self._db.atomic():
                return fn_(*args)
        return self._pools.run_db(in_thread)

    def _lock(self, query):
        """SELECT ... FOR UPDATE where the engine supports it (SQLite serialises writers)."""
        return query.for_update() if is_postgres(self._db) else query

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self):
        def in_thread():
            self._db.connect(reuse_if_open=True)
            return migrate(self._db)
        return self._pools.run_db(in_thread)

    def ensure_root(self, access_key: str | None, secret_key: str | None, make_key):
        """Return (CredentialInfo, created) for the root credential, creating it if needed."""
        return self._run(self._ensure_root, access_key, secret_key, make_key)

    def _ensure_root(self, access_key, secret_key, make_key):
        root = Credential.get_or_none(Credential.is_root == True)  # noqa: E712
        if root is not None and (access_key is None or root.access_key == access_key):
            if secret_key is not None and root.secret_key != secret_key:
                root.secret_key = secret_key
                root.save()
            return self._credential_info(root), False
        if root is not None:
            root.access_key, root.secret_key = access_key, secret_key
            root.save()
            return self._credential_info(root), False
        if access_key is None:
            access_key, secret_key = make_key()
        row = Credential.create(user_name="root", access_key=access_key, secret_key=secret_key,
                                is_active=True, is_root=True, created_at=_naive(utcnow()))
        return self._credential_info(row), True

    @staticmethod
    def _credential_info(row: Credential) -> CredentialInfo:
        return CredentialInfo(row.id, row.user_name, row.access_key, row.secret_key,
                              row.is_active, row.is_root)

    # -- credentials ----------------------------------------------------------------------

    def get_credential(self, access_key: str):
        def q():
            row = Credential.get_or_none(Credential.access_key == access_key)
            return None if row is None else self._credential_info(row)
        return self._run(q)

    def lookup(self, access_key: str, bucket: str | None, key: str | None = None):
        """Every request's start, in one round trip: (CredentialInfo or None, BucketInfo or
        None, ObjectInfo or None).  The object is read only when ``key`` is given (reads
        prefetch it; it must not be shown to anyone before the signature is checked)."""
        def q():
            row = self._sql.one("credential_by_key", lambda ak: Credential.select(
                *_CREDENTIAL_COLUMNS).where(Credential.access_key == ak), (access_key,))
            if row is None:
                return None, None, None
            info = obj = None
            if bucket is not None:
                b = self._sql.one("bucket_by_name", lambda name: Bucket.select(
                    *_BUCKET_COLUMNS).join(Credential).where(Bucket.name == name), (bucket,))
                info = None if b is None else _bucket_row(b)
            if info is not None and key is not None:
                obj = self._select_object(info, key, False)
            return _credential_row(row), info, obj
        return self._run(q)

    # -- buckets --------------------------------------------------------------------------

    def create_bucket(self, name: str, owner_id: int, region: str):
        """Create a bucket; raise BucketTaken if the name is in use."""
        def q():
            existing = Bucket.get_or_none(Bucket.name == name)
            if existing is not None:
                raise errors.BucketTaken(existing.owner_id == owner_id)
            try:
                with self._db.atomic():
                    row = Bucket.create(name=name, owner=owner_id, region=region,
                                        created_at=_naive(utcnow()))
            except IntegrityError:
                raise errors.BucketTaken(False)
            return _bucket_info(row)
        return self._run(q)

    def get_bucket(self, name: str):
        def q():
            row = Bucket.select(Bucket, Credential).join(Credential).where(Bucket.name == name).first()
            return None if row is None else _bucket_info(row)
        return self._run(q)

    def list_buckets(self, user_name: str | None, prefix: str = "", after: str = "",
                     limit: int | None = None, region: str | None = None):
        """Buckets sorted by name: all (``user_name`` None) or one user's, whose name starts
        with ``prefix`` and sorts after ``after``; at most ``limit``."""
        def q():
            query = Bucket.select(Bucket, Credential).join(Credential).order_by(Bucket.name)
            if user_name is not None:
                query = query.where(Credential.user_name == user_name)
            if prefix:
                query = query.where(Bucket.name.startswith(prefix))
            if after:
                query = query.where(Bucket.name > after)
            if region:
                query = query.where(Bucket.region == region)
            if limit is not None:
                query = query.limit(limit)
            return [_bucket_info(row) for row in query]
        return self._run(q)

    def delete_bucket(self, name: str):
        def q():
            row = self._lock(Bucket.select().where(Bucket.name == name)).first()
            if row is None:
                raise errors.BucketMissing(name)
            if Object.select().where(Object.bucket == row.id).exists():
                raise errors.BucketHasObjects(name)
            row.delete_instance()
        return self._run(q)

    # -- objects --------------------------------------------------------------------------

    def get_object(self, bucket: BucketInfo, key: str):
        """ObjectInfo or None."""
        return self._run(self._select_object, bucket, key, False)

    def _select_object(self, bucket: BucketInfo, key: str, for_update: bool):
        """(ObjectInfo, row id) of the current version, or None (database thread)."""
        name = "object_for_update" if for_update else "object"

        def build(bucket_id, key_):
            query = Object.select(*_OBJECT_COLUMNS).where(
                (Object.bucket == bucket_id) & (Object.key == key_))
            return self._lock(query) if for_update else query
        row = self._sql.one(name, build, (bucket.id, key))
        if row is None:
            return None
        return (_object_row(row, bucket.name), row[9]) if for_update else _object_row(row, bucket.name)

    def put_object(self, bucket: BucketInfo, key: str, new: NewObject, precondition=None):
        """Point ``key`` at the new blob; return (ObjectInfo, [garbage blob ids]).

        :param precondition: called in the transaction with the current ObjectInfo (or
            None); raising aborts the write.
        :raises BucketMissing: the bucket was deleted meanwhile.
        """
        return self._run(self._put_object, bucket, key, new, precondition)

    def _put_object(self, bucket, key, new, precondition):
        now = _naive(utcnow())
        headers, sums = json.dumps(new.headers), json.dumps(new.checksums)
        if not self._sql.one("bucket_exists_for_update", lambda bid: self._lock(
                Bucket.select(Bucket.id).where(Bucket.id == bid)), (bucket.id,)):
            raise errors.BucketMissing(bucket.name)
        self._sql.execute("insert_blob", lambda bid, size, refs: Blob.insert(
            blob_id=bid, size=size, refcount=refs), (new.blob_id, new.size, 1))
        found = self._select_object(bucket, key, True)
        if precondition is not None:
            precondition(found[0] if found else None)
        if found is None:
            try:
                # a savepoint: on PostgreSQL another node's first write of this key can
                # commit between our SELECT ... FOR UPDATE (which locked nothing) and here
                with self._db.atomic():
                    self._sql.execute("insert_object", lambda *v: Object.insert(
                        bucket=v[0], key=v[1], blob=v[2], size=v[3], etag=v[4],
                        last_modified=v[5], content_type=v[6], headers=v[7], checksums=v[8],
                        storage_class=v[9]),
                        (bucket.id, key, new.blob_id, new.size, new.etag, now, new.content_type,
                         headers, sums, "STANDARD"))
            except IntegrityError:
                found = self._select_object(bucket, key, True)
                if found is None:
                    raise
                if precondition is not None:
                    precondition(found[0])
        if found is None:
            garbage = []
        else:
            old = found[0]
            self._sql.execute("update_object", lambda *v: Object.update(
                blob=v[0], size=v[1], etag=v[2], last_modified=v[3], content_type=v[4],
                headers=v[5], checksums=v[6], storage_class=v[7]).where(Object.id == v[8]),
                (new.blob_id, new.size, new.etag, now, new.content_type, headers, sums,
                 "STANDARD", found[1]))
            garbage = self._release_blob(old.blob_id)
        info = ObjectInfo(bucket.name, key, new.blob_id, new.size, new.etag, _aware(now),
                          new.content_type, new.headers, new.checksums)
        return info, garbage

    def delete_object(self, bucket: BucketInfo, key: str):
        """Remove ``key``; return the garbage blob ids (empty if the key was absent)."""
        def q():
            found = self._select_object(bucket, key, True)
            if found is None:
                return []
            self._sql.execute("delete_object", lambda oid: Object.delete().where(
                Object.id == oid), (found[1],))
            return self._release_blob(found[0].blob_id)
        return self._run(q)

    def _release_blob(self, blob_id: str) -> list:
        self._sql.execute("blob_decref", lambda one, bid: Blob.update(
            refcount=Blob.refcount - one).where(Blob.blob_id == bid), (1, blob_id))
        row = self._sql.one("blob_refcount", lambda bid: Blob.select(Blob.refcount).where(
            Blob.blob_id == bid), (blob_id,))
        if row is None or row[0] > 0:
            return []
        self._sql.execute("blob_delete", lambda bid: Blob.delete().where(Blob.blob_id == bid),
                          (blob_id,))
        self._sql.execute("garbage_insert", lambda bid: GarbageBlob.insert(
            blob_id=bid).on_conflict_ignore(), (blob_id,))
        return [blob_id]

    # -- blob bookkeeping -----------------------------------------------------------------

    def blobs_exist(self, blob_ids: list) -> set:
        """The subset of ``blob_ids`` that committed metadata references."""
        def q():
            found = set()
            for i in range(0, len(blob_ids), 500):
                chunk = blob_ids[i:i + 500]
                found.update(r.blob_id for r in Blob.select(Blob.blob_id).where(Blob.blob_id.in_(chunk)))
            return found
        return self._run(q)

    def garbage(self, limit: int = 1000):
        def q():
            return [r.blob_id for r in GarbageBlob.select().limit(limit)]
        return self._run(q)

    def forget_garbage(self, blob_ids: list):
        def q():
            if blob_ids:
                GarbageBlob.delete().where(GarbageBlob.blob_id.in_(blob_ids)).execute()
        return self._run(q)

    def stats(self):
        def q():
            return {"buckets": Bucket.select().count(), "objects": Object.select().count(),
                    "bytes": Object.select(fn.COALESCE(fn.SUM(Object.size), 0)).scalar()}
        return self._run(q)
