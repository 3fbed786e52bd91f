-- The schema ramod created at version 1 (SQLite), kept to test upgrading from it.
CREATE TABLE "blob" ("blob_id" VARCHAR(64) NOT NULL PRIMARY KEY, "size" INTEGER NOT NULL, "refcount" INTEGER NOT NULL);
CREATE TABLE "credential" ("id" INTEGER NOT NULL PRIMARY KEY, "user_name" VARCHAR(128) NOT NULL, "access_key" VARCHAR(128) NOT NULL, "secret_key" VARCHAR(128) NOT NULL, "is_active" INTEGER NOT NULL, "is_root" INTEGER NOT NULL, "created_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "credential_access_key" ON "credential" ("access_key");
CREATE TABLE "bucket" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(63) NOT NULL, "owner_id" INTEGER NOT NULL, "region" VARCHAR(64) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("owner_id") REFERENCES "credential" ("id") ON DELETE RESTRICT);
CREATE UNIQUE INDEX "bucket_name" ON "bucket" ("name");
CREATE INDEX "bucket_owner_id" ON "bucket" ("owner_id");
CREATE TABLE "garbageblob" ("blob_id" VARCHAR(64) NOT NULL PRIMARY KEY);
CREATE TABLE "object" ("id" INTEGER NOT NULL PRIMARY KEY, "bucket_id" INTEGER NOT NULL, "key" TEXT NOT NULL, "blob_id" VARCHAR(64) NOT NULL, "size" INTEGER NOT NULL, "etag" VARCHAR(80) NOT NULL, "last_modified" DATETIME NOT NULL, "content_type" TEXT, "headers" TEXT NOT NULL, "checksums" TEXT NOT NULL, "storage_class" VARCHAR(32) NOT NULL, FOREIGN KEY ("bucket_id") REFERENCES "bucket" ("id") ON DELETE CASCADE, FOREIGN KEY ("blob_id") REFERENCES "blob" ("blob_id") ON DELETE RESTRICT);
CREATE INDEX "object_bucket_id" ON "object" ("bucket_id");
CREATE INDEX "object_blob_id" ON "object" ("blob_id");
CREATE UNIQUE INDEX "object_bucket_id_key" ON "object" ("bucket_id", "key");
CREATE TABLE "schemaversion" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL);
