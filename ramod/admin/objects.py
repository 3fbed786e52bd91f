"""Handlers of /buckets/{bucket}/objects: listing, details and deletion."""

from ramod.admin import errors, fields, views
from ramod.metadata import errors as meta
from ramod.s3 import listing

MAX_BATCH = 1000


async def object_page(api, bucket, query: dict) -> dict:
    """One page of the bucket's keys (``prefix``, ``delimiter``, ``limit``, ``cursor``)."""
    limit = fields.limit(query)
    after = fields.decode_cursor(query) or ""
    if not isinstance(after, str):
        raise errors.InvalidRequest("cursor is not one this server made.")
    prefix = query.get("prefix", "")
    page = await api.store.list_objects(bucket, listing.paginate, prefix,
                                        query.get("delimiter") or None, after, limit)
    cursor = fields.encode_cursor(page.next_marker) if page.truncated else None
    return views.object_page(page, cursor)


async def list_objects(api, req):
    return 200, await object_page(api, await api.bucket(req.params["bucket"]), req.query)


async def get_object(api, req):
    bucket = await api.bucket(req.params["bucket"])
    info = await api.store.get_object(bucket, req.params["key"])
    if info is None:
        raise errors.NoSuchKey(f"There is no object {req.params['key']!r} in {bucket.name!r}.")
    return 200, views.object_detail(info, lambda blob_id: str(api.blobs.blob_path(blob_id)))


async def delete_object(api, req):
    bucket = await api.bucket(req.params["bucket"])
    key = req.params["key"]
    deleted, missing, garbage = await _delete(api, bucket, [key])
    if missing:
        raise errors.NoSuchKey(f"There is no object {key!r} in {bucket.name!r}.")
    return 204, None


async def delete_objects(api, req):
    body = req.json()
    keys = body.string_list("keys", low=1, high=MAX_BATCH)
    body.done()
    bucket = await api.bucket(req.params["bucket"])
    deleted, missing, _ = await _delete(api, bucket, list(dict.fromkeys(keys)))
    return 200, {"deleted": deleted, "errors": [
        {"key": key, "error": "no_such_key", "message": f"There is no object {key!r}."}
        for key in missing]}


async def _delete(api, bucket, keys: list):
    try:
        deleted, missing, garbage = await api.store.delete_keys(bucket, keys)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(f"There is no bucket named {bucket.name!r}.")
    return deleted, missing, garbage
