"""A PostgreSQL restart under load: a real ``twistd ramod --db postgresql://...`` on a
throwaway cluster, driven by boto3 from a few threads while the cluster is stopped and
started again.

Requests during the outage get 503 (ServiceUnavailable, or SlowDown) with S3 XML and
``Retry-After``, never a 500, a hang or a dropped connection; nothing that failed is
visible afterwards and everything acknowledged reads back intact; once the cluster is back
every request succeeds again without restarting ramod (the pooled connections the restart
killed are discarded and each transaction that met one runs again on a new one); and a
restart of ramod (start-up recovery) leaves exactly one blob file per object.

Then, in this process, the rules of ``ramod.metadata.db.Transactions`` on the same
cluster, each made to happen for certain: a session killed before COMMIT (the transaction
runs again once, on a new connection, and takes effect once), killed again on the second
try (``DatabaseUnavailable``), killed during COMMIT by a deferred trigger (not run again:
``commit_in_doubt``; an upload's blob is then left for start-up recovery, which removes it
since the transaction in fact aborted), and stale pooled connections replaced.
"""

import hashlib
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from postgres_cluster import PostgresCluster
from ramod_process import (REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, admin_call,
                           blob_files, unique_bucket_name)
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from ramod.metadata import errors as meta
from ramod.metadata.db import POSTGRES_POOL_SIZE, Transactions, open_database
from ramod.metadata.records import NewObject
from ramod.metadata.store import MetadataStore
from ramod.storage.filesystem import BlobStore
from ramod.storage.ingest import Ingest
from ramod.threads import Pools

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")

THREADS = 4
LOAD_BEFORE = 1.5       # seconds of load before the cluster stops
OUTAGE = 2.0            # seconds the cluster stays down
LOAD_AFTER = 2.5        # seconds of load after it is back
MAX_OPS_PER_THREAD = 1500
#: 503 codes a request may get while the database is away
UNAVAILABLE = {"ServiceUnavailable", "SlowDown"}
IN_DOUBT = "may or may not have taken effect"


@dataclass
class Outcome:
    op: str
    key: str
    started: float
    ended: float
    status: int            # HTTP status, or 0 for no answer at all
    code: str = ""
    message: str = ""
    body_md5: str = ""     # PUT: what was sent; GET: what came back
    retry_after: str | None = None


def _client(server):
    # no retries (each attempt is one outcome), and a request hanging 15 s fails the test
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=5, read_timeout=15, max_pool_connections=THREADS * 2)
    return boto3.session.Session().client(
        "s3", endpoint_url=server.endpoint, region_name=REGION,
        aws_access_key_id=ROOT_ACCESS_KEY, aws_secret_access_key=ROOT_SECRET_KEY, config=config)


def _call(op, key, fn, **extra) -> Outcome:
    started = time.monotonic()
    try:
        answer = fn()
    except ClientError as e:
        meta = e.response["ResponseMetadata"]
        return Outcome(op, key, started, time.monotonic(), meta["HTTPStatusCode"],
                       e.response["Error"].get("Code", ""), e.response["Error"].get("Message", ""),
                       extra.get("body_md5", ""), meta.get("HTTPHeaders", {}).get("retry-after"))
    except BotoCoreError as e:  # connection dropped, refused, or read timeout: no answer
        return Outcome(op, key, started, time.monotonic(), 0, type(e).__name__, str(e))
    status = answer["ResponseMetadata"]["HTTPStatusCode"]
    md5 = extra.get("body_md5", "")
    if op == "GET":
        md5 = hashlib.md5(answer["Body"].read()).hexdigest()
    return Outcome(op, key, started, time.monotonic(), status, body_md5=md5)


def _load(s3, bucket, seeded, thread_no, stop, outcomes):
    rng = random.Random(thread_no)
    for n in range(MAX_OPS_PER_THREAD):
        if stop.is_set():
            return
        key = f"t{thread_no}/k{n:05d}"
        body = os.urandom(rng.randint(1, 4096))
        md5 = hashlib.md5(body).hexdigest()
        outcomes.append(_call("PUT", key, lambda: s3.put_object(Bucket=bucket, Key=key, Body=body),
                              body_md5=md5))
        read = rng.choice(seeded)
        outcomes.append(_call("GET", read, lambda: s3.get_object(Bucket=bucket, Key=read)))
        if n % 4 == 0:
            outcomes.append(_call("LIST", f"t{thread_no}/", lambda: s3.list_objects_v2(
                Bucket=bucket, Prefix=f"t{thread_no}/", MaxKeys=20)))


def _restart_options(cluster) -> str:
    # the options PostgresCluster.start gives pg_ctl
    return (f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {cluster.workdir} "
            f"-c fsync=on")


@pytest.fixture(scope="module")
def cluster():
    started = PostgresCluster().start()
    yield started
    started.stop()


def test_postgres_restart_under_load(cluster, tmp_path):
    server = RamodProcess(tmp_path, extra_args=["--db", cluster.url])
    with server:
        _restart_under_load(cluster, server)


def _restart_under_load(cluster, server):
    s3 = _client(server)
    bucket = unique_bucket_name("pgout")
    s3.create_bucket(Bucket=bucket)
    seeded = {f"seed/{i}": os.urandom(100 + i) for i in range(8)}
    for key, body in seeded.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    stop, outcomes = threading.Event(), []
    threads = [threading.Thread(target=_load, args=(s3, bucket, sorted(seeded), i, stop, outcomes))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    try:
        time.sleep(LOAD_BEFORE)
        down_at = time.monotonic()
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-m", "fast", "-w", "stop")
        stopped_at = time.monotonic()
        # while it is down: S3 and the management API answer 503 at once, in their formats
        during = _call("GET", "seed/0", lambda: s3.get_object(Bucket=bucket, Key="seed/0"))
        admin_status, admin_body = admin_call(server, "GET", "/stats")
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped_at)))
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-l", str(cluster.workdir / "pg.log"),
                     "-o", _restart_options(cluster), "-w", "start")
        up_at = time.monotonic()
        time.sleep(LOAD_AFTER)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not any(t.is_alive() for t in threads), "a load thread is stuck"

    assert (during.status, during.code) == (503, "ServiceUnavailable"), during
    assert "metadata database" in during.message and during.retry_after == "1", during
    assert admin_status == 503 and admin_body["error"] == "service_unavailable", admin_body
    assert "metadata database" in admin_body["message"]

    # every answer is a 2xx or a 503 the client can retry, with Retry-After
    unexpected = [o for o in outcomes if not (200 <= o.status < 300 or (
        o.status == 503 and o.code in UNAVAILABLE and o.retry_after))]
    assert not unexpected, unexpected[:10]
    refused = [o for o in outcomes if o.status == 503]
    assert refused, "no request met the outage: the test proved nothing"
    # once the cluster is back, everything succeeds, without restarting ramod
    after = [o for o in outcomes if o.started >= up_at]
    assert after and all(200 <= o.status < 300 for o in after), [o for o in after if o.status >= 300]

    # acknowledged PUTs read back intact; failed ones are not there (unless the failure said
    # the commit was in doubt: then the object is there whole, or not at all)
    listed = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        listed.update(o["Key"] for o in page.get("Contents", []))
    puts = [o for o in outcomes if o.op == "PUT"]
    for o in puts:
        if o.status == 200:
            got = s3.get_object(Bucket=bucket, Key=o.key)["Body"].read()
            assert hashlib.md5(got).hexdigest() == o.body_md5, o
            assert o.key in listed
        elif IN_DOUBT in o.message and o.key in listed:
            got = s3.get_object(Bucket=bucket, Key=o.key)["Body"].read()
            assert hashlib.md5(got).hexdigest() == o.body_md5, o
        else:
            assert o.key not in listed, o
    for o in outcomes:
        if o.op == "GET" and o.status == 200:
            assert o.body_md5 == hashlib.md5(seeded[o.key]).hexdigest(), o
    acknowledged = {o.key for o in puts if o.status == 200}
    assert listed - set(seeded) - acknowledged <= {o.key for o in puts if IN_DOUBT in o.message}

    # one pool per process: never more sessions than database threads
    sessions = _sql(cluster, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                    "'client backend' AND pid <> pg_backend_pid()")[0][0]
    assert 0 < sessions <= POSTGRES_POOL_SIZE

    # the management API answers again too
    status, stats = admin_call(server, "GET", "/stats")
    assert status == 200, stats

    # start-up recovery settles what the outage left: one blob file per object
    blobs_before_restart = blob_files(server)
    server.restart()
    assert blob_files(server) == len(listed)

    first_503 = min(o.started for o in refused)
    last_503 = max(o.ended for o in refused)
    in_doubt = [o for o in refused if IN_DOUBT in o.message]
    log = server.log_file.read_text(errors="replace")
    print(f"\n{len(outcomes)} requests ({len(puts)} PUTs, {len(acknowledged)} acknowledged), "
          f"{len(refused)} answered 503 "
          f"({sum(o.code == 'ServiceUnavailable' for o in refused)} ServiceUnavailable; "
          f"{len(in_doubt)} in doubt, {sum(o.op == 'PUT' for o in in_doubt)} of them PUTs, "
          f"{sum(o.key in listed for o in in_doubt if o.op == 'PUT')} of those visible after); "
          f"cluster down {up_at - down_at:.2f} s (stop took {stopped_at - down_at:.2f} s), "
          f"503s from {first_503 - down_at:+.2f} s to {last_503 - down_at:+.2f} s; "
          f"{len(after)} requests after the restart, all 2xx; slowest request "
          f"{max(o.ended - o.started for o in outcomes):.2f} s; blob files "
          f"{blobs_before_restart} before ramod's restart, {len(listed)} after; "
          f"{sessions} PostgreSQL sessions; transactions run again on a new connection: "
          f"{log.count('running the transaction again')}")


def _sql(cluster, statement):
    import psycopg2
    with psycopg2.connect(cluster.url) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall() if cur.description else None


def fired(d: Deferred):
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0].value if isinstance(out[0], Failure) else out[0]


@pytest.fixture
def pg(cluster):
    """A migrated database in this process: ``(db, store)``, queries run inline."""
    db = open_database(cluster.url)
    store = MetadataStore(db, Pools(Clock(), 1, 1, inline=True))
    fired(store.migrate())
    db.execute_sql("CREATE TABLE IF NOT EXISTS outage_probe (n integer)")
    db.execute_sql("TRUNCATE outage_probe")
    db.close()
    yield db, store
    db.close_all()


def _kill_own_session(db):
    db.execute_sql("SELECT pg_terminate_backend(pg_backend_pid())")


def test_a_session_lost_before_commit_runs_again_once_on_a_new_connection(pg):
    db, _ = pg
    transactions, calls = Transactions(db), []

    def write_then_lose_the_session():
        calls.append(db.connection().info.backend_pid)
        db.execute_sql("INSERT INTO outage_probe VALUES (%s)", (len(calls),))
        if len(calls) == 1:
            _kill_own_session(db)
        return "done"
    assert transactions.run(write_then_lose_the_session) == "done"
    assert len(calls) == 2 and calls[0] != calls[1]          # a new session the second time
    assert db.execute_sql("SELECT n FROM outage_probe").fetchall() == [(2,)]  # first rolled back


def test_a_session_lost_twice_is_database_unavailable(pg):
    db, _ = pg
    calls = []

    def always_lose_it():
        calls.append(1)
        db.execute_sql("INSERT INTO outage_probe VALUES (1)")
        _kill_own_session(db)
    with pytest.raises(meta.DatabaseUnavailable) as caught:
        Transactions(db).run(always_lose_it)
    assert not caught.value.commit_in_doubt and len(calls) == 2
    assert db.execute_sql("SELECT count(*) FROM outage_probe").fetchone() == (0,)


DIE_AT_COMMIT = """
CREATE OR REPLACE FUNCTION outage_die() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.key = 'doomed' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS outage_die ON {table};
CREATE CONSTRAINT TRIGGER outage_die AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION outage_die();
"""


def test_a_session_lost_during_commit_is_in_doubt_and_the_blob_waits_for_recovery(pg, tmp_path):
    db, store = pg
    db.execute_sql("CREATE TABLE IF NOT EXISTS outage_keys (key text)")
    db.execute_sql(DIE_AT_COMMIT.format(table="outage_keys"))
    db.execute_sql(DIE_AT_COMMIT.format(table="object"))
    try:
        calls = []

        def write_doomed():
            calls.append(1)
            db.execute_sql("INSERT INTO outage_keys VALUES ('doomed')")
        with pytest.raises(meta.DatabaseUnavailable) as caught:
            Transactions(db).run(write_doomed)
        assert caught.value.commit_in_doubt and len(calls) == 1  # never run twice

        # a PutObject whose commit is in doubt keeps its blob and staging name ...
        root = fired(store.ensure_root(None, None, lambda: ("OUTAGEROOTKEY", "secret")))[0]
        bucket = fired(store.create_bucket(unique_bucket_name("doubt"), root.id, "us-east-1"))
        blobs = BlobStore(tmp_path / "data")
        blobs.prepare()
        pools = Pools(Clock(), 1, 1, inline=True)

        async def put(key):
            async with Ingest(pools, blobs, blobs.new_staging()) as ingest:
                await ingest.commit(lambda staging: staging.write_at([b"body"], 0))
                names.append((ingest.blob_id, Path(ingest.staging.file_name)))
                new = NewObject(ingest.blob_id, 4, '"841a2d689ad86bd1611447453c22c6fc"', None,
                                {}, {})
                return await ingest.record(store.put_object, bucket, key, new)
        names = []
        error = fired(Deferred.fromCoroutine(put("doomed")))
        assert isinstance(error, meta.DatabaseUnavailable) and error.commit_in_doubt
        blob_id, staging = names[0]
        assert staging.exists() and blobs.blob_path(blob_id).read_bytes() == b"body"
        # ... the transaction in fact aborted: nothing visible, and recovery removes the blob
        assert fired(store.get_object(bucket, "doomed")) is None
        staged = blobs.staged_ids()
        assert blob_id in staged
        blobs.recover(fired(store.blobs_exist(staged)), staged)
        assert not staging.exists() and not blobs.blob_path(blob_id).exists()
        # and the next write goes through on a new connection
        fired(Deferred.fromCoroutine(put("fine")))
        assert fired(store.get_object(bucket, "fine")).size == 4
    finally:
        db.execute_sql("DROP TRIGGER IF EXISTS outage_die ON object")


def test_stale_pooled_connections_are_replaced(cluster):
    db = open_database(cluster.url + "?stale_timeout=1")
    try:
        transactions = Transactions(db)

        def backend():
            return db.connection().info.backend_pid
        first = transactions.run(backend)
        assert transactions.run(backend) == first      # checked in, and out again
        time.sleep(1.2)
        assert transactions.run(backend) != first      # older than stale_timeout: replaced
    finally:
        db.close_all()
