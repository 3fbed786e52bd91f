"""tests/unit/test_cluster_state.py on PostgreSQL: several MetadataStores, each with its
own database thread and connection, on one database of a throwaway cluster (initdb/pg_ctl)
stand in for the processes of several gateways; then two real gateways on one database
answer a key's rate limit, a disabled key, a revoked URL and an upload in flight alike."""

import http.client
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_cluster_state import *  # noqa: E402,F401,F403  (the tests, run here on PostgreSQL)

from postgres_cluster import PostgresCluster  # noqa: E402
from ramod_process import (RamodProcess, admin_call, no_retry_client, refusal,  # noqa: E402
                           signed_headers, unique_bucket_name)
from ramod.metadata.db import open_database  # noqa: E402

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")


def _admin(postgres, statement: str) -> None:
    conn = psycopg2.connect(postgres.url)
    conn.autocommit = True  # CREATE/DROP DATABASE can't run in a transaction
    try:
        conn.cursor().execute(statement)
    finally:
        conn.close()


@pytest.fixture
def cluster_db(postgres):
    """A fresh database of the cluster for each test, which every process opens."""
    name = f"ramo_{uuid.uuid4().hex[:12]}"
    _admin(postgres, f'CREATE DATABASE "{name}"')
    db = open_database(postgres.url.rsplit("/", 1)[0] + "/" + name)
    yield db
    if hasattr(db, "close_all"):
        db.close_all()
    elif not db.is_closed():
        db.close()
    _admin(postgres, f'DROP DATABASE "{name}" WITH (FORCE)')


# -- two real gateways on one database ------------------------------------------------------


@pytest.fixture(scope="module")
def gateways(postgres, tmp_path_factory):
    """Two ramod gateways (their own node ids, ports and data directories) on one database:
    what a request meets must not depend on which of them it reaches."""
    name = f"ramo_{uuid.uuid4().hex[:12]}"
    _admin(postgres, f'CREATE DATABASE "{name}"')
    url = postgres.url.rsplit("/", 1)[0] + "/" + name
    servers = [RamodProcess(tmp_path_factory.mktemp(f"gw{i}"),
                            extra_args=["--db", url, "--node-id", f"gw{i}"]) for i in range(2)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()
    _admin(postgres, f'DROP DATABASE "{name}" WITH (FORCE)')


def _new_key(gateway, **fields):
    status, key = admin_call(gateway, "POST", "/credentials", {"user_name": "root", **fields})
    assert status == 201, key
    return key


def test_a_keys_rate_limit_holds_across_gateways(gateways):
    """Requests of a key limited to 5/s sent to both gateways as fast as they go for two
    seconds: the two together admit what one would (burst + rate x time), the rest get
    503 SlowDown with Retry-After."""
    key = _new_key(gateways[0], rate_limit=5)
    clients = [no_retry_client(g, key["access_key"], key["secret_key"]) for g in gateways]
    started = time.monotonic()

    def hammer(client):
        outcomes = []
        while time.monotonic() - started < 2.0:
            try:
                client.list_buckets()
                outcomes.append("ok")
            except ClientError as e:
                error = e.response
                assert error["ResponseMetadata"]["HTTPHeaders"].get("retry-after"), error
                outcomes.append(error["Error"]["Code"])
        return outcomes
    with ThreadPoolExecutor(4) as pool:
        outcomes = [o for part in pool.map(hammer, clients * 2) for o in part]
    elapsed = time.monotonic() - started
    assert set(outcomes) <= {"ok", "SlowDown"}, set(outcomes)
    assert 5 <= outcomes.count("ok") <= 5 + 5 * elapsed + 1, (outcomes.count("ok"), elapsed)
    assert outcomes.count("SlowDown") > outcomes.count("ok")


def test_a_key_disabled_on_one_gateway_is_refused_by_the_other_at_once(gateways):
    key = _new_key(gateways[0])
    other = no_retry_client(gateways[1], key["access_key"], key["secret_key"])
    other.list_buckets()
    status, _ = admin_call(gateways[0], "PATCH", f"/credentials/{key['id']}", {"is_active": False})
    assert status == 200
    assert refusal(other.list_buckets)[:2] == ("InvalidAccessKeyId", 403)
    admin_call(gateways[1], "PATCH", f"/credentials/{key['id']}", {"is_active": True})
    no_retry_client(gateways[0], key["access_key"], key["secret_key"]).list_buckets()


def test_a_url_revoked_on_one_gateway_is_refused_by_the_other_at_once(gateways):
    """A presigned URL made by gateway 0, sent to gateway 1 (with the Host it was signed
    for), is let in until gateway 0's management API revokes it, then is 403 on gateway 1.
    (The key holds no object: the gateways here have data directories of their own, and
    NoSuchKey is what a request that passed authentication gets.)"""
    bucket = unique_bucket_name("revoke")
    no_retry_client(gateways[0]).create_bucket(Bucket=bucket)
    status, link = admin_call(gateways[0], "POST", "/presigned-urls",
                              {"bucket_name": bucket, "object_key": "k"})
    assert status == 201, link

    def fetch_on_gateway_1():
        parts = urlsplit(link["url"])
        conn = http.client.HTTPConnection("127.0.0.1", gateways[1].port, timeout=10)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}", headers={"Host": parts.netloc})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()
    status, body = fetch_on_gateway_1()
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body, body
    assert admin_call(gateways[0], "DELETE", f"/presigned-urls/{link['id']}")[0] == 204
    status, body = fetch_on_gateway_1()
    assert status == 403 and b"revoked" in body, body


def _put_head(gateway, bucket, key, length):
    """Send the signed head of a PUT declaring ``length`` bytes with Expect: 100-continue;
    return the socket and the first response line (the body is not sent)."""
    url = f"{gateway.endpoint}/{bucket}/{key}"
    headers, _, _ = signed_headers("PUT", url, headers={"Content-Length": str(length),
                                                        "Expect": "100-continue"})
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    lines = [f"PUT /{bucket}/{key} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return sock, data.split(b"\r\n", 1)[0].decode(), data


def test_quota_admission_counts_an_upload_in_flight_on_the_other_gateway(gateways):
    """An upload admitted by gateway 0 (told to send its body, not sent yet) holds its room:
    gateway 1 refuses one that would not fit with it before its body, and admits it once
    the first is over (its connection gone)."""
    bucket = unique_bucket_name("inflight")
    no_retry_client(gateways[0]).create_bucket(Bucket=bucket)
    status, _ = admin_call(gateways[1], "PATCH", f"/buckets/{bucket}", {"quota_bytes": 1_000_000})
    assert status == 200
    first, line, _ = _put_head(gateways[0], bucket, "first", 600_000)
    try:
        assert line == "HTTP/1.1 100 Continue", line
        second, line, data = _put_head(gateways[1], bucket, "second", 500_000)
        second.close()
        assert line.startswith("HTTP/1.1 403 ") and b"QuotaExceeded" in data, data
        assert b"holds 600000 bytes" in data
    finally:
        first.close()                             # the first upload ends unfinished
    deadline = time.monotonic() + 10
    while True:
        second, line, _ = _put_head(gateways[1], bucket, "second", 500_000)
        second.close()
        if line == "HTTP/1.1 100 Continue" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert line == "HTTP/1.1 100 Continue", line
