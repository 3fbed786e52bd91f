"""Tests for ramod.storage.filesystem: staging, committing, discarding and recovering blobs on disk."""

import os
import uuid

import pytest

from ramod.storage.filesystem import MAX_IOVECS, BlobStore


@pytest.fixture
def store(tmp_path):
    blobs = BlobStore(tmp_path / "data")
    blobs.prepare()
    return blobs


def read_blob(store, blob_id) -> bytes:
    with store.open_blob(blob_id) as f:
        return f.read()


def committed(store, data: bytes) -> str:
    """Stage ``data``, commit it and drop the staging name; return the blob id."""
    staging = store.new_staging()
    staging.write_at([data], 0)
    blob_id = store.commit(staging)
    store.release_staging(staging)
    return blob_id


def test_prepare_creates_tree(tmp_path):
    """prepare() creates staging/, blobs/ and the 256 fan-out directories blobs/00..ff."""
    store = BlobStore(tmp_path / "a" / "data")
    store.prepare()
    root = tmp_path / "a" / "data"
    assert (root / "staging").is_dir()
    fanout = sorted(p.name for p in (root / "blobs").iterdir())
    assert fanout == [f"{i:02x}" for i in range(256)]
    assert all((root / "blobs" / name).is_dir() for name in fanout)


def test_prepare_is_idempotent(store):
    """prepare() on an existing tree keeps what is there."""
    blob_id = committed(store, b"kept")
    store.prepare()
    assert read_blob(store, blob_id) == b"kept"


def test_new_staging_touches_nothing(store):
    """A new staging file exists on disk only once something is written to it."""
    staging = store.new_staging()
    assert not staging.path.exists()
    assert staging.path.parent == store.staging_dir
    assert len(staging.blob_id) == 32
    staging.write_at([b"x"], 0)
    assert staging.path.exists()
    store.discard(staging)


def test_new_staging_ids_are_unique(store):
    """Every staging file gets its own blob id."""
    ids = {store.new_staging().blob_id for _ in range(100)}
    assert len(ids) == 100


def test_write_out_of_order_then_commit(store):
    """Batches written at their offsets in any order make up the whole body once committed."""
    staging = store.new_staging()
    staging.write_at([b"ghi", b"jkl"], 6)
    staging.write_at([b"abc"], 0)
    staging.write_at([b"mn"], 12)
    staging.write_at([b"d", b"ef"], 3)
    staging.sync_data()
    blob_id = store.commit(staging)
    assert blob_id == staging.blob_id
    assert read_blob(store, blob_id) == b"abcdefghijklmn"
    assert store.blob_path(blob_id).parent.name == blob_id[:2]
    # the staging name stays until the metadata is committed
    assert staging.path.exists()
    assert store.staged_ids() == [blob_id]
    store.release_staging(staging)
    assert not staging.path.exists()
    assert store.staged_ids() == []
    assert read_blob(store, blob_id) == b"abcdefghijklmn"


def test_large_body_in_pieces(store):
    """A few MiB written as many batches of many pieces reads back byte for byte."""
    data = os.urandom(3 * 1024 * 1024 + 17)
    staging = store.new_staging()
    batch = 256 * 1024
    offsets = list(range(0, len(data), batch))
    for offset in reversed(offsets):
        chunk = data[offset:offset + batch]
        staging.write_at([chunk[i:i + 4096] for i in range(0, len(chunk), 4096)], offset)
    blob_id = store.commit(staging)
    assert read_blob(store, blob_id) == data


@pytest.mark.parametrize("count", [MAX_IOVECS, MAX_IOVECS + 1, 2000])
def test_write_at_many_pieces(store, count):
    """A batch of more pieces than the kernel takes in one pwritev is written whole."""
    pieces = [bytes([i % 251]) * (1 + i % 7) for i in range(count)]
    staging = store.new_staging()
    staging.write_at([b"head"], 0)
    staging.write_at(pieces, 4)
    blob_id = store.commit(staging)
    assert read_blob(store, blob_id) == b"head" + b"".join(pieces)


def test_write_at_memoryviews(store):
    """Pieces may be memoryviews and bytearrays, as the body pipeline hands them."""
    staging = store.new_staging()
    staging.write_at([memoryview(b"xxabcxx")[2:5], bytearray(b"def")], 0)
    assert read_blob(store, store.commit(staging)) == b"abcdef"


def test_zero_byte_commit(store):
    """An upload with no body at all commits to an empty blob."""
    staging = store.new_staging()
    blob_id = store.commit(staging)
    assert read_blob(store, blob_id) == b""
    assert staging.path.exists()
    store.release_staging(staging)
    assert read_blob(store, blob_id) == b""


def test_write_after_commit_fails(store):
    """A committed staging file is closed: further writes raise instead of changing the blob."""
    staging = store.new_staging()
    staging.write_at([b"abc"], 0)
    blob_id = store.commit(staging)
    with pytest.raises(ValueError):
        staging.write_at([b"zzz"], 0)
    assert read_blob(store, blob_id) == b"abc"


@pytest.mark.parametrize("stage", ["new", "written", "synced", "committed", "released"])
def test_discard_at_any_stage(store, stage):
    """discard() leaves neither a staging nor a blob name, whatever stage the upload reached."""
    staging = store.new_staging()
    if stage != "new":
        staging.write_at([b"data"], 0)
    if stage in ("synced", "committed", "released"):
        staging.sync_data()
    if stage in ("committed", "released"):
        store.commit(staging)
    if stage == "released":
        store.release_staging(staging)
    store.discard(staging)
    assert not staging.path.exists()
    assert not store.blob_path(staging.blob_id).exists()
    assert list(store.staging_dir.iterdir()) == []
    store.discard(staging)  # twice is harmless


def test_discard_closes(store):
    """A discarded upload cannot be written to any more (no file is recreated)."""
    staging = store.new_staging()
    store.discard(staging)
    with pytest.raises(ValueError):
        staging.write_at([b"late"], 0)
    assert not staging.path.exists()


def test_remove_blob(store):
    """remove_blob() deletes the file; a second call, or an unknown id, is harmless."""
    blob_id = committed(store, b"abc")
    store.remove_blob(blob_id)
    assert not store.blob_path(blob_id).exists()
    store.remove_blob(blob_id)
    store.remove_blob(uuid.uuid4().hex)
    with pytest.raises(FileNotFoundError):
        store.open_blob(blob_id)


def test_recover(store):
    """recover() keeps committed blobs, removes uncommitted ones and every file in staging/."""
    # a crash after the metadata commit, before the staging name was dropped
    kept = store.new_staging()
    kept.write_at([b"kept"], 0)
    store.commit(kept)
    # a crash after linking into blobs/ but before the metadata commit
    linked = store.new_staging()
    linked.write_at([b"linked"], 0)
    store.commit(linked)
    # a crash while the body was arriving
    partial = store.new_staging()
    partial.write_at([b"part"], 0)
    partial.close()
    # an older, fully released blob and stray files that are not uploads
    old = committed(store, b"old")
    (store.staging_dir / "stray.tmp").write_bytes(b"junk")
    (store.staging_dir / ".hidden").write_bytes(b"junk")

    staged = store.staged_ids()
    assert sorted(staged) == sorted([kept.blob_id, linked.blob_id, partial.blob_id])
    removed = store.recover({kept.blob_id}, staged)

    assert removed == 2
    assert list(store.staging_dir.iterdir()) == []
    assert read_blob(store, kept.blob_id) == b"kept"
    assert not store.blob_path(linked.blob_id).exists()
    assert not store.blob_path(partial.blob_id).exists()
    assert read_blob(store, old) == b"old"


def test_recover_nothing(store):
    """recover() with nothing staged removes nothing."""
    blob_id = committed(store, b"abc")
    assert store.recover(set(), store.staged_ids()) == 0
    assert read_blob(store, blob_id) == b"abc"


def test_recover_keeps_directories(store):
    """recover() removes stray files in staging/ but not directories someone put there."""
    (store.staging_dir / "sub").mkdir()
    store.recover(set(), store.staged_ids())
    assert (store.staging_dir / "sub").is_dir()


def test_recover_stray_file_with_32_character_name(store):
    """A stray file whose 32-character name is not a blob id is removed, not a crash at start-up."""
    stray = store.staging_dir / ("X" * 32)
    stray.write_bytes(b"junk")
    store.recover(set(), store.staged_ids())
    assert not stray.exists()


@pytest.mark.parametrize("blob_id", [
    "", "0" * 31, "0" * 33, "A" * 32, "g" * 32, "../../../../etc/passwd" + "0" * 10,
    "../" + "0" * 29, "00/" + "0" * 29, "/" + "0" * 31, "0" * 31 + "\n", "0" * 16 + "\x00" + "0" * 15,
    "０" * 32,
])
def test_blob_path_rejects_non_ids(store, blob_id):
    """blob_path() accepts only 32 lower-case hex digits, so no id can name another file."""
    with pytest.raises(ValueError):
        store.blob_path(blob_id)
    with pytest.raises(ValueError):
        store.open_blob(blob_id)
    with pytest.raises(ValueError):
        store.remove_blob(blob_id)


def test_blob_path_layout(store):
    """A blob lives at blobs/<first two hex digits>/<id>."""
    blob_id = "0123456789abcdef0123456789abcdef"
    assert store.blob_path(blob_id) == store.blobs_dir / "01" / blob_id
