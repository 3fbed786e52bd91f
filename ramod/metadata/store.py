"""MetadataStore: every metadata query, run in the database thread pool.

Public methods return Deferreds of frozen dataclasses (``ramod.metadata.records``),
never models or queries, so nothing lazy escapes the database thread.  Each call is
one transaction.  Object, multipart, management and cluster (leases, shared rate limits,
quota reservations) queries live in their own mixins.

Nothing is cached between calls: several processes (workers, gateways) may share the
database, and each sees what another committed from its next call on — a disabled key,
a revoked presigned URL, a completed upload.
"""

import time

from peewee import IntegrityError

from ramod.metadata import errors
from ramod.metadata.admin_queries import AdminQueries
from ramod.metadata.cluster_queries import ClusterQueries
from ramod.metadata.compiled import SqlCache
from ramod.metadata.db import Transactions, is_postgres
from ramod.metadata.migrations import migrate
from ramod.metadata.models import Blob, Bucket, Credential, GarbageBlob, Object
from ramod.metadata.object_queries import ObjectQueries
from ramod.metadata.records import (BucketInfo, CredentialInfo, ListEntry, NewObject,  # noqa: F401
                                    ObjectInfo, PartInfo, UploadInfo, aware, dump_json, load_json,
                                    naive, starts_with, utcnow)
from ramod.metadata.upload_queries import UploadQueries


#: PostgreSQL advisory lock held by the transaction that looks for the root credential and
#: makes it if there is none: gateways starting together on a new database would each
#: find none and make one (two roots, or a unique-key error that fails the start)
ROOT_LOCK = 0x72616D72  # "ramr"


def _bucket_info(row: Bucket) -> BucketInfo:
    return BucketInfo(row.name, row.owner_id, row.owner.user_name, row.region,
                      aware(row.created_at), row.id, row.object_count, row.object_bytes,
                      row.upload_bytes, row.quota_bytes)


def credential_info(row: Credential) -> CredentialInfo:
    return CredentialInfo(row.id, row.user_name, row.access_key, row.secret_key,
                          row.is_active, row.is_root, row.rate_limit, aware(row.created_at))


# Column lists of the compiled (hot-path) queries, and the row -> dataclass converters.
_CREDENTIAL_COLUMNS = (Credential.id, Credential.user_name, Credential.access_key,
                       Credential.secret_key, Credential.is_active, Credential.is_root,
                       Credential.rate_limit, Credential.created_at)
_BUCKET_COLUMNS = (Bucket.name, Bucket.owner, Credential.user_name, Bucket.region,
                   Bucket.created_at, Bucket.id, Bucket.object_count, Bucket.object_bytes,
                   Bucket.upload_bytes, Bucket.quota_bytes)


def _credential_row(row) -> CredentialInfo:
    return CredentialInfo(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6],
                          aware(row[7]))


def _bucket_row(row) -> BucketInfo:
    return BucketInfo(row[0], row[1], row[2], row[3], aware(row[4]), *row[5:10])


class MetadataStore(ObjectQueries, UploadQueries, AdminQueries, ClusterQueries):
    """Async facade over the models; ``pools.run_db`` runs each call in a transaction."""

    def __init__(self, db, pools):
        self._db = db
        self._pools = pools
        self._sql = SqlCache(db)
        self._transactions = Transactions(db)

    def _run(self, fn_, *args):
        """``fn_(*args)`` as one transaction in the database pool (``Transactions.run``:
        connection handling, and ``DatabaseUnavailable``/``DatabaseBusy`` when the database
        is gone or locked).  ``fn_`` may run twice if its first try lost its connection
        before committing, so it must do nothing but compute its result from the database."""
        def in_thread():
            return self._transactions.run(fn_, args)
        return self._pools.run_db(in_thread)

    def _lock(self, query):
        """SELECT ... FOR UPDATE where the engine supports it (SQLite serialises writers)."""
        return query.for_update() if is_postgres(self._db) else query

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self):
        def in_thread():
            with self._transactions.connection():
                return migrate(self._db)
        return self._pools.run_db(in_thread)

    def ensure_root(self, access_key: str | None, secret_key: str | None, make_key):
        """Return (CredentialInfo, created) for the root credential, creating it if needed."""
        return self._run(self._ensure_root, access_key, secret_key, make_key)

    def _ensure_root(self, access_key, secret_key, make_key):
        if is_postgres(self._db):
            self._db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ROOT_LOCK,))
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
                                is_active=True, is_root=True, created_at=naive(utcnow()))
        return self._credential_info(row), True

    @staticmethod
    def _credential_info(row: Credential) -> CredentialInfo:
        return credential_info(row)

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
            existing = Bucket.select(Bucket, Credential).join(Credential).where(
                Bucket.name == name).first()
            if existing is not None:
                # buckets belong to users: any key of the owner's user owns it
                creator = Credential.get_or_none(Credential.id == owner_id)
                raise errors.BucketTaken(creator is not None
                                         and existing.owner.user_name == creator.user_name)
            try:
                with self._db.atomic():
                    row = Bucket.create(name=name, owner=owner_id, region=region,
                                        created_at=naive(utcnow()))
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
                query = query.where(starts_with(Bucket.name, prefix))
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
            garbage = self._drop_bucket_uploads(row.id)
            row.delete_instance()
            return garbage
        return self._run(q)

    def get_bucket_tags(self, bucket: BucketInfo):
        """The bucket's tags (dict) or None."""
        def q():
            row = Bucket.select(Bucket.tags).where(Bucket.id == bucket.id).first()
            return None if row is None else load_json(row.tags)
        return self._run(q)

    def set_bucket_tags(self, bucket: BucketInfo, tags: dict | None):
        def q():
            Bucket.update(tags=dump_json(tags)).where(Bucket.id == bucket.id).execute()
        return self._run(q)

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

    def garbage(self, limit: int = 1000, before: float | None = None):
        """Ids of blobs that became garbage before ``before`` (Unix time; default: now),
        oldest first, at most ``limit``."""
        def q():
            cutoff = time.time() if before is None else before
            return [r.blob_id for r in GarbageBlob.select(GarbageBlob.blob_id).where(
                GarbageBlob.garbage_at <= cutoff).order_by(GarbageBlob.garbage_at).limit(limit)]
        return self._run(q)

    def forget_garbage(self, blob_ids: list):
        def q():
            if blob_ids:
                GarbageBlob.delete().where(GarbageBlob.blob_id.in_(blob_ids)).execute()
        return self._run(q)
