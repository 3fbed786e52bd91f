"""S3App: what every S3 request goes through before its handler.

``route`` names the operation (pure), ``authenticate`` checks the signature, the
credential and the bucket (one database round trip), and ``handle`` runs the
operation's handler.  Nothing here knows twisted.web.
"""

import functools
from dataclasses import replace
from datetime import datetime, timezone

from ramod.auth import parse_auth
from ramod.auth.presign import signature_hash
from ramod.metadata import errors as meta
from ramod.protocol import errors
from ramod.protocol import operations as ops
from ramod.protocol.head import RequestHead
from ramod.protocol.payload import digest_bytes, payload_spec, verify_digests
from ramod.protocol.router import Endpoint, route, split_host
from ramod.s3 import buckets, multipart, objects, quota
from ramod.s3.context import NOT_FETCHED, RequestContext
from ramod.s3.handlers import HANDLERS
from ramod.s3.rate_limit import RateLimiter, retry_after_header


def database_unavailable(error: meta.DatabaseUnavailable) -> errors.S3Error:
    """The 503 a client gets when the metadata database is gone or busy: SlowDown for a
    busy (locked) database, ServiceUnavailable otherwise, with ``Retry-After``."""
    kind = errors.SlowDown if isinstance(error, meta.DatabaseBusy) else errors.ServiceUnavailable
    answer = kind(error.describe())
    answer.headers["Retry-After"] = str(error.retry_after)
    return answer


def _answers_database_errors(method):
    """``authenticate`` and ``handle`` are where every S3 request meets the database:
    turn ``DatabaseUnavailable`` there into its 503, never an InternalError."""
    @functools.wraps(method)
    async def translating(*args, **kwargs):
        try:
            return await method(*args, **kwargs)
        except meta.DatabaseUnavailable as e:
            raise database_unavailable(e) from None
    return translating


class S3App:
    """The S3 front: routing, authentication and handler dispatch over the stores."""

    def __init__(self, config, store, blobs, pools, clock):
        self.config, self.store, self.blobs, self.pools = config, store, blobs, pools
        self.clock = clock
        self.rate_limiter = RateLimiter(store)
        self.quota = quota.QuotaGate(store, config.process_name, clock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def route(self, head: RequestHead) -> Endpoint:
        return route(head.method, head.host, head.raw_path, head.query, self.config.domain,
                     head.headers)

    @_answers_database_errors
    async def authenticate(self, head: RequestHead, endpoint: Endpoint,
                           length: int | None) -> RequestContext:
        """Check everything that can be checked before the body is read."""
        bucket_host = split_host(head.host, self.config.domain)
        parsed = parse_auth(head.signed_request(), self.config.region, bucket_host)
        if parsed is None:
            # as S3 does, a missing bucket is said to be missing even to anonymous callers
            if endpoint.bucket is not None and await self.store.get_bucket(endpoint.bucket) is None:
                raise errors.NoSuchBucket(resource=head.raw_path, BucketName=endpoint.bucket)
            raise errors.AccessDenied("Anonymous access is not allowed: sign your requests.",
                                      resource=head.raw_path)
        payload = payload_spec(head.headers)
        if payload.chunked and not endpoint.streams_body:
            raise errors.InvalidRequest(
                "aws-chunked bodies are only accepted for object data, "
                f"not for {endpoint.operation.name}.")
        if endpoint.streams_body:
            declared = payload.decoded_length if payload.chunked else length
            if declared is not None and declared > self.config.max_object_size:
                raise errors.EntityTooLarge(
                    f"Your proposed upload of {declared} bytes exceeds the maximum allowed "
                    f"object size of {self.config.max_object_size} bytes.",
                    ProposedSize=str(declared), MaxSizeAllowed=str(self.config.max_object_size))
            objects.check_put_headers(head.headers)
        prefetch = endpoint.key if endpoint.operation.prefetches_object else None
        credential, bucket, obj = await self.store.lookup(parsed.access_key, endpoint.bucket,
                                                          prefetch)
        if credential is None or not credential.is_active:
            raise errors.InvalidAccessKeyId(AWSAccessKeyId=parsed.access_key)
        auth = parsed.verify(credential.secret_key, self.now(), self.config.max_skew)
        if parsed.scheme == "sigv4-query" and await self.store.presigned_url_revoked(
                signature_hash(parsed.signature)):
            raise errors.AccessDenied("This presigned URL has been revoked.",
                                      resource=head.raw_path)
        limited = self.rate_limiter.acquire(credential)  # None: no limit, nothing to take
        wait = None if limited is None else await limited
        if wait is not None:
            error = errors.SlowDown(
                f"Access key {credential.access_key} may send {credential.rate_limit:g} "
                f"requests per second; retry after the Retry-After delay.", resource=head.raw_path)
            error.headers["Retry-After"] = retry_after_header(wait)
            raise error
        if endpoint.operation.needs_bucket:
            if bucket is None:
                raise errors.NoSuchBucket(resource=head.raw_path, BucketName=endpoint.bucket)
            buckets.check_access(credential, bucket, head.raw_path)
            buckets.check_expected_owner(head.headers, bucket, head.raw_path)
        if payload.chunked and payload.chunked[0] and auth.seed is None:
            raise errors.InvalidRequest(
                "Signed aws-chunked payloads need SigV4 Authorization header signing.")
        ctx = RequestContext(head, endpoint, credential, auth, bucket, payload,
                             obj if prefetch is not None else NOT_FETCHED)
        if endpoint.operation is ops.UPLOAD_PART:
            ctx = replace(ctx, payload=await multipart.check_upload(self, ctx))
        if endpoint.streams_body and bucket is not None and bucket.quota_bytes is not None:
            ctx = replace(ctx, release=await self._admit(ctx, declared))
        return ctx

    async def _admit(self, ctx: RequestContext, declared: int | None):
        """Reserve the upload's room in its bucket's quota before its body is read."""
        size = declared or 0
        if ctx.endpoint.operation is ops.PUT_OBJECT:
            old = await self.store.get_object(ctx.bucket, ctx.endpoint.key)
            size -= old.size if old is not None else 0
        elif ctx.endpoint.operation is ops.UPLOAD_PART:
            size -= await self.store.part_size(ctx.bucket, ctx.endpoint.key,
                                               ctx.endpoint.upload_id, ctx.endpoint.part_number)
        return await self.quota.admit(ctx.bucket, size, ctx.resource)

    async def check_small_body(self, ctx: RequestContext, body: bytes) -> None:
        """Hold an in-memory body (XML) to its x-amz-content-sha256, Content-MD5 and checksum."""
        if len(body) > 64 * 1024:
            digests = await self.pools.run_io(digest_bytes, ctx.payload, body)
        else:
            digests = digest_bytes(ctx.payload, body)
        verify_digests(ctx.payload, digests)

    @_answers_database_errors
    async def handle(self, ctx: RequestContext, body):
        """Run the handler; ``body`` is the Ingest of a streamed body, else its bytes."""
        try:
            return await HANDLERS[ctx.endpoint.operation](self, ctx, body)
        except meta.QuotaExceeded as e:
            raise quota.translate(e, ctx.resource)
