"""Schema upgrades keep every row: a version-1 database is brought to the current version."""

import time
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from ramod.metadata.db import SQLITE_PRAGMAS, database_proxy
from ramod.metadata.migrations import CURRENT_VERSION, migrate
from ramod.metadata.models import (Bucket, Credential, GarbageBlob, Lease, Object, ObjectPart,
                                   QuotaReservation, RateBucket, SchemaVersion, Upload, UploadPart)

V1_SQL = (Path(__file__).parent / "schema_v1_sqlite.sql").read_text()


@pytest.fixture
def v1_db(tmp_path):
    db = SqliteDatabase(str(tmp_path / "meta.db"), pragmas=SQLITE_PRAGMAS)
    database_proxy.initialize(db)
    sql = "\n".join(line for line in V1_SQL.splitlines() if not line.startswith("--"))
    for statement in sql.split(";"):
        if statement.strip():
            db.execute_sql(statement)
    db.execute_sql("INSERT INTO schemaversion (version) VALUES (1)")
    db.execute_sql("INSERT INTO credential VALUES (1, 'root', 'AK', 'SK', 1, 1, '2026-01-01')")
    db.execute_sql("INSERT INTO bucket VALUES (1, 'b', 1, 'us-east-1', '2026-01-01')")
    db.execute_sql("INSERT INTO blob VALUES ('x' , 3, 1)")
    db.execute_sql("INSERT INTO object VALUES (1, 1, 'k', 'x', 3, '\"e\"', '2026-01-01', "
                   "'text/plain', '{}', '{}', 'STANDARD')")
    yield db
    db.close()


def test_upgrade_from_v1_keeps_objects_and_adds_multipart(v1_db):
    """A v1 database keeps its rows, gains the v2/v3 tables and columns, and its buckets'
    usage counters are computed from the objects they hold."""
    assert migrate(v1_db) == 1
    assert SchemaVersion.get().version == CURRENT_VERSION
    row = Object.get()
    assert (row.key, row.blob_id, row.size, row.part_count, row.tags) == ("k", "x", 3, None, None)
    columns = {c.name: c for c in v1_db.get_columns("object")}
    assert columns["blob_id"].null
    assert {"objectpart", "upload", "uploadpart"} <= set(v1_db.get_tables())
    unique = [i for i in v1_db.get_indexes("object") if i.unique]
    assert [i.columns for i in unique] == [["bucket_id", "key"]]
    bucket = Bucket.get()
    assert (bucket.object_count, bucket.object_bytes, bucket.upload_bytes,
            bucket.quota_bytes) == (1, 3, 0, None)
    assert row.created_at == row.last_modified
    assert Credential.get().rate_limit is None
    assert "presignedurl" in v1_db.get_tables()
    # the upgraded tables take what version 2 writes
    Object.create(bucket=1, key="mp", blob=None, size=0, etag='"e-1"', last_modified="2026-01-02",
                  part_count=1)
    assert ObjectPart.select().count() == Upload.select().count() == UploadPart.select().count() == 0


def test_migrating_twice_changes_nothing(v1_db):
    migrate(v1_db)
    assert migrate(v1_db) == CURRENT_VERSION
    assert Object.select().count() == 1


def test_fresh_database_gets_the_current_schema(tmp_path):
    db = SqliteDatabase(str(tmp_path / "fresh.db"), pragmas=SQLITE_PRAGMAS)
    database_proxy.initialize(db)
    assert migrate(db) == 0
    assert {c.name for c in db.get_columns("object")} >= {"part_count", "tags", "blob_id"}
    assert SchemaVersion.get().version == CURRENT_VERSION


def test_upgrade_to_v4_dates_queued_garbage_and_adds_the_cluster_tables(v1_db):
    """Garbage queued before the upgrade counts as garbage from the upgrade on (a process
    of the older version may still be reading it); leases, token buckets and quota
    reservations get their tables, and the upgraded GarbageBlob takes what v4 writes."""
    v1_db.execute_sql("INSERT INTO garbageblob VALUES ('old')")
    before = time.time()
    migrate(v1_db)
    assert {c.name for c in v1_db.get_columns("garbageblob")} == {"blob_id", "garbage_at"}
    assert "garbageblob_garbage_at" in {i.name for i in v1_db.get_indexes("garbageblob")}
    assert GarbageBlob.get().garbage_at >= before
    assert {"lease", "ratebucket", "quotareservation"} <= set(v1_db.get_tables())
    GarbageBlob.create(blob_id="new", garbage_at=1.5)
    Lease.create(name="job", holder="n/1", expires_at=2.5)
    RateBucket.create(credential=1, tokens=1.0, updated_at=3.5)
    QuotaReservation.create(bucket=1, size=10, holder="n/1", expires_at=4.5)
    assert migrate(v1_db) == CURRENT_VERSION == 4
    assert GarbageBlob.get(GarbageBlob.blob_id == "new").garbage_at == 1.5
