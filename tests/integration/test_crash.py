"""Crash safety: SIGKILL in the middle of concurrent PUTs, restart, and check what survived.

Every acknowledged PUT must read back byte-identical after the restart; a PUT that
was in flight may be absent or complete, never partial; the staging area must be
empty once the restarted server is listening.
"""

import hashlib
import os
import random
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ramod_process import RamodProcess, unique_bucket_name

SIZES = [0, 1, 999, 64 * 1024, 300_000, 1024 * 1024 + 3, 3 * 1024 * 1024]
WRITERS = 8
#: directory names that only ever hold uncommitted data, whatever the final layout is
STAGING_NAMES = re.compile(r"^(staging|tmp|temp|incoming|uploading|partial|spool)$", re.I)
STAGING_SUFFIXES = (".tmp", ".part", ".partial", ".spool")


class PutLog:
    """What the writers tried and what the server acknowledged, keyed by object key."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempted = {}   # key -> MD5 of the body being sent
        self.acked = {}       # key -> MD5 of a body the server answered 200 for
        self.problems = []    # acknowledgements that did not match what was sent

    def attempt(self, key, digest):
        with self.lock:
            self.attempted[key] = digest

    def ack(self, key, digest):
        with self.lock:
            self.acked[key] = digest


def writer(client, bucket, prefix, log, stop, seed):
    """PUT fresh keys of assorted sizes until stopped or the server goes away."""
    rng = random.Random(seed)
    index = 0
    while not stop.is_set():
        data = os.urandom(rng.choice(SIZES))
        digest = hashlib.md5(data).hexdigest()
        key = f"{prefix}/{index:05d}"
        index += 1
        log.attempt(key, digest)
        try:
            response = client.put_object(Bucket=bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError, OSError):
            return  # the server was killed: this PUT is unacknowledged
        if response["ETag"] != f'"{digest}"':
            log.problems.append(f"{key}: PUT answered ETag {response['ETag']}, sent {digest}")
        log.ack(key, digest)


def staging_leftovers(data_dir):
    """Files that look uncommitted: anything inside a staging-like directory or with a temp suffix."""
    leftovers = []
    for dirpath, _, filenames in os.walk(data_dir):
        parts = Path(dirpath).relative_to(data_dir).parts
        in_staging = any(STAGING_NAMES.match(p) for p in parts)
        for name in filenames:
            if in_staging or name.endswith(STAGING_SUFFIXES):
                leftovers.append(os.path.join(dirpath, name))
    return leftovers


def layout(data_dir, limit=40):
    """A short listing of the data directory for failure messages and the report."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(data_dir):
        rel = os.path.relpath(dirpath, data_dir)
        lines.append(f"{rel}/ ({len(dirnames)} dirs, {len(filenames)} files)")
        if len(lines) >= limit:
            break
    return "\n".join(lines)


def check_survivors(client, bucket, log):
    """Acked keys read back exactly; unacked attempts are absent or whole."""
    problems = []
    for key, digest in sorted(log.attempted.items()):
        try:
            got = client.get_object(Bucket=bucket, Key=key)
            body = got["Body"].read()
        except ClientError as exc:
            if key in log.acked:
                problems.append(f"acked {key} unreadable: {exc.response['Error']['Code']}")
            continue
        actual = hashlib.md5(body).hexdigest()
        if actual != digest:
            problems.append(f"{key}: body md5 {actual}, PUT was {digest} ({len(body)} bytes)")
        elif got["ETag"] != f'"{digest}"' or got["ContentLength"] != len(body):
            problems.append(f"{key}: ETag {got['ETag']} / length {got['ContentLength']}")
    return problems


@pytest.fixture
def crash_server(tmp_path):
    """A private ramod whose data directory survives kills and restarts."""
    server = RamodProcess(tmp_path / "crash")
    server.start()
    yield server
    if server.running:
        server.stop()


def test_acknowledged_puts_survive_sigkill(crash_server, s3_factory):
    """Three SIGKILLs mid-traffic lose no acknowledged PUT and never expose a partial object."""
    bucket = unique_bucket_name("crash")
    s3_factory(crash_server).create_bucket(Bucket=bucket)
    log = PutLog()
    rng = random.Random(20240607)
    for round_number, delay in enumerate([0.4, 1.3, 2.7]):
        delay += rng.uniform(0, 0.5)
        stop = threading.Event()
        threads = [
            threading.Thread(target=writer, args=(
                s3_factory(crash_server), bucket, f"r{round_number}/w{n}", log, stop,
                round_number * 100 + n), daemon=True)
            for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(delay)
        crash_server.kill()
        stop.set()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
        crash_server.start()
        leftovers = staging_leftovers(crash_server.data_dir)
        assert not leftovers, f"{leftovers[:10]}\n{layout(crash_server.data_dir)}"
        client = s3_factory(crash_server)
        problems = log.problems + check_survivors(client, bucket, log)
        assert not problems, "\n".join(problems[:20])
        assert len(log.acked) > round_number, "no PUT was acknowledged before the kill"
    print(f"acked={len(log.acked)} attempted={len(log.attempted)}\n"
          f"{layout(crash_server.data_dir)}")


def test_restart_after_clean_stop_keeps_objects(crash_server, s3_factory):
    """Objects written before a SIGTERM are all there after the restart."""
    client = s3_factory(crash_server)
    bucket = unique_bucket_name("stop")
    client.create_bucket(Bucket=bucket)
    data = {f"k{i}": os.urandom(i * 1000) for i in range(10)}
    for key, body in data.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)
    # twistd re-raises the terminating signal after a clean shutdown: -SIGTERM is normal
    assert crash_server.stop() in (0, -signal.SIGTERM)
    assert "Server Shut Down." in crash_server.log_file.read_text()
    crash_server.start()
    client = s3_factory(crash_server)
    for key, body in data.items():
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_concurrent_puts_to_one_key_are_atomic(ramod, s3_factory):
    """Readers racing writers on one key always see one whole version, never a mix."""
    bucket = unique_bucket_name("race")
    s3_factory().create_bucket(Bucket=bucket)
    versions = {}
    for n in range(6):
        body = bytes([n]) * (200_000 + n * 150_000)
        versions[hashlib.md5(body).hexdigest()] = body
    s3_factory().put_object(Bucket=bucket, Key="hot", Body=versions[next(iter(versions))])
    bodies = list(versions.values())
    stop = threading.Event()
    errors = []
    reads = [0]

    def put_loop(seed):
        client, rng = s3_factory(), random.Random(seed)
        while not stop.is_set():
            try:
                client.put_object(Bucket=bucket, Key="hot", Body=rng.choice(bodies))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"put: {exc!r}")
                return

    def get_loop():
        client = s3_factory()
        while not stop.is_set():
            try:
                got = client.get_object(Bucket=bucket, Key="hot")
                body = got["Body"].read()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"get: {exc!r}")
                return
            digest = hashlib.md5(body).hexdigest()
            if digest not in versions:
                errors.append(f"mixed body of {len(body)} bytes")
            elif got["ETag"] != f'"{digest}"' or got["ContentLength"] != len(body):
                errors.append(f"headers {got['ETag']}/{got['ContentLength']} for {digest}")
            reads[0] += 1

    threads = [threading.Thread(target=put_loop, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=get_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:10]
    assert reads[0] > 20
