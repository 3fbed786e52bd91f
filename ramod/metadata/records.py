"""What the metadata store hands out: frozen dataclasses, never models or queries,
so nothing lazy escapes the database thread."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class CredentialInfo:
    id: int
    user_name: str
    access_key: str
    secret_key: str
    is_active: bool
    is_root: bool
    #: S3 requests per second allowed, None for no limit
    rate_limit: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner_id: int
    owner_name: str
    region: str
    created_at: datetime
    id: int = 0
    object_count: int = 0
    object_bytes: int = 0
    #: bytes of the parts of uploads in progress
    upload_bytes: int = 0
    quota_bytes: int | None = None

    @property
    def used_bytes(self) -> int:
        """What counts against the quota: objects plus parts of uploads in progress."""
        return self.object_bytes + self.upload_bytes


@dataclass(frozen=True)
class PartInfo:
    """One part of a multipart object or upload and the blob that holds its bytes."""

    number: int
    blob_id: str
    size: int
    etag: str
    checksums: dict = field(default_factory=dict)
    #: where the part starts in the completed object (0 for parts of an upload)
    offset: int = 0
    last_modified: datetime | None = None


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    #: the single blob of a simple object; None for a multipart object (see ``parts``)
    blob_id: str | None
    size: int
    etag: str
    last_modified: datetime
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    checksums: dict = field(default_factory=dict)
    storage_class: str = "STANDARD"
    part_count: int | None = None
    tags: dict | None = None
    #: multipart objects: the parts in order
    parts: tuple = ()
    #: when the key was first written (None where not read)
    created_at: datetime | None = None

    @property
    def segments(self) -> list:
        """``(blob_id, size)`` of the pieces the object's bytes are made of, in order."""
        if self.blob_id is not None:
            return [(self.blob_id, self.size)]
        return [(p.blob_id, p.size) for p in self.parts]


@dataclass(frozen=True)
class NewObject:
    """What a write stores: its data (one blob, or parts) and the object's attributes."""

    blob_id: str | None
    size: int
    etag: str
    content_type: str | None
    headers: dict
    checksums: dict
    storage_class: str = "STANDARD"
    tags: dict | None = None
    parts: tuple = ()


@dataclass(frozen=True)
class ListEntry:
    """An object as a listing shows it."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    storage_class: str
    checksums: dict


@dataclass(frozen=True)
class UploadInfo:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    initiator: str
    initiated_at: datetime
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    storage_class: str = "STANDARD"
    tags: dict | None = None
    id: int = 0


@dataclass(frozen=True)
class UploadSummary:
    """An upload in progress with what its parts add up to (management API)."""

    upload: UploadInfo
    part_count: int
    total_size: int


@dataclass(frozen=True)
class PresignedUrlInfo:
    """A presigned URL made by the management API."""

    id: int
    url: str
    bucket_name: str
    object_key: str
    method: str
    access_key: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Stats:
    """Figures for the whole server."""

    credentials: int
    buckets: int
    objects: int
    total_storage: int
    active_multipart_uploads: int
    active_presigned_urls: int


def successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix``.

    Code point order, which for str equals S3's UTF-8 byte order.  None for ``""``
    and for prefixes made only of U+10FFFF, which nothing follows.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code == 0xD800:
            code = 0xE000  # surrogates are not characters
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


def starts_with(field, prefix: str):
    """``field`` begins with ``prefix``, compared by bytes: a range, not LIKE (whose ``%``
    and ``_`` are wildcards and which ignores case on SQLite); uses the column's index."""
    cond = field >= prefix
    upper = successor(prefix)
    return cond if upper is None else cond & (field < upper)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(dt) -> datetime:
    """A UTC datetime from a model value or a raw SQLite/PostgreSQL column."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def load_json(text) -> dict | None:
    return None if text is None else json.loads(text)


def dump_json(value) -> str | None:
    return None if value is None else json.dumps(value)
