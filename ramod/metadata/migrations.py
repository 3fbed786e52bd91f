"""Schema versioning: create or upgrade the tables, one numbered step at a time.

Steps look at the columns a table really has, so they work both on a database made
by an older ramod and on a fresh one (whose tables are created from today's models).
"""

import time

from peewee import BigIntegerField, DateTimeField, FloatField, IntegerField, TextField, fn
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run_migrations

from ramod.metadata.db import is_postgres, is_sqlite
from ramod.metadata.models import (V1_MODELS, V2_MODELS, V3_MODELS, V4_MODELS, Bucket, Credential,
                                   GarbageBlob, Object, SchemaVersion, Upload, UploadPart)

CURRENT_VERSION = 4

#: PostgreSQL advisory lock taken by a migration, so that gateways starting together
#: migrate one after the other (any constant: it only has to be the same everywhere)
MIGRATION_LOCK = 0x72616D6F  # "ramo"


def _create_v1(db):
    db.create_tables(V1_MODELS, safe=True)


def _multipart_v2(db):
    """Multipart: objects served from parts (nullable ``object.blob``), uploads, tags,
    and keys ordered by their UTF-8 bytes on PostgreSQL too."""
    migrator = PostgresqlMigrator(db) if is_postgres(db) else SqliteMigrator(db)
    steps = []
    columns = {c.name: c for c in db.get_columns(Object._meta.table_name)}
    if not columns["blob_id"].null:
        steps.append(migrator.drop_not_null(Object._meta.table_name, "blob_id"))
    if "part_count" not in columns:
        steps.append(migrator.add_column(Object._meta.table_name, "part_count",
                                         IntegerField(null=True)))
    if "tags" not in columns:
        steps.append(migrator.add_column(Object._meta.table_name, "tags", TextField(null=True)))
    if "tags" not in {c.name for c in db.get_columns(Bucket._meta.table_name)}:
        steps.append(migrator.add_column(Bucket._meta.table_name, "tags", TextField(null=True)))
    run_migrations(*steps)
    db.create_tables(V2_MODELS, safe=True)
    if is_postgres(db):
        # S3 lists keys in UTF-8 byte order: that is the "C" collation, not the locale's
        for table in (Object._meta.table_name, "upload"):
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "key" TYPE TEXT COLLATE "C"')


def _management_v3(db):
    """Per-key rate limits, per-bucket usage counters and quotas, object creation times,
    revocable presigned URLs.  The counters are filled from what the tables hold."""
    migrator = PostgresqlMigrator(db) if is_postgres(db) else SqliteMigrator(db)
    steps = []
    bucket_table, object_table = Bucket._meta.table_name, Object._meta.table_name
    if "rate_limit" not in {c.name for c in db.get_columns(Credential._meta.table_name)}:
        steps.append(migrator.add_column(Credential._meta.table_name, "rate_limit",
                                         FloatField(null=True)))
    bucket_columns = {c.name for c in db.get_columns(bucket_table)}
    for name in ("object_count", "object_bytes", "upload_bytes"):
        if name not in bucket_columns:
            # plain SQL: peewee's SQLite migrator would rebuild the table to add NOT NULL,
            # and dropping the old bucket table cascades to its objects
            db.execute_sql(f'ALTER TABLE "{bucket_table}" ADD COLUMN "{name}" '
                           f'BIGINT NOT NULL DEFAULT 0')
    if "quota_bytes" not in bucket_columns:
        steps.append(migrator.add_column(bucket_table, "quota_bytes", BigIntegerField(null=True)))
    if "created_at" not in {c.name for c in db.get_columns(object_table)}:
        steps.append(migrator.add_column(object_table, "created_at", DateTimeField(null=True)))
    run_migrations(*steps)
    db.create_tables(V3_MODELS, safe=True)
    Object.update(created_at=Object.last_modified).where(Object.created_at.is_null()).execute()
    for bucket in Bucket.select(Bucket.id):
        mine = Object.bucket == bucket.id
        Bucket.update(
            object_count=Object.select().where(mine).count(),
            object_bytes=Object.select(fn.COALESCE(fn.SUM(Object.size), 0)).where(mine).scalar(),
            upload_bytes=UploadPart.select(fn.COALESCE(fn.SUM(UploadPart.size), 0)).join(Upload)
            .where((Upload.bucket == bucket.id) & Upload.completed_at.is_null()).scalar(),
        ).where(Bucket.id == bucket.id).execute()


def _cluster_v4(db):
    """Several processes and gateways on one database: the time each garbage blob became
    garbage (the sweep waits out a grace period), leases, shared token buckets and quota
    reservations.  Garbage queued before the upgrade counts as garbage from now on."""
    table = GarbageBlob._meta.table_name
    if "garbage_at" not in {c.name for c in db.get_columns(table)}:
        # plain SQL, as in version 3: the SQLite migrator would rebuild the table
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "garbage_at" '
                       f'DOUBLE PRECISION NOT NULL DEFAULT 0')
        GarbageBlob.update(garbage_at=time.time()).execute()
    if "garbageblob_garbage_at" not in {i.name for i in db.get_indexes(table)}:
        db.execute_sql(f'CREATE INDEX "garbageblob_garbage_at" ON "{table}" ("garbage_at")')
    db.create_tables(V4_MODELS, safe=True)


#: version -> function bringing a database from version-1 to version
STEPS = {1: _create_v1, 2: _multipart_v2, 3: _management_v3, 4: _cluster_v4}


def migrate(db) -> int:
    """Bring ``db`` to CURRENT_VERSION; return the version found before.

    Processes starting together migrate one at a time: the transaction takes SQLite's
    write lock from its first statement (``BEGIN IMMEDIATE``; a deferred one could not
    upgrade to a writer once another process had migrated), and a PostgreSQL advisory
    lock; the second process then finds the schema up to date."""
    with db.atomic("IMMEDIATE") if is_sqlite(db) else db.atomic():
        if is_postgres(db):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.create_tables([SchemaVersion], safe=True)
        row = SchemaVersion.select().first()
        found = row.version if row else 0
        if found > CURRENT_VERSION:
            raise RuntimeError(
                f"database schema version {found} is newer than this ramod ({CURRENT_VERSION})")
        for version in range(found + 1, CURRENT_VERSION + 1):
            STEPS[version](db)
        if row is None:
            SchemaVersion.create(version=CURRENT_VERSION)
        elif found != CURRENT_VERSION:
            SchemaVersion.update(version=CURRENT_VERSION).execute()
    return found
