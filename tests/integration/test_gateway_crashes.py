"""Crash rounds on three gateways sharing one PostgreSQL database and one data directory
(gw0 and gw2 run two workers each, gw1 is a single process), with a garbage grace of 2 s
so that the sweep removes what overwrites leave while the rounds run.

In each round, writers PUT random small objects (and overwrite some of their own) and
multipart objects (create, parts and Complete each to the next gateway that is up), and
a reader GETs what was written, all through the round robin; then one SIGKILL: a worker
(its supervisor starts another), a whole gateway (supervisor and workers), or a supervisor
alone (its workers finish their requests and stop by themselves).  The traffic goes on a
moment against what is left, stops, and what was killed is started again.  Then:

- every acknowledged object reads back whole (MD5 and ETag) from every gateway, and a key
  never acknowledged is absent or holds one whole version that was sent, never anything
  else; every gateway lists exactly what it reads; the reader never saw a partial body;
- only requests to the gateway being killed failed, and none with a 500;
- counting blob files against the database: every referenced blob has its file, a file
  nothing references is queued as garbage (none leaked), nothing is both, and staging is
  empty (recovery cleaned what the killed processes left).

Uploads the kills left unfinished are aborted after each round, so the next round's count
sees their parts go to the garbage queue, and the sweep remove them.
"""

import hashlib
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from gateways import Gateways
from postgres_cluster import PostgresCluster
from ramod_process import unique_bucket_name, wait_for_exit
from test_multipart import MiB, multipart_etag

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")

WORKERS = (2, 1, 2)
GRACE = 2
#: (what is killed, which gateway)
ROUNDS = [("worker", 0), ("gateway", 1), ("supervisor", 2), ("gateway", 0), ("worker", 2)]
SMALL_SIZES = [0, 1, 999, 64 * 1024, 300_000, MiB + 3]
SMALL_WRITERS = 4
#: most requests per thread and round (the round's time bounds them first)
SMALL_PUTS, MULTIPART_OBJECTS, READS = 40, 4, 150


class WriteLog:
    """Per key: the version last acknowledged, the versions sent since (acknowledged or
    not: the key may hold any of them) and every version ever sent (what a reader may see)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}      # key -> (md5, etag)
        self.pending = {}    # key -> {(md5, etag)} sent since the last acknowledgement
        self.sent = {}       # key -> {md5}
        self.problems = []

    def attempt(self, key, md5, etag):
        with self.lock:
            self.pending.setdefault(key, set()).add((md5, etag))
            self.sent.setdefault(key, set()).add(md5)

    def ack(self, key, md5, etag):
        with self.lock:
            self.acked[key] = (md5, etag)
            self.pending[key] = set()

    def allowed(self, key) -> set:
        """What ``key`` may hold now: (md5, etag) pairs, None for "absent"."""
        with self.lock:
            held = {self.acked[key]} if key in self.acked else {None}
            return held | self.pending.get(key, set())

    def keys(self) -> list:
        with self.lock:
            return sorted(self.sent)


class Traffic:
    """The threads of one round and what they met."""

    def __init__(self, s3, bucket, log, round_number, rng):
        self.s3, self.bucket, self.log = s3, bucket, log
        self.stop = threading.Event()
        self.failures = []      # (gateway index, operation, key, error)
        self.reads = 0
        prefix = f"r{round_number}"
        self.threads = [threading.Thread(target=self._small, args=(
            f"{prefix}/w{n}", random.Random(rng.random())), daemon=True)
            for n in range(SMALL_WRITERS)]
        self.threads.append(threading.Thread(target=self._multipart, args=(
            f"{prefix}/mp", random.Random(rng.random())), daemon=True))
        self.threads.append(threading.Thread(target=self._reader, args=(
            random.Random(rng.random()),), daemon=True))

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive(), "a traffic thread is stuck"

    def _call(self, operation, key, **params):
        """One call to the next gateway; a failure is noted and re-raised."""
        index, client = self.s3.pick()
        try:
            return getattr(client, operation)(Bucket=self.bucket, Key=key, **params)
        except (ClientError, BotoCoreError) as e:
            self.failures.append((index, operation, key, describe(e)))
            raise

    def _small(self, prefix, rng):
        own = []
        for n in range(SMALL_PUTS):
            if self.stop.is_set():
                return
            if own and rng.random() < 0.25:
                key = rng.choice(own)          # an overwrite: the old blob becomes garbage
            else:
                key = f"{prefix}/{n:03d}"
                own.append(key)
            data = os.urandom(rng.choice(SMALL_SIZES))
            md5 = hashlib.md5(data).hexdigest()
            self.log.attempt(key, md5, f'"{md5}"')
            try:
                answer = self._call("put_object", key, Body=data)
            except (ClientError, BotoCoreError):
                continue
            if answer["ETag"] != f'"{md5}"':
                self.log.problems.append(f"{key}: PUT answered {answer['ETag']}, sent {md5}")
            self.log.ack(key, md5, f'"{md5}"')
            time.sleep(rng.uniform(0.0, 0.04))

    def _multipart(self, prefix, rng):
        for n in range(MULTIPART_OBJECTS):
            if self.stop.is_set():
                return
            key = f"{prefix}/{n}"
            parts = [os.urandom(5 * MiB), os.urandom(rng.randint(1, 300_000))]
            md5, etag = hashlib.md5(b"".join(parts)).hexdigest(), multipart_etag(parts)
            self.log.attempt(key, md5, etag)
            upload_id = None
            try:
                upload_id = self._call("create_multipart_upload", key)["UploadId"]
                listing = [{"PartNumber": number, "ETag": self._call(
                    "upload_part", key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]}
                    for number, data in enumerate(parts, 1)]
                answer = self._call("complete_multipart_upload", key, UploadId=upload_id,
                                    MultipartUpload={"Parts": listing})
            except (ClientError, BotoCoreError):
                continue  # left for the round's end: aborted there if still in progress
            if answer["ETag"] != etag:
                self.log.problems.append(f"{key}: Complete answered {answer['ETag']}, not {etag}")
            self.log.ack(key, md5, etag)

    def _reader(self, rng):
        while not self.stop.is_set() and self.reads < READS:
            keys = self.log.keys()
            if not keys:
                time.sleep(0.05)
                continue
            key = rng.choice(keys)
            index, client = self.s3.pick()
            try:
                body = client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except (ClientError, BotoCoreError):
                continue  # absent, or cut off by a kill: not a body
            self.reads += 1
            with self.log.lock:
                sent = set(self.log.sent[key])
            if hashlib.md5(body).hexdigest() not in sent:
                self.log.problems.append(f"gw{index} served {key} with {len(body)} bytes that "
                                         f"were never sent")
            time.sleep(rng.uniform(0.0, 0.03))


def describe(error) -> str:
    if isinstance(error, ClientError):
        meta = error.response["ResponseMetadata"]
        return f"{meta['HTTPStatusCode']} {error.response['Error'].get('Code')}"
    return type(error).__name__


def kill(cluster, what, index, rng):
    """SIGKILL ``what`` of gateway ``index``; return what ``restart`` needs."""
    gateway = cluster[index]
    if what == "worker":
        worker_id, pid = rng.choice(sorted(gateway.wait_for_workers().items()))
        os.kill(pid, signal.SIGKILL)
        wait_for_exit([pid])
        return [pid]
    if what == "gateway":
        gateway.kill()
        return []
    return gateway.kill_supervisor()  # its workers, still finishing their requests


def restart(cluster, what, index, killed):
    gateway = cluster[index]
    if what != "worker":
        gateway.start(timeout=45)     # with a supervisor alone killed, its new workers wait
        wait_for_exit(killed, 35)     # for the old ones to drain and leave their staging
    if gateway.workers > 1:
        gateway.wait_for_workers(exclude=killed)


def read_everything(cluster, s3, bucket, log) -> list:
    """Every key the writers sent, read on every gateway, and every gateway's listing:
    the problems found."""
    keys = log.keys()

    def read(job):
        index, key = job
        try:
            got = s3.on(index).get_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
                return index, key, f"error {describe(e)}"
            return index, key, None
        md5 = hashlib.md5()
        for chunk in iter(lambda: got["Body"].read(MiB), b""):
            md5.update(chunk)
        return index, key, (md5.hexdigest(), got["ETag"])

    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(read, [(i, k) for i in range(len(cluster)) for k in keys]))
    problems = []
    present = {i: set() for i in range(len(cluster))}
    for index, key, version in found:
        if version is not None:
            present[index].add(key)
        if version not in log.allowed(key):
            problems.append(f"gw{index} {key}: {version}, allowed {log.allowed(key)}")
    for index in range(len(cluster)):
        pages = s3.on(index).get_paginator("list_objects_v2").paginate(Bucket=bucket)
        listed = {o["Key"] for page in pages for o in page.get("Contents", [])}
        if listed != present[index]:
            problems.append(f"gw{index} lists {sorted(listed ^ present[index])[:5]} "
                            f"differently from what it reads")
    return problems


@pytest.fixture
def cluster(tmp_path):
    postgres = PostgresCluster().start()
    try:
        gateways = Gateways(tmp_path, postgres.create_database("crashes"), WORKERS,
                            extra_args=["--garbage-grace", str(GRACE)]).start()
        try:
            yield gateways
        finally:
            gateways.stop()
    finally:
        postgres.stop()


def test_crash_rounds_across_gateways(cluster):
    started = time.monotonic()
    s3 = cluster.client(max_pool_connections=16)
    bucket = unique_bucket_name("crashes")
    s3.create_bucket(Bucket=bucket)
    log, rng = WriteLog(), random.Random(20261208)
    report, in_flight_failures = [], 0
    for round_number, (what, victim) in enumerate(ROUNDS):
        traffic = Traffic(s3, bucket, log, round_number, rng)
        traffic.start()
        time.sleep(rng.uniform(0.6, 1.2))
        killed = kill(cluster, what, victim, rng)
        time.sleep(0.5)                  # the others go on serving meanwhile
        traffic.finish()
        restart(cluster, what, victim, killed)
        label = f"round {round_number} ({what} of gw{victim})"

        # only requests to the gateway being killed failed, none with a 500
        stray = [f for f in traffic.failures if f[0] != victim or f[3].startswith("500")]
        assert not stray, f"{label}: {stray[:10]}"
        in_flight_failures += len(traffic.failures)
        problems = log.problems + read_everything(cluster, s3, bucket, log)
        assert not problems, f"{label}:\n" + "\n".join(problems[:20])
        census = cluster.census()
        assert not census.problems(), f"{label}: {census.problems()}"
        report.append(f"{label}: {len(traffic.failures)} requests failed, {traffic.reads} "
                      f"reads during the traffic; {census}")

        # uploads the kill left unfinished: abort them (the next census sees their parts
        # as garbage, or swept)
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                      UploadId=upload["UploadId"])
    assert in_flight_failures, "no request was in flight at any of the kills"
    assert len(log.acked) > 50, len(log.acked)
    recovered = sum(g.log_file.read_text(errors="replace").count("interrupted uploads in")
                    for g in cluster)
    print(f"\n{len(log.acked)} keys acknowledged of {len(log.sent)} written, "
          f"{time.monotonic() - started:.1f} s; staging areas recovered with uploads in them: "
          f"{recovered}\n" + "\n".join(report))
