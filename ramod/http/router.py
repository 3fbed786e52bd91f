"""Pure routing: (method, host, path, query, headers) -> Endpoint naming the S3 operation.

Knows S3 addressing (path-style and virtual-hosted ``<bucket>.<domain>``) and
sub-resources; knows nothing about authentication, storage or twisted.web.
"""

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ramod.s3 import errors

MAX_KEY_BYTES = 1024

#: bucket sub-resources S3 defines; ones we do not serve yet answer 501 NotImplemented
BUCKET_SUBRESOURCES = frozenset("""
accelerate acl analytics cors delete encryption intelligent-tiering inventory lifecycle
location logging metrics notification object-lock ownershipControls policy policyStatus
publicAccessBlock replication requestPayment tagging uploads versioning versions website
""".split())

#: object sub-resources S3 defines
OBJECT_SUBRESOURCES = frozenset("""
acl attributes legal-hold partNumber restore retention select tagging torrent uploadId uploads
""".split())


@dataclass(frozen=True)
class Endpoint:
    """One S3 operation on a bucket and key (either may be None)."""

    operation: str
    bucket: str | None = None
    key: str | None = None

    @property
    def streams_body(self) -> bool:
        """Whether the request body is object data (spooled to disk, not memory)."""
        return self.operation in ("PutObject", "UploadPart")


def split_host(host: str, domain: str) -> str | None:
    """The bucket named by a virtual-hosted ``Host`` header, or None for path-style."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    if domain and name.endswith("." + domain):
        return name[: -len(domain) - 1] or None
    return None


def decode_path(raw_path: str) -> str:
    """Percent-decode a request path to text; a path that is not UTF-8 is InvalidURI."""
    try:
        return unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise errors.InvalidURI("Couldn't parse the specified URI: the path is not valid UTF-8.")


def route(method: str, host: str, raw_path: str, query: dict, domain: str = "",
          headers: dict | None = None) -> Endpoint:
    """Name the S3 operation a request asks for; raise an S3Error if it is not one we serve.

    :param query: query parameter names (decoded) to values.
    """
    headers = headers or {}
    path = decode_path(raw_path)
    if not path.startswith("/"):
        raise errors.InvalidRequest("The request path must start with '/'.")
    vhost_bucket = split_host(host, domain)
    if vhost_bucket is not None:
        bucket, key = vhost_bucket, path[1:]
    else:
        bucket, _, key = path[1:].partition("/")
    bucket = bucket or None
    key = key or None
    if key is not None and len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise errors.KeyTooLongError(
            f"Your key is too long: {len(key.encode('utf-8'))} bytes, the limit is {MAX_KEY_BYTES}.",
            resource=path)
    if bucket is None:
        if method in ("GET", "HEAD"):
            return Endpoint("ListBuckets")
        raise errors.MethodNotAllowed(f"{method} is not allowed on the service root.", resource=path)
    if key is None:
        return _bucket_operation(method, bucket, query, path)
    return _object_operation(method, bucket, key, query, headers, path)


def _unimplemented(subresources: set, path: str) -> errors.S3Error:
    names = ", ".join(sorted(subresources))
    return errors.NotImplemented(f"The '{names}' sub-resource is not implemented by this server.",
                                 resource=path)


def _bucket_operation(method: str, bucket: str, query: dict, path: str) -> Endpoint:
    subs = BUCKET_SUBRESOURCES.intersection(query)
    if subs == {"location"} and method == "GET":
        return Endpoint("GetBucketLocation", bucket)
    if subs:
        raise _unimplemented(subs, path)
    operation = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket",
                 "GET": "ListObjects"}.get(method)
    if operation is None:
        raise errors.MethodNotAllowed(f"{method} is not allowed on a bucket.", resource=path)
    if operation == "ListObjects":
        raise errors.NotImplemented("Listing objects is not implemented by this server yet.",
                                    resource=path)
    return Endpoint(operation, bucket)


def _object_operation(method: str, bucket: str, key: str, query: dict, headers: dict,
                      path: str) -> Endpoint:
    subs = OBJECT_SUBRESOURCES.intersection(query)
    if subs:
        raise _unimplemented(subs, path)
    version = query.get("versionId")
    if version is not None and version != "null":
        raise errors.InvalidArgument("Invalid version id specified", resource=path,
                                     ArgumentName="versionId", ArgumentValue=version)
    if method == "PUT" and "x-amz-copy-source" in headers:
        raise errors.NotImplemented("CopyObject is not implemented by this server yet.", resource=path)
    operation = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject",
                 "DELETE": "DeleteObject"}.get(method)
    if operation is None:
        raise errors.MethodNotAllowed(f"{method} is not allowed on an object.", resource=path)
    return Endpoint(operation, bucket, key)
