"""Object operations: PutObject, GetObject, HeadObject, DeleteObject."""

from ramod.protocol.conditions import check_conditions, etag_matches
from ramod.protocol.dates import http_date
from ramod.protocol.ranges import content_range, parse_range
from ramod.metadata import errors as meta
from ramod.metadata.store import NewObject
from ramod.s3 import tagging
from ramod.protocol import checksums, errors
from ramod.s3.context import NOT_FETCHED
from ramod.protocol.payload import verify_digests
from ramod.s3.response import BlobRange, Response
from ramod.storage.ingest import Ingest
from ramod.storage.reader import READ_SIZE

MAX_USER_METADATA = 2 * 1024
#: headers stored with an object and returned on GET/HEAD, as named on the wire
STORED_HEADERS = ("Content-Encoding", "Content-Disposition", "Content-Language",
                  "Cache-Control", "Expires")
#: response-* query overrides -> the header they replace
OVERRIDES = {"response-content-type": "Content-Type", "response-content-language": "Content-Language",
             "response-expires": "Expires", "response-cache-control": "Cache-Control",
             "response-content-disposition": "Content-Disposition",
             "response-content-encoding": "Content-Encoding"}
STORAGE_CLASSES = {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                   "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS",
                   "SNOW", "EXPRESS_ONEZONE"}
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


def user_metadata(headers: dict) -> dict:
    """The x-amz-meta-* headers, values kept byte for byte.

    Header values reach us as latin-1 text (one character per byte): they are stored
    that way and sent back as the very bytes that came in, whatever encoding the client
    used (UTF-8 from most SDKs).  Readers that want text decode the bytes as UTF-8.
    """
    return {name: value for name, value in headers.items() if name.startswith("x-amz-meta-")}


def check_put_headers(headers: dict) -> None:
    """Checks of a PUT's headers that must refuse it before its body is read."""
    meta_size = sum(len(name) - len("x-amz-meta-") + len(value.encode("latin-1"))
                    for name, value in user_metadata(headers).items())
    if meta_size > MAX_USER_METADATA:
        raise errors.MetadataTooLarge(
            f"Your metadata headers are {meta_size} bytes; the limit is {MAX_USER_METADATA}.",
            Size=str(meta_size), MaxSizeAllowed=str(MAX_USER_METADATA))
    storage_class = headers.get("x-amz-storage-class")
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        raise errors.InvalidStorageClass(
            f"The storage class you specified is not valid: {storage_class}.")
    check_unsupported_headers(headers)
    request_tags(headers)


def request_tags(headers: dict) -> dict | None:
    """The tags ``x-amz-tagging`` asks for (InvalidTag if they break S3's rules)."""
    value = headers.get("x-amz-tagging")
    if value is None:
        return None
    return tagging.parse_tagging_header(value) or None


#: canned ACLs that mean what every object and bucket here already is: private to its owner
PRIVATE_ACLS = ("private", "bucket-owner-full-control")
SSE_HEADERS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm",
               "x-amz-server-side-encryption-aws-kms-key-id")


def check_unsupported_headers(headers: dict) -> None:
    """Refuse (501) what would otherwise be silently ignored: non-private ACLs and
    server-side encryption.  A client asking for them must not believe it got them."""
    acl = headers.get("x-amz-acl")
    if acl is not None and acl not in PRIVATE_ACLS:
        raise errors.NotImplemented(
            f"The canned ACL {acl!r} is not supported: buckets and objects are private.")
    grants = sorted(name for name in headers if name.startswith("x-amz-grant-"))
    if grants:
        raise errors.NotImplemented(
            f"ACL grants ({', '.join(grants)}) are not supported: buckets and objects are private.")
    sse = [name for name in SSE_HEADERS if name in headers]
    if sse:
        raise errors.NotImplemented(
            f"Server-side encryption ({sse[0]}) is not supported: data is stored unencrypted.")


def stored_headers(headers: dict) -> dict:
    stored = {}
    for name in STORED_HEADERS:
        value = headers.get(name.lower())
        if name == "Content-Encoding" and value is not None:
            codings = [c.strip() for c in value.split(",") if c.strip() and c.strip() != "aws-chunked"]
            value = ", ".join(codings) or None
        if value is not None:
            stored[name] = value
    stored.update(user_metadata(headers))
    return stored


def write_preconditions(headers: dict):
    """If-Match / If-None-Match on PUT (conditional writes), checked in the commit transaction."""
    if_match, if_none_match = headers.get("if-match"), headers.get("if-none-match")
    if if_match is None and if_none_match is None:
        return None

    def check(old):
        if if_none_match is not None and old is not None and etag_matches(if_none_match, old.etag):
            raise errors.PreconditionFailed(Condition="If-None-Match")
        if if_match is not None:
            if old is None:
                raise errors.NoSuchKey()
            if not etag_matches(if_match, old.etag):
                raise errors.PreconditionFailed(Condition="If-Match")
    return check


async def handle_put_object(app, ctx, body: Ingest) -> Response:
    """The body is committed; recording it through ``body`` keeps it (any failure before
    discards it)."""
    computed = verify_digests(ctx.payload, body.digests)
    headers = ctx.head.headers
    precondition = write_preconditions(headers)
    etag = '"%s"' % body.digests.md5.hex()
    new = NewObject(blob_id=body.blob_id, size=body.digests.size, etag=etag,
                    content_type=headers.get("content-type"), headers=stored_headers(headers),
                    checksums=computed,
                    storage_class=headers.get("x-amz-storage-class", "STANDARD"),
                    tags=request_tags(headers))
    try:
        info, _ = await body.record(app.store.put_object, ctx.bucket, ctx.endpoint.key, new,
                                    precondition)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.endpoint.bucket)
    return Response(200, {"ETag": info.etag, **checksum_headers(computed)})


def _object_headers(info) -> dict:
    headers = {"ETag": info.etag, "Last-Modified": http_date(info.last_modified),
               "Accept-Ranges": "bytes", "Content-Type": info.content_type or DEFAULT_CONTENT_TYPE}
    if info.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = info.storage_class
    if info.tags:
        headers["x-amz-tagging-count"] = str(len(info.tags))
    headers.update(info.headers)
    return headers


async def handle_head_object(app, ctx, body) -> Response:
    """HeadObject: GetObject's headers; the blob is never opened."""
    return await handle_get_object(app, ctx, body)


async def handle_get_object(app, ctx, body) -> Response:
    """GetObject and HeadObject (HEAD sends the same headers and never opens the blob).

    The object's blobs are opened and its first piece read in one I/O job; if an
    overwrite removed them between the metadata read and the open, the metadata is
    read again.
    """
    info = ctx.prefetched
    part_number = _part_number(ctx)
    for attempt in range(5):
        if attempt or info is NOT_FETCHED:
            info = await app.store.get_object(ctx.bucket, ctx.endpoint.key)
        if info is None:
            raise errors.NoSuchKey(resource=ctx.resource, Key=ctx.endpoint.key)
        response, offset, length = _object_response(ctx, info, part_number)
        if response.headers_only:
            return response
        try:
            reader, first = await app.pools.run_io(
                app.blobs.open_segments, info.segments, offset, min(length, READ_SIZE))
        except FileNotFoundError:
            continue
        response.stream = BlobRange(reader, offset, length, first)
        return response
    raise errors.ServiceUnavailable("The object is being rewritten too often to be read; retry.")


def _part_number(ctx) -> int | None:
    number = ctx.endpoint.part_number
    if number is not None and "range" in ctx.head.headers:
        raise errors.InvalidRequest("Cannot specify both Range header and partNumber query parameter")
    return number


def _part_range(info, number: int) -> tuple:
    """(first, last) byte of part ``number``; a simple object is its own part 1."""
    if info.blob_id is not None and number == 1:
        return 0, info.size - 1
    for part in info.parts:
        if part.number == number:
            return part.offset, part.offset + part.size - 1
    raise errors.InvalidPart(f"The object has no part number {number}.", PartNumber=str(number))


def _object_response(ctx, info, part_number: int | None = None) -> tuple:
    """(Response without its body, offset, length) after conditions and Range."""
    head = ctx.head
    headers = _object_headers(info)
    try:
        check_conditions(head.headers, info.etag, info.last_modified, method=head.method)
    except errors.NotModified as e:
        e.headers.update({"ETag": info.etag, "Last-Modified": headers["Last-Modified"]})
        raise
    if part_number is not None:
        first_last = _part_range(info, part_number)
        headers["x-amz-mp-parts-count"] = str(info.part_count or 1)
    else:
        first_last = parse_range(head.headers.get("range"), info.size)
    for param, header in OVERRIDES.items():
        if param in head.query:
            headers[header] = head.query[param]
    if first_last is None:
        status, offset, length = 200, 0, info.size
        if head.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
            headers.update(checksum_headers(info.checksums))
    elif first_last[1] < first_last[0]:  # part 1 of an empty object
        status, offset, length = 200, 0, 0
    else:
        first, last = first_last
        status, offset, length = 206, first, last - first + 1
        headers["Content-Range"] = content_range(first, last, info.size)
    headers["Content-Length"] = str(length)
    return Response(status, headers, headers_only=head.method == "HEAD"), offset, length


def checksum_headers(sums: dict) -> dict:
    """x-amz-checksum-<alg> headers, and x-amz-checksum-type (a composite multipart
    checksum ends in ``-N``)."""
    headers = {}
    for algorithm, value in sums.items():
        headers[checksums.header_name(algorithm)] = value
        headers["x-amz-checksum-type"] = "COMPOSITE" if "-" in value else "FULL_OBJECT"
    return headers


async def handle_delete_object(app, ctx, body) -> Response:
    try:
        await app.store.delete_object(ctx.bucket, ctx.endpoint.key)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.endpoint.bucket)
    return Response(204)

