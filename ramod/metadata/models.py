"""peewee models: credentials, buckets, objects and the blobs holding their data.

Blobs are reference counted so that later features (copies, multipart parts served
in place) can share data; a blob whose last reference goes is queued in
``GarbageBlob`` inside the same transaction, and its file is removed after commit.
"""

from peewee import (BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField,
                    IntegerField, Model, TextField)

from ramod.metadata.db import database_proxy


class BaseModel(Model):
    class Meta:
        database = database_proxy


class SchemaVersion(BaseModel):
    """One row: the schema version this database was migrated to."""

    version = IntegerField()


class Credential(BaseModel):
    """An access key pair belonging to a user."""

    user_name = CharField(max_length=128)
    access_key = CharField(max_length=128, unique=True)
    secret_key = CharField(max_length=128)
    is_active = BooleanField(default=True)
    is_root = BooleanField(default=False)
    created_at = DateTimeField()


class Bucket(BaseModel):
    """A bucket and its owning credential."""

    name = CharField(max_length=63, unique=True)
    owner = ForeignKeyField(Credential, backref="buckets", on_delete="RESTRICT")
    region = CharField(max_length=64)
    created_at = DateTimeField()


class Blob(BaseModel):
    """A file of object data under ``<data>/blobs``, shared by ``refcount`` objects."""

    blob_id = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()
    refcount = IntegerField(default=1)


class Object(BaseModel):
    """The current version of a key in a bucket."""

    bucket = ForeignKeyField(Bucket, backref="objects", on_delete="CASCADE")
    key = TextField()
    blob = ForeignKeyField(Blob, on_delete="RESTRICT")
    size = BigIntegerField()
    etag = CharField(max_length=80)
    last_modified = DateTimeField()
    content_type = TextField(null=True)
    #: JSON: stored response headers (Content-Encoding, Cache-Control, ...) and x-amz-meta-*
    headers = TextField(default="{}")
    #: JSON: {"CRC32": "base64", ...}
    checksums = TextField(default="{}")
    storage_class = CharField(max_length=32, default="STANDARD")

    class Meta:
        indexes = ((("bucket", "key"), True),)


class GarbageBlob(BaseModel):
    """A blob no object references any more; its file is removed by the sweeper."""

    blob_id = CharField(max_length=64, primary_key=True)


ALL_MODELS = [SchemaVersion, Credential, Bucket, Blob, Object, GarbageBlob]
