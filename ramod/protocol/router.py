"""Pure routing: (method, host, path, query, headers) -> Endpoint naming the S3 operation.

Knows S3 addressing (path-style and virtual-hosted ``<bucket>.<domain>``) and
sub-resources; knows nothing about authentication, storage or twisted.web.
"""

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ramoclient.limits import MAX_KEY_BYTES
from ramod.protocol import errors
from ramod.protocol.operations import (BUCKET_OPERATIONS, CONFIGURATIONS, COPY_VARIANTS,
                                       LIST_BUCKETS, LIST_OBJECTS, LIST_OBJECTS_V2,
                                       OBJECT_OPERATIONS, Operation)

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
    """One S3 operation on a bucket and key (either may be None), with the query
    parameters that name what it acts on, parsed and validated once."""

    operation: Operation
    bucket: str | None = None
    key: str | None = None
    #: UploadPart, UploadPartCopy, and GetObject/HeadObject of one part
    part_number: int | None = None
    #: the multipart upload of UploadPart(Copy), Complete, Abort and ListParts
    upload_id: str | None = None
    #: ``versionId`` (only ``"null"``, the version every object here has)
    version_id: str | None = None

    @property
    def streams_body(self) -> bool:
        """Whether the request body is object data (spooled to disk, not memory)."""
        return self.operation.streams_body

    @property
    def action(self) -> str:
        """The IAM action this request is authorized with."""
        if self.version_id is not None and self.operation.version_action:
            return self.operation.version_action
        return self.operation.action


#: the largest part number S3 accepts
MAX_PARTS = 10000


def parse_part_number(value: str) -> int:
    """The ``partNumber`` query parameter of UploadPart, UploadPartCopy and part GETs.

    :raises errors.InvalidArgument: not an integer from 1 to 10000.
    """
    digits = value.lstrip("0") if value.isascii() and value.isdigit() else None
    if digits is not None and len(digits) <= 5 and 1 <= int(digits or "0") <= MAX_PARTS:
        return int(digits)
    raise errors.InvalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive",
        ArgumentName="partNumber", ArgumentValue=value)


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
            return Endpoint(LIST_BUCKETS)
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
    configs = subs.intersection(CONFIGURATIONS)
    if configs:
        if len(subs) > 1:
            raise _unimplemented(subs, path)
        if method not in ("GET", "PUT", "DELETE"):
            raise _not_allowed(method, f"the bucket's {min(configs)} configuration", path)
        sub = min(configs)
        rows = CONFIGURATIONS[sub]
        if method == "GET" and "LIST" in rows and "id" not in query:
            method = "LIST"
        operation = rows.get(method)
        if operation is None:
            raise errors.MethodNotAllowed(f"{method} is not allowed on a bucket's ?{sub}.",
                                          resource=path, Method=method)
        return Endpoint(operation, bucket)
    if len(subs) > 1:
        raise _unimplemented(subs, path)
    sub = min(subs) if subs else None
    operation = BUCKET_OPERATIONS.get((method, sub))
    if operation is None:
        if sub is None or any(s == sub for _, s in BUCKET_OPERATIONS):
            raise _not_allowed(method, "a bucket" if sub is None else f"a bucket's ?{sub}", path)
        raise _unimplemented(subs, path)
    if operation is LIST_OBJECTS and query.get("list-type") == "2":
        operation = LIST_OBJECTS_V2
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
    operation = OBJECT_OPERATIONS.get((method, sub))
    if operation is None:
        if sub is None or any(s == sub for _, s in OBJECT_OPERATIONS):
            raise _not_allowed(method, "an object" if sub is None else f"an object's ?{sub}", path)
        raise _unimplemented(subs, path)
    upload_id = query.get("uploadId") if sub == "uploadId" else None
    part_number = None
    if operation.streams_body and upload_id is not None:   # UploadPart
        if "partNumber" not in query:
            raise errors.InvalidArgument(
                "An UploadPart request needs both partNumber and uploadId.",
                resource=path, ArgumentName="partNumber")
    if "partNumber" in query and (upload_id is not None and method == "PUT" or sub is None
                                  and method in ("GET", "HEAD")):
        part_number = parse_part_number(query["partNumber"])
    if "x-amz-copy-source" in headers:
        operation = COPY_VARIANTS.get(operation, operation)
    return Endpoint(operation, bucket, key, part_number, upload_id, version)
