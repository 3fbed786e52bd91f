"""Multipart upload queries (database thread).

Each uploaded part holds one reference to its blob.  Completing an upload hands the
chosen parts' references over to the new object's ``ObjectPart`` rows (no data is
copied, no reference count changes) and releases the parts left out; aborting
releases them all.  The upload row is locked (SELECT ... FOR UPDATE on PostgreSQL,
SQLite serialises writers) by every change, so racing part uploads, completes and
aborts are applied one after the other and the loser sees ``UploadMissing``.
"""

import json
from datetime import datetime, timedelta

from ramod.metadata import errors
from ramod.metadata.models import Blob, Upload, UploadPart
from ramod.metadata.records import (PartInfo, UploadInfo, aware, dump_json, load_json, naive,
                                    starts_with, utcnow)


#: how long a completed upload is remembered for retried Completes
COMPLETED_KEPT = timedelta(hours=1)


class _BucketRef:
    """Just a bucket's id, where only that is known (usage accounting)."""

    name = ""

    def __init__(self, bucket_id: int):
        self.id = bucket_id


def upload_info(row: Upload, bucket_name: str) -> UploadInfo:
    return UploadInfo(row.upload_id, bucket_name, row.key, row.initiator,
                      aware(row.initiated_at), row.content_type, json.loads(row.headers),
                      row.checksum_algorithm, row.checksum_type, row.storage_class,
                      load_json(row.tags), row.id)


def _part_info(row: UploadPart) -> PartInfo:
    return PartInfo(row.part_number, row.blob_id, row.size, row.etag, json.loads(row.checksums),
                    0, aware(row.last_modified))


class UploadQueries:
    """Mixed into MetadataStore: needs ``_run``, ``_lock``, ``_check_bucket``,
    ``_replace_object``, ``_retain_blob`` and ``_release_blob``."""

    def create_upload(self, bucket, info: UploadInfo):
        def q():
            self._check_bucket(bucket)
            Upload.create(upload_id=info.upload_id, bucket=bucket.id, key=info.key,
                          initiator=info.initiator, initiated_at=naive(info.initiated_at),
                          content_type=info.content_type, headers=json.dumps(info.headers),
                          checksum_algorithm=info.checksum_algorithm,
                          checksum_type=info.checksum_type, storage_class=info.storage_class,
                          tags=dump_json(info.tags))
        return self._run(q)

    def _locked_upload(self, bucket, key: str, upload_id: str, completed=False) -> Upload:
        """The upload's row, locked; UploadMissing if there is none in progress (or, with
        ``completed``, none completed either)."""
        row = self._lock(Upload.select().where(
            (Upload.upload_id == upload_id) & (Upload.bucket == bucket.id)
            & (Upload.key == key))).first()
        if row is None or (row.completed_at is not None and not completed):
            raise errors.UploadMissing(upload_id)
        return row

    def get_upload(self, bucket, key: str, upload_id: str):
        """UploadInfo or None."""
        def q():
            row = Upload.get_or_none((Upload.upload_id == upload_id) & (Upload.bucket == bucket.id)
                                     & (Upload.key == key) & Upload.completed_at.is_null())
            return None if row is None else upload_info(row, bucket.name)
        return self._run(q)

    def put_part(self, bucket, key: str, upload_id: str, part: PartInfo, new_blob: bool):
        """Record a part (replacing one of the same number); return [garbage blob ids].

        :param new_blob: the blob was just committed (its row is created here); else it
            is an existing blob shared with a copy source, whose count goes up.
        :raises UploadMissing: the upload was completed or aborted meanwhile.
        """
        def q():
            self._lock_bucket(bucket)                      # bucket first: one lock order
            upload = self._locked_upload(bucket, key, upload_id)
            if new_blob:
                Blob.insert(blob_id=part.blob_id, size=part.size, refcount=1).execute()
            else:
                self._retain_blob(part.blob_id)
            old = UploadPart.get_or_none((UploadPart.upload == upload.id)
                                         & (UploadPart.part_number == part.number))
            garbage = []
            if old is not None:
                old.delete_instance()
                garbage = self._release_blob(old.blob_id)
            self._account(bucket, upload_bytes=part.size - (old.size if old is not None else 0),
                          check_quota=True)
            UploadPart.create(upload=upload.id, part_number=part.number, blob=part.blob_id,
                              size=part.size, etag=part.etag, checksums=json.dumps(part.checksums),
                              last_modified=naive(utcnow()))
            return garbage
        return self._run(q)

    def part_size(self, bucket, key: str, upload_id: str, number: int):
        """The size of the part ``number`` already uploaded, or 0."""
        def q():
            row = (UploadPart.select(UploadPart.size).join(Upload)
                   .where((Upload.upload_id == upload_id) & (Upload.bucket == bucket.id)
                          & (Upload.key == key) & (UploadPart.part_number == number)).first())
            return 0 if row is None else row.size
        return self._run(q)

    def list_parts(self, bucket, key: str, upload_id: str, after: int, limit: int):
        """(UploadInfo, parts numbered above ``after``, at most ``limit``); UploadMissing."""
        def q():
            row = Upload.get_or_none((Upload.upload_id == upload_id) & (Upload.bucket == bucket.id)
                                     & (Upload.key == key) & Upload.completed_at.is_null())
            if row is None:
                raise errors.UploadMissing(upload_id)
            parts = (UploadPart.select().where((UploadPart.upload == row.id)
                                               & (UploadPart.part_number > after))
                     .order_by(UploadPart.part_number).limit(limit))
            return upload_info(row, bucket.name), [_part_info(p) for p in parts]
        return self._run(q)

    def list_uploads(self, bucket, prefix: str, key_marker: str, upload_id_marker: str,
                     limit: int):
        """Uploads in (key, initiation) order after the markers, at most ``limit``."""
        def q():
            query = Upload.select().where((Upload.bucket == bucket.id)
                                          & Upload.completed_at.is_null())
            if prefix:
                query = query.where(starts_with(Upload.key, prefix))
            if key_marker:
                after = Upload.key > key_marker
                marker_row = upload_id_marker and Upload.get_or_none(
                    (Upload.upload_id == upload_id_marker) & (Upload.bucket == bucket.id)
                    & (Upload.key == key_marker))
                if marker_row:
                    after |= (Upload.key == key_marker) & (Upload.id > marker_row.id)
                query = query.where(after)
            query = query.order_by(Upload.key, Upload.id).limit(limit)
            return [upload_info(row, bucket.name) for row in query]
        return self._run(q)

    def complete_upload(self, bucket, key: str, upload_id: str, finish, precondition=None):
        """Turn the upload into the object ``key``, serving its parts in place.

        :param finish: called in the transaction with (UploadInfo, {number: PartInfo});
            returns the NewObject (whose ``parts`` are the chosen ones) or raises.
        A Complete retried after it succeeded (its answer lost on the way) gets the same
        object back as long as that is still what ``key`` holds.

        :return: (ObjectInfo, [garbage blob ids]).
        :raises UploadMissing: no such upload (aborted, or completed and since replaced).
        """
        def q():
            self._check_bucket(bucket)
            row = self._locked_upload(bucket, key, upload_id, completed=True)
            if row.completed_at is not None:
                current = self._select_object(bucket, key, False)
                if current is None or current.etag != row.completed_etag:
                    raise errors.UploadMissing(upload_id)
                return current, []
            parts = {p.part_number: _part_info(p)
                     for p in UploadPart.select().where(UploadPart.upload == row.id)}
            new = finish(upload_info(row, bucket.name), parts)
            # the parts move from the upload to the object: the usage can only shrink
            self._account(bucket, upload_bytes=-sum(p.size for p in parts.values()))
            info, garbage = self._replace_object(bucket, key, new, precondition)
            chosen = {p.blob_id for p in new.parts}
            UploadPart.delete().where(UploadPart.upload == row.id).execute()
            row.completed_at, row.completed_etag = naive(utcnow()), info.etag
            row.save()
            for part in parts.values():
                if part.blob_id not in chosen:
                    garbage += self._release_blob(part.blob_id)
            return info, garbage
        return self._run(q)

    def abort_upload(self, bucket, key: str, upload_id: str):
        """Forget the upload and release its parts; return [garbage blob ids]."""
        def q():
            self._lock_bucket(bucket)                      # bucket first: one lock order
            return self._drop_upload(self._locked_upload(bucket, key, upload_id))
        return self._run(q)

    def _drop_upload(self, row: Upload) -> list:
        parts = list(UploadPart.select(UploadPart.blob, UploadPart.size).where(
            UploadPart.upload == row.id))
        UploadPart.delete().where(UploadPart.upload == row.id).execute()
        row.delete_instance()
        self._account(_BucketRef(row.bucket_id), upload_bytes=-sum(p.size for p in parts))
        garbage = []
        for part in parts:
            garbage += self._release_blob(part.blob_id)
        return garbage

    def abort_uploads_before(self, cutoff: datetime, limit: int = 100):
        """Abort uploads initiated before ``cutoff`` (abandoned), forget those completed
        over an hour ago; return [garbage blob ids]."""
        def q():
            Upload.delete().where(Upload.completed_at < naive(utcnow() - COMPLETED_KEPT)).execute()
            garbage = []
            abandoned = list(Upload.select(Upload.id, Upload.bucket).where(
                Upload.completed_at.is_null() & (Upload.initiated_at < naive(cutoff))
            ).limit(limit))
            for found in abandoned:
                self._lock_bucket(_BucketRef(found.bucket_id))   # bucket first, then upload
                row = self._lock(Upload.select().where(
                    (Upload.id == found.id) & Upload.completed_at.is_null())).first()
                if row is not None:
                    garbage += self._drop_upload(row)
            return garbage
        return self._run(q)

    def _drop_bucket_uploads(self, bucket_id: int) -> list:
        garbage = []
        for row in self._lock(Upload.select().where(Upload.bucket == bucket_id)):
            garbage += self._drop_upload(row)
        return garbage
