"""Handlers of /presigned-urls: share links that can be listed and revoked."""

import secrets
from datetime import timedelta

from ramod.admin import errors, fields, views
from ramod.auth.presign import presign, signature_hash
from ramod.metadata import errors as meta
from ramoclient.limits import MAX_KEY_BYTES, MAX_PRESIGN_SECONDS

METHODS = ("GET", "PUT", "HEAD", "DELETE")
#: a signed query parameter making each link unique (S3 ignores unknown parameters)
LINK_PARAM = "x-ramo-link"


async def create_presigned_url(api, req):
    body = req.json()
    bucket_name = body.string("bucket_name", required=True)
    key = body.string("object_key", required=True)
    method = body.string("method", default="GET")
    expires = body.integer("expires_in", low=1, high=MAX_PRESIGN_SECONDS, default=3600)
    access_key = body.string("access_key")
    body.done()
    if method not in METHODS:
        raise errors.InvalidRequest(f"The field 'method' must be one of {', '.join(METHODS)}.")
    if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES or "\x00" in key:
        raise errors.InvalidRequest(
            f"The field 'object_key' must be 1 to {MAX_KEY_BYTES} bytes of UTF-8.")
    bucket = await api.bucket(bucket_name)
    credential = await api.signing_credential(bucket, access_key)
    now = api.now().replace(microsecond=0)
    made = presign(api.s3_url(), bucket.name, key, method, credential.access_key,
                   credential.secret_key, api.config.region, now, expires,
                   extra=((LINK_PARAM, secrets.token_hex(8)),))
    info = await api.store.add_presigned_url(credential.id, signature_hash(made.signature),
                                             made.url, bucket.name, key, method, now,
                                             now + timedelta(seconds=expires))
    return 201, views.presigned_url(info, api.now())


async def list_presigned_urls(api, req):
    limit = fields.limit(req.query)
    before = fields.decode_cursor(req.query)
    if before is not None and not isinstance(before, int):
        raise errors.InvalidRequest("cursor is not one this server made.")
    now = api.now()
    found = await api.store.list_presigned_urls(now, before, limit + 1,
                                                req.query.get("bucket_name"))
    cursor = fields.encode_cursor(found[limit - 1].id) if len(found) > limit else None
    return 200, views.page([views.presigned_url(u, now) for u in found[:limit]], cursor)


async def get_presigned_url(api, req):
    info = await api.store.get_presigned_url(req.params["id"])
    if info is None:
        raise errors.NoSuchPresignedUrl(f"There is no presigned URL with id {req.params['id']}.")
    return 200, views.presigned_url(info, api.now())


async def revoke_presigned_url(api, req):
    try:
        await api.store.revoke_presigned_url(req.params["id"])
    except meta.PresignedUrlMissing:
        raise errors.NoSuchPresignedUrl(f"There is no presigned URL with id {req.params['id']}.")
    return 204, None
