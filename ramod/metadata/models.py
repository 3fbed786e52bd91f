"""peewee models: credentials, buckets, objects and the blobs holding their data.

Blobs are reference counted so that later features (copies, multipart parts served
in place) can share data; a blob whose last reference goes is queued in
``GarbageBlob`` inside the same transaction, with the time, and the garbage sweep
removes its file once the grace period has passed.  ``Lease``, ``RateBucket`` and
``QuotaReservation`` hold what the processes of a cluster share.
"""

from peewee import (BigIntegerField, BooleanField, CharField, DateTimeField, DoubleField,
                    FloatField, ForeignKeyField, IntegerField, Model, TextField)

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
    #: S3 requests per second this key may send; None for no limit
    rate_limit = FloatField(null=True)


class Bucket(BaseModel):
    """A bucket and its owning credential."""

    name = CharField(max_length=63, unique=True)
    owner = ForeignKeyField(Credential, backref="buckets", on_delete="RESTRICT")
    region = CharField(max_length=64)
    created_at = DateTimeField()
    #: JSON {"key": "value"} of the bucket's tags, None for none
    tags = TextField(null=True)
    #: kept up to date in every transaction that adds, replaces or removes objects or parts
    object_count = BigIntegerField(default=0)
    object_bytes = BigIntegerField(default=0)
    #: bytes of the parts of multipart uploads in progress
    upload_bytes = BigIntegerField(default=0)
    #: most bytes (objects + parts in progress) the bucket may hold; None for no limit
    quota_bytes = BigIntegerField(null=True)


class Blob(BaseModel):
    """A file of object data under ``<data>/blobs``, shared by ``refcount`` objects."""

    blob_id = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()
    refcount = IntegerField(default=1)


class Object(BaseModel):
    """The current version of a key in a bucket.

    A simple object's data is one blob; a multipart object's (``blob`` None) is its
    parts' blobs in part order, listed in ``ObjectPart``.
    """

    bucket = ForeignKeyField(Bucket, backref="objects", on_delete="CASCADE")
    #: compared by UTF-8 bytes (SQLite's BINARY collation; COLLATE "C" on PostgreSQL)
    key = TextField()
    blob = ForeignKeyField(Blob, null=True, on_delete="RESTRICT")
    size = BigIntegerField()
    etag = CharField(max_length=80)
    last_modified = DateTimeField()
    content_type = TextField(null=True)
    #: JSON: stored response headers (Content-Encoding, Cache-Control, ...) and x-amz-meta-*
    headers = TextField(default="{}")
    #: JSON: {"CRC32": "base64", ...}
    checksums = TextField(default="{}")
    storage_class = CharField(max_length=32, default="STANDARD")
    #: multipart objects: how many parts (None for a simple object)
    part_count = IntegerField(null=True)
    #: JSON {"key": "value"} of the object's tags, None for none
    tags = TextField(null=True)
    #: when the key was first written (overwrites keep it; ``last_modified`` moves)
    created_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("bucket", "key"), True),)


class ObjectPart(BaseModel):
    """One part of a multipart object, served in place from the blob it was uploaded to."""

    object = ForeignKeyField(Object, backref="parts", on_delete="CASCADE")
    part_number = IntegerField()
    blob = ForeignKeyField(Blob, on_delete="RESTRICT")
    #: where the part starts in the object
    offset = BigIntegerField()
    size = BigIntegerField()
    etag = CharField(max_length=80)
    checksums = TextField(default="{}")

    class Meta:
        indexes = ((("object", "part_number"), True),)


class Upload(BaseModel):
    """A multipart upload in progress: what the object will be once completed."""

    upload_id = CharField(max_length=64, unique=True)
    bucket = ForeignKeyField(Bucket, backref="uploads", on_delete="CASCADE")
    key = TextField()
    initiator = CharField(max_length=128)
    initiated_at = DateTimeField()
    content_type = TextField(null=True)
    headers = TextField(default="{}")
    checksum_algorithm = CharField(max_length=16, null=True)
    checksum_type = CharField(max_length=16, null=True)
    storage_class = CharField(max_length=32, default="STANDARD")
    tags = TextField(null=True)
    #: set once completed: the row stays a while so that a retried Complete (whose first
    #: answer the client never got) is answered with success again
    completed_at = DateTimeField(null=True)
    completed_etag = CharField(max_length=80, null=True)

    class Meta:
        indexes = ((("bucket", "key"), False),)


class UploadPart(BaseModel):
    """A part uploaded to a multipart upload; uploading its number again replaces it."""

    upload = ForeignKeyField(Upload, backref="parts", on_delete="CASCADE")
    part_number = IntegerField()
    blob = ForeignKeyField(Blob, on_delete="RESTRICT")
    size = BigIntegerField()
    etag = CharField(max_length=80)
    checksums = TextField(default="{}")
    last_modified = DateTimeField()

    class Meta:
        indexes = ((("upload", "part_number"), True),)


class GarbageBlob(BaseModel):
    """A blob no object references any more; its file is removed by the sweeper once it
    has been garbage for ``--garbage-grace`` seconds (a GET on any process that read the
    object before may still be reading it)."""

    blob_id = CharField(max_length=64, primary_key=True)
    #: when it became garbage (Unix time of the transaction that dropped its last reference)
    garbage_at = DoubleField(default=0, index=True)


class PresignedUrl(BaseModel):
    """A presigned URL made by the management API; revoking it makes S3 refuse it.

    Recognised by the SHA-256 of its signature (URLs made elsewhere have no row)."""

    credential = ForeignKeyField(Credential, backref="presigned_urls", on_delete="CASCADE")
    signature_hash = CharField(max_length=64, unique=True)
    url = TextField()
    bucket_name = CharField(max_length=63)
    object_key = TextField()
    method = CharField(max_length=8)
    created_at = DateTimeField()
    expires_at = DateTimeField(index=True)
    revoked_at = DateTimeField(null=True)


class Lease(BaseModel):
    """A job only one process of the cluster runs at a time (the garbage sweep): held by
    ``holder`` until ``expires_at`` (Unix time), renewed by it, taken over once expired."""

    name = CharField(max_length=64, primary_key=True)
    #: the holding process's name (``node`` or ``node/worker``)
    holder = CharField(max_length=160)
    expires_at = DoubleField()


class RateBucket(BaseModel):
    """The token bucket of an access key with a rate limit, shared by every process."""

    credential = ForeignKeyField(Credential, primary_key=True, on_delete="CASCADE")
    tokens = DoubleField()
    #: Unix time the tokens were counted at
    updated_at = DoubleField()


class QuotaReservation(BaseModel):
    """Room an upload in flight holds in its bucket's quota, admitted before its body was
    read; deleted when the request ends, ignored (and reclaimed) once expired."""

    bucket = ForeignKeyField(Bucket, on_delete="CASCADE")
    size = BigIntegerField()
    #: the process serving the upload (``node`` or ``node/worker``)
    holder = CharField(max_length=160)
    #: Unix time; the holder renews it while the upload goes on
    expires_at = DoubleField(index=True)

    class Meta:
        indexes = ((("bucket", "expires_at"), False),)


#: the tables of schema version 1, as it was created
V1_MODELS = [SchemaVersion, Credential, Bucket, Blob, Object, GarbageBlob]
#: tables added by schema version 2 (multipart uploads and objects served from parts)
V2_MODELS = [ObjectPart, Upload, UploadPart]
#: tables added by schema version 3 (management API)
V3_MODELS = [PresignedUrl]
#: tables added by schema version 4 (several processes and gateways on one database)
V4_MODELS = [Lease, RateBucket, QuotaReservation]
ALL_MODELS = V1_MODELS + V2_MODELS + V3_MODELS + V4_MODELS
