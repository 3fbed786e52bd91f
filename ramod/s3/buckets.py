"""Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation."""

import base64
import hashlib

from ramod.protocol import xml
from ramod.metadata import errors as meta
from ramoclient.naming import bucket_name_problem
from ramod.protocol import errors
from ramod.s3.objects import check_unsupported_headers
from ramod.s3.response import Response

def owner_id(user_name: str) -> str:
    """The canonical user ID S3 reports for a user: stable, 64 hex characters."""
    return hashlib.sha256(f"ramo-user:{user_name}".encode()).hexdigest()


def check_access(credential, bucket, resource: str) -> None:
    """Root reaches every bucket; anyone else only their own user's."""
    if not credential.is_root and bucket.owner_name != credential.user_name:
        raise errors.AccessDenied(resource=resource)


def check_expected_owner(headers: dict, bucket, resource: str) -> None:
    """``x-amz-expected-bucket-owner``: refuse if the bucket belongs to someone else."""
    expected = headers.get("x-amz-expected-bucket-owner")
    if expected is not None and expected != owner_id(bucket.owner_name):
        raise errors.AccessDenied(
            "The bucket is not owned by the account named in x-amz-expected-bucket-owner.",
            resource=resource)


def validate_bucket_name(name: str) -> None:
    """S3's naming rules for new buckets; raise InvalidBucketName saying which one broke."""
    why = bucket_name_problem(name)
    if why:
        raise errors.InvalidBucketName(f"The specified bucket is not valid: the name {why}.",
                                       BucketName=name)


MAX_BUCKETS_PAGE = 10000


async def handle_list_buckets(app, ctx, body) -> Response:
    """ListBuckets, with ``max-buckets``/``continuation-token`` paging, ``prefix`` and
    ``bucket-region``: root sees every bucket, anyone else their user's."""
    cred, query = ctx.credential, ctx.head.query
    limit = _max_buckets(query.get("max-buckets"))
    after = _decode_token(query.get("continuation-token"))
    prefix = query.get("prefix") or ""
    found = await app.store.list_buckets(None if cred.is_root else cred.user_name, prefix,
                                         after, None if limit is None else limit + 1,
                                         query.get("bucket-region") or None)
    token = None
    if limit is not None and len(found) > limit:
        found = found[:limit]
        token = base64.urlsafe_b64encode(found[-1].name.encode()).decode()
    doc = xml.list_buckets_document(
        owner_id(cred.user_name), cred.user_name,
        [(b.name, b.created_at, b.region) for b in found], token,
        prefix if "prefix" in query else None)
    return Response.xml(doc)


def _max_buckets(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_BUCKETS_PAGE:
        raise errors.InvalidArgument(
            f"max-buckets must be a number from 1 to {MAX_BUCKETS_PAGE}.",
            ArgumentName="max-buckets", ArgumentValue=value)
    return int(value)


def _decode_token(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise errors.InvalidArgument("The continuation token provided is incorrect.",
                                     ArgumentName="continuation-token", ArgumentValue=token)


async def handle_create_bucket(app, ctx, body: bytes) -> Response:
    name = ctx.endpoint.bucket
    validate_bucket_name(name)
    check_unsupported_headers(ctx.head.headers)
    constraint = xml.parse_create_bucket_configuration(body) if body.strip() else None
    region = app.config.region
    if constraint is not None and constraint != region:
        if constraint == "us-east-1" or region == "us-east-1":
            raise errors.InvalidLocationConstraint(
                f"The specified location-constraint {constraint!r} is not valid: this server's "
                f"region is {region!r}.", LocationConstraint=constraint)
        raise errors.IllegalLocationConstraintException(
            f"The {constraint!r} location constraint is incompatible with the region "
            f"{region!r} this request was sent to.")
    try:
        await app.store.create_bucket(name, ctx.credential.id, region)
    except meta.BucketTaken as e:
        if not e.owned_by_caller:
            raise errors.BucketAlreadyExists(resource=ctx.resource, BucketName=name)
        if region != "us-east-1":
            raise errors.BucketAlreadyOwnedByYou(resource=ctx.resource, BucketName=name)
        # us-east-1 answers 200 when you re-create a bucket you own
    return Response(200, {"Location": f"/{name}"})


async def handle_head_bucket(app, ctx, body) -> Response:
    return Response(200, {"x-amz-bucket-region": ctx.bucket.region, "Content-Type": "application/xml"},
                    headers_only=True)


async def handle_delete_bucket(app, ctx, body) -> Response:
    try:
        await app.store.delete_bucket(ctx.endpoint.bucket)
    except meta.BucketMissing:
        raise errors.NoSuchBucket(resource=ctx.resource, BucketName=ctx.endpoint.bucket)
    except meta.BucketHasObjects:
        raise errors.BucketNotEmpty(resource=ctx.resource, BucketName=ctx.endpoint.bucket)
    return Response(204)


async def handle_get_bucket_location(app, ctx, body) -> Response:
    return Response.xml(xml.location_constraint_document(ctx.bucket.region))
