"""Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts and
ListMultipartUploads.

Parts are committed blobs like any PUT body.  Complete copies no data: the object is
served from its parts in place (``ObjectPart`` rows), so completing 5 GiB takes one
metadata transaction.
"""

from dataclasses import replace

from ramod.metadata import errors as meta
from ramod.metadata.records import NewObject, PartInfo, UploadInfo
from ramod.s3 import parts
from ramod.protocol import checksums, errors
from ramod.s3.buckets import owner_id
from ramod.s3.copy_source import (check_copy_conditions, copy_part_result, parse_copy_range,
                                  parse_copy_source)
from ramod.s3.copy import resolve_source
from ramod.s3.listing import common_prefix
from ramod.s3.objects import (check_put_headers, checksum_headers, request_tags, stored_headers,
                              write_preconditions)
from ramod.protocol.payload import verify_digests
from ramod.s3.response import Response
from ramod.storage.copying import copy_range
from ramod.storage.ingest import Ingest


def _no_such_upload(ctx) -> errors.S3Error:
    return errors.NoSuchUpload(resource=ctx.resource, UploadId=ctx.endpoint.upload_id)


async def handle_create_multipart_upload(app, ctx, body) -> Response:
    headers = ctx.head.headers
    check_put_headers(headers)
    algorithm = headers.get("x-amz-checksum-algorithm")
    algorithm = checksums.parse_algorithm(algorithm) if algorithm else None
    checksum_type = parts.parse_checksum_type(headers.get("x-amz-checksum-type"), algorithm)
    tags = request_tags(headers)
    info = UploadInfo(parts.new_upload_id(), ctx.bucket.name, ctx.endpoint.key,
                      ctx.credential.user_name, app.now(), headers.get("content-type"),
                      stored_headers(headers), algorithm, checksum_type if algorithm else None,
                      headers.get("x-amz-storage-class", "STANDARD"), tags)
    try:
        await app.store.create_upload(ctx.bucket, info)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.bucket.name)
    response = Response.xml(parts.initiate_document(ctx.bucket.name, info.key, info.upload_id))
    if algorithm:
        response.headers["x-amz-checksum-algorithm"] = algorithm
        response.headers["x-amz-checksum-type"] = checksum_type
    return response


async def check_upload(app, ctx):
    """Before an UploadPart's body is read: the upload must exist; the part is checksummed
    with the upload's algorithm.  Returns the payload spec to read the body with."""
    upload = await app.store.get_upload(ctx.bucket, ctx.endpoint.key, ctx.endpoint.upload_id)
    if upload is None:
        raise _no_such_upload(ctx)
    return _part_payload(ctx.payload, upload.checksum_algorithm)


def _part_payload(payload, algorithm):
    if algorithm is None or payload.checksum_algorithm == algorithm:
        return payload
    if payload.checksum_algorithm is None:
        return replace(payload, checksum_algorithm=algorithm)
    raise errors.InvalidRequest(
        f"Checksum Type mismatch occurred, expected checksum Type: {algorithm.lower()}, "
        f"actual checksum Type: {payload.checksum_algorithm.lower()}")


async def handle_upload_part(app, ctx, body: Ingest) -> Response:
    number = ctx.endpoint.part_number
    computed = verify_digests(ctx.payload, body.digests)
    etag = '"%s"' % body.digests.md5.hex()
    part = PartInfo(number, body.blob_id, body.digests.size, etag, computed)
    try:
        await body.record(app.store.put_part, ctx.bucket, ctx.endpoint.key, ctx.endpoint.upload_id,
                          part, new_blob=True)
    except meta.UploadMissing:
        raise _no_such_upload(ctx)
    return Response(200, {"ETag": etag, **checksum_headers(computed)})


async def handle_upload_part_copy(app, ctx, body) -> Response:
    """A part copied from (a range of) an existing object: a whole simple object is
    shared, not copied; a range is copied into a new blob in the I/O pool."""
    headers = ctx.head.headers
    number = ctx.endpoint.part_number
    upload = await app.store.get_upload(ctx.bucket, ctx.endpoint.key, ctx.endpoint.upload_id)
    if upload is None:
        raise _no_such_upload(ctx)
    algorithm = upload.checksum_algorithm
    copy_source = parse_copy_source(headers["x-amz-copy-source"], part_copy=True)
    for _ in range(5):
        source = await resolve_source(app, ctx, copy_source)
        check_copy_conditions(headers, source.etag, source.last_modified)
        first_last = parse_copy_range(headers.get("x-amz-copy-source-range"), source.size)
        shared = (first_last is None and source.blob_id is not None
                  and (algorithm is None or algorithm in source.checksums))
        if shared:
            sums = {algorithm: source.checksums[algorithm]} if algorithm else {}
            part = PartInfo(number, source.blob_id, source.size, source.etag, sums)
            try:
                async with Ingest(app.pools, app.blobs) as ingest:  # no new data
                    await ingest.record(app.store.put_part, ctx.bucket, ctx.endpoint.key,
                                        upload.upload_id, part, new_blob=False)
            except meta.BlobMissing:
                continue  # the source was overwritten meanwhile: read it again
            except meta.UploadMissing:
                raise _no_such_upload(ctx)
            return _copy_part_response(part, app.now())
        first, last = first_last if first_last is not None else (0, source.size - 1)
        release = await app.quota.admit(ctx.bucket, last - first + 1, ctx.resource)
        async with Ingest(app.pools, app.blobs, app.blobs.new_staging()) as ingest:
            try:
                md5, checksum = await ingest.commit(copy_range, app.blobs, source.segments, first,
                                                    last - first + 1, algorithm)
            except FileNotFoundError:
                continue  # the source was overwritten meanwhile (the copy is discarded)
            finally:
                if release is not None:
                    release()
            sums = {algorithm: checksum} if algorithm else {}
            part = PartInfo(number, ingest.blob_id, last - first + 1, '"%s"' % md5.hex(), sums)
            try:
                await ingest.record(app.store.put_part, ctx.bucket, ctx.endpoint.key,
                                    upload.upload_id, part, new_blob=True)
            except meta.UploadMissing:
                raise _no_such_upload(ctx)
        return _copy_part_response(part, app.now())
    raise errors.ServiceUnavailable("The copy source is being rewritten too often; retry.")


def _copy_part_response(part: PartInfo, now) -> Response:
    return Response.xml(copy_part_result(part.etag, now, part.checksums))


async def handle_complete_multipart_upload(app, ctx, body: bytes) -> Response:
    requested = parts.parse_complete(body, upload_id=ctx.endpoint.upload_id)
    precondition = write_preconditions(ctx.head.headers)

    def finish(upload: UploadInfo, stored: dict) -> NewObject:
        """(database thread) S3's rules, then the object made of the chosen parts."""
        chosen = parts.check_parts(
            requested, {n: parts.StoredPart(n, p.etag, p.size, p.checksums)
                        for n, p in stored.items()},
            upload_id=upload.upload_id, algorithm=upload.checksum_algorithm,
            checksum_type=upload.checksum_type)
        offset, placed = 0, []
        for c in chosen:
            p = stored[c.number]
            placed.append(PartInfo(p.number, p.blob_id, p.size, p.etag, p.checksums, offset))
            offset += p.size
        sums = {}
        if upload.checksum_algorithm:
            value = parts.object_checksum(upload.checksum_algorithm, upload.checksum_type, chosen)
            if value is not None:
                sums[upload.checksum_algorithm] = value
        return NewObject(None, offset, parts.multipart_etag([p.etag for p in placed]),
                         upload.content_type, upload.headers, sums, upload.storage_class,
                         upload.tags, tuple(placed))
    try:
        info, _ = await app.store.complete_upload(ctx.bucket, ctx.endpoint.key,
                                                        ctx.endpoint.upload_id, finish, precondition)
    except meta.UploadMissing:
        raise _no_such_upload(ctx)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.bucket.name)
    location = f"/{ctx.bucket.name}/{ctx.endpoint.key}"
    checksum_type = None
    for value in info.checksums.values():
        checksum_type = "COMPOSITE" if "-" in value else "FULL_OBJECT"
    return Response.xml(parts.complete_document(location, ctx.bucket.name, info.key, info.etag,
                                                info.checksums, checksum_type))


async def handle_abort_multipart_upload(app, ctx, body) -> Response:
    try:
        await app.store.abort_upload(ctx.bucket, ctx.endpoint.key, ctx.endpoint.upload_id)
    except meta.UploadMissing:
        raise _no_such_upload(ctx)
    return Response(204)


async def handle_list_parts(app, ctx, body) -> Response:
    max_parts, marker = parts.parse_list_parts(ctx.head.query)
    try:
        upload, found = await app.store.list_parts(ctx.bucket, ctx.endpoint.key, ctx.endpoint.upload_id,
                                                   marker, max_parts + 1)
    except meta.UploadMissing:
        raise _no_such_upload(ctx)
    truncated = len(found) > max_parts
    found = found[:max_parts]
    next_marker = found[-1].number if found else None
    initiator = (owner_id(upload.initiator), upload.initiator)
    owner = (owner_id(ctx.bucket.owner_name), ctx.bucket.owner_name)
    return Response.xml(parts.list_parts_document(
        ctx.bucket.name, upload.key, upload.upload_id, initiator, owner, upload.storage_class,
        marker, next_marker, max_parts, truncated, found, upload.checksum_algorithm,
        upload.checksum_type))


UPLOADS_BATCH = 1000


async def handle_list_multipart_uploads(app, ctx, body) -> Response:
    """Uploads in key order, rolled up into common prefixes by the delimiter."""
    params = parts.parse_list_uploads(ctx.head.query)
    key_marker, id_marker = params.key_marker, params.upload_id_marker
    uploads, prefixes, truncated = [], [], False
    owner = (owner_id(ctx.bucket.owner_name), ctx.bucket.owner_name)
    while not truncated:
        batch = await app.store.list_uploads(ctx.bucket, params.prefix, key_marker, id_marker,
                                             UPLOADS_BATCH)
        for upload in batch:
            common = common_prefix(upload.key, params.prefix, params.delimiter)
            if common is not None and (common in prefixes or common <= params.key_marker):
                continue
            if len(uploads) + len(prefixes) == params.max_uploads:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
            else:
                uploads.append(upload)
        if len(batch) < UPLOADS_BATCH:
            break
        key_marker, id_marker = batch[-1].key, batch[-1].upload_id
    next_key = next_id = None
    if truncated:
        last_upload = uploads[-1] if uploads else None
        last_prefix = prefixes[-1] if prefixes else None
        if last_upload is not None and (last_prefix is None or last_upload.key > last_prefix):
            next_key, next_id = last_upload.key, last_upload.upload_id
        else:
            next_key = last_prefix
    rows = [parts.UploadRow(u.key, u.upload_id, (owner_id(u.initiator), u.initiator), owner,
                            u.storage_class, u.initiated_at, u.checksum_algorithm)
            for u in uploads]
    return Response.xml(parts.list_uploads_document(
        ctx.bucket.name, params, rows, prefixes, truncated, next_key, next_id))


