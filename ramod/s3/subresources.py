"""What clients probe and set besides data: ACLs (always private to the owner), tags,
bucket configurations Ramo does not keep, and DeleteObjects."""

from ramod.metadata import errors as meta
from ramod.s3 import acl, bucket_config, tagging
from ramod.protocol import errors
from ramod.s3.buckets import owner_id
from ramod.s3.delete_request import delete_result_document, parse_delete
from ramod.s3.objects import remove_garbage
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


# -- configurations Ramo does not keep ---------------------------------------------------------

async def handle_bucket_config(app, ctx, body: bytes) -> Response:
    status, document = bucket_config.answer(ctx.head.method, ctx.endpoint.subresource, body,
                                            ctx.head.query, bucket=ctx.bucket.name)
    if document is None:
        return Response(status)
    return Response.xml(document, status)


# -- DeleteObjects ----------------------------------------------------------------------------

async def handle_delete_objects(app, ctx, body: bytes) -> Response:
    """Up to 1000 keys in one transaction; a key that does not exist is deleted all the
    same (S3 reports it as Deleted)."""
    quiet, wanted = parse_delete(body)
    deleted, failed, keys = [], [], []
    for key, version in wanted:
        if version is not None and version != "null":
            failed.append((key, "NoSuchVersion", "The specified version does not exist."))
        elif len(key.encode("utf-8")) > 1024:
            failed.append((key, "KeyTooLongError", "Your key is too long."))
        else:
            keys.append(key)
            deleted.append((key, version))
    try:
        garbage = await app.store.delete_objects(ctx.bucket, keys)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.bucket.name)
    remove_garbage(app, garbage)
    return Response.xml(delete_result_document(deleted, failed, quiet))
