"""DeleteObjects: up to 1000 keys in one metadata transaction."""

from ramoclient.limits import MAX_KEY_BYTES
from ramod.metadata import errors as meta
from ramod.protocol import errors
from ramod.s3.delete_request import delete_result_document, parse_delete
from ramod.s3.response import Response


async def handle_delete_objects(app, ctx, body: bytes) -> Response:
    """A key that does not exist is deleted all the same (S3 reports it as Deleted)."""
    quiet, wanted = parse_delete(body)
    deleted, failed, keys = [], [], []
    for key, version in wanted:
        if version is not None and version != "null":
            failed.append((key, "NoSuchVersion", "The specified version does not exist."))
        elif len(key.encode("utf-8")) > MAX_KEY_BYTES:
            failed.append((key, "KeyTooLongError", "Your key is too long."))
        else:
            keys.append(key)
            deleted.append((key, version))
    try:
        await app.store.delete_objects(ctx.bucket, keys)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.bucket.name)
    return Response.xml(delete_result_document(deleted, failed, quiet))
