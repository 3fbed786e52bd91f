"""Pure routing: (method, host, path, query, headers) -> Endpoint naming the S3 operation.

Knows S3 addressing (path-style and virtual-hosted ``<bucket>.<domain>``) and
sub-resources; knows nothing about authentication, storage or twisted.web.
"""

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ramod.protocol import errors

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
    """One S3 operation on a bucket and key (either may be None).

    ``subresource`` names the bucket configuration a ``BucketConfig`` operation is about.
    """

    operation: str
    bucket: str | None = None
    key: str | None = None
    subresource: str | None = None

    @property
    def streams_body(self) -> bool:
        """Whether the request body is object data (spooled to disk, not memory)."""
        return self.operation in ("PutObject", "UploadPart")


#: bucket configurations Ramo does not keep; ``ramod.s3.bucket_config`` answers them
#: as S3 does for a bucket that has none
BUCKET_CONFIGS = frozenset("""
accelerate analytics cors encryption intelligent-tiering inventory lifecycle logging metrics
notification object-lock ownershipControls policy policyStatus publicAccessBlock replication
requestPayment versioning website
""".split())

#: (method, sub-resource) -> operation on a bucket; None: no sub-resource
_BUCKET_OPERATIONS = {
    ("PUT", None): "CreateBucket", ("HEAD", None): "HeadBucket",
    ("DELETE", None): "DeleteBucket", ("GET", None): "ListObjects",
    ("GET", "location"): "GetBucketLocation",
    ("GET", "acl"): "GetBucketAcl", ("PUT", "acl"): "PutBucketAcl",
    ("GET", "uploads"): "ListMultipartUploads", ("GET", "versions"): "ListObjectVersions",
    ("POST", "delete"): "DeleteObjects",
    ("GET", "tagging"): "GetBucketTagging", ("PUT", "tagging"): "PutBucketTagging",
    ("DELETE", "tagging"): "DeleteBucketTagging",
}

#: (method, sub-resource) -> operation on an object
_OBJECT_OPERATIONS = {
    ("PUT", None): "PutObject", ("GET", None): "GetObject", ("HEAD", None): "HeadObject",
    ("DELETE", None): "DeleteObject",
    ("POST", "uploads"): "CreateMultipartUpload", ("POST", "uploadId"): "CompleteMultipartUpload",
    ("PUT", "uploadId"): "UploadPart", ("GET", "uploadId"): "ListParts",
    ("DELETE", "uploadId"): "AbortMultipartUpload",
    ("GET", "acl"): "GetObjectAcl", ("PUT", "acl"): "PutObjectAcl",
    ("GET", "tagging"): "GetObjectTagging", ("PUT", "tagging"): "PutObjectTagging",
    ("DELETE", "tagging"): "DeleteObjectTagging",
}

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


def _not_allowed(method: str, what: str, path: str) -> errors.S3Error:
    return errors.MethodNotAllowed(f"{method} is not allowed on {what}.", resource=path)


def _bucket_operation(method: str, bucket: str, query: dict, path: str) -> Endpoint:
    subs = BUCKET_SUBRESOURCES.intersection(query)
    configs = subs & BUCKET_CONFIGS
    if configs:
        if len(subs) > 1:
            raise _unimplemented(subs, path)
        if method not in ("GET", "PUT", "DELETE"):
            raise _not_allowed(method, f"the bucket's {min(configs)} configuration", path)
        return Endpoint("BucketConfig", bucket, subresource=min(configs))
    if len(subs) > 1:
        raise _unimplemented(subs, path)
    sub = min(subs) if subs else None
    operation = _BUCKET_OPERATIONS.get((method, sub))
    if operation is None:
        if sub is None or any(s == sub for _, s in _BUCKET_OPERATIONS):
            raise _not_allowed(method, "a bucket" if sub is None else f"a bucket's ?{sub}", path)
        raise _unimplemented(subs, path)
    if operation == "ListObjects" and query.get("list-type") == "2":
        operation = "ListObjectsV2"
    return Endpoint(operation, bucket)


def _object_operation(method: str, bucket: str, key: str, query: dict, headers: dict,
                      path: str) -> Endpoint:
    subs = (OBJECT_SUBRESOURCES - {"partNumber"}).intersection(query)
    if len(subs) > 1:
        raise _unimplemented(subs, path)
    sub = min(subs) if subs else None
    version = query.get("versionId")
    if version is not None and version != "null":
        raise errors.InvalidArgument("Invalid version id specified", resource=path,
                                     ArgumentName="versionId", ArgumentValue=version)
    operation = _OBJECT_OPERATIONS.get((method, sub))
    if operation is None:
        if sub is None or any(s == sub for _, s in _OBJECT_OPERATIONS):
            raise _not_allowed(method, "an object" if sub is None else f"an object's ?{sub}", path)
        raise _unimplemented(subs, path)
    if operation == "UploadPart" and "partNumber" not in query:
        raise errors.InvalidArgument("An UploadPart request needs both partNumber and uploadId.",
                                     resource=path, ArgumentName="partNumber")
    if "x-amz-copy-source" in headers:
        if operation == "PutObject":
            operation = "CopyObject"
        elif operation == "UploadPart":
            operation = "UploadPartCopy"
    return Endpoint(operation, bucket, key)
