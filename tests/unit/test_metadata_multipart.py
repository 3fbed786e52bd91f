"""Multipart uploads, copies and listings in the metadata store: blob references are
handed over, shared and released exactly, and racing changes leave one winner."""

import uuid
from datetime import timedelta
from dataclasses import replace

import pytest

from ramod.metadata import errors
from ramod.metadata.models import Blob, GarbageBlob, ObjectPart, Upload, UploadPart
from ramod.metadata.records import NewObject, PartInfo, UploadInfo, utcnow

from conftest import result
from test_metadata_store import new_blob


def refcounts() -> dict:
    return {b.blob_id: b.refcount for b in Blob.select()}


def garbage() -> set:
    return {g.blob_id for g in GarbageBlob.select()}


def start_upload(store, bucket, key="big", **attrs) -> UploadInfo:
    info = UploadInfo(uuid.uuid4().hex, bucket.name, key, "root", utcnow(), **attrs)
    result(store.create_upload(bucket, info))
    return info


def upload_part(store, bucket, upload, number, size=5, key="big") -> PartInfo:
    part = PartInfo(number, uuid.uuid4().hex, size, f'"{number:032x}"', {})
    result(store.put_part(bucket, key, upload.upload_id, part, True))
    return part


def complete(store, bucket, upload, numbers, key="big"):
    def finish(info, stored):
        chosen, offset = [], 0
        for n in numbers:
            p = stored[n]
            chosen.append(PartInfo(n, p.blob_id, p.size, p.etag, p.checksums, offset))
            offset += p.size
        return NewObject(None, offset, '"x-%d"' % len(chosen), None, {}, {}, parts=tuple(chosen))
    return result(store.complete_upload(bucket, key, upload.upload_id, finish))


def test_complete_serves_the_parts_in_place(store, bucket):
    upload = start_upload(store, bucket)
    p1, p2, p3 = (upload_part(store, bucket, upload, n, size=n * 10) for n in (1, 2, 3))
    info, dropped = complete(store, bucket, upload, [1, 3])
    assert dropped == [p2.blob_id]                      # left out: released
    assert refcounts() == {p1.blob_id: 1, p3.blob_id: 1}
    got = result(store.get_object(bucket, "big"))
    assert got.blob_id is None and got.part_count == 2 and got.size == 40
    assert [(p.number, p.offset, p.size) for p in got.parts] == [(1, 0, 10), (3, 10, 30)]
    assert got.segments == [(p1.blob_id, 10), (p3.blob_id, 30)]
    assert Upload.select().where(Upload.completed_at.is_null()).count() == 0
    assert UploadPart.select().count() == 0


def test_reuploading_a_part_releases_the_old_blob(store, bucket):
    upload = start_upload(store, bucket)
    old = upload_part(store, bucket, upload, 1)
    new = upload_part(store, bucket, upload, 1)
    assert refcounts() == {new.blob_id: 1}
    assert garbage() == {old.blob_id}


def test_a_retried_complete_answers_the_same_object_until_it_is_replaced(store, bucket):
    upload = start_upload(store, bucket)
    upload_part(store, bucket, upload, 1)
    first, _ = complete(store, bucket, upload, [1])
    again, dropped = complete(store, bucket, upload, [1])
    assert (again.etag, again.segments, dropped) == (first.etag, first.segments, [])
    result(store.put_object(bucket, "big", new_blob()))
    with pytest.raises(errors.UploadMissing):
        complete(store, bucket, upload, [1])
    result(store.abort_uploads_before(utcnow()))
    assert Upload.select().count() == 1           # remembered for an hour
    with pytest.raises(errors.UploadMissing):
        result(store.abort_upload(bucket, "big", upload.upload_id))
    with pytest.raises(errors.UploadMissing):
        upload_part(store, bucket, upload, 2)
    assert len(refcounts()) == 1   # the part uploaded after Complete was not kept


def test_a_failed_complete_changes_nothing(store, bucket):
    upload = start_upload(store, bucket)
    part = upload_part(store, bucket, upload, 1)

    def refuse(info, stored):
        raise ValueError("rules broken")
    with pytest.raises(ValueError):
        result(store.complete_upload(bucket, "big", upload.upload_id, refuse))
    assert refcounts() == {part.blob_id: 1}
    assert result(store.get_upload(bucket, "big", upload.upload_id)) is not None


def test_abort_releases_every_part(store, bucket):
    upload = start_upload(store, bucket)
    parts = [upload_part(store, bucket, upload, n) for n in (1, 2)]
    assert sorted(result(store.abort_upload(bucket, "big", upload.upload_id))) == sorted(
        p.blob_id for p in parts)
    assert refcounts() == {}


def test_overwriting_a_multipart_object_releases_its_parts(store, bucket):
    upload = start_upload(store, bucket)
    parts = [upload_part(store, bucket, upload, n) for n in (1, 2)]
    complete(store, bucket, upload, [1, 2])
    replacement = new_blob()
    _, dropped = result(store.put_object(bucket, "big", replacement))
    assert sorted(dropped) == sorted(p.blob_id for p in parts)
    assert ObjectPart.select().count() == 0
    assert refcounts() == {replacement.blob_id: 1}


def copy_of(src):
    return NewObject(src.blob_id, src.size, src.etag, src.content_type, src.headers,
                     src.checksums, parts=src.parts)


@pytest.mark.parametrize("multipart", [False, True])
def test_copies_share_blobs_until_the_last_one_goes(store, bucket, multipart):
    if multipart:
        upload = start_upload(store, bucket, key="src")
        for n in (1, 2):
            upload_part(store, bucket, upload, n, key="src")
        complete(store, bucket, upload, [1, 2], key="src")
    else:
        result(store.put_object(bucket, "src", new_blob()))
    blobs = set(refcounts())
    result(store.copy_object(bucket, "src", bucket, "dst", copy_of))
    assert set(refcounts().values()) == {2}
    assert result(store.delete_object(bucket, "src")) == []     # the copy still holds them
    dst = result(store.get_object(bucket, "dst"))
    assert {blob for blob, _ in dst.segments} == blobs
    assert sorted(result(store.delete_object(bucket, "dst"))) == sorted(blobs)
    assert refcounts() == {}


def test_copy_onto_itself_keeps_the_data(store, bucket):
    original = new_blob()
    result(store.put_object(bucket, "k", original))
    _, dropped = result(store.copy_object(bucket, "k", bucket, "k", copy_of))
    assert dropped == [] and refcounts() == {original.blob_id: 1}


def test_copy_of_a_missing_source_is_refused_in_the_transaction(store, bucket):
    def make_new(src):
        assert src is None
        raise KeyError("no source")
    with pytest.raises(KeyError):
        result(store.copy_object(bucket, "nope", bucket, "dst", make_new))
    assert result(store.get_object(bucket, "dst")) is None


def test_sharing_a_blob_that_went_away_is_blob_missing(store, bucket):
    upload = start_upload(store, bucket)
    ghost = PartInfo(1, uuid.uuid4().hex, 5, '"e"', {})
    with pytest.raises(errors.BlobMissing):
        result(store.put_part(bucket, "big", upload.upload_id, ghost, False))
    assert UploadPart.select().count() == 0


def test_deleting_a_bucket_aborts_its_uploads(store, bucket):
    upload = start_upload(store, bucket)
    part = upload_part(store, bucket, upload, 1)
    assert result(store.delete_bucket(bucket.name)) == [part.blob_id]
    assert Upload.select().count() == 0


def test_abandoned_uploads_are_aborted(store, bucket):
    old = start_upload(store, bucket, key="old")
    upload_part(store, bucket, old, 1, key="old")
    result(store.abort_uploads_before(utcnow() - timedelta(hours=1)))
    assert Upload.select().count() == 1
    result(store.abort_uploads_before(utcnow() + timedelta(seconds=1)))
    assert Upload.select().count() == 0 and refcounts() == {}


def test_list_uploads_pages_by_key_then_upload(store, bucket):
    ids = [start_upload(store, bucket, key=k).upload_id for k in ("a", "b", "b", "c")]
    first = result(store.list_uploads(bucket, "", "", "", 2))
    assert [(u.key, u.upload_id) for u in first] == [("a", ids[0]), ("b", ids[1])]
    rest = result(store.list_uploads(bucket, "", "b", ids[1], 10))
    assert [(u.key, u.upload_id) for u in rest] == [("b", ids[2]), ("c", ids[3])]
    assert [u.key for u in result(store.list_uploads(bucket, "b", "", "", 10))] == ["b", "b"]


def test_list_objects_seeks_in_byte_order(store, bucket):
    keys = ["a", "a/b", "b", "é", "\U0001f600", "\uffff"]
    for key in keys:
        result(store.put_object(bucket, key, new_blob()))

    def everything(seek):
        return [e.key for e in seek("", False, None, 100)]

    def bounded(seek):
        return [e.key for e in seek("a", True, "b", 100)], [e.key for e in seek("a", False, None, 2)]
    assert result(store.list_objects(bucket, everything)) == sorted(
        keys, key=lambda k: k.encode("utf-8"))
    assert result(store.list_objects(bucket, bounded)) == (["a", "a/b"], ["a/b", "b"])


def test_object_tags_are_kept_and_removed(store, bucket):
    result(store.put_object(bucket, "k", replace(new_blob(), tags={"a": "1"})))
    assert result(store.get_object(bucket, "k")).tags == {"a": "1"}
    assert result(store.set_object_tags(bucket, "k", None)) is True
    assert result(store.get_object(bucket, "k")).tags is None
    assert result(store.set_object_tags(bucket, "missing", {"a": "b"})) is False
