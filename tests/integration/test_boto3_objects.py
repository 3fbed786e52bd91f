"""Bucket and object operations driven with boto3 against the session ramod."""

import base64
import datetime
import hashlib
import os
import socket
import zlib

import pytest
from awscrt import checksums as crt_checksums
from botocore.exceptions import ClientError

from ramod_process import signed_headers, unique_bucket_name

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def error_of(excinfo):
    """The S3 error code and HTTP status of a boto3 ``ClientError``."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def assert_still_serving(s3):
    """Fail unless the server still answers a plain request."""
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def quoted_md5(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def b64(raw):
    return base64.b64encode(raw).decode()


# -- buckets -------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    """A created bucket is listed, answers HEAD and GetBucketLocation, and is gone once deleted."""
    name = unique_bucket_name()
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") in (None, "")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert error_of(excinfo)[1] == 404
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_recreate_own_bucket_is_ok(s3, bucket):
    """Creating a bucket you already own in us-east-1 answers 200, as S3 does."""
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_non_empty_bucket(s3, bucket):
    """Deleting a bucket that holds an object fails with 409 BucketNotEmpty and keeps it."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(excinfo) == ("BucketNotEmpty", 409)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="k")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "UPPERCASE", "under_score", "-leading-dash", "trailing-dash-",
    "double..dot", "192.168.5.4", "xn--prefixed", "name-s3alias",
])
def test_invalid_bucket_names(s3, name):
    """An invalid bucket name is refused with 400 InvalidBucketName."""
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket=name)
    assert error_of(excinfo) == ("InvalidBucketName", 400)
    assert_still_serving(s3)


def test_missing_bucket(s3):
    """Every operation on a bucket that does not exist fails with 404 NoSuchBucket."""
    name = unique_bucket_name("missing")
    calls = [
        lambda: s3.get_object(Bucket=name, Key="k"),
        lambda: s3.put_object(Bucket=name, Key="k", Body=b"x"),
        lambda: s3.delete_object(Bucket=name, Key="k"),
        lambda: s3.delete_bucket(Bucket=name),
        lambda: s3.get_bucket_location(Bucket=name),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)


def test_virtual_hosted_addressing(s3, virtual_s3):
    """A bucket named in the Host header is the same bucket as in the path."""
    name = unique_bucket_name("vh")
    urls = []
    virtual_s3.meta.events.register("before-send.s3", lambda request, **_: urls.append(request.url))
    virtual_s3.create_bucket(Bucket=name)
    assert urls[-1].startswith(f"http://{name}.localhost:")
    virtual_s3.put_object(Bucket=name, Key="dir/obj.txt", Body=b"virtual")
    assert s3.get_object(Bucket=name, Key="dir/obj.txt")["Body"].read() == b"virtual"
    s3.put_object(Bucket=name, Key="p", Body=b"path")
    assert virtual_s3.get_object(Bucket=name, Key="p")["Body"].read() == b"path"
    assert virtual_s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name in [b["Name"] for b in virtual_s3.list_buckets()["Buckets"]]


def test_unknown_subresource_is_not_implemented(s3, bucket):
    """A sub-resource Ramo does not serve (BitTorrent files) answers 501 NotImplemented."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_torrent(Bucket=bucket, Key="k")
    assert error_of(excinfo) == ("NotImplemented", 501)
    assert_still_serving(s3)


def test_request_id_headers_on_success_and_error(s3, bucket):
    """Both successful and failed responses carry x-amz-request-id and x-amz-id-2."""
    ok = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ResponseMetadata"]["HTTPHeaders"]
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="nope")
    failed = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    for headers in (ok, failed):
        assert headers.get("x-amz-request-id")
        assert headers.get("x-amz-id-2")
    assert ok["x-amz-request-id"] != failed["x-amz-request-id"]


# -- objects ---------------------------------------------------------------------


def test_zero_byte_object(s3, bucket):
    """An empty object round-trips with Content-Length 0 and the MD5 ETag of nothing."""
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == f'"{EMPTY_MD5}"'
    head = s3.head_object(Bucket=bucket, Key="empty")
    assert head["ContentLength"] == 0 and head["ETag"] == f'"{EMPTY_MD5}"'
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""


def test_five_mib_random_object(s3, bucket):
    """A 5 MiB random body (sent with Expect: 100-continue by boto3) reads back identical."""
    data = os.urandom(5 * 1024 * 1024)
    put = s3.put_object(Bucket=bucket, Key="big.bin", Body=data)
    assert put["ETag"] == quoted_md5(data)
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == len(data)


def test_overwrite_replaces_object(s3, bucket):
    """A second PUT of a key replaces the first version entirely."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"first version, longer")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second" and got["ETag"] == quoted_md5(b"second")


def test_delete_object(s3, bucket):
    """A deleted key is gone, and deleting a missing key still answers 204."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k")
    assert error_of(excinfo) == ("NoSuchKey", 404)
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_missing_key(s3, bucket):
    """GET of a missing key is 404 NoSuchKey; HEAD is a bare 404."""
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="does/not/exist")
    assert error_of(excinfo) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="does/not/exist")
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)


def test_user_metadata(s3, bucket):
    """x-amz-meta-* headers are stored and returned by GET and HEAD."""
    meta = {"color": "blue", "multi-word": "Some Value", "empty": ""}
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == meta
    assert s3.get_object(Bucket=bucket, Key="m")["Metadata"] == meta


def test_metadata_too_large(s3, bucket):
    """User metadata over 2 KB is refused with 400 MetadataTooLarge and nothing is stored."""
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="fat", Body=b"x", Metadata={"big": "v" * 2100})
    assert error_of(excinfo) == ("MetadataTooLarge", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="fat")
    assert error_of(excinfo)[1] == 404


def test_unknown_storage_class(s3, bucket):
    """A storage class S3 does not have is 400 InvalidStorageClass, before the body is stored."""
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="FROZEN")
    assert error_of(excinfo) == ("InvalidStorageClass", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="cold")
    assert error_of(excinfo)[1] == 404


def test_content_headers(s3, bucket):
    """Content-Type/Encoding/Disposition/Language, Cache-Control and Expires are kept."""
    expires = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    s3.put_object(
        Bucket=bucket, Key="doc", Body=b"<p>hi</p>", ContentType="text/html; charset=utf-8",
        ContentEncoding="identity", ContentDisposition='attachment; filename="a b.html"',
        ContentLanguage="fr-CA", CacheControl="max-age=60, public", Expires=expires)
    for response in (s3.head_object(Bucket=bucket, Key="doc"),
                     s3.get_object(Bucket=bucket, Key="doc")):
        assert response["ContentType"] == "text/html; charset=utf-8"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentDisposition"] == 'attachment; filename="a b.html"'
        assert response["ContentLanguage"] == "fr-CA"
        assert response["CacheControl"] == "max-age=60, public"
        assert response["ResponseMetadata"]["HTTPHeaders"]["expires"] == \
            "Thu, 02 Jan 2031 03:04:05 GMT"
        assert response["LastModified"].tzinfo is not None


def test_default_content_type(s3, bucket):
    """An object stored without Content-Type is served as binary/octet-stream."""
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


HOSTILE_KEYS = [
    "a b+c%d/é/../x=y&z",
    "../../etc/passwd",
    "./x",
    "a//b",
    "trailing/",
    "~!@$'()*,;:[]",
    'quote"and<angle>',
    "q?x=1#frag",
    "%2F%2e%2e%00",
    "日本語/ключ/ελληνικά",
    "tab\tand\nnewline",
    "emoji-\U0001f600",
    "k" * 1024,
    "é" * 512,
]


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=range(len(HOSTILE_KEYS)))
def test_hostile_keys_round_trip(s3, virtual_s3, bucket, key):
    """Any UTF-8 key up to 1024 bytes is stored verbatim under that exact name."""
    body = key.encode() + b"-body"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert virtual_s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key=key)
    assert error_of(excinfo) == ("NoSuchKey", 404)


def test_dot_segments_are_not_normalised(s3, bucket):
    """``a/../b`` and ``b`` are different keys: the server never resolves dot segments."""
    s3.put_object(Bucket=bucket, Key="a/../b", Body=b"dotted")
    s3.put_object(Bucket=bucket, Key="b", Body=b"plain")
    assert s3.get_object(Bucket=bucket, Key="a/../b")["Body"].read() == b"dotted"
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"plain"


def test_traversal_keys_stay_inside_data_dir(s3, bucket, ramod):
    """Keys that look like relative paths never create files outside the data directory."""
    marker = f"escape-marker-{os.getpid()}-{bucket}"
    keys = [f"../../{marker}", f"../../../../../../tmp/{marker}", f"/{marker}",
            f"..\\..\\{marker}"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"trapped")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"trapped"
    search_root = ramod.workdir.parent
    for root in (search_root, "/tmp"):
        for dirpath, dirnames, filenames in os.walk(root):
            if os.path.realpath(dirpath).startswith(os.path.realpath(ramod.data_dir)):
                continue
            assert not any(marker in name for name in filenames + dirnames), dirpath


def test_key_too_long(s3, bucket):
    """A key of 1025 bytes is refused with 400 KeyTooLongError."""
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(excinfo) == ("KeyTooLongError", 400)
    assert_still_serving(s3)


# -- ranges and conditionals ---------------------------------------------------------


@pytest.mark.parametrize("header,start,end", [
    ("bytes=0-9", 0, 9),
    ("bytes=10-", 10, 99),
    ("bytes=-10", 90, 99),
    ("bytes=5-5", 5, 5),
    ("bytes=90-500", 90, 99),
    ("bytes=-500", 0, 99),
])
def test_range_requests(s3, bucket, header, start, end):
    """A satisfiable Range answers 206 with that slice and a matching Content-Range."""
    data = bytes(range(100))
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/100"
    assert got["ContentLength"] == end - start + 1
    assert got["Body"].read() == data[start:end + 1]


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=150-200"])
def test_unsatisfiable_range(s3, bucket, header):
    """A Range starting past the end answers 416 InvalidRange."""
    s3.put_object(Bucket=bucket, Key="r", Body=bytes(100))
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert error_of(excinfo) == ("InvalidRange", 416)
    assert_still_serving(s3)


def test_conditional_get(s3, bucket):
    """If-None-Match/If-Modified-Since give 304; If-Match/If-Unmodified-Since give 412."""
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"cond"
    for kwargs in ({"IfNoneMatch": etag}, {"IfModifiedSince": future}):
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key="c", **kwargs)
        assert error_of(excinfo)[1] == 304, kwargs
    for kwargs in ({"IfMatch": '"0123456789abcdef0123456789abcdef"'},
                   {"IfUnmodifiedSince": past}):
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key="c", **kwargs)
        assert error_of(excinfo) == ("PreconditionFailed", 412), kwargs
        with pytest.raises(ClientError) as excinfo:
            s3.head_object(Bucket=bucket, Key="c", **kwargs)
        assert error_of(excinfo)[1] == 412, kwargs
    # If-Match true and If-Unmodified-Since false: S3 serves the object (RFC 7232 order).
    got = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)
    assert got["Body"].read() == b"cond"
    assert_still_serving(s3)


def test_response_header_overrides(s3, bucket):
    """response-* query parameters override the stored headers of a GET."""
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket, Key="o", ResponseContentType="application/json",
        ResponseContentDisposition='inline; filename="ö.json"',
        ResponseCacheControl="no-cache", ResponseContentLanguage="de",
        ResponseContentEncoding="identity",
        ResponseExpires=datetime.datetime(2030, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc))
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == 'inline; filename="ö.json"'
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "de"
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Mon, 06 May 2030 07:08:09 GMT"
    assert s3.head_object(Bucket=bucket, Key="o")["ContentType"] == "text/plain"


# -- checksums and digests -------------------------------------------------------------


def expected_checksums(data):
    return {
        "CRC32": b64(zlib.crc32(data).to_bytes(4, "big")),
        "CRC32C": b64(crt_checksums.crc32c(data).to_bytes(4, "big")),
        "CRC64NVME": b64(crt_checksums.crc64nvme(data).to_bytes(8, "big")),
        "SHA1": b64(hashlib.sha1(data).digest()),
        "SHA256": b64(hashlib.sha256(data).digest()),
    }


def test_default_checksum_is_crc32(s3, bucket):
    """boto3's default upload sends CRC32; ChecksumMode=ENABLED returns it on GET and HEAD."""
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="crc", Body=data)
    crc32 = expected_checksums(data)["CRC32"]
    assert put["ChecksumCRC32"] == crc32
    head = s3.head_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32
    assert got["Body"].read() == data


@pytest.mark.parametrize("algorithm", ["CRC32C", "SHA256", "CRC64NVME", "SHA1"])
def test_checksum_algorithms(s3, bucket, algorithm):
    """An upload with ChecksumAlgorithm stores that checksum and returns it on request."""
    data = os.urandom(300_001)
    key = f"sum-{algorithm}"
    put = s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    want = expected_checksums(data)[algorithm]
    assert put[f"Checksum{algorithm}"] == want
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == want
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == want
    assert got["Body"].read() == data


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA256", "CRC64NVME"])
def test_wrong_checksum_is_bad_digest(s3, bucket, algorithm):
    """A checksum header that does not match the body fails with 400 BadDigest; nothing is stored."""
    wrong = expected_checksums(b"something else")[algorithm]
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"payload", **{f"Checksum{algorithm}": wrong})
    assert error_of(excinfo) == ("BadDigest", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="bad")
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)


def test_wrong_content_md5_is_bad_digest(s3, bucket):
    """A well-formed Content-MD5 of other bytes fails with 400 BadDigest; nothing is stored."""
    wrong = b64(hashlib.md5(b"other").digest())
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"payload", ContentMD5=wrong)
    assert error_of(excinfo) == ("BadDigest", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="md5")
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)


def test_right_content_md5_is_accepted(s3, bucket):
    """A correct Content-MD5 is accepted and the ETag is that MD5."""
    digest = hashlib.md5(b"payload").digest()
    put = s3.put_object(Bucket=bucket, Key="md5ok", Body=b"payload", ContentMD5=b64(digest))
    assert put["ETag"] == '"%s"' % digest.hex()


@pytest.mark.parametrize("value", ["not base64!", b64(b"short")])
def test_invalid_content_md5_is_invalid_digest(s3, bucket, value):
    """A Content-MD5 that is not base64 of 16 bytes fails with 400 InvalidDigest."""
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"payload", ContentMD5=value)
    assert error_of(excinfo) == ("InvalidDigest", 400)
    assert_still_serving(s3)


# -- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_wrong_secret_is_signature_mismatch(s3_factory, s3, bucket, signature_version):
    """A request signed with the wrong secret fails with 403 SignatureDoesNotMatch."""
    bad = s3_factory(secret_key="definitely-not-the-secret", signature_version=signature_version)
    for call in (lambda: bad.get_object(Bucket=bucket, Key="k"),
                 lambda: bad.put_object(Bucket=bucket, Key="k", Body=b"x"),
                 lambda: bad.list_buckets()):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="k")
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_unknown_access_key(s3_factory, s3, bucket, signature_version):
    """A request with an unknown access key id fails with 403 InvalidAccessKeyId."""
    bad = s3_factory(access_key="AKIANOSUCHKEY0000000", signature_version=signature_version)
    for call in (lambda: bad.get_object(Bucket=bucket, Key="k"), lambda: bad.list_buckets()):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("InvalidAccessKeyId", 403)
    assert_still_serving(s3)


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_sigv2_and_sigv4_headers(s3_factory, bucket, signature_version):
    """Header-signed requests are accepted with both SigV2 and SigV4."""
    client = s3_factory(signature_version=signature_version)
    client.put_object(Bucket=bucket, Key="sig/é key", Body=b"signed", ContentType="text/plain")
    assert client.get_object(Bucket=bucket, Key="sig/é key")["Body"].read() == b"signed"


def test_unsigned_request_is_denied(ramod, bucket):
    """An anonymous GET of an object is refused with 403 AccessDenied."""
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(f"{ramod.endpoint}/{bucket}/anything", timeout=10)
    assert excinfo.value.code == 403
    assert b"<Code>AccessDenied</Code>" in excinfo.value.read()


# -- raw HTTP: Expect: 100-continue and the size cap ------------------------------------------


def raw_exchange(ramod, head, body_after_continue=None, timeout=10):
    """Send request headers on a socket; optionally send a body after ``100 Continue``."""
    sock = socket.create_connection(("127.0.0.1", ramod.port), timeout=timeout)
    with sock:
        sock.sendall(head)
        received = b""
        if body_after_continue is not None:
            while b"\r\n\r\n" not in received:
                chunk = sock.recv(65536)
                assert chunk, received
                received += chunk
            assert received.startswith(b"HTTP/1.1 100 "), received
            received = received.split(b"\r\n\r\n", 1)[1]
            sock.sendall(body_after_continue)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            if _complete_response(received):
                break
    return received


def _complete_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def request_head(ramod, method, path, headers):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_expect_100_continue(ramod, s3, bucket):
    """A PUT with Expect: 100-continue gets 100 Continue, then 200 after the body."""
    body = os.urandom(200_000)
    url = f"{ramod.endpoint}/{bucket}/expect"
    headers, _, _ = signed_headers("PUT", url, payload_hash=hashlib.sha256(body).hexdigest(),
                                   headers={"Content-Length": str(len(body)),
                                            "Expect": "100-continue"})
    response = raw_exchange(ramod, request_head(ramod, "PUT", f"/{bucket}/expect", headers), body)
    assert response.startswith(b"HTTP/1.1 200 "), response[:500]
    assert s3.get_object(Bucket=bucket, Key="expect")["Body"].read() == body


def test_entity_too_large_before_body(ramod, s3, bucket):
    """A PUT declaring more than 5 GiB is refused with 400 EntityTooLarge without a body sent."""
    size = 5 * 1024 ** 3 + 1
    url = f"{ramod.endpoint}/{bucket}/huge"
    headers, _, _ = signed_headers("PUT", url, headers={"Content-Length": str(size)})
    response = raw_exchange(ramod, request_head(ramod, "PUT", f"/{bucket}/huge", headers))
    assert response.startswith(b"HTTP/1.1 400 "), response[:500]
    assert b"<Code>EntityTooLarge</Code>" in response
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="huge")
    assert error_of(excinfo)[1] == 404
    assert_still_serving(s3)
