"""Tests for ramod.storage.filesystem: staging, committing, discarding and recovering blobs on disk."""

import os
import uuid

import pytest

from ramod.storage.filesystem import MAX_IOVECS, BlobStore, DataDirInUse


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
    """prepare() creates this process's staging slot, its lock directory, blobs/ and the
    256 fan-out directories blobs/00..ff."""
    store = BlobStore(tmp_path / "a" / "data", "gw1", "worker-2")
    store.prepare()
    root = tmp_path / "a" / "data"
    assert store.staging_dir == root / "staging" / "gw1" / "worker-2"
    assert store.staging_dir.is_dir() and (root / "locks" / "gw1").is_dir()
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


# -- staging slots: one per process, recovered only under its lock ----------------------------

def stage(store, data: bytes, area_dir=None) -> str:
    """An interrupted upload: a staged file, linked into blobs/ (as after step 2)."""
    staging = store.new_staging()
    staging.write_at([data], 0)
    store.commit(staging)
    if area_dir is not None:
        os.rename(staging.path, area_dir / staging.blob_id)
    return staging.blob_id


def test_each_worker_stages_in_its_own_slot(tmp_path):
    """Two workers of one node stage under staging/<node>/worker-<I>/, each seeing only its own."""
    one = BlobStore(tmp_path, "gw", "worker-1")
    two = BlobStore(tmp_path, "gw", "worker-2")
    one.prepare()
    two.prepare()
    a, b = stage(one, b"a"), stage(two, b"b")
    assert one.staged_ids() == [a] and two.staged_ids() == [b]
    assert one.recover(set(), one.staged_ids()) == 1
    assert two.staged_ids() == [b] and read_blob(two, b) == b"b"


def test_a_held_slot_is_refused(tmp_path):
    """claim_staging() refuses a slot another live process holds, and takes it once released."""
    first = BlobStore(tmp_path, "gw", "worker-1")
    first.prepare()
    first.claim_staging()
    again = BlobStore(tmp_path, "gw", "worker-1")
    with pytest.raises(DataDirInUse):
        again.claim_staging()
    first.unlock()
    again.claim_staging()
    again.unlock()


def test_idle_areas_are_the_flat_layout_and_free_slots_of_this_node(tmp_path):
    """The node's main process recovers the old flat staging/ and its node's slots nobody
    holds; a held slot and other nodes' slots are left alone."""
    main = BlobStore(tmp_path, "gw", slot=None)
    main.prepare()
    live = BlobStore(tmp_path, "gw", "worker-1")
    dead = BlobStore(tmp_path, "gw", "worker-2")
    other_node = BlobStore(tmp_path, "gw-b", "worker-2")
    for store in (live, dead, other_node):
        store.prepare()
    live.claim_staging()
    live_id, dead_id, other_id = stage(live, b"live"), stage(dead, b"dead"), stage(other_node, b"o")
    flat_id = stage(dead, b"flat", area_dir=main.staging_root)  # the layout before workers
    (main.staging_root / "stray.tmp").write_bytes(b"junk")

    areas = main.idle_staging_areas()
    assert sorted(str(a.path.relative_to(tmp_path)) for a in areas) == [
        "staging", "staging/gw/worker-2"]
    flat = next(a for a in areas if a.flat)
    assert main.staged_ids(flat) == [flat_id]
    for area in areas:
        main.recover({flat_id}, main.staged_ids(area), area)
        area.unlock()

    assert read_blob(main, flat_id) == b"flat"                   # rolled forward
    assert not main.blob_path(dead_id).exists()                  # rolled back
    assert sorted(p.name for p in main.staging_root.iterdir()) == ["gw", "gw-b"]
    assert live.staged_ids() == [live_id] and read_blob(main, live_id) == b"live"
    assert other_node.staged_ids() == [other_id]
    assert dead.staged_ids() == []
    dead.claim_staging()  # the recovery let go of the slot's lock
    dead.unlock()
    live.unlock()


def test_flat_recovery_keeps_node_directories_even_with_hex_names(tmp_path):
    """A node directory whose name looks like a blob id is not an upload of the flat layout."""
    node = "ab" * 16
    store = BlobStore(tmp_path, node, "server")
    store.prepare()
    main = BlobStore(tmp_path, "other", slot=None)
    flat = next(a for a in main.idle_staging_areas() if a.flat)
    assert main.staged_ids(flat) == []
    main.recover(set(), [], flat)
    assert store.staging_dir.is_dir()


def test_every_node_recovers_slots_of_other_node_ids(tmp_path):
    """With every_node (SQLite: one server per data directory) the slots of another node id
    (the host name changed) are recovered too; by default only this node's are."""
    old = BlobStore(tmp_path, "old-name", "server")
    old.prepare()
    orphan = stage(old, b"orphan")
    main = BlobStore(tmp_path, "new-name", slot=None)
    assert [a.path for a in main.idle_staging_areas()] == [main.staging_root]
    areas = main.idle_staging_areas(every_node=True)
    assert [a.path for a in areas] == [main.staging_root, old.staging_dir]
    for area in areas:
        main.recover(set(), main.staged_ids(area), area)
        area.unlock()
    assert not main.blob_path(orphan).exists() and old.staged_ids() == []
