"""GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl (always private to the owner)
and the tagging operations of buckets and objects."""

from ramod.protocol import errors
from ramod.s3 import acl, tagging
from ramod.s3.buckets import owner_id
from ramod.s3.response import Response


def _owner(ctx) -> tuple:
    return owner_id(ctx.bucket.owner_name), ctx.bucket.owner_name


async def _existing_object(app, ctx):
    info = await app.store.get_object(ctx.bucket, ctx.endpoint.key)
    if info is None:
        raise errors.NoSuchKey(resource=ctx.resource, Key=ctx.endpoint.key)
    return info


# -- ACLs -------------------------------------------------------------------------------------

async def handle_get_bucket_acl(app, ctx, body) -> Response:
    return Response.xml(acl.acl_document(*_owner(ctx)))


async def handle_put_bucket_acl(app, ctx, body: bytes) -> Response:
    acl.check_put_acl(ctx.head.headers, body, _owner(ctx)[0])
    return Response(200)


async def handle_get_object_acl(app, ctx, body) -> Response:
    await _existing_object(app, ctx)
    return Response.xml(acl.acl_document(*_owner(ctx)))


async def handle_put_object_acl(app, ctx, body: bytes) -> Response:
    await _existing_object(app, ctx)
    acl.check_put_acl(ctx.head.headers, body, _owner(ctx)[0], is_object=True)
    return Response(200)


# -- tagging ----------------------------------------------------------------------------------

async def handle_get_object_tagging(app, ctx, body) -> Response:
    info = await _existing_object(app, ctx)
    return Response.xml(tagging.tagging_document(info.tags or {}))


async def handle_put_object_tagging(app, ctx, body: bytes) -> Response:
    tags = tagging.parse_tagging_document(body)
    tagging.validate_tags(tags, tagging.OBJECT_TAG_LIMIT)
    if not await app.store.set_object_tags(ctx.bucket, ctx.endpoint.key, tags or None):
        raise errors.NoSuchKey(resource=ctx.resource, Key=ctx.endpoint.key)
    return Response(200)


async def handle_delete_object_tagging(app, ctx, body) -> Response:
    if not await app.store.set_object_tags(ctx.bucket, ctx.endpoint.key, None):
        raise errors.NoSuchKey(resource=ctx.resource, Key=ctx.endpoint.key)
    return Response(204)


async def handle_get_bucket_tagging(app, ctx, body) -> Response:
    tags = await app.store.get_bucket_tags(ctx.bucket)
    if not tags:
        raise errors.NoSuchTagSet(resource=ctx.resource, BucketName=ctx.bucket.name)
    return Response.xml(tagging.tagging_document(tags))


async def handle_put_bucket_tagging(app, ctx, body: bytes) -> Response:
    tags = tagging.parse_tagging_document(body)
    tagging.validate_tags(tags, tagging.BUCKET_TAG_LIMIT)
    await app.store.set_bucket_tags(ctx.bucket, tags or None)
    return Response(204)


async def handle_delete_bucket_tagging(app, ctx, body) -> Response:
    await app.store.set_bucket_tags(ctx.bucket, None)
    return Response(204)
