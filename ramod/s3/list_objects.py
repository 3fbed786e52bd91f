"""ListObjects, ListObjectsV2 and ListObjectVersions (every object is its null version).

The paging itself is ``ramod.s3.listing.paginate``, run in one database transaction
with a seek over the (bucket, key) index: a page costs its own size, not the bucket's.
"""

from ramod.s3 import listing
from ramod.s3.buckets import owner_id
from ramod.s3.response import Response

_DOCUMENTS = {
    "v1": listing.list_objects_v1_document,
    "v2": listing.list_objects_v2_document,
    "versions": listing.list_versions_document,
}


async def _list(app, ctx, kind: str) -> Response:
    request = listing.parse_list_request(kind, ctx.head.query)
    page = await app.store.list_objects(ctx.bucket, listing.paginate, request.prefix,
                                        request.delimiter, request.after, request.max_keys)
    owner = (owner_id(ctx.bucket.owner_name), ctx.bucket.owner_name)
    return Response.xml(_DOCUMENTS[kind](request, ctx.bucket.name, page, owner))


async def handle_list_objects(app, ctx, body) -> Response:
    return await _list(app, ctx, "v1")


async def handle_list_objects_v2(app, ctx, body) -> Response:
    return await _list(app, ctx, "v2")


async def handle_list_object_versions(app, ctx, body) -> Response:
    return await _list(app, ctx, "versions")
