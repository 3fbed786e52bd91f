"""Tests for ramod.protocol.router: S3 addressing, sub-resources and the operation each request names."""

import pytest

from ramod.protocol.router import Endpoint, decode_path, route, split_host
from ramod.protocol import errors

DOMAIN = "s3.test"

# (method, host, raw path, query, headers, expected Endpoint)
ROUTES = [
    # the service root
    ("GET", "localhost:9000", "/", {}, {}, Endpoint("ListBuckets")),
    ("HEAD", "localhost:9000", "/", {}, {}, Endpoint("ListBuckets")),
    ("GET", DOMAIN, "/", {}, {}, Endpoint("ListBuckets")),
    ("GET", DOMAIN + ":9000", "/", {}, {}, Endpoint("ListBuckets")),
    # bucket operations, path-style
    ("PUT", "localhost", "/bkt", {}, {}, Endpoint("CreateBucket", "bkt")),
    ("PUT", "localhost", "/bkt/", {}, {}, Endpoint("CreateBucket", "bkt")),
    ("HEAD", "localhost", "/bkt", {}, {}, Endpoint("HeadBucket", "bkt")),
    ("DELETE", "localhost", "/bkt", {}, {}, Endpoint("DeleteBucket", "bkt")),
    ("GET", "localhost", "/bkt", {"location": ""}, {}, Endpoint("GetBucketLocation", "bkt")),
    ("GET", "localhost", "/my.bucket", {"location": ""}, {}, Endpoint("GetBucketLocation", "my.bucket")),
    # bucket operations, virtual-hosted
    ("PUT", "bkt." + DOMAIN, "/", {}, {}, Endpoint("CreateBucket", "bkt")),
    ("HEAD", "bkt." + DOMAIN + ":9000", "/", {}, {}, Endpoint("HeadBucket", "bkt")),
    ("DELETE", "BKT.S3.TEST", "/", {}, {}, Endpoint("DeleteBucket", "bkt")),
    ("GET", "bkt." + DOMAIN, "/", {"location": ""}, {}, Endpoint("GetBucketLocation", "bkt")),
    ("GET", "my.bucket." + DOMAIN, "/", {"location": ""}, {}, Endpoint("GetBucketLocation", "my.bucket")),
    # object operations, path-style
    ("PUT", "localhost", "/bkt/key", {}, {}, Endpoint("PutObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {}, {}, Endpoint("GetObject", "bkt", "key")),
    ("HEAD", "localhost", "/bkt/key", {}, {}, Endpoint("HeadObject", "bkt", "key")),
    ("DELETE", "localhost", "/bkt/key", {}, {}, Endpoint("DeleteObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/dir/sub/key", {}, {}, Endpoint("GetObject", "bkt", "dir/sub/key")),
    ("GET", "localhost", "/bkt/dir/", {}, {}, Endpoint("GetObject", "bkt", "dir/")),
    ("GET", "localhost", "/bkt//lead", {}, {}, Endpoint("GetObject", "bkt", "/lead")),
    # object operations, virtual-hosted (a Host with a port, upper case, a trailing dot)
    ("PUT", "bkt." + DOMAIN, "/key", {}, {}, Endpoint("PutObject", "bkt", "key")),
    ("GET", "bkt." + DOMAIN + ":9000", "/a/b", {}, {}, Endpoint("GetObject", "bkt", "a/b")),
    ("HEAD", "Bkt.S3.Test:443", "/key", {}, {}, Endpoint("HeadObject", "bkt", "key")),
    ("DELETE", "bkt." + DOMAIN + ".", "/key", {}, {}, Endpoint("DeleteObject", "bkt", "key")),
    ("GET", "bkt." + DOMAIN, "//key", {}, {}, Endpoint("GetObject", "bkt", "/key")),
    # hostile keys are decoded exactly once and kept as they are
    ("GET", "localhost", "/bkt/a%2Fb", {}, {}, Endpoint("GetObject", "bkt", "a/b")),
    ("GET", "localhost", "/bkt/a+b", {}, {}, Endpoint("GetObject", "bkt", "a+b")),
    ("GET", "localhost", "/bkt/a%2Bb", {}, {}, Endpoint("GetObject", "bkt", "a+b")),
    ("GET", "localhost", "/bkt/a%20b%20", {}, {}, Endpoint("GetObject", "bkt", "a b ")),
    ("GET", "localhost", "/bkt/%C3%A9t%C3%A9", {}, {}, Endpoint("GetObject", "bkt", "été")),
    ("GET", "localhost", "/bkt/%F0%9F%90%8D", {}, {}, Endpoint("GetObject", "bkt", "\U0001f40d")),
    ("GET", "localhost", "/bkt/%2525", {}, {}, Endpoint("GetObject", "bkt", "%25")),
    ("GET", "localhost", "/bkt/%26%2B-%C3%A9%22", {}, {}, Endpoint("GetObject", "bkt", '&+-é"')),
    ("GET", "localhost", "/bkt/../etc/passwd", {}, {}, Endpoint("GetObject", "bkt", "../etc/passwd")),
    ("GET", "localhost", "/bkt/%2E%2E%2F%2E%2E%2Fx", {}, {}, Endpoint("GetObject", "bkt", "../../x")),
    ("GET", "bkt." + DOMAIN, "/..%2F..%2Fx", {}, {}, Endpoint("GetObject", "bkt", "../../x")),
    ("GET", "localhost", "/bkt/%3Fq%3D1%23f", {}, {}, Endpoint("GetObject", "bkt", "?q=1#f")),
    # versionId=null names the only version there is; unknown parameters are ignored
    ("GET", "localhost", "/bkt/key", {"versionId": "null"}, {}, Endpoint("GetObject", "bkt", "key")),
    ("DELETE", "localhost", "/bkt/key", {"versionId": "null"}, {},
     Endpoint("DeleteObject", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"x-id": "PutObject"}, {}, Endpoint("PutObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {"x-id": "GetObject", "response-content-type": "a/b"}, {},
     Endpoint("GetObject", "bkt", "key")),
    ("PUT", "localhost", "/bkt", {"x-id": "CreateBucket"}, {}, Endpoint("CreateBucket", "bkt")),
    ("GET", "localhost", "/", {"x-id": "ListBuckets"}, {}, Endpoint("ListBuckets")),
    # x-amz-copy-source only matters on PUT
    ("GET", "localhost", "/bkt/key", {}, {"x-amz-copy-source": "/other/key"},
     Endpoint("GetObject", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {}, {"x-amz-copy-source": "/other/key"},
     Endpoint("CopyObject", "bkt", "key")),
    # listing, batch delete, ACLs and tagging of buckets
    ("GET", "localhost", "/bkt", {}, {}, Endpoint("ListObjects", "bkt")),
    ("GET", "localhost", "/bkt", {"list-type": "2", "prefix": "a"}, {},
     Endpoint("ListObjectsV2", "bkt")),
    ("GET", "bkt." + DOMAIN, "/", {"versions": ""}, {}, Endpoint("ListObjectVersions", "bkt")),
    ("GET", "localhost", "/bkt", {"uploads": ""}, {}, Endpoint("ListMultipartUploads", "bkt")),
    ("POST", "localhost", "/bkt", {"delete": ""}, {}, Endpoint("DeleteObjects", "bkt")),
    ("GET", "localhost", "/bkt", {"acl": ""}, {}, Endpoint("GetBucketAcl", "bkt")),
    ("PUT", "localhost", "/bkt", {"acl": ""}, {}, Endpoint("PutBucketAcl", "bkt")),
    ("DELETE", "localhost", "/bkt", {"tagging": ""}, {}, Endpoint("DeleteBucketTagging", "bkt")),
    # bucket configurations Ramo does not keep
    ("GET", "localhost", "/bkt", {"versioning": ""}, {},
     Endpoint("BucketConfig", "bkt", subresource="versioning")),
    ("PUT", "bkt." + DOMAIN, "/", {"website": ""}, {},
     Endpoint("BucketConfig", "bkt", subresource="website")),
    ("DELETE", "localhost", "/bkt", {"cors": ""}, {},
     Endpoint("BucketConfig", "bkt", subresource="cors")),
    # multipart uploads, ACLs and tagging of objects
    ("POST", "localhost", "/bkt/key", {"uploads": ""}, {},
     Endpoint("CreateMultipartUpload", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"partNumber": "1", "uploadId": "x"}, {},
     Endpoint("UploadPart", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"partNumber": "1", "uploadId": "x"},
     {"x-amz-copy-source": "b/k"}, Endpoint("UploadPartCopy", "bkt", "key")),
    ("POST", "localhost", "/bkt/key", {"uploadId": "x"}, {},
     Endpoint("CompleteMultipartUpload", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {"uploadId": "x", "max-parts": "2"}, {},
     Endpoint("ListParts", "bkt", "key")),
    ("DELETE", "localhost", "/bkt/key", {"uploadId": "x"}, {},
     Endpoint("AbortMultipartUpload", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {"partNumber": "2"}, {}, Endpoint("GetObject", "bkt", "key")),
    ("GET", "localhost", "/bkt/key", {"acl": ""}, {}, Endpoint("GetObjectAcl", "bkt", "key")),
    ("PUT", "localhost", "/bkt/key", {"tagging": ""}, {},
     Endpoint("PutObjectTagging", "bkt", "key")),
]


@pytest.mark.parametrize("method, host, path, query, headers, expected", ROUTES)
def test_route(method, host, path, query, headers, expected):
    """Each request names the expected operation, bucket and key."""
    assert route(method, host, path, query, DOMAIN, headers) == expected


@pytest.mark.parametrize("host", ["bkt.s3.test", "BKT.S3.TEST:9000", "localhost"])
def test_path_style_without_domain(host):
    """Without --domain every Host is path-style, even one that looks virtual-hosted."""
    assert route("GET", host, "/bkt/key", {}) == Endpoint("GetObject", "bkt", "key")
    assert route("GET", host, "/", {}) == Endpoint("ListBuckets")


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
    assert route("PUT", host, path, {}, DOMAIN) == Endpoint("PutObject", "bkt", key)


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
    assert endpoint == Endpoint("GetObject", "bkt", "A" * 1024)


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
    assert Endpoint(operation, "bkt", "key").streams_body is streams
