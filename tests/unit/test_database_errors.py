"""The metadata database gone or busy: ``DatabaseUnavailable`` / ``DatabaseBusy`` from the
store, 503 S3 XML (ServiceUnavailable, SlowDown) with ``Retry-After`` from the S3 front,
503 JSON from the management API, and the write protocol's blob kept or discarded by
whether the commit's outcome is known.  Real SQLite files, a real PostgreSQL URL with
nobody listening, the real S3 site and management site over a StringTransport.

(A real PostgreSQL server restarted, and connections lost before and during COMMIT, are
in tests/integration/test_postgres_outage.py.)
"""

import json
import socket
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from ramod.admin.app import AdminApp
from ramod.admin.site import make_admin_site
from ramod.http.render import error_body
from ramod.metadata import errors as meta
from ramod.metadata.db import open_database
from ramod.metadata.store import MetadataStore
from ramod.s3.app import database_unavailable
from ramod.storage.filesystem import BlobStore
from ramod.storage.ingest import Ingest
from ramod.threads import Pools
from twisted.internet.task import Clock

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from harness import Harness, signed  # noqa: E402


def fired(d: Deferred):
    """What an already-fired Deferred ended with: its value, or its exception."""
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0].value if isinstance(out[0], Failure) else out[0]


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_postgres():
    """Makes a MetadataStore on a PostgreSQL URL whose port refuses connections (call it
    last: opening a database binds the models to it)."""
    pytest.importorskip("psycopg2")

    def make():
        db = open_database(f"postgresql://postgres@127.0.0.1:{closed_port()}/ramo")
        return MetadataStore(db, Pools(Clock(), 1, 1, inline=True))
    return make


class WriteLock:
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE) on ``path``."""

    def __init__(self, path):
        self.conn = sqlite3.connect(str(path), isolation_level=None)

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


# -- the store ------------------------------------------------------------------------------


def test_a_refused_postgres_connection_is_database_unavailable(unreachable_postgres):
    store = unreachable_postgres()
    started = time.monotonic()
    error = fired(store.get_bucket("bkt"))
    assert isinstance(error, meta.DatabaseUnavailable), error
    assert not isinstance(error, meta.DatabaseBusy)
    assert not error.commit_in_doubt          # nothing was sent, so nothing committed
    assert "refused" in error.detail.lower() or "connect" in error.detail.lower(), error.detail
    assert time.monotonic() - started < 3     # refused at once, not a connect timeout
    # and the next call tries again (no state left behind that makes it fail differently)
    assert isinstance(fired(store.get_bucket("bkt")), meta.DatabaseUnavailable)


def test_a_sqlite_write_lock_past_the_busy_timeout_is_database_busy(store, db, root, bucket):
    db.execute_sql("PRAGMA busy_timeout = 50")  # the store's connection (inline pools)
    with WriteLock(db.database):
        error = fired(store.create_bucket("other", root.id, "us-east-1"))
        assert isinstance(error, meta.DatabaseBusy), error
        assert "locked" in error.detail
        assert fired(store.get_bucket("bkt")).name == "bkt"  # readers never wait (WAL)
    assert fired(store.get_bucket("other")) is None          # the write was rolled back
    assert fired(store.create_bucket("other", root.id, "us-east-1")).name == "other"


# -- the S3 front -----------------------------------------------------------------------------


def test_s3_error_for_each_database_failure():
    gone = database_unavailable(meta.DatabaseUnavailable("server closed the connection"))
    assert (gone.code, gone.status, gone.headers["Retry-After"]) == ("ServiceUnavailable", 503, "1")
    assert "metadata database can't be reached" in gone.message
    assert "server closed" not in gone.message  # the driver's words go to the log only
    doubt = database_unavailable(meta.DatabaseUnavailable("lost", commit_in_doubt=True))
    assert doubt.code == "ServiceUnavailable" and "may or may not have taken effect" in doubt.message
    busy = database_unavailable(meta.DatabaseBusy("database is locked"))
    assert (busy.code, busy.status, busy.headers["Retry-After"]) == ("SlowDown", 503, "1")
    body = error_body(gone, "/bkt/key", "REQ1").decode()
    assert "<Code>ServiceUnavailable</Code>" in body and "<RequestId>REQ1</RequestId>" in body
    assert "<Resource>/bkt/key</Resource>" in body


def split_response(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_a_put_into_a_locked_sqlite_database_gets_slowdown_and_leaves_nothing(tmp_path):
    h = Harness(tmp_path)
    assert split_response(h.exchange(signed("PUT", "/bkt")))[0] == 200
    assert split_response(h.exchange(signed("PUT", "/bkt/kept", b"old")))[0] == 200
    h.db.execute_sql("PRAGMA busy_timeout = 50")
    with WriteLock(h.db.database):
        status, headers, body = split_response(h.exchange(signed("PUT", "/bkt/k", b"hello")))
        assert (status, headers["Retry-After"], headers["Content-Type"]) == (
            503, "1", "application/xml")
        assert b"<Code>SlowDown</Code>" in body and b"busy with other writes" in body
        assert split_response(h.exchange(signed("GET", "/bkt/kept")))[2] == b"old"
    assert split_response(h.exchange(signed("GET", "/bkt/k")))[0] == 404
    blobs = [p for p in (h.blobs.root / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1, blobs  # the object "kept"; the refused upload's blob is gone
    assert not [p for p in (h.blobs.root / "staging").rglob("*") if p.is_file()]


def test_s3_requests_get_service_unavailable_when_postgres_is_unreachable(
        tmp_path, unreachable_postgres):
    h = Harness(tmp_path)
    h.app.store = unreachable_postgres()
    for request in (signed("GET", "/"), signed("GET", "/bkt/k"), signed("PUT", "/bkt/k", b"x")):
        status, headers, body = split_response(h.exchange(request))
        assert (status, headers["Retry-After"]) == (503, "1"), body
        assert b"<Code>ServiceUnavailable</Code>" in body and b"may be restarting" in body


# -- the management API -----------------------------------------------------------------------


def test_the_management_api_answers_503_json_when_postgres_is_unreachable(
        tmp_path, unreachable_postgres):
    h = Harness(tmp_path)
    app = AdminApp(h.config, unreachable_postgres(), h.blobs, h.pools, h.reactor, "admin-key",
                   lambda: "http://127.0.0.1:9000", None)
    proto = make_admin_site(app).buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer admin-key\r\n\r\n")
    status, headers, body = split_response(transport.value())
    assert (status, headers["Retry-After"], headers["Content-Type"]) == (
        503, "1", "application/json")
    answer = json.loads(body)
    assert answer["error"] == "service_unavailable"
    assert "metadata database can't be reached" in answer["message"]


# -- the write protocol -----------------------------------------------------------------------


def ingest_failing_with(tmp_path, error):
    """An upload committed to blobs/ whose metadata transaction fails with ``error``; its
    staging file and blob file after the Ingest block."""
    blobs = BlobStore(tmp_path / "data")
    blobs.prepare()
    pools = Pools(Clock(), 1, 1, inline=True)

    async def transaction():
        raise error

    async def put():
        async with Ingest(pools, blobs, blobs.new_staging()) as ingest:
            await ingest.commit(lambda staging: staging.write_at([b"data"], 0))
            seen.append((Path(ingest.staging.file_name), blobs.blob_path(ingest.blob_id)))
            await ingest.record(transaction)
    seen = []
    assert fired(Deferred.fromCoroutine(put())) is error
    return seen[0]


def test_an_upload_whose_commit_certainly_failed_is_discarded(tmp_path):
    staging, blob = ingest_failing_with(tmp_path, meta.DatabaseUnavailable("refused"))
    assert not staging.exists() and not blob.exists()


def test_an_upload_whose_commit_is_in_doubt_is_left_to_start_up_recovery(tmp_path):
    staging, blob = ingest_failing_with(
        tmp_path, meta.DatabaseUnavailable("lost during COMMIT", commit_in_doubt=True))
    # the row may reference the blob: both names stay, as after a crash at that point
    assert staging.exists() and blob.read_bytes() == b"data"
