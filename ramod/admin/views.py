"""JSON shapes of the management API, built from the metadata store's records."""

from ramod.protocol.dates import iso8601_seconds
from ramoclient.human import human_bytes


def _text(value: str) -> str:
    """A stored header value (its bytes as latin-1 characters) as the UTF-8 text it holds."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


def time(moment) -> str | None:
    return None if moment is None else iso8601_seconds(moment)


def sized(name: str, size: int | None) -> dict:
    """``{name: size, name_human: "1.0 GB"}`` (both None for None)."""
    return {name: size, f"{name}_human": None if size is None else human_bytes(size)}


def credential(info, secret: bool = False) -> dict:
    body = {"id": info.id, "user_name": info.user_name, "access_key": info.access_key,
            "is_active": info.is_active, "is_root": info.is_root, "rate_limit": info.rate_limit,
            "created_at": time(info.created_at)}
    if secret:
        body["secret_key"] = info.secret_key
    return body


def bucket(info) -> dict:
    return {"name": info.name, "region": info.region, "owner_id": info.owner_id,
            "owner_name": info.owner_name, "created_at": time(info.created_at),
            "object_count": info.object_count, **sized("total_size", info.object_bytes),
            **sized("multipart_size", info.upload_bytes), **sized("quota_bytes", info.quota_bytes)}


def bucket_usage(info) -> dict:
    return {"name": info.name, "object_count": info.object_count,
            **sized("total_size", info.object_bytes)}


def object_summary(entry) -> dict:
    return {"key": entry.key, **sized("size", entry.size), "etag": entry.etag,
            "last_modified": time(entry.last_modified), "storage_class": entry.storage_class,
            "is_multipart": "-" in entry.etag}


def object_page(page, next_cursor) -> dict:
    return {"items": [object_summary(e) for e in page.contents],
            "common_prefixes": list(page.common_prefixes), "next_cursor": next_cursor}


def object_detail(info, blob_path) -> dict:
    metadata = {k[len("x-amz-meta-"):]: _text(v) for k, v in info.headers.items()
                if k.lower().startswith("x-amz-meta-")}
    headers = {k: _text(v) for k, v in info.headers.items()
               if not k.lower().startswith("x-amz-meta-")}
    return {"key": info.key, **sized("size", info.size), "content_type": info.content_type,
            "etag": info.etag, "is_multipart": info.blob_id is None,
            "part_count": info.part_count, "metadata": metadata, "headers": headers,
            "checksums": dict(info.checksums), "tags": dict(info.tags or {}),
            "storage_class": info.storage_class,
            "storage_path": None if info.blob_id is None else blob_path(info.blob_id),
            "parts": [{"part_number": p.number, "size": p.size, "etag": p.etag,
                       "storage_path": blob_path(p.blob_id)} for p in info.parts],
            "created_at": time(info.created_at or info.last_modified),
            "updated_at": time(info.last_modified)}


def upload(summary) -> dict:
    u = summary.upload
    return {"upload_id": u.upload_id, "object_key": u.key, "initiated_by": u.initiator,
            "content_type": u.content_type, "initiated_at": time(u.initiated_at),
            "part_count": summary.part_count, **sized("total_size", summary.total_size)}


def presigned_url(info, now) -> dict:
    return {"id": info.id, "url": info.url, "bucket_name": info.bucket_name,
            "object_key": info.object_key, "method": info.method, "access_key": info.access_key,
            "created_at": time(info.created_at), "expires_at": time(info.expires_at),
            "revoked_at": time(info.revoked_at), "is_active": info.is_active(now)}


def stats(figures) -> dict:
    return {"credentials": figures.credentials, "buckets": figures.buckets,
            "objects": figures.objects, **sized("total_storage", figures.total_storage),
            "active_multipart_uploads": figures.active_multipart_uploads,
            "active_presigned_urls": figures.active_presigned_urls}


def page(items: list, next_cursor) -> dict:
    return {"items": items, "next_cursor": next_cursor}
