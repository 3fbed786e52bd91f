"""Tests for ramod.protocol.router: S3 addressing, sub-resources and the operation each request names."""

import pytest

from ramod.protocol import errors
from ramod.protocol.operations import CONFIGURATIONS, all_operations
from ramod.protocol.router import Endpoint, decode_path, route, split_host

DOMAIN = "s3.test"
OPERATIONS = all_operations()


def ep(name: str, bucket=None, key=None, **params) -> Endpoint:
    """The Endpoint of the operation named ``name`` (its AWS name)."""
    return Endpoint(OPERATIONS[name], bucket, key, **params)


# (method, host, raw path, query, headers, expected Endpoint)
ROUTES = [
    # the service root
    ("GET", "localhost:9000", "/", {}, {}, ep("ListBuckets")),
    ("HEAD", "localhost:9000", "/", {}, {}, ep("ListBuckets")),
    ("GET", DOMAIN, "/", {}, {}, ep("ListBuckets")),
    ("GET", DOMAIN + ":9000", "/", {}, {}, ep("ListBuckets")),
    # bucket operations, path-style
    ("PUT", "localhost", "/bkt", {}, {}, ep("CreateBucket", "bkt")),
    ("PUT", "localhost", "/bkt/", {}, {}, ep("CreateBucket", "bkt")),
    ("HEAD", "localhost", "/bkt", {}, {}, ep("HeadBucket", "bkt")),
    ("DELETE", "localhost", "/bkt", {}, {}, ep("DeleteBucket", "bkt")),
    ("GET", "localhost", "/bkt", {"location": ""}, {}, ep("GetBucketLocation", "bkt")),
    ("GET", "localhost", "/my.bucket", {"location": ""}, {}, ep("GetBucketLocation", "my.bucket")),
    # bucket operations, virtual-hosted
    ("PUT", "bkt." + DOMAIN, "/", {}, {}, ep("CreateBucket", "bkt")),
    ("HEAD", "bkt." + DOMAIN + ":9000", "/", {}, {}, ep("HeadBucket", "bkt")),
    ("DELETE", "BKT.S3.TEST", "/", {}, {}, ep("DeleteBucket", "bkt")),
    ("GET", "bkt." + DOMAIN, "/", {"location": ""}, {}, ep("GetBucketLocation", "bkt")),
    ("GET", "my.bucket." + DOMAIN, "/", {"location": ""}, {}, ep("GetBucketLocation", "my.bucket")),
    # object operations, path-style
    ("PUT", "localhost", "/bkt/key", {}, {}, ep("PutObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {}, {}, ep("GetObject", "bkt", "key")),
    ("HEAD", "localhost", "/bkt/key", {}, {}, ep("HeadObject", "bkt", "key")),
    ("DELETE", "localhost", "/bkt/key", {}, {}, ep("DeleteObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/dir/sub/key", {}, {}, ep("GetObject", "bkt", "dir/sub/key")),
    ("GET", "localhost", "/bkt/dir/", {}, {}, ep("GetObject", "bkt", "dir/")),
    ("GET", "localhost", "/bkt//lead", {}, {}, ep("GetObject", "bkt", "/lead")),
    # object operations, virtual-hosted (a Host with a port, upper case, a trailing dot)
    ("PUT", "bkt." + DOMAIN, "/key", {}, {}, ep("PutObject", "bkt", "key")),
    ("GET", "bkt." + DOMAIN + ":9000", "/a/b", {}, {}, ep("GetObject", "bkt", "a/b")),
    ("HEAD", "Bkt.S3.Test:443", "/key", {}, {}, ep("HeadObject", "bkt", "key")),
    ("DELETE", "bkt." + DOMAIN + ".", "/key", {}, {}, ep("DeleteObject", "bkt", "key")),
    ("GET", "bkt." + DOMAIN, "//key", {}, {}, ep("GetObject", "bkt", "/key")),
    # hostile keys are decoded exactly once and kept as they are
    ("GET", "localhost", "/bkt/a%2Fb", {}, {}, ep("GetObject", "bkt", "a/b")),
    ("GET", "localhost", "/bkt/a+b", {}, {}, ep("GetObject", "bkt", "a+b")),
    ("GET", "localhost", "/bkt/a%2Bb", {}, {}, ep("GetObject", "bkt", "a+b")),
    ("GET", "localhost", "/bkt/a%20b%20", {}, {}, ep("GetObject", "bkt", "a b ")),
    ("GET", "localhost", "/bkt/%C3%A9t%C3%A9", {}, {}, ep("GetObject", "bkt", "été")),
    ("GET", "localhost", "/bkt/%F0%9F%90%8D", {}, {}, ep("GetObject", "bkt", "\U0001f40d")),
    ("GET", "localhost", "/bkt/%2525", {}, {}, ep("GetObject", "bkt", "%25")),
    ("GET", "localhost", "/bkt/%26%2B-%C3%A9%22", {}, {}, ep("GetObject", "bkt", '&+-é"')),
    ("GET", "localhost", "/bkt/../etc/passwd", {}, {}, ep("GetObject", "bkt", "../etc/passwd")),
    ("GET", "localhost", "/bkt/%2E%2E%2F%2E%2E%2Fx", {}, {}, ep("GetObject", "bkt", "../../x")),
    ("GET", "bkt." + DOMAIN, "/..%2F..%2Fx", {}, {}, ep("GetObject", "bkt", "../../x")),
    ("GET", "localhost", "/bkt/%3Fq%3D1%23f", {}, {}, ep("GetObject", "bkt", "?q=1#f")),
    # versionId=null names the only version there is; unknown parameters are ignored
    ("GET", "localhost", "/bkt/key", {"versionId": "null"}, {},
     ep("GetObject", "bkt", "key", version_id="null")),
    ("DELETE", "localhost", "/bkt/key", {"versionId": "null"}, {},
     ep("DeleteObject", "bkt", "key", version_id="null")),
    ("PUT", "localhost", "/bkt/key", {"x-id": "PutObject"}, {}, ep("PutObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {"x-id": "GetObject", "response-content-type": "a/b"}, {},
     ep("GetObject", "bkt", "key")),
    ("PUT", "localhost", "/bkt", {"x-id": "CreateBucket"}, {}, ep("CreateBucket", "bkt")),
    ("GET", "localhost", "/", {"x-id": "ListBuckets"}, {}, ep("ListBuckets")),
    # x-amz-copy-source only matters on PUT
    ("GET", "localhost", "/bkt/key", {}, {"x-amz-copy-source": "/other/key"},
     ep("GetObject", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {}, {"x-amz-copy-source": "/other/key"},
     ep("CopyObject", "bkt", "key")),
    # listing, batch delete, ACLs and tagging of buckets
    ("GET", "localhost", "/bkt", {}, {}, ep("ListObjects", "bkt")),
    ("GET", "localhost", "/bkt", {"list-type": "2", "prefix": "a"}, {},
     ep("ListObjectsV2", "bkt")),
    ("GET", "bkt." + DOMAIN, "/", {"versions": ""}, {}, ep("ListObjectVersions", "bkt")),
    ("GET", "localhost", "/bkt", {"uploads": ""}, {}, ep("ListMultipartUploads", "bkt")),
    ("POST", "localhost", "/bkt", {"delete": ""}, {}, ep("DeleteObjects", "bkt")),
    ("GET", "localhost", "/bkt", {"acl": ""}, {}, ep("GetBucketAcl", "bkt")),
    ("PUT", "localhost", "/bkt", {"acl": ""}, {}, ep("PutBucketAcl", "bkt")),
    ("DELETE", "localhost", "/bkt", {"tagging": ""}, {}, ep("DeleteBucketTagging", "bkt")),
    # bucket configurations Ramo does not keep
    ("GET", "localhost", "/bkt", {"versioning": ""}, {},
     ep("GetBucketVersioning", "bkt")),
    ("PUT", "bkt." + DOMAIN, "/", {"website": ""}, {},
     ep("PutBucketWebsite", "bkt")),
    ("DELETE", "localhost", "/bkt", {"cors": ""}, {},
     ep("DeleteBucketCors", "bkt")),
    # multipart uploads, ACLs and tagging of objects
    ("POST", "localhost", "/bkt/key", {"uploads": ""}, {},
     ep("CreateMultipartUpload", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"partNumber": "1", "uploadId": "x"}, {},
     ep("UploadPart", "bkt", "key", part_number=1, upload_id="x")),
    ("PUT", "localhost", "/bkt/key", {"partNumber": "0010", "uploadId": "x"},
     {"x-amz-copy-source": "b/k"}, ep("UploadPartCopy", "bkt", "key", part_number=10, upload_id="x")),
    ("POST", "localhost", "/bkt/key", {"uploadId": "x"}, {},
     ep("CompleteMultipartUpload", "bkt", "key", upload_id="x")),
    ("GET", "localhost", "/bkt/key", {"uploadId": "x", "max-parts": "2"}, {},
     ep("ListParts", "bkt", "key", upload_id="x")),
    ("DELETE", "localhost", "/bkt/key", {"uploadId": "x"}, {},
     ep("AbortMultipartUpload", "bkt", "key", upload_id="x")),
    ("GET", "localhost", "/bkt/key", {"partNumber": "2"}, {},
     ep("GetObject", "bkt", "key", part_number=2)),
    ("HEAD", "localhost", "/bkt/key", {"partNumber": "10000"}, {},
     ep("HeadObject", "bkt", "key", part_number=10000)),
    # a list-kept configuration: without an id the GET lists them
    ("GET", "localhost", "/bkt", {"metrics": ""}, {}, ep("ListBucketMetricsConfigurations", "bkt")),
    ("GET", "localhost", "/bkt", {"metrics": "", "id": "a"}, {},
     ep("GetBucketMetricsConfiguration", "bkt")),
    ("GET", "localhost", "/bkt/key", {"acl": ""}, {}, ep("GetObjectAcl", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"tagging": ""}, {},
     ep("PutObjectTagging", "bkt", "key")),
]


@pytest.mark.parametrize("method, host, path, query, headers, expected", ROUTES)
def test_route(method, host, path, query, headers, expected):
    """Each request names the expected operation, bucket and key."""
    assert route(method, host, path, query, DOMAIN, headers) == expected


@pytest.mark.parametrize("host", ["bkt.s3.test", "BKT.S3.TEST:9000", "localhost"])
def test_path_style_without_domain(host):
    """Without --domain every Host is path-style, even one that looks virtual-hosted."""
    assert route("GET", host, "/bkt/key", {}) == ep("GetObject", "bkt", "key")
    assert route("GET", host, "/", {}) == ep("ListBuckets")


# (method, host, raw path, query, headers, error class, status)
ERRORS = [
    # methods the resource does not have
    ("POST", "localhost", "/", {}, {}, errors.MethodNotAllowed, 405),
    ("PUT", "localhost", "/", {}, {}, errors.MethodNotAllowed, 405),
    ("DELETE", DOMAIN, "/", {}, {}, errors.MethodNotAllowed, 405),
    ("PATCH", "localhost", "/bkt", {}, {}, errors.MethodNotAllowed, 405),
    ("POST", "localhost", "/bkt/key", {}, {}, errors.MethodNotAllowed, 405),
    ("OPTIONS", "bkt." + DOMAIN, "/key", {}, {}, errors.MethodNotAllowed, 405),
    # what this server does not serve
    ("GET", "bkt." + DOMAIN, "/key", {"attributes": ""}, {}, errors.NotImplemented, 501),
    ("GET", "localhost", "/bkt/key", {"torrent": ""}, {}, errors.NotImplemented, 501),
    ("GET", "localhost", "/bkt", {"location": "", "acl": ""}, {}, errors.NotImplemented, 501),
    # sub-resources with the wrong method
    ("PUT", "localhost", "/bkt", {"location": ""}, {}, errors.MethodNotAllowed, 405),
    ("POST", "localhost", "/bkt", {"website": ""}, {}, errors.MethodNotAllowed, 405),
    ("GET", "localhost", "/bkt", {"delete": ""}, {}, errors.MethodNotAllowed, 405),
    ("POST", "localhost", "/bkt/key", {"acl": ""}, {}, errors.MethodNotAllowed, 405),
    ("PUT", "localhost", "/bkt/key", {"uploads": ""}, {}, errors.MethodNotAllowed, 405),
    # an UploadPart without its part number
    ("PUT", "localhost", "/bkt/key", {"uploadId": "x"}, {}, errors.InvalidArgument, 400),
    # part numbers are 1 to 10000
    ("PUT", "localhost", "/bkt/key", {"uploadId": "x", "partNumber": "0"}, {},
     errors.InvalidArgument, 400),
    ("PUT", "localhost", "/bkt/key", {"uploadId": "x", "partNumber": "10001"}, {},
     errors.InvalidArgument, 400),
    ("PUT", "localhost", "/bkt/key", {"uploadId": "x", "partNumber": "1" * 5000}, {},
     errors.InvalidArgument, 400),
    ("GET", "localhost", "/bkt/key", {"partNumber": "-1"}, {}, errors.InvalidArgument, 400),
    ("HEAD", "localhost", "/bkt/key", {"partNumber": "x"}, {}, errors.InvalidArgument, 400),
    # a configuration's method S3 has no operation for
    ("DELETE", "localhost", "/bkt", {"versioning": ""}, {}, errors.MethodNotAllowed, 405),
    ("DELETE", "localhost", "/bkt", {"policyStatus": ""}, {}, errors.MethodNotAllowed, 405),
    # versions other than "null" do not exist here
    ("GET", "localhost", "/bkt/key", {"versionId": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"}, {},
     errors.InvalidArgument, 400),
    ("GET", "localhost", "/bkt/key", {"versionId": ""}, {}, errors.InvalidArgument, 400),
    ("DELETE", "localhost", "/bkt/key", {"versionId": "NULL"}, {}, errors.InvalidArgument, 400),
    # malformed paths
    ("GET", "localhost", "/bkt/%FF", {}, {}, errors.InvalidURI, 400),
    ("GET", "localhost", "/bkt/%C3", {}, {}, errors.InvalidURI, 400),
    ("GET", "localhost", "/%ED%A0%80", {}, {}, errors.InvalidURI, 400),  # a UTF-16 surrogate
    ("GET", "localhost", "*", {}, {}, errors.InvalidRequest, 400),
    ("GET", "localhost", "bkt/key", {}, {}, errors.InvalidRequest, 400),
]


@pytest.mark.parametrize("method, host, path, query, headers, error, status", ERRORS)
def test_route_errors(method, host, path, query, headers, error, status):
    """Requests for operations that do not exist or are not served raise the S3 error AWS sends."""
    with pytest.raises(errors.S3Error) as caught:
        route(method, host, path, query, DOMAIN, headers)
    assert type(caught.value) is error
    assert caught.value.code == error.__name__
    assert caught.value.status == status


def test_invalid_version_id_names_the_argument():
    """InvalidArgument for a versionId says which argument and value were wrong."""
    with pytest.raises(errors.InvalidArgument) as caught:
        route("GET", "localhost", "/bkt/key", {"versionId": "abc"})
    assert caught.value.extra == {"ArgumentName": "versionId", "ArgumentValue": "abc"}


def test_unimplemented_names_the_sub_resource():
    """NotImplemented names the sub-resource and the resource it was asked of."""
    with pytest.raises(errors.NotImplemented) as caught:
        route("GET", "localhost", "/bkt/k", {"torrent": ""})
    assert "torrent" in caught.value.message
    assert caught.value.resource == "/bkt/k"


@pytest.mark.parametrize("style, host, prefix", [
    ("path", "localhost", "/bkt/"),
    ("virtual", "bkt." + DOMAIN, "/"),
])
@pytest.mark.parametrize("key", ["k" * 1024, "é" * 512, "\U0001f40d" * 256, "a/" * 512])
def test_key_of_1024_bytes(style, host, prefix, key):
    """A key of exactly 1024 bytes of UTF-8 is accepted."""
    path = prefix + key
    assert route("PUT", host, path, {}, DOMAIN) == ep("PutObject", "bkt", key)


@pytest.mark.parametrize("style, host, prefix", [
    ("path", "localhost", "/bkt/"),
    ("virtual", "bkt." + DOMAIN, "/"),
])
@pytest.mark.parametrize("key", ["k" * 1025, "é" * 512 + "k", "k" * 1023 + "é", "%41" * 1025])
def test_key_of_1025_bytes(style, host, prefix, key):
    """A key of 1025 bytes is KeyTooLongError, counted in UTF-8 bytes after decoding."""
    with pytest.raises(errors.KeyTooLongError) as caught:
        route("PUT", host, prefix + key, {}, DOMAIN)
    assert caught.value.code == "KeyTooLongError"
    assert caught.value.status == 400


def test_percent_encoded_key_counted_after_decoding():
    """1024 percent-encoded bytes are a 1024-byte key, not a 3072-byte one."""
    endpoint = route("GET", "localhost", "/bkt/" + "%41" * 1024, {})
    assert endpoint == ep("GetObject", "bkt", "A" * 1024)


# (Host header, domain, bucket or None for path-style)
HOSTS = [
    ("bkt.s3.test", "s3.test", "bkt"),
    ("bkt.s3.test:9000", "s3.test", "bkt"),
    ("BKT.S3.TEST", "s3.test", "bkt"),
    ("Bkt.S3.Test:9000", "s3.test", "bkt"),
    ("bkt.s3.test.", "s3.test", "bkt"),
    ("my.dotted.bucket.s3.test", "s3.test", "my.dotted.bucket"),
    ("s3.test", "s3.test", None),
    ("s3.test:9000", "s3.test", None),
    ("S3.TEST", "s3.test", None),
    ("bkt.other.test", "s3.test", None),
    ("bkts3.test", "s3.test", None),
    ("localhost:9000", "s3.test", None),
    ("127.0.0.1:9000", "s3.test", None),
    ("[::1]", "s3.test", None),
    ("[::1]:9000", "s3.test", None),
    ("", "s3.test", None),
    ("bkt.s3.test", "", None),
]


@pytest.mark.parametrize("host, domain, bucket", HOSTS)
def test_split_host(host, domain, bucket):
    """The bucket is the Host's label(s) before ``.<domain>``, ignoring port and case."""
    assert split_host(host, domain) == bucket


# (raw path, decoded)
PATHS = [
    ("/", "/"),
    ("/bkt/key", "/bkt/key"),
    ("/bkt/a%2Fb", "/bkt/a/b"),
    ("/bkt/a+b", "/bkt/a+b"),
    ("/bkt/a%20b", "/bkt/a b"),
    ("/bkt/%C3%A9", "/bkt/é"),
    ("/bkt/%c3%a9", "/bkt/é"),
    ("/bkt/%25", "/bkt/%"),
    ("/bkt/%zz", "/bkt/%zz"),
    ("/bkt/%", "/bkt/%"),
]


@pytest.mark.parametrize("raw, decoded", PATHS)
def test_decode_path(raw, decoded):
    """Paths are percent-decoded once as UTF-8; '+' stays a plus sign."""
    assert decode_path(raw) == decoded


@pytest.mark.parametrize("raw", ["/%FF", "/%C3", "/%C0%AF", "/a%80b"])
def test_decode_path_rejects_invalid_utf8(raw):
    """A path that is not UTF-8 once decoded is InvalidURI (400)."""
    with pytest.raises(errors.InvalidURI) as caught:
        decode_path(raw)
    assert caught.value.code == "InvalidURI"
    assert caught.value.status == 400


@pytest.mark.parametrize("operation, streams", [
    ("PutObject", True),
    ("UploadPart", True),
    ("GetObject", False),
    ("HeadObject", False),
    ("DeleteObject", False),
    ("CreateBucket", False),
    ("ListBuckets", False),
])
def test_streams_body(operation, streams):
    """Only object data (PutObject, UploadPart) is streamed to disk."""
    assert ep(operation, "bkt", "key").streams_body is streams


@pytest.mark.parametrize("request_, action", [
    (("GET", "/", {}), "s3:ListAllMyBuckets"),
    (("GET", "/bkt", {"list-type": "2"}), "s3:ListBucket"),
    (("HEAD", "/bkt", {}), "s3:ListBucket"),
    (("GET", "/bkt", {"versions": ""}), "s3:ListBucketVersions"),
    (("GET", "/bkt/k", {}), "s3:GetObject"),
    (("GET", "/bkt/k", {"versionId": "null"}), "s3:GetObjectVersion"),
    (("HEAD", "/bkt/k", {}), "s3:GetObject"),
    (("DELETE", "/bkt/k", {"versionId": "null"}), "s3:DeleteObjectVersion"),
    (("POST", "/bkt/k", {"uploadId": "u"}), "s3:PutObject"),
    (("DELETE", "/bkt/k", {"uploadId": "u"}), "s3:AbortMultipartUpload"),
    (("GET", "/bkt/k", {"uploadId": "u"}), "s3:ListMultipartUploadParts"),
    (("GET", "/bkt", {"uploads": ""}), "s3:ListBucketMultipartUploads"),
    (("DELETE", "/bkt", {"cors": ""}), "s3:PutBucketCORS"),
    (("GET", "/bkt", {"lifecycle": ""}), "s3:GetLifecycleConfiguration"),
    (("PUT", "/bkt", {"publicAccessBlock": ""}), "s3:PutBucketPublicAccessBlock"),
    (("GET", "/bkt/k", {"tagging": "", "versionId": "null"}), "s3:GetObjectVersionTagging"),
])
def test_iam_action(request_, action):
    """Each request carries the IAM action AWS documents for its operation."""
    method, path, query = request_
    assert route(method, "localhost", path, query).action == action


def test_operation_names_are_unique_and_actions_are_iam_names():
    """Every operation has its own AWS name and an ``s3:`` action."""
    names = [op.name for op in OPERATIONS.values()]
    assert len(names) == len(set(names))
    assert all(op.action.startswith("s3:") for op in OPERATIONS.values())
    assert {rows["GET"].configuration for rows in CONFIGURATIONS.values()} == set(CONFIGURATIONS)


def test_every_operation_has_a_handler():
    """The handler table covers exactly the operations the router can name."""
    from ramod.s3.handlers import HANDLERS
    assert set(HANDLERS) == set(OPERATIONS.values())
    for operation, handler in HANDLERS.items():
        if operation.configuration is None:
            snake = "".join("_" + c.lower() if c.isupper() else c for c in operation.name)
            assert handler.__name__ == "handle" + snake, operation.name
