"""The write protocol (ramod.storage.ingest) on a real BlobStore and a real SQLite metadata
store: whichever point a write fails at, ``staging/`` ends up empty and ``blobs/`` holds
exactly the blobs the metadata references.

The pools are ``StepPools``: each I/O or database job waits in a queue until the test
runs it (in the test's thread), so a test can cancel a write while one of its jobs is
"in flight" and then let the job finish, as a pool thread would.
"""

import errno
import hashlib
import time
import uuid
from collections import deque

import pytest
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from ramod.http.body import BodyPipeline
from ramod.metadata import errors as meta
from ramod.metadata.models import Blob, GarbageBlob
from ramod.metadata.records import NewObject, PartInfo, UploadInfo, utcnow
from ramod.metadata.store import MetadataStore
from ramod.protocol.payload import PayloadSpec
from ramod.storage.copying import copy_range
from ramod.storage.filesystem import BlobStore
from ramod.storage.garbage import sweep_garbage_blobs
from ramod.storage.ingest import Ingest


class StepPools:
    """``run_io`` / ``run_db`` queue the job; ``run_next`` runs the oldest one."""

    def __init__(self):
        self.jobs: deque = deque()
        self.log: list = []  # names of the jobs run, in order

    def run_io(self, fn, *args, **kwargs) -> Deferred:
        return self._queue("io", fn, args, kwargs)

    def run_db(self, fn, *args, **kwargs) -> Deferred:
        return self._queue("db", fn, args, kwargs)

    def _queue(self, kind, fn, args, kwargs) -> Deferred:
        d = Deferred()
        self.jobs.append((kind, d, fn, args, kwargs))
        return d

    def next_kind(self) -> str | None:
        return self.jobs[0][0] if self.jobs else None

    def run_next(self) -> None:
        kind, d, fn, args, kwargs = self.jobs.popleft()
        self.log.append(f"{kind}:{getattr(fn, '__name__', fn)}")
        try:
            value = fn(*args, **kwargs)
        except BaseException:
            d.errback()
        else:
            d.callback(value)

    def run_all(self) -> None:
        while self.jobs:
            self.run_next()

    def run_until(self, kind: str) -> None:
        """Run jobs until the next one queued is of ``kind`` (left queued)."""
        while self.jobs and self.next_kind() != kind:
            self.run_next()
        assert self.next_kind() == kind, f"no {kind} job was queued"


def outcome(d: Deferred):
    """The value or the exception a fired Deferred ended with."""
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0].value if isinstance(out[0], Failure) else out[0]


class Env:
    """A BlobStore, a migrated MetadataStore with one bucket, and the StepPools they share."""

    def __init__(self, tmp_path, db):
        self.pools = StepPools()
        self.blobs = BlobStore(tmp_path / "data")
        self.blobs.prepare()
        self.meta = MetadataStore(db, self.pools)
        self.sync(self.meta.migrate())
        root = self.sync(self.meta.ensure_root("ROOTKEY", "rootsecret", None))[0]
        self.bucket = self.sync(self.meta.create_bucket("bkt", root.id, "us-east-1"))

    def sync(self, d: Deferred):
        self.pools.run_all()
        value = outcome(d)
        if isinstance(value, BaseException):
            raise value
        return value

    def start(self, coroutine) -> Deferred:
        return Deferred.fromCoroutine(coroutine)

    # what is on disk and what the metadata references

    def staged(self) -> list:
        return sorted(p.name for p in self.blobs.staging_dir.iterdir())

    def blob_files(self) -> set:
        return {p.name for p in self.blobs.blobs_dir.glob("*/*")}

    def referenced(self) -> set:
        return {row.blob_id for row in Blob.select(Blob.blob_id)}

    def queued_garbage(self) -> set:
        return {row.blob_id for row in GarbageBlob.select(GarbageBlob.blob_id)}

    def assert_consistent(self) -> None:
        """No job left, staging/ empty, blobs/ == the blobs the metadata references."""
        assert not self.pools.jobs
        assert self.staged() == []
        assert self.blob_files() == self.referenced()

    def read(self, blob_id) -> bytes:
        with self.blobs.open_blob(blob_id) as f:
            return f.read()

    def get(self, key):
        return self.sync(self.meta.get_object(self.bucket, key))


@pytest.fixture
def env(tmp_path, db):
    return Env(tmp_path, db)


class Boom(Exception):
    """A failure of the handler's own code (a digest mismatch, a bug, ...)."""


def write_all(staging, data: bytes) -> str:
    """(I/O thread) a ``commit`` fill: the whole body, and its MD5."""
    staging.write_at([data], 0)
    return hashlib.md5(data).hexdigest()


def no_space(staging, data: bytes):
    staging.write_at([data[:1]], 0)
    raise OSError(errno.ENOSPC, "No space left on device")


async def put(env, key: str, data: bytes, fail_at=None, precondition=None, fill=write_all,
              seen=None):
    """PutObject's shape: commit the body, check, record, answer."""
    async with Ingest(env.pools, env.blobs, env.blobs.new_staging()) as ingest:
        if seen is not None:
            seen.append(ingest)
        if fail_at == "before commit":
            raise Boom()
        md5 = await ingest.commit(fill, data)
        if fail_at == "after commit":
            raise Boom()  # e.g. the Content-MD5 did not match
        new = NewObject(ingest.blob_id, len(data), f'"{md5}"', None, {}, {})
        info, _ = await ingest.record(env.meta.put_object, env.bucket, key, new, precondition)
        if fail_at == "after metadata":
            raise Boom()
        return info


# -- success ---------------------------------------------------------------------------------


def test_a_write_keeps_its_blob_and_releases_the_staging_name(env):
    info = env.sync(env.start(put(env, "k", b"hello")))
    assert env.read(info.blob_id) == b"hello"
    assert env.get("k").blob_id == info.blob_id
    assert env.blob_files() == {info.blob_id}
    env.assert_consistent()


def sweep_after_the_grace(env, grace=3600) -> list:
    """The garbage sweep run once ``grace`` seconds have passed: the ids it removed."""
    return env.sync(env.start(sweep_garbage_blobs(env.meta, env.pools, env.blobs, grace,
                                                  time.time() + grace + 1)))


def test_an_overwrite_keeps_the_old_blob_for_the_grace_then_the_sweep_removes_it(env):
    """The old blob's file outlives the overwrite (a GET on another process may be reading
    it), queued as garbage; the sweep removes it through the I/O pool once the grace is over."""
    first = env.sync(env.start(put(env, "k", b"one")))
    env.pools.log.clear()
    second = env.sync(env.start(put(env, "k", b"two")))
    assert env.blob_files() == {first.blob_id, second.blob_id}
    assert env.read(second.blob_id) == b"two" and env.read(first.blob_id) == b"one"
    assert env.queued_garbage() == {first.blob_id}
    # commit, the transaction, then the release, each a pool job: no removal yet
    assert env.pools.log == ["io:fill_and_commit", "db:in_thread", "io:release_staging"]
    assert env.sync(env.start(sweep_garbage_blobs(env.meta, env.pools, env.blobs, 3600))) == []
    env.pools.log.clear()
    assert sweep_after_the_grace(env) == [first.blob_id]
    assert "io:remove_blobs" in env.pools.log
    assert env.blob_files() == {second.blob_id} and env.queued_garbage() == set()
    env.assert_consistent()


def test_nothing_touches_the_disk_on_the_calling_thread(env):
    """Every fsync, link and unlink is a pool job: with the jobs held, nothing changes."""
    d = env.start(put(env, "k", b"data"))
    assert env.staged() == [] and env.blob_files() == set()
    env.pools.run_until("db")
    assert len(env.staged()) == 1 and len(env.blob_files()) == 1  # committed, not recorded
    env.pools.run_next()
    assert outcome(d).key == "k"  # answered once the transaction committed
    assert len(env.staged()) == 1  # the release is queued, not run
    env.pools.run_all()
    env.assert_consistent()


# -- every failure point ---------------------------------------------------------------------


@pytest.mark.parametrize("fail_at", ["before commit", "after commit"])
def test_a_failure_before_the_metadata_discards_staging_and_blob(env, fail_at):
    with pytest.raises(Boom):
        env.sync(env.start(put(env, "k", b"data", fail_at=fail_at)))
    assert env.get("k") is None
    assert env.blob_files() == set()
    env.assert_consistent()


def test_a_failure_while_committing_discards(env):
    """The disk fills up while the last bytes are written: nothing is left behind."""
    with pytest.raises(OSError):
        env.sync(env.start(put(env, "k", b"data", fill=no_space)))
    assert env.get("k") is None
    env.assert_consistent()


def test_a_failed_precondition_discards(env):
    env.sync(env.start(put(env, "k", b"old")))
    kept = env.blob_files()

    def refused(old):
        raise Boom("If-Match failed")
    with pytest.raises(Boom):
        env.sync(env.start(put(env, "k", b"new", precondition=refused)))
    assert env.read(env.get("k").blob_id) == b"old"
    assert env.blob_files() == kept
    env.assert_consistent()


def test_a_bucket_gone_before_the_metadata_discards(env):
    env.sync(env.meta.delete_bucket("bkt"))
    with pytest.raises(meta.BucketMissing):
        env.sync(env.start(put(env, "k", b"data")))
    assert env.blob_files() == set()
    env.assert_consistent()


def test_a_failure_after_the_metadata_keeps_the_blob(env):
    """The row references the blob once the transaction committed: a handler raising
    afterwards must not discard it."""
    with pytest.raises(Boom):
        env.sync(env.start(put(env, "k", b"data", fail_at="after metadata")))
    info = env.get("k")
    assert env.read(info.blob_id) == b"data"
    assert env.blob_files() == {info.blob_id}
    env.assert_consistent()


def test_leaving_the_block_without_recording_discards(env):
    """A retry loop that ``continue``s, or an early return, is a discard too."""
    async def give_up():
        async with Ingest(env.pools, env.blobs, env.blobs.new_staging()) as ingest:
            await ingest.commit(write_all, b"data")
        return "done"
    assert env.sync(env.start(give_up())) == "done"
    assert env.blob_files() == set()
    env.assert_consistent()


# -- cancellation ----------------------------------------------------------------------------


def test_cancelled_while_committing_waits_for_the_job_then_discards(env):
    d = env.start(put(env, "k", b"data"))
    assert env.pools.next_kind() == "io"
    d.cancel()
    # the commit job is still queued: nothing may be discarded under it yet
    assert [job[2].__name__ for job in env.pools.jobs] == ["fill_and_commit"]
    env.pools.run_all()
    assert isinstance(outcome(d), CancelledError)
    assert env.pools.log[-2:] == ["io:fill_and_commit", "io:discard"]
    assert env.get("k") is None
    env.assert_consistent()


def test_cancelled_during_a_transaction_that_commits_keeps_the_write(env):
    d = env.start(put(env, "k", b"data"))
    env.pools.run_until("db")
    d.cancel()
    env.pools.run_all()
    assert isinstance(outcome(d), CancelledError)
    info = env.get("k")
    assert env.read(info.blob_id) == b"data"
    assert "io:discard" not in env.pools.log
    env.assert_consistent()


def test_cancelled_during_a_transaction_that_fails_discards(env):
    def refused(old):
        raise Boom("If-None-Match failed")
    d = env.start(put(env, "k", b"data", precondition=refused))
    env.pools.run_until("db")
    d.cancel()
    env.pools.run_all()
    assert isinstance(outcome(d), (Boom, CancelledError))
    assert env.get("k") is None
    env.assert_consistent()


def test_cancelled_twice_still_waits(env):
    d = env.start(put(env, "k", b"data"))
    d.cancel()
    d.cancel()
    env.pools.run_all()
    assert isinstance(outcome(d), CancelledError)
    env.assert_consistent()


# -- multipart parts and shared blobs --------------------------------------------------------


def start_upload(env, key="big") -> UploadInfo:
    info = UploadInfo(uuid.uuid4().hex, env.bucket.name, key, "root", utcnow())
    env.sync(env.meta.create_upload(env.bucket, info))
    return info


async def upload_part(env, upload, number: int, data: bytes, abort_first=False):
    """UploadPart's shape."""
    async with Ingest(env.pools, env.blobs, env.blobs.new_staging()) as ingest:
        md5 = await ingest.commit(write_all, data)
        if abort_first:
            await env.meta.abort_upload(env.bucket, upload.key, upload.upload_id)
        part = PartInfo(number, ingest.blob_id, len(data), f'"{md5}"', {})
        return await ingest.record(env.meta.put_part, env.bucket, upload.key, upload.upload_id,
                                   part, new_blob=True)


def test_a_part_replacing_one_removes_the_old_blob(env):
    upload = start_upload(env)
    env.sync(env.start(upload_part(env, upload, 1, b"first")))
    old = env.blob_files()
    garbage = env.sync(env.start(upload_part(env, upload, 1, b"second")))
    assert garbage == sorted(old) and env.queued_garbage() == old
    assert sweep_after_the_grace(env) == sorted(old) and not (env.blob_files() & old)
    assert len(env.blob_files()) == 1
    env.assert_consistent()


def test_a_part_for_an_upload_gone_meanwhile_is_discarded(env):
    upload = start_upload(env)
    with pytest.raises(meta.UploadMissing):
        env.sync(env.start(upload_part(env, upload, 1, b"late", abort_first=True)))
    assert env.blob_files() == set()
    env.assert_consistent()


async def copy(env, source: str, key: str):
    """CopyObject's shape: no new data, only a transaction that shares the source's blob."""
    def make_new(src):
        return NewObject(src.blob_id, src.size, src.etag, src.content_type, src.headers,
                         src.checksums)
    async with Ingest(env.pools, env.blobs) as ingest:
        return await ingest.record(env.meta.copy_object, env.bucket, source, env.bucket, key,
                                   make_new)


def test_a_copy_shares_the_blob_and_removes_what_it_replaced(env):
    src = env.sync(env.start(put(env, "src", b"source")))
    old = env.sync(env.start(put(env, "dst", b"old copy")))
    info, garbage = env.sync(env.start(copy(env, "src", "dst")))
    assert info.blob_id == src.blob_id and garbage == [old.blob_id]
    assert sweep_after_the_grace(env) == [old.blob_id]
    assert env.blob_files() == {src.blob_id}
    env.assert_consistent()


def test_a_copy_whose_source_is_gone_leaves_everything(env):
    env.sync(env.start(put(env, "dst", b"old copy")))
    before = env.blob_files()
    with pytest.raises(Exception):
        env.sync(env.start(copy(env, "missing", "dst")))
    assert env.blob_files() == before
    env.assert_consistent()


# -- misuse is refused before it can break durability ----------------------------------------


def test_recording_an_uncommitted_blob_is_refused_without_a_transaction(env):
    async def careless():
        async with Ingest(env.pools, env.blobs, env.blobs.new_staging()) as ingest:
            await env.pools.run_io(lambda: ingest.staging.write_at([b"x"], 0))
            new = NewObject(ingest.blob_id, 1, '"x"', None, {}, {})
            await ingest.record(env.meta.put_object, env.bucket, "k", new)
    with pytest.raises(RuntimeError, match="commit it before"):
        env.sync(env.start(careless()))
    assert not any(name.startswith("db:") for name in env.pools.log[-2:])
    assert env.get("k") is None
    env.assert_consistent()


def test_steps_run_only_inside_the_block(env):
    ingest = Ingest(env.pools, env.blobs, env.blobs.new_staging())
    with pytest.raises(RuntimeError, match="inside its 'async with' block"):
        env.sync(env.start(ingest.commit(write_all, b"x")))

    async def enter():
        async with ingest:
            pass
    env.sync(env.start(enter()))
    with pytest.raises(RuntimeError, match="one write only"):
        env.sync(env.start(enter()))
    with pytest.raises(RuntimeError, match="inside its 'async with' block"):
        env.sync(env.start(ingest.commit(write_all, b"x")))
    env.assert_consistent()


# -- the two fills the server uses: a streamed request body and a copied range --------------


def pipeline_for(env, data: bytes, max_size: int = 1 << 30) -> BodyPipeline:
    """A BodyPipeline as S3Request makes one, authenticated and fed ``data``."""
    pipeline = BodyPipeline(env.pools, env.blobs, env.blobs.new_staging(), lambda: None,
                            lambda: None, max_size)
    pipeline.release(PayloadSpec(), None)
    for i in range(0, len(data), 300_000):
        pipeline.feed(data[i:i + 300_000])
    return pipeline


async def put_streamed(env, pipeline, key="k", fail=False):
    """S3Resource + PutObject's shape."""
    async with Ingest(env.pools, env.blobs, pipeline.staging) as ingest:
        digests = await ingest.receive(pipeline)
        if fail:
            raise Boom()  # e.g. verify_digests refused it
        new = NewObject(ingest.blob_id, digests.size, f'"{digests.md5.hex()}"', None, {}, {})
        info, _ = await ingest.record(env.meta.put_object, env.bucket, key, new)
        return info, digests


def test_a_streamed_body_is_committed_in_the_pipelines_last_job(env):
    data = bytes(range(256)) * 10_000  # 2.5 MiB: a few batches, then the last one
    info, digests = env.sync(env.start(put_streamed(env, pipeline_for(env, data))))
    assert digests.md5 == hashlib.md5(data).digest() and digests.size == len(data)
    assert env.read(info.blob_id) == data
    assert "io:fill_and_commit" in env.pools.log and "io:commit" not in env.pools.log
    env.assert_consistent()


def test_a_streamed_body_refused_after_its_commit_is_discarded(env):
    with pytest.raises(Boom):
        env.sync(env.start(put_streamed(env, pipeline_for(env, b"x" * 1000), fail=True)))
    assert env.blob_files() == set()
    env.assert_consistent()


def test_a_body_the_pipeline_refused_is_discarded(env):
    with pytest.raises(Exception, match="maximum allowed object size"):
        env.sync(env.start(put_streamed(env, pipeline_for(env, b"x" * 1000, max_size=10))))
    assert env.get("k") is None
    env.assert_consistent()


def test_cancelled_while_the_body_is_still_being_written_waits_for_the_writes(env):
    pipeline = pipeline_for(env, b"y" * (3 << 20))
    writes = sum(1 for job in env.pools.jobs if job[2].__name__ == "write_at")
    assert writes >= 2  # batches are still "in flight"
    d = env.start(put_streamed(env, pipeline))
    d.cancel()
    env.pools.run_all()
    assert isinstance(outcome(d), CancelledError)
    # the discard comes after every job that writes into the staging file
    assert env.pools.log.index("io:discard") > max(
        i for i, name in enumerate(env.pools.log) if name in ("io:write_at", "io:run"))
    env.assert_consistent()


async def copy_part(env, upload, source_key: str, first: int, length: int, remove_source=False):
    """UploadPartCopy of a range: the copy is the commit's fill."""
    source = await env.meta.get_object(env.bucket, source_key)
    if remove_source:
        await env.pools.run_io(env.blobs.remove_blob, source.blob_id)
    async with Ingest(env.pools, env.blobs, env.blobs.new_staging()) as ingest:
        md5, _ = await ingest.commit(copy_range, env.blobs, source.segments, first, length, None)
        part = PartInfo(1, ingest.blob_id, length, f'"{md5.hex()}"', {})
        await ingest.record(env.meta.put_part, env.bucket, upload.key, upload.upload_id, part,
                            new_blob=True)
        return ingest.blob_id


def test_a_copied_range_becomes_a_part(env):
    env.sync(env.start(put(env, "src", b"0123456789")))
    upload = start_upload(env)
    blob_id = env.sync(env.start(copy_part(env, upload, "src", 2, 5)))
    assert env.read(blob_id) == b"23456"
    env.assert_consistent()


def test_a_copy_whose_source_went_away_is_discarded(env):
    env.sync(env.start(put(env, "src", b"0123456789")))
    upload = start_upload(env)
    with pytest.raises(FileNotFoundError):
        env.sync(env.start(copy_part(env, upload, "src", 2, 5, remove_source=True)))
    assert env.staged() == []
    assert len(env.blob_files()) == 0  # the source's file was removed by the test itself
