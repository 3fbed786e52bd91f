"""ramoclient's SigV4 signer: AWS's published example, and ramod's verifier accepts what it
signs (so the client and the server agree on every canonical form)."""

import datetime

import pytest

from ramoclient import sigv4
from ramod.auth import SignedRequest, parse_auth
from ramod.protocol.errors import SignatureDoesNotMatch

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
NOW = datetime.datetime(2026, 11, 22, 10, 4, 5, tzinfo=datetime.timezone.utc)
HOST = "127.0.0.1:9000"
KEYS = ["plain.txt", "a b+c%d/é/../x=y&z", "ключ/日本語 ☃", "~!'()*$,;:@[]", "sp  ace/", "100%25",
        "a//b", "/leading"]
QUERIES = [[], [("uploads", "")], [("partNumber", "3"), ("uploadId", "u/1+2=")],
           [("prefix", "é ☃/&="), ("delimiter", "/"), ("list-type", "2")], [("a", "2"), ("a", "1")]]


def sign(method, bucket, key, query=(), headers=None, payload=sigv4.EMPTY_SHA256, secret=SK,
         region=REGION, now=NOW):
    """Sign as ramogui does; the request as the server sees it (path, query, headers)."""
    path, query_text = sigv4.object_path(bucket, key), sigv4.canonical_query(query)
    signed = sigv4.sign_headers(method, path, query_text, {"host": HOST, **(headers or {})},
                                payload, access_key=AK, secret_key=secret, region=region,
                                now=now)
    return SignedRequest(method, path, query_text, signed)


def verify(request, now=NOW):
    parsed = parse_auth(request, REGION)
    assert parsed.scheme == "sigv4-header" and parsed.access_key == AK
    return parsed.verify(SK, now)


def test_aws_published_example():
    """The S3 guide's "GET Object" example signs to its published signature."""
    signed = sigv4.sign_headers(
        "GET", "/test.txt", "", {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"},
        sigv4.EMPTY_SHA256, access_key=AK, secret_key=SK, region=REGION,
        now=datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc))
    assert signed["x-amz-date"] == "20130524T000000Z"
    assert signed["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("query", QUERIES)
def test_server_accepts_object_requests(key, query):
    """Any key and query the app sends is signed the way ramod checks it."""
    verified = verify(sign("PUT", "bkt", key, query, {"content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="}))
    assert verified.access_key == AK and verified.content_sha256 == sigv4.EMPTY_SHA256


@pytest.mark.parametrize("bucket, key", [(None, None), ("bkt", None), ("my.bucket-1", "k")])
def test_server_accepts_service_and_bucket_requests(bucket, key):
    """ListBuckets (``/``), bucket requests and object requests alike."""
    verify(sign("GET", bucket, key))


def test_server_accepts_signed_extra_headers():
    """Extra headers are signed: trimmed, inner spaces collapsed, latin-1 values as sent."""
    headers = {"Content-Type": "text/plain", "x-amz-meta-note": "  two   spaces  café ",
               "if-match": '"abc"', "range": "bytes=0-9"}
    request = sign("GET", "bkt", "k", headers=headers, payload="a" * 64)
    assert set(request.headers) >= {"content-type", "x-amz-meta-note", "authorization"}
    assert verify(request).content_sha256 == "a" * 64


def test_other_region_and_time():
    """The scope names the region asked for; the date is the UTC one of ``now``."""
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    now = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=tokyo)   # still the 22nd in UTC
    request = sign("GET", "bkt", "k", region="ap-northeast-1", now=now)
    assert request.headers["x-amz-date"] == "20261122T230000Z"
    assert "/20261122/ap-northeast-1/s3/aws4_request" in request.headers["authorization"]
    parse_auth(request, "ap-northeast-1").verify(SK, now)


def test_wrong_secret_or_changed_request_is_refused():
    """The check is real: another secret, or a header changed after signing, fails."""
    with pytest.raises(SignatureDoesNotMatch):
        verify(sign("GET", "bkt", "k", secret="not-the-secret"))
    request = sign("PUT", "bkt", "k", headers={"content-type": "text/plain"})
    tampered = SignedRequest(request.method, request.raw_path, request.raw_query,
                             {**request.headers, "content-type": "text/html"})
    with pytest.raises(SignatureDoesNotMatch):
        verify(tampered)


def test_canonical_query_is_sorted_and_encoded():
    """Sorted by name then value; everything but unreserved characters percent-encoded."""
    assert sigv4.canonical_query([("b", "x y"), ("a", "2"), ("a", "1"), ("uploads", "")]) == \
        "a=1&a=2&b=x%20y&uploads="
    assert sigv4.canonical_query([("prefix", "é/~")]) == "prefix=%C3%A9%2F~"


def test_object_path_keeps_key_slashes_only():
    assert sigv4.object_path() == "/"
    assert sigv4.object_path("bkt") == "/bkt"
    assert sigv4.object_path("bkt", "a b/c%") == "/bkt/a%20b/c%25"
