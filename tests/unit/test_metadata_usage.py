"""Bucket usage counters follow every write, and quotas are enforced in the write's
transaction (a refused write changes nothing)."""

import random

import pytest
from peewee import fn

from conftest import result
from test_metadata_multipart import complete, copy_of, start_upload, upload_part
from test_metadata_store import new_blob

from ramod.metadata import errors
from ramod.metadata.models import Blob, Object, Upload, UploadPart


def usage(store, name="bkt"):
    info = result(store.get_bucket(name))
    return info.object_count, info.object_bytes, info.upload_bytes


def recount(bucket):
    """The counters recomputed from the rows themselves."""
    objects = Object.select().where(Object.bucket == bucket.id)
    parts = UploadPart.select(fn.COALESCE(fn.SUM(UploadPart.size), 0)).join(Upload).where(
        (Upload.bucket == bucket.id) & Upload.completed_at.is_null())
    return (objects.count(), objects.select(fn.COALESCE(fn.SUM(Object.size), 0)).scalar(),
            parts.scalar())


def set_quota(store, quota):
    return result(store.update_bucket("bkt", quota_bytes=quota))


def test_counters_follow_puts_overwrites_and_deletes(store, bucket):
    """Objects and bytes go up on new keys, move by the difference on overwrites, down on deletes."""
    result(store.put_object(bucket, "a", new_blob(size=10)))
    result(store.put_object(bucket, "b", new_blob(size=5)))
    assert usage(store) == (2, 15, 0)
    result(store.put_object(bucket, "a", new_blob(size=4)))
    assert usage(store) == (2, 9, 0)
    result(store.delete_objects(bucket, ["a", "missing"]))
    assert usage(store) == (1, 5, 0)


def test_counters_follow_multipart_uploads(store, bucket):
    """Parts count as upload bytes until Complete moves the chosen ones to the object."""
    upload = start_upload(store, bucket)
    upload_part(store, bucket, upload, 1, size=7)
    upload_part(store, bucket, upload, 2, size=3)
    upload_part(store, bucket, upload, 2, size=4)  # replaces part 2
    assert usage(store) == (0, 0, 11)
    complete(store, bucket, upload, [1])
    assert usage(store) == (1, 7, 0)
    other = start_upload(store, bucket, key="other")
    upload_part(store, bucket, other, 1, size=9, key="other")
    result(store.abort_upload(bucket, "other", other.upload_id))
    assert usage(store) == (1, 7, 0)


def test_quota_refuses_a_put_that_does_not_fit_and_changes_nothing(store, bucket):
    """A write past the quota raises QuotaExceeded; no object, blob or counter changes."""
    set_quota(store, 10)
    result(store.put_object(bucket, "a", new_blob(size=8)))
    refused = new_blob(size=3)
    with pytest.raises(errors.QuotaExceeded) as caught:
        result(store.put_object(bucket, "b", refused))
    assert (caught.value.quota, caught.value.used, caught.value.adding) == (10, 8, 3)
    assert usage(store) == (1, 8, 0)
    assert Blob.get_or_none(Blob.blob_id == refused.blob_id) is None
    assert result(store.get_object(bucket, "b")) is None
    # an overwrite that does not grow the bucket fits, as does a smaller one
    result(store.put_object(bucket, "a", new_blob(size=10)))
    result(store.put_object(bucket, "a", new_blob(size=2)))
    assert usage(store) == (1, 2, 0)


def test_quota_counts_parts_and_copies(store, bucket):
    """UploadPart and CopyObject are held to the quota; Complete, which only moves bytes, is not."""
    set_quota(store, 20)
    source, _ = result(store.put_object(bucket, "src", new_blob(size=8)))
    upload = start_upload(store, bucket)
    upload_part(store, bucket, upload, 1, size=10)
    with pytest.raises(errors.QuotaExceeded):
        upload_part(store, bucket, upload, 2, size=3)
    with pytest.raises(errors.QuotaExceeded):
        result(store.copy_object(bucket, "src", bucket, "copy", copy_of))
    assert usage(store) == (1, 8, 10)
    set_quota(store, 5)  # lowered below what the bucket holds: Complete still goes through
    complete(store, bucket, upload, [1])
    assert usage(store) == (2, 18, 0)
    set_quota(store, None)
    result(store.copy_object(bucket, "src", bucket, "copy", copy_of))
    assert usage(store) == (3, 26, 0)
    assert source.size == 8


def test_counters_match_the_rows_after_random_operations(store, bucket):
    """After a random mix of writes the counters equal a recount of the rows."""
    rng = random.Random(7)
    uploads = []
    for _ in range(300):
        action = rng.randrange(6)
        key = f"k{rng.randrange(12)}"
        if action <= 1:
            result(store.put_object(bucket, key, new_blob(size=rng.randrange(50))))
        elif action == 2:
            result(store.delete_object(bucket, key))
        elif action == 3:
            upload = start_upload(store, bucket, key=key)
            upload_part(store, bucket, upload, 1, size=rng.randrange(1, 30), key=key)
            uploads.append(upload)
        elif action == 4 and uploads:
            upload = uploads.pop(rng.randrange(len(uploads)))
            complete(store, bucket, upload, [1], key=upload.key)
        elif action == 5 and uploads:
            upload = uploads.pop(rng.randrange(len(uploads)))
            result(store.abort_upload(bucket, upload.key, upload.upload_id))
        assert usage(store) == recount(bucket)


def test_prefixes_match_bytes_not_like_patterns(store, root, bucket):
    """Upload and bucket prefixes are literal and case-sensitive: '_' and '%' are no wildcards."""
    for key in ["a_1", "ab1", "A_1", "a%1", "a%"]:
        start_upload(store, bucket, key=key)
    listed = [u.key for u in result(store.list_uploads(bucket, "a_", "", "", 100))]
    assert listed == ["a_1"]
    assert [u.key for u in result(store.list_uploads(bucket, "a%", "", "", 100))] == ["a%", "a%1"]
    summaries = result(store.upload_summaries(bucket, "A", None, 100))
    assert [s.upload.key for s in summaries] == ["A_1"]
    for name in ["bk_one", "bkxone", "bk-two"]:
        result(store.create_bucket(name, root.id, "us-east-1"))
    assert [b.name for b in result(store.list_buckets(None, "bk_"))] == ["bk_one"]
