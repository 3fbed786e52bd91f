"""MetadataStore: every metadata query, run in the database thread pool.

Public methods return Deferreds of frozen dataclasses (never models or queries), so
nothing lazy escapes the database thread.  Each call is one transaction.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from peewee import IntegrityError, fn

from ramod.metadata import errors
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


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def _bucket_info(row: Bucket) -> BucketInfo:
    return BucketInfo(row.name, row.owner_id, row.owner.user_name, row.region, _aware(row.created_at))


def _object_info(row: Object, bucket: str) -> ObjectInfo:
    return ObjectInfo(
        bucket=bucket, key=row.key, blob_id=row.blob_id, size=row.size, etag=row.etag,
        last_modified=_aware(row.last_modified), content_type=row.content_type,
        headers=json.loads(row.headers), checksums=json.loads(row.checksums),
        storage_class=row.storage_class)


class MetadataStore:
    """Async facade over the models; ``pools.run_db`` runs each call in a transaction."""

    def __init__(self, db, pools):
        self._db = db
        self._pools = pools

    def _run(self, fn_, *args):
        def in_thread():
            with self._db.connection_context():
                with self._db.atomic():
                    return fn_(*args)
        return self._pools.run_db(in_thread)

    def _lock(self, query):
        """SELECT ... FOR UPDATE where the engine supports it (SQLite serialises writers)."""
        return query.for_update() if is_postgres(self._db) else query

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self):
        def in_thread():
            with self._db.connection_context():
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

    def lookup(self, access_key: str, bucket: str | None):
        """(CredentialInfo or None, BucketInfo or None) in one round trip: every request's start."""
        def q():
            row = Credential.get_or_none(Credential.access_key == access_key)
            cred = None if row is None else self._credential_info(row)
            info = None
            if bucket is not None and cred is not None:
                b = (Bucket.select(Bucket, Credential).join(Credential)
                     .where(Bucket.name == bucket).first())
                info = None if b is None else _bucket_info(b)
            return cred, info
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

    def list_buckets(self, owner_id: int | None):
        """All buckets (``owner_id`` None) or one owner's, sorted by name."""
        def q():
            query = Bucket.select(Bucket, Credential).join(Credential).order_by(Bucket.name)
            if owner_id is not None:
                query = query.where(Bucket.owner == owner_id)
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

    def get_object(self, bucket: str, key: str):
        """ObjectInfo or None; raise BucketMissing if the bucket does not exist."""
        def q():
            b = Bucket.get_or_none(Bucket.name == bucket)
            if b is None:
                raise errors.BucketMissing(bucket)
            row = Object.get_or_none((Object.bucket == b.id) & (Object.key == key))
            return None if row is None else _object_info(row, bucket)
        return self._run(q)

    def put_object(self, bucket: str, key: str, new: NewObject, precondition=None):
        """Point ``key`` at the new blob; return (ObjectInfo, [garbage blob ids]).

        :param precondition: called in the transaction with the current ObjectInfo (or
            None); raising aborts the write.
        """
        return self._run(self._put_object, bucket, key, new, precondition)

    def _put_object(self, bucket, key, new, precondition):
        b = Bucket.get_or_none(Bucket.name == bucket)
        if b is None:
            raise errors.BucketMissing(bucket)
        Blob.create(blob_id=new.blob_id, size=new.size, refcount=1)
        now = _naive(utcnow())
        values = dict(blob=new.blob_id, size=new.size, etag=new.etag, last_modified=now,
                      content_type=new.content_type, headers=json.dumps(new.headers),
                      checksums=json.dumps(new.checksums), storage_class="STANDARD")
        garbage = []
        old = self._lock(Object.select().where((Object.bucket == b.id) & (Object.key == key))).first()
        if precondition is not None:
            precondition(None if old is None else _object_info(old, bucket))
        if old is None:
            row = Object.create(bucket=b.id, key=key, **values)
        else:
            Object.update(**values).where(Object.id == old.id).execute()
            garbage = self._release_blob(old.blob_id)
            row = Object.get_by_id(old.id)
        return _object_info(row, bucket), garbage

    def delete_object(self, bucket: str, key: str):
        """Remove ``key``; return the garbage blob ids (empty if the key was absent)."""
        def q():
            b = Bucket.get_or_none(Bucket.name == bucket)
            if b is None:
                raise errors.BucketMissing(bucket)
            old = self._lock(Object.select().where((Object.bucket == b.id) & (Object.key == key))).first()
            if old is None:
                return []
            old.delete_instance()
            return self._release_blob(old.blob_id)
        return self._run(q)

    def _release_blob(self, blob_id: str) -> list:
        Blob.update(refcount=Blob.refcount - 1).where(Blob.blob_id == blob_id).execute()
        blob = Blob.get_by_id(blob_id)
        if blob.refcount > 0:
            return []
        blob.delete_instance()
        GarbageBlob.insert(blob_id=blob_id).on_conflict_ignore().execute()
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
