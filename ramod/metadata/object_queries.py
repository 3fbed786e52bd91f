"""Object queries: read, replace, delete, copy, tag and list objects (database thread).

Every object's bytes live in reference-counted blobs: one blob for a simple object,
one per part for a multipart object.  Whoever points a row at a blob holds one
reference; ``_release_blob`` drops it and queues the blob as garbage at zero, in the
same transaction, with the time (the sweep removes its file after a grace period).
"""

import json
import time

from peewee import IntegrityError

from ramod.metadata import errors
from ramod.metadata.db import is_postgres
from ramod.metadata.models import Blob, Bucket, GarbageBlob, Object, ObjectPart
from ramod.metadata.records import (ListEntry, ObjectInfo, PartInfo, aware, dump_json,
                                    load_json, naive, utcnow)

_OBJECT_COLUMNS = (Object.key, Object.blob, Object.size, Object.etag, Object.last_modified,
                   Object.content_type, Object.headers, Object.checksums, Object.storage_class,
                   Object.part_count, Object.tags, Object.id, Object.created_at)
_ENTRY_COLUMNS = (Object.key, Object.size, Object.etag, Object.last_modified,
                  Object.storage_class, Object.checksums)


def _object_row(row, bucket: str, parts: tuple = ()) -> ObjectInfo:
    return ObjectInfo(bucket=bucket, key=row[0], blob_id=row[1], size=row[2], etag=row[3],
                      last_modified=aware(row[4]), content_type=row[5],
                      headers=json.loads(row[6]), checksums=json.loads(row[7]),
                      storage_class=row[8], part_count=row[9], tags=load_json(row[10]),
                      parts=parts, created_at=row[12] and aware(row[12]))


class ObjectQueries:
    """Mixed into MetadataStore: needs ``_run``, ``_sql``, ``_lock`` and ``_db``."""

    # -- reading --------------------------------------------------------------------------

    def get_object(self, bucket, key: str):
        """ObjectInfo (with its parts) or None."""
        return self._run(self._select_object, bucket, key, False)

    def _select_object(self, bucket, key: str, for_update: bool):
        """The object, or None; with ``for_update`` ``(ObjectInfo, row id)`` and the row locked."""
        name = "object_for_update" if for_update else "object"

        def build(bucket_id, key_):
            query = Object.select(*_OBJECT_COLUMNS).where(
                (Object.bucket == bucket_id) & (Object.key == key_))
            return self._lock(query) if for_update else query
        row = self._sql.one(name, build, (bucket.id, key))
        if row is None:
            return None
        parts = self._object_parts(row[11]) if row[9] is not None else ()
        info = _object_row(row, bucket.name, parts)
        return (info, row[11]) if for_update else info

    def _object_parts(self, object_id: int) -> tuple:
        rows = self._sql.execute("object_parts", lambda oid: ObjectPart.select(
            ObjectPart.part_number, ObjectPart.blob, ObjectPart.size, ObjectPart.etag,
            ObjectPart.checksums, ObjectPart.offset).where(ObjectPart.object == oid).order_by(
            ObjectPart.part_number), (object_id,))
        return tuple(PartInfo(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows)

    # -- writing --------------------------------------------------------------------------

    def put_object(self, bucket, key: str, new, precondition=None):
        """Store a freshly committed blob as ``key``; return (ObjectInfo, [garbage blob ids]).

        :param precondition: called in the transaction with the current ObjectInfo (or
            None); raising aborts the write.
        :raises BucketMissing: the bucket was deleted meanwhile.
        """
        def q():
            self._check_bucket(bucket)
            self._sql.execute("insert_blob", lambda bid, size, refs: Blob.insert(
                blob_id=bid, size=size, refcount=refs), (new.blob_id, new.size, 1))
            return self._replace_object(bucket, key, new, precondition, check_quota=True)
        return self._run(q)

    def _lock_bucket(self, bucket) -> bool:
        """Lock the bucket's row (PostgreSQL); False if the bucket is gone.

        Every write transaction locks its bucket first and the rows under it (objects,
        uploads, blobs) after: one order for all, so racing writes wait for each other
        instead of deadlocking."""
        return bool(self._sql.one("bucket_exists_for_update", lambda bid: self._lock(
            Bucket.select(Bucket.id).where(Bucket.id == bid)), (bucket.id,)))

    def _check_bucket(self, bucket) -> None:
        if not self._lock_bucket(bucket):
            raise errors.BucketMissing(bucket.name)

    def _replace_object(self, bucket, key: str, new, precondition=None, check_quota=False):
        """Point ``key`` at ``new``'s data, whose blob references the caller already holds;
        release the old version's and count the change in the bucket's usage (refused
        with QuotaExceeded, with ``check_quota``, if it grows past the bucket's quota).
        Returns (ObjectInfo, [garbage blob ids])."""
        now = naive(utcnow())
        part_count = len(new.parts) if new.blob_id is None else None
        values = (new.blob_id, new.size, new.etag, now, new.content_type,
                  json.dumps(new.headers), json.dumps(new.checksums), new.storage_class,
                  part_count, dump_json(new.tags))
        found = self._select_object(bucket, key, True)
        if precondition is not None:
            precondition(found[0] if found else None)
        if found is None:
            try:
                # a savepoint: on PostgreSQL another node's first write of this key can
                # commit between our SELECT ... FOR UPDATE (which locked nothing) and here
                with self._db.atomic():
                    cursor = self._sql.execute("insert_object", lambda *v: Object.insert(
                        bucket=v[0], key=v[1], blob=v[2], size=v[3], etag=v[4],
                        last_modified=v[5], content_type=v[6], headers=v[7], checksums=v[8],
                        storage_class=v[9], part_count=v[10], tags=v[11], created_at=v[12]),
                        (bucket.id, key) + values + (now,))
                    # PostgreSQL inserts answer RETURNING "id"; SQLite sets lastrowid
                    object_id = (cursor.fetchone()[0] if is_postgres(self._db)
                                 else cursor.lastrowid)
            except IntegrityError:
                found = self._select_object(bucket, key, True)
                if found is None:
                    raise
                if precondition is not None:
                    precondition(found[0])
        garbage = []
        created = aware(now)
        if found is None:
            self._account(bucket, objects=1, object_bytes=new.size, check_quota=check_quota)
        else:
            old, object_id = found
            created = old.created_at
            self._account(bucket, object_bytes=new.size - old.size, check_quota=check_quota)
            self._sql.execute("update_object", lambda *v: Object.update(
                blob=v[0], size=v[1], etag=v[2], last_modified=v[3], content_type=v[4],
                headers=v[5], checksums=v[6], storage_class=v[7], part_count=v[8],
                tags=v[9]).where(Object.id == v[10]), values + (object_id,))
            garbage = self._drop_data(old, object_id)
        if new.parts:
            ObjectPart.insert_many([
                {"object": object_id, "part_number": p.number, "blob": p.blob_id,
                 "offset": p.offset, "size": p.size, "etag": p.etag,
                 "checksums": json.dumps(p.checksums)} for p in new.parts]).execute()
        info = ObjectInfo(bucket.name, key, new.blob_id, new.size, new.etag, aware(now),
                          new.content_type, new.headers, new.checksums, new.storage_class,
                          part_count, new.tags, tuple(new.parts), created)
        return info, garbage

    def _drop_data(self, old: ObjectInfo, object_id: int) -> list:
        """Release the blobs of an object version that is going away."""
        if old.blob_id is not None:
            return self._release_blob(old.blob_id)
        ObjectPart.delete().where(ObjectPart.object == object_id).execute()
        garbage = []
        for part in old.parts:
            garbage += self._release_blob(part.blob_id)
        return garbage

    def delete_object(self, bucket, key: str):
        """Remove ``key``; return the garbage blob ids (empty if the key was absent)."""
        def q():
            self._lock_bucket(bucket)
            return self._delete_one(bucket, key)
        return self._run(q)

    def delete_objects(self, bucket, keys: list):
        """Remove each key in one transaction; return the garbage blob ids."""
        def q():
            self._check_bucket(bucket)
            garbage = []
            for key in keys:
                garbage += self._delete_one(bucket, key)
            return garbage
        return self._run(q)

    def _delete_one(self, bucket, key: str) -> list:
        found = self._select_object(bucket, key, True)
        if found is None:
            return []
        self._sql.execute("delete_object", lambda oid: Object.delete().where(
            Object.id == oid), (found[1],))
        self._account(bucket, objects=-1, object_bytes=-found[0].size)
        return self._drop_data(*found)

    def copy_object(self, source_bucket, source_key: str, bucket, key: str, make_new,
                    precondition=None):
        """Copy without moving data: the copy shares the source's blobs.

        :param make_new: called in the transaction with the source ObjectInfo (or None);
            returns the NewObject to store (its data fields are taken from the source) or
            raises to refuse (missing source, failed x-amz-copy-source-if-*).
        :return: (ObjectInfo, [garbage blob ids]).
        """
        def q():
            self._check_bucket(bucket)
            source = self._select_object(source_bucket, source_key, False)
            new = make_new(source)
            for blob_id, _ in source.segments:
                self._retain_blob(blob_id)
            return self._replace_object(bucket, key, new, precondition, check_quota=True)
        return self._run(q)

    def set_object_tags(self, bucket, key: str, tags: dict | None):
        """Replace the object's tags (None removes them); False if there is no such key."""
        def q():
            return Object.update(tags=dump_json(tags)).where(
                (Object.bucket == bucket.id) & (Object.key == key)).execute() > 0
        return self._run(q)

    # -- listing --------------------------------------------------------------------------

    def list_objects(self, bucket, paginate, *args):
        """Run ``paginate(seek, *args)`` in one transaction; ``seek(lower, inclusive,
        upper, limit)`` reads ListEntry rows of the bucket in key order."""
        def seek(lower: str, inclusive: bool, upper, limit: int) -> list:
            name = "seek%s%s" % ("_ge" if inclusive else "_gt", "" if upper is None else "_lt")

            def build(bucket_id, low, *rest):
                cond = (Object.bucket == bucket_id) & (
                    (Object.key >= low) if inclusive else (Object.key > low))
                if upper is not None:
                    cond &= Object.key < rest[0]
                return Object.select(*_ENTRY_COLUMNS).where(cond).order_by(
                    Object.key).limit(rest[-1])
            params = (bucket.id, lower) + (() if upper is None else (upper,)) + (limit,)
            rows = self._sql.execute(name, build, params).fetchall()
            return [ListEntry(r[0], r[1], r[2], aware(r[3]), r[4], json.loads(r[5]))
                    for r in rows]
        return self._run(lambda: paginate(seek, *args))

    # -- usage ------------------------------------------------------------------------------

    def _account(self, bucket, objects=0, object_bytes=0, upload_bytes=0, check_quota=False):
        """Add to the bucket's usage counters.  With ``check_quota``, a change that grows
        the usage past the bucket's quota raises QuotaExceeded (rolling the transaction back)."""
        Bucket.update(object_count=Bucket.object_count + objects,
                      object_bytes=Bucket.object_bytes + object_bytes,
                      upload_bytes=Bucket.upload_bytes + upload_bytes).where(
            Bucket.id == bucket.id).execute()
        growth = object_bytes + upload_bytes
        if not check_quota or growth <= 0:
            return
        row = self._sql.one("bucket_usage", lambda bid: Bucket.select(
            Bucket.quota_bytes, Bucket.object_bytes, Bucket.upload_bytes).where(
            Bucket.id == bid), (bucket.id,))
        if row is not None and row[0] is not None and row[1] + row[2] > row[0]:
            raise errors.QuotaExceeded(bucket.name, row[0], row[1] + row[2] - growth, growth)

    # -- blob references --------------------------------------------------------------------

    def _retain_blob(self, blob_id: str) -> None:
        """Take one more reference; BlobMissing if the blob is gone."""
        cursor = self._sql.execute("blob_incref", lambda one, bid: Blob.update(
            refcount=Blob.refcount + one).where(Blob.blob_id == bid), (1, blob_id))
        if cursor.rowcount != 1:
            raise errors.BlobMissing(blob_id)

    def _release_blob(self, blob_id: str) -> list:
        self._sql.execute("blob_decref", lambda one, bid: Blob.update(
            refcount=Blob.refcount - one).where(Blob.blob_id == bid), (1, blob_id))
        row = self._sql.one("blob_refcount", lambda bid: Blob.select(Blob.refcount).where(
            Blob.blob_id == bid), (blob_id,))
        if row is None or row[0] > 0:
            return []
        self._sql.execute("blob_delete", lambda bid: Blob.delete().where(Blob.blob_id == bid),
                          (blob_id,))
        self._sql.execute("garbage_insert", lambda bid, at: GarbageBlob.insert(
            blob_id=bid, garbage_at=at).on_conflict_ignore(), (blob_id, time.time()))
        return [blob_id]
