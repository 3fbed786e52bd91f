"""ramod --workers N: one supervisor, N worker processes behind one port (real processes).

Requests land on every worker (the access log names the process that served each), a
killed worker comes back while the port keeps answering, SIGTERM drains every worker,
racing writes in two processes never surface SQLite's locking, crash rounds lose nothing
acknowledged, TLS works through adopted sockets, and a second server on the same data
(SQLite) or the same node id (PostgreSQL) is refused.
"""

import concurrent.futures
import hashlib
import http.client
import os
import random
import re
import signal
import socket
import ssl
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from postgres_cluster import PostgresCluster
from ramod_process import (
    RamodProcess, RamodStartError, admin_call, no_retry_client, put_across_sigterm, signed_headers,
    unique_bucket_name, wait_for_exit)
from test_crash import PutLog, check_survivors, staging_leftovers

NODE = "gw"
MiB = 1024 * 1024
#: <time> <process> <request id> <client> <method> <uri> <status> <bytes> <ms>ms[ (note)]
ACCESS_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [\w.-]+/\d [0-9A-F]{16} \S+ [A-Z]+ \S+ "
                         r"\d{3} \d+ \d+\.\dms( \(.*\))?$")


def served_by(server, request_ids=None, timeout=5.0):
    """Process name -> how many access-log lines it wrote (for ``request_ids`` only, if
    given), once the workers have flushed their lines (once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = {}
        path = server.data_dir / "access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        for line in lines:
            fields = line.split()
            if request_ids is None or fields[2] in request_ids:
                counts[fields[1]] = counts.get(fields[1], 0) + 1
        if request_ids is None or sum(counts.values()) >= len(request_ids):
            return counts
        if time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def fresh_connection_gets(server, count, threads=8):
    """``count`` signed ListBuckets, each on a new connection, from ``threads`` threads;
    returns the request ids the server answered with."""
    def one(_):
        headers, _, _ = signed_headers("GET", f"{server.endpoint}/")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request("GET", "/", headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            return response.getheader("x-amz-request-id")
        finally:
            conn.close()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return set(pool.map(one, range(count)))


@pytest.fixture(scope="module")
def workers_server(tmp_path_factory):
    """A ramod with two workers, shared by the tests that leave it running."""
    server = RamodProcess(tmp_path_factory.mktemp("workers"), workers=2,
                          extra_args=["--node-id", NODE])
    server.start()
    yield server
    if server.running:
        server.stop()


def test_two_workers_serve_one_port(workers_server, s3_factory):
    """Requests on one port land on both workers: the access log names each process, and
    each worker's log lines reach the supervisor's log marked with its number."""
    server = workers_server
    assert len(server.wait_for_workers()) == 2
    counts = {}
    for _ in range(5):  # which worker accepts a connection is the kernel's business
        ids = fresh_connection_gets(server, 60)
        for name, n in served_by(server, ids).items():
            counts[name] = counts.get(name, 0) + n
        if len(counts) == 2:
            break
    assert set(counts) == {f"{NODE}/1", f"{NODE}/2"}, counts
    status, stats = admin_call(server, "GET", "/stats")
    assert status == 200 and stats is not None
    log = server.log_file.read_text()
    assert "[worker 1]" in log and "[worker 2]" in log
    assert "2 worker processes" in log  # the banner, printed once, by the supervisor
    assert log.count("Ramo S3 server listening on") == 1


def test_racing_puts_of_one_key_across_workers(workers_server):
    """Racing PUTs of one key from 16 connections (both workers writing the one SQLite
    database) all succeed, and the key ends up holding one of the bodies, whole."""
    s3 = no_retry_client(workers_server, max_pool_connections=16)
    bucket = unique_bucket_name("wrace")
    s3.create_bucket(Bucket=bucket)
    bodies = [os.urandom(16) * random.randint(1, 4000) for _ in range(16)]

    def put(index):
        client = no_retry_client(workers_server)
        for round_number in range(6):
            client.put_object(Bucket=bucket, Key="hot", Body=bodies[(index + round_number) % 16])
        return index
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        assert sorted(pool.map(put, range(16))) == list(range(16))  # any 5xx would raise
    body = s3.get_object(Bucket=bucket, Key="hot")["Body"].read()
    assert body in bodies
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("hot", len(body))]


def test_access_log_lines_of_two_workers_never_interleave(workers_server):
    """Both workers append to one access.log: every line is whole (one write per flush)."""
    fresh_connection_gets(workers_server, 40)
    time.sleep(1.5)  # each worker flushes once a second
    lines = (workers_server.data_dir / "access.log").read_text().splitlines()
    assert len(lines) >= 40
    bad = [line for line in lines if not ACCESS_LINE.match(line)]
    assert not bad, bad[:5]
    assert {line.split()[1] for line in lines} == {f"{NODE}/1", f"{NODE}/2"}


def test_racing_completes_across_workers(workers_server):
    """Four Completes of one upload, sent at once on four connections, give no 5xx: the
    winners answer 200, the others NoSuchUpload, and the object is exactly its parts."""
    s3 = no_retry_client(workers_server)
    bucket = unique_bucket_name("wcomplete")
    s3.create_bucket(Bucket=bucket)
    for attempt in range(3):
        key = f"mp-{attempt}"
        parts = [os.urandom(5 * MiB), os.urandom(1000 + attempt)]
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        listing = [{"PartNumber": n, "ETag": s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)["ETag"]}
            for n, data in enumerate(parts, 1)]
        clients = [no_retry_client(workers_server) for _ in range(4)]
        barrier = threading.Barrier(4)

        def complete(client):
            barrier.wait()
            try:
                client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                 MultipartUpload={"Parts": listing})
                return "ok"
            except ClientError as e:
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] < 500, e.response
                return e.response["Error"]["Code"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(complete, clients))
        assert "ok" in outcomes and set(outcomes) <= {"ok", "NoSuchUpload"}, outcomes
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)


def test_a_killed_worker_is_restarted_and_the_port_keeps_answering(workers_server):
    """SIGKILL one worker: requests keep being answered (by the other, then by both), and
    the supervisor starts a new worker in its place."""
    server = workers_server
    victim = server.wait_for_workers()[1]
    os.kill(victim, signal.SIGKILL)
    wait_for_exit([victim])
    assert len(fresh_connection_gets(server, 20, threads=4)) == 20
    pids = server.wait_for_workers(exclude=[victim])
    assert victim not in pids.values()
    assert len(fresh_connection_gets(server, 20, threads=4)) == 20
    assert "restarting it in" in server.log_file.read_text()


def test_second_server_on_the_same_sqlite_data_is_refused(workers_server, tmp_path):
    """A second supervisor on a data directory in use exits with status 1 and says why;
    its workers never start, and the first server keeps serving."""
    second = RamodProcess(tmp_path / "second", data_dir=workers_server.data_dir, workers=2,
                          extra_args=["--node-id", "another"])
    with pytest.raises(RamodStartError) as refused:
        second.start(timeout=20)
    assert "status 1" in str(refused.value)
    assert "another ramod is already using" in second.log_tail()
    assert "[worker" not in second.log_file.read_text()
    assert len(fresh_connection_gets(workers_server, 4, threads=2)) == 4


def test_sigterm_drains_an_upload_in_flight_and_every_worker_exits(tmp_path, s3_factory):
    """An upload half sent when the supervisor gets SIGTERM completes with 200; then every
    worker and the supervisor exit, and the object is there after a restart."""
    server = RamodProcess(tmp_path, workers=2)
    with server:
        s3 = s3_factory(server)
        bucket = unique_bucket_name("wdrain")
        s3.create_bucket(Bucket=bucket)
        workers = list(server.wait_for_workers().values())
        body = os.urandom(4 * MiB)
        response = put_across_sigterm(server, bucket, "k", body)
        assert response.status == 200, response.read()[:300]
        assert server.stop() in (0, -signal.SIGTERM)
        wait_for_exit(workers, timeout=5)
        log = server.log_file.read_text()
        assert "waiting for 2 workers" in log and log.count("Server Shut Down") == 3
    with server:
        assert s3_factory(server).get_object(Bucket=bucket, Key="k")["Body"].read() == body


def test_workers_of_a_killed_supervisor_stop_by_themselves(tmp_path, s3_factory):
    """SIGKILL the supervisor alone: its workers notice (their lifeline ends) and exit,
    and a new start on the same data serves what was written before."""
    server = RamodProcess(tmp_path, workers=2)
    server.start()
    bucket = unique_bucket_name("wsupkill")
    s3_factory(server).create_bucket(Bucket=bucket)
    s3_factory(server).put_object(Bucket=bucket, Key="k", Body=b"before")
    server.wait_for_workers()
    orphans = server.kill_supervisor()
    assert len(orphans) == 2
    wait_for_exit(orphans, timeout=10)
    with server:
        assert s3_factory(server).get_object(Bucket=bucket, Key="k")["Body"].read() == b"before"


def writer(client, bucket, prefix, log, stop, seed, failures):
    """PUT fresh keys until stopped; a PUT that fails (its worker was killed) is counted
    and the writer goes on with the next key."""
    rng = random.Random(seed)
    index = 0
    while not stop.is_set():
        data = os.urandom(rng.choice([0, 999, 64 * 1024, 300_000, MiB + 3, 2 * MiB]))
        digest = hashlib.md5(data).hexdigest()
        key = f"{prefix}/{index:05d}"
        index += 1
        log.attempt(key, digest)
        try:
            response = client.put_object(Bucket=bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError, OSError):
            failures.append(key)
            continue
        if response["ETag"] != f'"{digest}"':
            log.problems.append(f"{key}: PUT answered ETag {response['ETag']}, sent {digest}")
        log.ack(key, digest)


def test_crash_rounds_killing_a_worker_mid_upload(tmp_path):
    """SIGKILL a worker in the middle of uploads, three times: every acknowledged object
    reads back intact, none is partial, and the killed worker's staging is cleaned when
    it comes back."""
    server = RamodProcess(tmp_path, workers=2, extra_args=["--node-id", NODE])
    server.start()
    try:
        bucket = unique_bucket_name("wcrash")
        no_retry_client(server).create_bucket(Bucket=bucket)
        log, failures = PutLog(), []
        rng = random.Random(20261208)
        for round_number in range(3):
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(
                no_retry_client(server), bucket, f"r{round_number}/w{n}", log, stop,
                round_number * 100 + n, failures), daemon=True) for n in range(6)]
            for thread in threads:
                thread.start()
            time.sleep(0.8 + rng.uniform(0, 0.6))
            victim_id = rng.choice([1, 2])
            victim = server.wait_for_workers()[victim_id]
            slot = server.data_dir / "staging" / NODE / f"worker-{victim_id}"
            os.kill(victim, signal.SIGKILL)
            wait_for_exit([victim])
            time.sleep(0.3)  # the other worker goes on serving meanwhile
            stop.set()
            for thread in threads:
                thread.join(60)
                assert not thread.is_alive()
            server.wait_for_workers(exclude=[victim])
            assert not [p for p in slot.iterdir()], "the restarted worker left its staging"
            leftovers = staging_leftovers(server.data_dir)
            assert not leftovers, leftovers[:10]
            problems = log.problems + check_survivors(no_retry_client(server), bucket, log)
            assert not problems, "\n".join(problems[:20])
        assert failures, "no upload was in flight at any of the kills"
        assert len(log.acked) > 10
    finally:
        server.stop()


def test_tls_listener_with_workers(tmp_path, tls_cert, s3_factory):
    """An ssl: listener works with workers: each wraps the adopted socket in TLS."""
    cert_path, key_path = tls_cert
    listen = f"ssl:0:interface=127.0.0.1:privateKey={key_path}:certKey={cert_path}"
    server = RamodProcess(tmp_path, listen=listen, scheme="https", workers=2)
    with server:
        server.wait_for_workers()
        s3 = s3_factory(server, verify=str(cert_path))
        bucket = unique_bucket_name("wtls")
        s3.create_bucket(Bucket=bucket)
        data = os.urandom(200_000)

        def put(n):  # on connections of their own, so that both workers take some
            client = s3_factory(server, verify=str(cert_path))
            client.put_object(Bucket=bucket, Key=f"k{n}", Body=data)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(put, range(8)))
        assert s3.get_object(Bucket=bucket, Key="k7")["Body"].read() == data
        context = ssl.create_default_context(cafile=str(cert_path))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                assert tls.recv(100).startswith(b"HTTP/1.1 403")  # unsigned: refused, over TLS


@pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")
def test_two_gateways_with_one_node_id_are_refused_on_postgres(tmp_path, s3_factory):
    """On PostgreSQL two gateways share the data directory under their own node ids; a
    third claiming a node id in use exits with status 1 and says so."""
    cluster = PostgresCluster().start()
    try:
        data = tmp_path / "shared"
        first = RamodProcess(tmp_path / "a", data_dir=data, workers=2,
                             extra_args=["--db", cluster.url, "--node-id", "gw-a"])
        second = RamodProcess(tmp_path / "b", data_dir=data,
                              extra_args=["--db", cluster.url, "--node-id", "gw-b"])
        clash = RamodProcess(tmp_path / "c", data_dir=data,
                             extra_args=["--db", cluster.url, "--node-id", "gw-a"])
        with first, second:
            bucket = unique_bucket_name("wpg")
            s3_factory(first).create_bucket(Bucket=bucket)
            s3_factory(second).put_object(Bucket=bucket, Key="k", Body=b"shared")
            assert s3_factory(first).get_object(Bucket=bucket, Key="k")["Body"].read() == b"shared"
            with pytest.raises(RamodStartError) as refused:
                clash.start(timeout=20)
            assert "status 1" in str(refused.value)
            assert "already running as node 'gw-a'" in clash.log_tail()
    finally:
        cluster.stop()
