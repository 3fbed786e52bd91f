"""Handlers of /buckets and /stats."""

from ramod.admin import errors, fields, views
from ramod.admin.objects import object_page
from ramod.metadata import errors as meta
from ramod.metadata.admin_queries import UNSET
from ramod.protocol import errors as s3errors
from ramod.s3.buckets import validate_bucket_name

MAX_QUOTA = 2**62


async def get_stats(api, req):
    return 200, views.stats(await api.store.stats(api.now()))


async def list_buckets(api, req):
    limit = fields.limit(req.query)
    after = fields.decode_cursor(req.query) or ""
    if not isinstance(after, str):
        raise errors.InvalidRequest("cursor is not one this server made.")
    owner = fields.int_param(req.query, "owner_id")
    try:
        found = await api.store.list_buckets_of(owner, req.query.get("prefix", ""), after,
                                                limit + 1)
    except meta.CredentialMissing:
        raise errors.NoSuchCredential(f"There is no credential with id {owner}.")
    cursor = fields.encode_cursor(found[limit - 1].name) if len(found) > limit else None
    return 200, views.page([views.bucket(b) for b in found[:limit]], cursor)


async def create_bucket(api, req):
    body = req.json()
    name = body.string("name", required=True)
    owner_id = body.integer("owner_id", low=1, high=fields.MAX_INT)
    region = body.string("region", default=api.config.region)
    quota = body.integer("quota_bytes", low=0, high=MAX_QUOTA, nullable=True)
    body.done()
    try:
        validate_bucket_name(name)
    except s3errors.S3Error as e:
        raise errors.InvalidBucketName(e.message)
    if region != api.config.region:
        raise errors.InvalidRequest(
            f"This server serves the region {api.config.region!r}; a bucket can't be in {region!r}.")
    owner = await (api.store.credential_by_id(owner_id) if owner_id is not None
                   else api.root_credential())
    if owner is None:
        raise errors.NoSuchCredential(f"There is no credential with id {owner_id}.")
    try:
        await api.store.create_bucket(name, owner.id, region)
    except meta.BucketTaken:
        raise errors.BucketAlreadyExists(f"A bucket named {name!r} already exists.")
    info = await api.store.update_bucket(name, quota_bytes=quota) if quota is not None else (
        await api.store.get_bucket(name))
    return 201, views.bucket(info)


async def get_bucket(api, req):
    info = await api.bucket(req.params["bucket"])
    return 200, {**views.bucket(info), "objects": await object_page(api, info, req.query)}


async def update_bucket(api, req):
    body = req.json()
    quota = body.integer("quota_bytes", low=0, high=MAX_QUOTA, nullable=True, missing=UNSET)
    owner = body.integer("owner_id", low=1, high=fields.MAX_INT, missing=UNSET)
    body.done()
    name = req.params["bucket"]
    try:
        info = await api.store.update_bucket(name, quota_bytes=quota, owner_id=owner)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(f"There is no bucket named {name!r}.")
    except meta.CredentialMissing:
        raise errors.NoSuchCredential(f"There is no credential with id {owner}.")
    return 200, views.bucket(info)


async def delete_bucket(api, req):
    name = req.params["bucket"]
    force = fields.bool_param(req.query, "force")
    info = await api.bucket(name)
    if force:
        await api.empty_bucket(info)
    elif await api.store.upload_summaries(info, "", None, 1):
        raise errors.BucketNotEmpty(
            f"The bucket {name!r} has multipart uploads in progress; abort them first or pass "
            f"force=true.")
    try:
        await api.store.delete_bucket(name)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(f"There is no bucket named {name!r}.")
    except meta.BucketHasObjects:
        raise errors.BucketNotEmpty(
            f"The bucket {name!r} holds objects; delete them first or pass force=true.")
    return 204, None
