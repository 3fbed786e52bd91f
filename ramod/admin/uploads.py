"""Handlers of /buckets/{bucket}/multipart-uploads: uploads in progress, and aborting them."""

from ramod.admin import errors, fields, views
from ramod.metadata import errors as meta


async def list_uploads(api, req):
    bucket = await api.bucket(req.params["bucket"])
    limit = fields.limit(req.query)
    after = fields.decode_cursor(req.query)
    if after is not None and not (isinstance(after, list) and len(after) == 2
                                  and isinstance(after[0], str) and isinstance(after[1], int)):
        raise errors.InvalidRequest("cursor is not one this server made.")
    found = await api.store.upload_summaries(bucket, req.query.get("prefix", ""),
                                             None if after is None else tuple(after), limit + 1)
    cursor = None
    if len(found) > limit:
        last = found[limit - 1].upload
        cursor = fields.encode_cursor([last.key, last.id])
    return 200, views.page([views.upload(u) for u in found[:limit]], cursor)


async def _found(api, req):
    bucket = await api.bucket(req.params["bucket"])
    summary = await api.store.upload_by_id(bucket, req.params["upload_id"])
    if summary is None:
        raise errors.NoSuchUpload(
            f"There is no multipart upload {req.params['upload_id']!r} in progress in {bucket.name!r}.")
    return bucket, summary


async def get_upload(api, req):
    _, summary = await _found(api, req)
    return 200, views.upload(summary)


async def abort_upload(api, req):
    bucket, summary = await _found(api, req)
    try:
        await api.store.abort_upload(bucket, summary.upload.key, summary.upload.upload_id)
    except meta.UploadMissing:
        raise errors.NoSuchUpload(f"The upload {summary.upload.upload_id!r} is no longer in progress.")
    return 204, None
