"""Reading an object made of several blobs (a multipart object served from its parts),
pinning them against removal, and copying ranges into a new blob."""

import hashlib
import os
import random

import pytest

from ramod.storage.copying import copy_range
from ramod.storage.filesystem import BlobStore

from test_blobstore import committed, read_blob


@pytest.fixture
def store(tmp_path):
    blobs = BlobStore(tmp_path / "data")
    blobs.prepare()
    return blobs


@pytest.fixture
def parts(store):
    """Five segments of different sizes (one empty) and the bytes they make together."""
    rng = random.Random(7)
    pieces = [rng.randbytes(n) for n in (10, 0, 1, 4096, 37)]
    return [(committed(store, p), len(p)) for p in pieces], b"".join(pieces)


def test_every_range_reads_across_segments(store, parts):
    segments, whole = parts
    reader, first = store.open_segments(segments, 0, 5)
    assert first == whole[:5]
    for offset in range(0, len(whole), 7):
        for size in (1, 9, 11, 4097, len(whole)):
            want = whole[offset:offset + size]
            assert reader.read(offset, min(size, len(whole) - offset)) == want
    reader.close()


def test_a_pinned_blob_outlives_its_removal_until_the_reader_closes(store, parts):
    segments, whole = parts
    reader, _ = store.open_segments(segments, 0, 0)
    assert store.remove_blobs([b for b, _ in segments]) == []      # all pinned: kept
    assert reader.read(0, len(whole)) == whole
    reader.close()
    assert sorted(store.remove_blobs([b for b, _ in segments])) == sorted(b for b, _ in segments)
    assert not any(os.path.exists(store.blob_file(b)) for b, _ in segments)


def test_opening_an_object_whose_blob_is_gone_is_file_not_found(store, parts):
    segments, _ = parts
    store.remove_blob(segments[-1][0])
    with pytest.raises(FileNotFoundError):
        store.open_segments(segments, 0, 1)
    assert store.remove_blob(segments[0][0]) is True                # the failed open unpinned


def test_a_short_blob_reads_short(store):
    blob = committed(store, b"abc")
    reader, _ = store.open_segments([(blob, 10)], 0, 0)
    assert reader.read(0, 10) == b"abc"
    reader.close()


@pytest.mark.parametrize("first, last", [(0, 0), (3, 4100), (10, 10), (0, 4143), (4000, 4143)])
def test_copy_range_makes_a_new_blob_of_the_range(store, parts, first, last):

    segments, whole = parts
    staging = store.new_staging()
    md5, crc = copy_range(staging, store, segments, first, last - first + 1, "CRC32")
    store.commit(staging)
    store.release_staging(staging)
    data = read_blob(store, staging.blob_id)
    assert data == whole[first:last + 1]
    assert md5 == hashlib.md5(data).digest()
    assert crc is not None
    assert os.listdir(store.staging_dir) == []
