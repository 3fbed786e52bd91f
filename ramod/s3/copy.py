"""CopyObject: a new key sharing the source's blobs (no data moves, whatever the size)."""

from ramod.metadata import errors as meta
from ramod.metadata.records import NewObject
from ramod.protocol import errors
from ramod.s3.buckets import check_access
from ramod.s3.copy_source import (check_copy_conditions, check_copy_onto_itself,
                                  copy_object_result, metadata_directive, parse_copy_source,
                                  tagging_directive)
from ramod.s3.objects import (check_put_headers, checksum_headers, request_tags, stored_headers,
                              write_preconditions)
from ramod.s3.response import Response
from ramod.storage.ingest import Ingest


async def source_bucket(app, ctx, name: str):
    """The copy source's bucket, which the caller must be allowed to read."""
    if ctx.bucket is not None and name == ctx.bucket.name:
        return ctx.bucket
    bucket = await app.store.get_bucket(name)
    if bucket is None:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=name)
    check_access(ctx.credential, bucket, ctx.resource)
    return bucket


async def resolve_source(app, ctx, source):
    """The ObjectInfo the parsed ``x-amz-copy-source`` names (NoSuchBucket / NoSuchKey if
    absent)."""
    bucket = await source_bucket(app, ctx, source.bucket)
    info = await app.store.get_object(bucket, source.key)
    if info is None:
        raise errors.NoSuchKey(resource=ctx.resource, Key=source.key)
    return info


async def handle_copy_object(app, ctx, body) -> Response:
    headers = ctx.head.headers
    source = parse_copy_source(headers["x-amz-copy-source"])
    check_put_headers(headers)
    directive = metadata_directive(headers)
    copy_tags = tagging_directive(headers) == "COPY"
    check_copy_onto_itself(source, ctx.bucket.name, ctx.endpoint.key, headers)
    if "x-amz-checksum-algorithm" in headers:
        raise errors.NotImplemented(
            "Copying with a new checksum algorithm is not supported: the copy keeps the "
            "source's checksums.")
    new_tags = None if copy_tags else request_tags(headers)
    src_bucket = await source_bucket(app, ctx, source.bucket)

    def make_new(src) -> NewObject:
        """(database thread) the copy's attributes, from the source as it is now."""
        if src is None:
            raise errors.NoSuchKey(resource=ctx.resource, Key=source.key)
        check_copy_conditions(headers, src.etag, src.last_modified)
        if directive == "COPY":
            content_type, stored = src.content_type, src.headers
        else:
            content_type, stored = headers.get("content-type"), stored_headers(headers)
        return NewObject(src.blob_id, src.size, src.etag, content_type, stored, src.checksums,
                         headers.get("x-amz-storage-class", "STANDARD"),
                         src.tags if copy_tags else new_tags, src.parts)
    try:
        async with Ingest(app.pools, app.blobs) as ingest:  # no new data: metadata only
            info, _ = await ingest.record(app.store.copy_object, src_bucket, source.key, ctx.bucket,
                                          ctx.endpoint.key, make_new, write_preconditions(headers))
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.bucket.name)
    response = Response.xml(copy_object_result(info.etag, info.last_modified, info.checksums))
    response.headers.update(checksum_headers(info.checksums))
    return response
