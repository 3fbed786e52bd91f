"""AdminApp: what every management API request goes through, and the services its
handlers share (store, blob removal, key generation, the S3 endpoint's address)."""

import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from twisted.logger import Logger

from ramod.admin import errors, fields
from ramod.admin.openapi import openapi_document
from ramod.admin.routes import route
from ramod.metadata import errors as meta
from ramoclient.limits import ADMIN_KEY_FILE

log = Logger(namespace="ramod.admin")


@dataclass(frozen=True)
class ApiRequest:
    """A routed management API request."""

    method: str
    params: dict
    query: dict
    raw_body: bytes

    def json(self) -> fields.Body:
        return fields.Body(fields.json_body(self.raw_body))


class AdminApp:
    """The management API over the server's stores."""

    def __init__(self, config, store, blobs, pools, clock, api_key: str, s3_url, generate_keys,
                 version: str = "0.1.0"):
        self.config, self.store, self.blobs, self.pools = config, store, blobs, pools
        self.clock = clock
        #: the OpenAPI document as /openapi.json serves it
        self.openapi_body = json.dumps(openapi_document(version), indent=2).encode()
        self._api_key = api_key.encode()
        self._s3_url = s3_url
        self.generate_keys = generate_keys

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def s3_url(self) -> str:
        return self.config.public_url or self._s3_url()

    def check_key(self, authorization: bytes | None) -> None:
        scheme, _, token = (authorization or b"").partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self._api_key):
            error = errors.Unauthorized(
                "Missing or wrong admin API key: send 'Authorization: Bearer <key>' (the key is "
                f"RAMO_ADMIN_API_KEY, or the one in <data-dir>/{ADMIN_KEY_FILE}).")
            error.headers["WWW-Authenticate"] = 'Bearer realm="ramo"'
            raise error

    async def handle(self, method: str, raw_path: str, query: dict, body: bytes):
        """(status, JSON-able body, encoded JSON or None) for a request whose caller has
        shown what ``routes.path_auth`` asks."""
        found = route(method, raw_path)
        try:
            return await found.operation.handler(self, ApiRequest(method, found.params, query,
                                                                  body))
        except meta.DatabaseUnavailable as e:  # gone (restarting) or busy (locked): 503
            error = errors.ServiceUnavailable(e.describe())
            error.headers["Retry-After"] = str(e.retry_after)
            raise error from None

    # -- shared by handlers ---------------------------------------------------------------

    async def bucket(self, name: str):
        """The BucketInfo, or NoSuchBucket."""
        info = await self.store.get_bucket(name)
        if info is None:
            raise errors.NoSuchBucket(f"There is no bucket named {name!r}.")
        return info

    async def root_credential(self):
        return await self.store.root_credential()

    async def empty_bucket(self, bucket) -> None:
        """Delete every object and upload of the bucket, a batch per transaction."""
        while True:
            count, _ = await self.store.empty_bucket_batch(bucket)
            if count == 0:
                return

    async def signing_credential(self, bucket, access_key: str | None):
        """The key a presigned URL for ``bucket`` is signed with: the one named (active and
        allowed to reach the bucket), else an active key of the owner, else root."""
        if access_key is not None:
            found = await self.store.get_credential(access_key)
            if found is None:
                raise errors.InvalidRequest(f"There is no access key {access_key!r}.")
            if not found.is_active:
                raise errors.InvalidRequest(f"The access key {access_key} is disabled.")
            if not found.is_root and found.user_name != bucket.owner_name:
                raise errors.InvalidRequest(
                    f"The access key {access_key} belongs to {found.user_name!r}, who can't "
                    f"reach the bucket {bucket.name!r} (owned by {bucket.owner_name!r}).")
            return found
        for candidate in await self.store.list_credentials(0, 1000, bucket.owner_name):
            if candidate.is_active:
                return candidate
        root = await self.root_credential()
        if root is None:
            raise errors.InvalidRequest("No active key can sign for this bucket.")
        return root
