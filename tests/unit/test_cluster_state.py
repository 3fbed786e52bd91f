"""What several ramod processes (workers, gateways) share goes through the database:
several MetadataStores on one database, each running its transactions in a database
thread of its own (its own connection), stand in for several processes.

The sweep runs in one process of the cluster at a time and moves to another when its
holder stops; a blob stays readable by a GET on any process for the garbage grace
period; a key's rate limit and a bucket's quota admission hold for all processes
together; credentials, revocations and completed uploads are seen by every process at
once.  On SQLite here; tests/integration/test_cluster_state_postgres.py runs the same
tests on PostgreSQL.
"""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from ramod.config import Config
from ramod.metadata import errors
from ramod.metadata.db import open_database
from ramod.metadata.models import GarbageBlob
from ramod.metadata.records import NewObject, PartInfo, UploadInfo, utcnow
from ramod.metadata.store import MetadataStore
from ramod.protocol import errors as s3errors
from ramod.s3.quota import RESERVATION_SECONDS, QuotaGate
from ramod.service import RamoService
from ramod.storage.filesystem import BlobStore
from ramod.storage.garbage import SWEEP_LEASE, SWEEP_LEASE_SECONDS

# -- several processes on one database ------------------------------------------------------


def result(d):
    """The result of a fired Deferred (or coroutine run to its end), or raise its failure."""
    if not isinstance(d, Deferred):
        d = Deferred.fromCoroutine(d)
    outcome = []
    d.addBoth(outcome.append)
    assert outcome, "the Deferred has not fired"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


class ProcessPools:
    """A process's pools: database jobs run in a thread of its own, so on a connection of
    its own; each call waits for its job and returns a fired Deferred."""

    def __init__(self, name: str):
        self._db = ThreadPoolExecutor(1, thread_name_prefix=f"{name}-db")

    def run_db(self, fn, *args, **kwargs) -> Deferred:
        future = self._db.submit(fn, *args, **kwargs)
        try:
            return succeed(future.result())
        except Exception:
            return fail(Failure())

    def run_io(self, fn, *args, **kwargs) -> Deferred:
        try:
            return succeed(fn(*args, **kwargs))
        except Exception:
            return fail(Failure())

    def close(self, db) -> None:
        self._db.submit(lambda: db.is_closed() or db.close()).result()
        self._db.shutdown()


class Process:
    """One ramod process of the cluster: its MetadataStore, its BlobStore (its own pins)
    on the shared data directory, and a RamoService to run its sweep, on a clock."""

    def __init__(self, name: str, db, data_dir, grace: int):
        self.name, self.db = name, db
        self.pools = ProcessPools(name)
        self.store = MetadataStore(db, self.pools)
        self.blobs = BlobStore(data_dir)
        self.blobs.prepare()
        config = Config.from_options({"data-dir": str(data_dir), "node-id": name,
                                      "garbage-grace": str(grace)})
        self.clock = Clock()
        self.clock.advance(time.time())
        self.service = RamoService(config, self.clock)
        self.service.store, self.service.pools, self.service.blobs = (self.store, self.pools,
                                                                      self.blobs)

    def sweep(self, at: float) -> None:
        """Run this process's periodic sweep as its timer would, at ``at`` on its clock."""
        self.clock.advance(at - self.clock.seconds())
        result(self.service.sweep_garbage())


class Cluster:
    def __init__(self, db, data_dir):
        self.db, self.data_dir = db, data_dir
        self.processes: list[Process] = []
        self.first = self.process("setup")
        result(self.first.store.migrate())
        self.root = result(self.first.store.ensure_root("ROOTKEY", "rootsecret", None))[0]

    def process(self, name: str, grace: int = 0) -> Process:
        process = Process(name, self.db, self.data_dir, grace)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            process.pools.close(self.db)


@pytest.fixture
def cluster_db(tmp_path):
    """The database every process of the cluster opens (overridden for PostgreSQL)."""
    db = open_database("sqlite:///" + str(tmp_path / "meta.sqlite3"))
    yield db
    db.close()


@pytest.fixture
def cluster(cluster_db, tmp_path):
    made = Cluster(cluster_db, tmp_path / "data")
    yield made
    made.close()


def in_parallel(calls: list) -> list:
    """Run the callables at the same moment, each in a thread of its own; their results
    (or the exceptions they raised), in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except Exception as e:
            return e
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def new_object(process: Process, size: int = 5, data: bytes | None = None) -> NewObject:
    """A simple object whose blob file exists on the shared data directory."""
    blob_id = uuid.uuid4().hex
    data = data if data is not None else bytes(size)
    with open(process.blobs.blob_file(blob_id), "wb") as f:
        f.write(data)
    return NewObject(blob_id, len(data), '"e"', None, {}, {})


def blob_exists(process: Process, blob_id: str) -> bool:
    return process.blobs.blob_path(blob_id).exists()


def make_bucket(cluster, name="bkt", quota=None):
    store = cluster.first.store
    info = result(store.create_bucket(name, cluster.root.id, "us-east-1"))
    if quota is not None:
        info = result(store.update_bucket(name, quota_bytes=quota))
    return info


# -- periodic jobs: once per cluster at a time ----------------------------------------------


def test_one_process_sweeps_at_a_time_and_another_takes_over(cluster):
    """The sweep runs only in the lease's holder; another process's sweep does nothing
    until the holder has not renewed for SWEEP_LEASE_SECONDS, then takes over."""
    a, b = cluster.process("gw-a"), cluster.process("gw-b")
    bucket = make_bucket(cluster)
    t0 = time.time()

    def make_garbage():
        first = new_object(a)
        result(a.store.put_object(bucket, "k", first))
        result(a.store.put_object(bucket, "k", new_object(a)))
        return first.blob_id

    a.sweep(t0)
    assert result(a.store.lease_holder(SWEEP_LEASE, t0)) == "gw-a"
    old = make_garbage()
    b.sweep(t0 + 1)                               # a holds the lease: b does nothing
    assert blob_exists(b, old) and result(b.store.garbage(before=t0 + 1)) == [old]
    a.sweep(t0 + 2)                               # the holder sweeps (grace 0 here)
    assert not blob_exists(a, old) and result(a.store.garbage(before=t0 + 2)) == []

    old = make_garbage()                          # then a stops sweeping (it died)
    b.sweep(t0 + 2 + SWEEP_LEASE_SECONDS - 1)     # its lease has not expired yet
    assert blob_exists(b, old)
    b.sweep(t0 + 2 + SWEEP_LEASE_SECONDS + 1)     # it has: b takes over
    assert not blob_exists(b, old)
    assert result(b.store.lease_holder(SWEEP_LEASE, t0 + 40)) == "gw-b"
    old = make_garbage()
    a.sweep(t0 + 40)                              # a is back: b holds the lease now
    assert blob_exists(a, old)
    assert result(a.store.lease_holder(SWEEP_LEASE, t0 + 40)) == "gw-b"


def test_racing_processes_get_one_lease(cluster):
    """Processes asking for a free (or expired) lease at the same moment: exactly one gets
    it; its renewals keep it, a release frees it for the next asker at once."""
    processes = [cluster.process(f"p{i}") for i in range(4)]
    for round_, at in enumerate((1000.0, 1100.0, 1200.0)):
        won = in_parallel([lambda p=p: result(p.store.hold_lease("job", p.name, 30, at))
                           for p in processes])
        assert won.count(True) == 1 and won.count(False) == 3, (round_, won)
        holder = processes[won.index(True)]
        assert result(holder.store.hold_lease("job", holder.name, 30, at + 29))
        others = [p for p in processes if p is not holder]
        assert not any(result(p.store.hold_lease("job", p.name, 30, at + 58)) for p in others)
    result(holder.store.release_lease("job", holder.name))
    assert result(others[0].store.hold_lease("job", others[0].name, 30, 1230.0))


# -- blobs read by a GET in progress on another process --------------------------------------


def test_a_get_on_another_process_reads_an_overwritten_object_whole(cluster):
    """Process b looked a multipart object up and is reading it part by part (each part's
    blob opened when reached); process a deletes the object and sweeps: within the grace
    period nothing is removed, so b reads every part; after it the files go."""
    a, b = cluster.process("gw-a", grace=3600), cluster.process("gw-b", grace=3600)
    bucket = make_bucket(cluster)
    upload = UploadInfo(uuid.uuid4().hex, "bkt", "big", "root", utcnow())
    result(a.store.create_upload(bucket, upload))
    datas = [b"1" * 10, b"2" * 20]
    for number, data in enumerate(datas, 1):
        blob = new_object(a, data=data).blob_id
        result(a.store.put_part(bucket, "big", upload.upload_id,
                                PartInfo(number, blob, len(data), '"p"', {}), True))

    def finish(info, stored):
        parts, offset = [], 0
        for n in sorted(stored):
            p = stored[n]
            parts.append(replace(p, offset=offset))
            offset += p.size
        return NewObject(None, offset, '"m-2"', None, {}, {}, parts=tuple(parts))
    result(a.store.complete_upload(bucket, "big", upload.upload_id, finish))

    seen = result(b.store.get_object(bucket, "big"))          # b's GET looks it up ...
    reader, first = b.blobs.open_segments(seen.segments, 0, 4)  # ... and starts reading
    garbage = result(a.store.delete_objects(bucket, ["big"]))
    assert sorted(garbage) == sorted(blob for blob, _ in seen.segments)
    a.sweep(time.time() + 1)
    b.sweep(time.time() + 1)
    assert first + reader.read(4, 26) == b"".join(datas)      # b reaches part 2: still there
    reader.close()
    a.sweep(time.time() + 3600 + 1)                           # the grace is over
    assert not any(blob_exists(a, blob) for blob, _ in seen.segments)
    assert result(a.store.garbage(before=time.time() + 7200)) == []


def test_the_sweep_removes_only_what_has_been_garbage_for_the_grace(cluster):
    """Garbage younger than the grace stays queued and on disk; older goes, oldest first."""
    a = cluster.process("gw-a", grace=100)
    bucket = make_bucket(cluster)
    objects = [new_object(a) for _ in range(3)]
    for obj in objects:
        result(a.store.put_object(bucket, "k", obj))
    result(a.store.delete_objects(bucket, ["k"]))
    queued = {g.blob_id: g.garbage_at for g in GarbageBlob.select()}
    assert set(queued) == {o.blob_id for o in objects}
    middle = sorted(queued.values())[1]
    assert result(a.store.garbage(before=middle)) == sorted(queued, key=queued.get)[:2]
    a.sweep(middle + 99)
    assert all(blob_exists(a, o.blob_id) for o in objects)
    a.sweep(middle + 100)
    assert [blob_exists(a, o.blob_id) for o in sorted(objects, key=lambda o: queued[o.blob_id])
            ] == [False, False, True]


# -- rate limits: one bucket for the whole cluster -------------------------------------------


def test_a_keys_rate_holds_for_the_whole_cluster(cluster):
    """Three processes taking tokens of one key at the same moment admit the burst between
    them, not a burst each; a second later, one second's worth more."""
    processes = [cluster.process(f"w{i}") for i in range(3)]
    key = result(cluster.first.store.create_credential("alice", "ALICEKEY", "s", rate_limit=10))

    def burst(at):
        calls = [lambda p=p: [result(p.store.take_token(key.id, 10, at)) for _ in range(15)]
                 for p in processes]
        return sum(waits.count(None) for waits in in_parallel(calls))
    assert burst(5000.0) == 10
    assert burst(5000.5) == 5
    assert burst(5002.0) == 10                     # two seconds' worth, capped at the burst
    waits = [result(p.store.take_token(key.id, 10, 5002.0)) for p in processes]
    assert waits == [pytest.approx(0.1)] * 3


def test_a_keys_rate_over_real_time_on_three_processes(cluster):
    """On the real clock, three processes hammering one key for a second admit about one
    process's worth (burst + rate x time), never three."""
    processes = [cluster.process(f"w{i}") for i in range(3)]
    key = result(cluster.first.store.create_credential("bob", "BOBKEY", "s", rate_limit=20))
    started = time.time()

    def hammer(process):
        admitted = 0
        while time.time() - started < 1.0:
            admitted += result(process.store.take_token(key.id, 20)) is None
        return admitted
    total = sum(in_parallel([lambda p=p: hammer(p) for p in processes]))
    elapsed = time.time() - started
    assert 20 <= total <= 20 + 20 * elapsed + 1, (total, elapsed)


# -- quota admission: reservations of every process ------------------------------------------


def test_quota_admission_counts_the_uploads_of_every_process(cluster):
    """Four processes admitting 10-byte uploads into a 100-byte bucket at the same time
    admit ten between them; what one process holds counts for the others until released."""
    processes = [cluster.process(f"w{i}") for i in range(4)]
    bucket = make_bucket(cluster, quota=100)

    def admit_many(process):
        admitted = []
        for _ in range(5):
            try:
                admitted.append(result(process.store.reserve_quota(
                    bucket, 10, process.name, RESERVATION_SECONDS)))
            except errors.QuotaExceeded:
                pass
        return admitted
    held = in_parallel([lambda p=p: admit_many(p) for p in processes])
    assert sum(len(ids) for ids in held) == 10
    assert result(cluster.first.store.reserved_bytes(bucket.id)) == 100
    for process, ids in zip(processes, held):
        for reservation in ids:
            result(process.store.release_reservation(reservation))
    assert result(cluster.first.store.reserved_bytes(bucket.id)) == 0

    a, b = processes[:2]
    gate_a, gate_b = QuotaGate(a.store, a.name, a.clock), QuotaGate(b.store, b.name, b.clock)
    release = result(gate_a.admit(bucket, 60))
    with pytest.raises(s3errors.S3Error) as caught:
        result(gate_b.admit(bucket, 50))
    assert caught.value.code == "QuotaExceeded" and "holds 60 bytes" in caught.value.message
    release()
    assert result(gate_b.admit(bucket, 50)) is not None


def test_a_dead_processes_reservations_are_reclaimed_at_expiry(cluster):
    """What a process that died held stops counting once it expires; the next admission
    of the bucket deletes it."""
    a, b = cluster.process("dead"), cluster.process("alive")
    bucket = make_bucket(cluster, quota=100)
    result(a.store.reserve_quota(bucket, 90, a.name, RESERVATION_SECONDS, now=1000.0))
    with pytest.raises(errors.QuotaExceeded):
        result(b.store.reserve_quota(bucket, 20, b.name, RESERVATION_SECONDS, now=1059.0))
    result(b.store.reserve_quota(bucket, 20, b.name, RESERVATION_SECONDS, now=1060.0))
    assert result(b.store.reserved_bytes(bucket.id, now=1060.0)) == 20


def test_the_commit_time_quota_check_counts_what_another_process_committed(cluster):
    """The authoritative check, in the write's own transaction, sees another process's
    commit (the admission before the body is the early refusal only)."""
    a, b = cluster.process("gw-a"), cluster.process("gw-b")
    bucket = make_bucket(cluster, quota=100)
    result(a.store.put_object(bucket, "a", new_object(a, 60)))
    with pytest.raises(errors.QuotaExceeded):
        result(b.store.put_object(bucket, "b", new_object(b, 50)))


# -- credentials, revocations and completed uploads: seen everywhere at once -----------------


def test_key_changes_on_one_process_apply_on_another_at_once(cluster):
    """A key created, limited, disabled or deleted through one process's management API is
    what the next request on another process finds: there is no cache to go stale."""
    admin, s3 = cluster.process("gw-admin"), cluster.process("gw-s3")
    key = result(admin.store.create_credential("carol", "CAROLKEY", "secret"))
    found = result(s3.store.lookup("CAROLKEY", None))[0]
    assert found.is_active and found.secret_key == "secret" and found.rate_limit is None
    result(admin.store.update_credential(key.id, rate_limit=2.5))
    assert result(s3.store.lookup("CAROLKEY", None))[0].rate_limit == 2.5
    result(admin.store.update_credential(key.id, is_active=False))
    assert result(s3.store.lookup("CAROLKEY", None))[0].is_active is False
    result(admin.store.update_credential(key.id, is_active=True))
    assert result(s3.store.lookup("CAROLKEY", None))[0].is_active is True
    result(admin.store.delete_credential(key.id))
    assert result(s3.store.lookup("CAROLKEY", None)) == (None, None, None)


def test_a_url_revoked_on_one_process_is_refused_on_another_at_once(cluster):
    admin, s3 = cluster.process("gw-admin"), cluster.process("gw-s3")
    now = utcnow()
    url = result(admin.store.add_presigned_url(cluster.root.id, "f" * 64, "http://x/b/k", "b", "k",
                                               "GET", now, now + timedelta(hours=1)))
    assert result(s3.store.presigned_url_revoked("f" * 64)) is False
    result(admin.store.revoke_presigned_url(url.id))
    assert result(s3.store.presigned_url_revoked("f" * 64)) is True


def test_a_retried_complete_succeeds_on_another_process(cluster):
    """The completed-upload memory is the upload's row: a Complete retried on another
    process (its first answer lost) gets the same object back, and frees nothing."""
    a, b = cluster.process("gw-a"), cluster.process("gw-b")
    bucket = make_bucket(cluster)
    upload = UploadInfo(uuid.uuid4().hex, "bkt", "k", "root", utcnow())
    result(a.store.create_upload(bucket, upload))
    blob = new_object(a, 7).blob_id
    result(a.store.put_part(bucket, "k", upload.upload_id, PartInfo(1, blob, 7, '"p"', {}), True))

    def finish(info, stored):
        return NewObject(None, 7, '"m-1"', None, {}, {}, parts=(stored[1],))
    first, _ = result(a.store.complete_upload(bucket, "k", upload.upload_id, finish))
    again, garbage = result(b.store.complete_upload(bucket, "k", upload.upload_id, finish))
    assert (again.etag, again.size, again.segments, garbage) == (first.etag, 7, [(blob, 7)], [])
    result(a.store.put_object(bucket, "k", new_object(a)))        # replaced since: gone
    with pytest.raises(errors.UploadMissing):
        result(b.store.complete_upload(bucket, "k", upload.upload_id, finish))
