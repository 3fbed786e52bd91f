"""SigV4: AWS's published examples, botocore round trips and every way a request is refused."""

import datetime
import io
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

from ramod.auth import SignedRequest, VerifiedAuth, parse_auth, sigv4
from ramod.protocol.errors import (
    AccessDenied,
    AuthorizationHeaderMalformed,
    AuthorizationQueryParametersError,
    InvalidArgument,
    InvalidRequest,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
)

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
DOC_TIME = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)
EMPTY = sigv4.EMPTY_SHA256
HOST = "examplebucket.s3.amazonaws.com"
HOSTILE_KEYS = ["a b+c%d/é/../x=y&z", "ключ/日本語 ☃", "~!'()*$,;:@[]", "sp  ace/", "100%25", "a//b"]


def doc_authorization(signed_headers, signature):
    return (f"AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request,"
            f"SignedHeaders={signed_headers},Signature={signature}")


# The four examples of "Signature Calculations for the Authorization Header:
# Transferring Payload in a Single Chunk" (S3 API reference).
DOC_EXAMPLES = {
    "GET Object": ("GET", "/test.txt", "", {
        "range": "bytes=0-9", "x-amz-content-sha256": EMPTY},
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    "PUT Object": ("PUT", "/test$file.text", "", {
        "date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    "GET Bucket Lifecycle": ("GET", "/", "lifecycle", {"x-amz-content-sha256": EMPTY},
                             "host;x-amz-content-sha256;x-amz-date",
                             "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    "Get Bucket (List Objects)": ("GET", "/", "max-keys=2&prefix=J", {"x-amz-content-sha256": EMPTY},
                                  "host;x-amz-content-sha256;x-amz-date",
                                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
}
DOC_PRESIGNED = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")


def doc_request(name, **changes):
    method, path, query, headers, signed, signature = DOC_EXAMPLES[name]
    headers = {"host": HOST, "x-amz-date": "20130524T000000Z", **headers,
               "authorization": doc_authorization(signed, signature)}
    headers.update(changes)
    return SignedRequest(method, path, query, headers)


def presigned_doc(query=DOC_PRESIGNED, **headers):
    return SignedRequest("GET", "/test.txt", query, {"host": HOST, **headers})


def to_signed(request: AWSRequest) -> SignedRequest:
    """What the server would see of a request botocore signed."""
    url = urlsplit(request.url)
    headers = {name.lower(): (value.decode() if isinstance(value, bytes) else value)
               for name, value in request.headers.items()}
    headers.setdefault("host", url.netloc)
    return SignedRequest(request.method, url.path, url.query, headers)


def botocore_signed(method="GET", key="k", query="", headers=None, body=b"",
                    secret=SK, presign=None):
    url = f"http://127.0.0.1:9000/bkt/{percent_encode(key, safe='/~')}"
    if query:
        url += "?" + query
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    credentials = Credentials(AK, secret)
    if presign is None:
        S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
    else:
        S3SigV4QueryAuth(credentials, "s3", REGION, expires=presign).add_auth(request)
    return to_signed(request)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def verify(req, secret=SK, at=None, **kw) -> VerifiedAuth:
    return parse_auth(req, REGION).verify(secret, at or now(), **kw)


# -- AWS examples -----------------------------------------------------------------


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_aws_single_chunk_examples(name):
    """Each published single-chunk example verifies with its published signature."""
    verified = parse_auth(doc_request(name), REGION).verify(SK, DOC_TIME)
    assert verified == VerifiedAuth(AK, "sigv4-header", DOC_EXAMPLES[name][3]["x-amz-content-sha256"])


def test_aws_put_example_canonical_request():
    """The PUT example's canonical request is exactly the published one ('$' becomes %24)."""
    parsed = parse_auth(doc_request("PUT Object"), REGION)
    assert parsed.canonical_request() == (
        "PUT\n/test%24file.text\n\n"
        "date:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
        "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")


def test_aws_list_example_in_any_parameter_order():
    """Query parameters are signed sorted, whatever their order and escaping on the wire."""
    req = doc_request("Get Bucket (List Objects)")
    for query in ("prefix=J&max-keys=2", "prefix=%4A&max-keys=2"):
        swapped = SignedRequest(req.method, req.raw_path, query, req.headers)
        assert parse_auth(swapped, REGION).verify(SK, DOC_TIME).access_key == AK


def test_aws_presigned_example():
    """The published presigned URL verifies during its 24 hours."""
    verified = parse_auth(presigned_doc(), REGION).verify(SK, DOC_TIME + datetime.timedelta(days=1))
    assert verified == VerifiedAuth(AK, "sigv4-query", None)


def test_aws_presigned_example_expires():
    """One second after X-Amz-Date + X-Amz-Expires the URL is refused as expired."""
    later = DOC_TIME + datetime.timedelta(days=1, seconds=1)
    with pytest.raises(AccessDenied, match="Request has expired") as info:
        parse_auth(presigned_doc(), REGION).verify(SK, later)
    assert info.value.extra["X-Amz-Expires"] == "86400"


def test_presigned_from_the_future():
    """A presigned URL dated beyond the allowed skew is not valid yet."""
    with pytest.raises(AccessDenied, match="not valid yet"):
        parse_auth(presigned_doc(), REGION).verify(SK, DOC_TIME - datetime.timedelta(seconds=901))
    parse_auth(presigned_doc(), REGION).verify(SK, DOC_TIME - datetime.timedelta(seconds=900))


def test_signing_key_example():
    """The signing key matches the SigV4 documentation's worked example."""
    key = sigv4.signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


# -- canonical forms ------------------------------------------------------------------


@pytest.mark.parametrize("raw, canonical", [
    ("/", "/"),
    ("", "/"),
    ("/test$file.text", "/test%24file.text"),
    ("/test%24file.text", "/test%24file.text"),
    ("/a%20b%2Bc", "/a%20b%2Bc"),
    ("/a+b", "/a%2Bb"),
    ("/\u00c3\u00a9", "/%C3%A9"),
    ("/ключ", "/%D0%BA%D0%BB%D1%8E%D1%87"),
    ("/%c3%a9", "/%C3%A9"),
    ("/a%2Fb/c", "/a%2Fb/c"),
    ("/a/../b/./c//", "/a/../b/./c//"),
    ("/%7Euser/%41", "/~user/A"),
    ("/100%", "/100%25"),
    ("/x=y&z", "/x%3Dy%26z"),
])
def test_canonical_uri(raw, canonical):
    """Paths are decoded and re-encoded once, never normalised; '%2F' stays escaped."""
    assert sigv4.canonical_uri(raw) == canonical


@pytest.mark.parametrize("raw, canonical", [
    ("", ""),
    ("lifecycle", "lifecycle="),
    ("uploads&prefix=a/b&list-type=2", "list-type=2&prefix=a%2Fb&uploads="),
    ("b=2&a=x%20y&a=%2B", "a=%2B&a=x%20y&b=2"),
    ("a=x+y", "a=x%2By"),
    ("x-id=GetObject&versionId=3", "versionId=3&x-id=GetObject"),
    ("k=%E2%98%83&k2=\u2603", "k=%E2%98%83&k2=%E2%98%83"),
    ("Z=1&a=1", "Z=1&a=1"),
])
def test_canonical_query(raw, canonical):
    """Parameters are decoded, re-encoded (space as %20) and sorted by encoded name."""
    assert sigv4.canonical_query(sigv4.parse_query(raw)) == canonical


def test_raw_bytes_are_signed_as_sent():
    """Strings carry bytes decoded as latin-1: a raw UTF-8 header value is hashed byte for byte."""
    value = "caf\u00c3\u00a9"  # b"caf\xc3\xa9" as twisted.web decodes it
    canonical = sigv4.canonical_request("PUT", "/k", "", {"host": "h", "x-amz-meta-a": value},
                                        ["host", "x-amz-meta-a"], EMPTY)
    digest = sigv4.hashlib.sha256(
        b"PUT\n/k\n\nhost:h\nx-amz-meta-a:caf\xc3\xa9\n\nhost;x-amz-meta-a\n" + EMPTY.encode()).hexdigest()
    assert sigv4.string_to_sign("20130524T000000Z", "s", canonical).endswith(digest)


def test_canonical_headers_trim_and_collapse():
    """Header values are trimmed and inner whitespace runs collapsed."""
    headers = {"host": "h", "x-amz-meta-a": "  a   b \t c  "}
    assert sigv4.canonical_headers(headers, ["host", "x-amz-meta-a"]) == "host:h\nx-amz-meta-a:a b c\n"


# -- botocore round trips ----------------------------------------------------------------


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_botocore_header_auth_hostile_keys(key):
    """Keys with spaces, '+', '%', '..', '=', '&' and unicode verify as botocore signs them."""
    req = botocore_signed("PUT", key, headers={"x-amz-meta-note": "x  y"}, body=b"data")
    assert verify(req).content_sha256 == sigv4.hashlib.sha256(b"data").hexdigest()


@pytest.mark.parametrize("query", [
    "acl", "uploads", "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D",
    "list-type=2&prefix=a%20b%2F&delimiter=%2F", "versionId=null&x-id=GetObject",
    "response-content-disposition=attachment%3B%20filename%3D%22%C3%A9.txt%22",
])
def test_botocore_header_auth_queries(query):
    """Sub-resources, empty values and extra parameters such as x-id verify."""
    assert verify(botocore_signed("GET", "k", query)).access_key == AK


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_botocore_presigned_hostile_keys(key):
    """botocore presigned URLs verify for hostile keys."""
    verified = verify(botocore_signed("GET", key, "response-content-type=text%2Fplain", presign=3600))
    assert verified == VerifiedAuth(AK, "sigv4-query", None)


def test_botocore_presigned_expires():
    """A botocore presigned URL is refused once its X-Amz-Expires has passed."""
    req = botocore_signed(presign=60)
    verify(req, at=now() + datetime.timedelta(seconds=50))
    with pytest.raises(AccessDenied, match="Request has expired"):
        verify(req, at=now() + datetime.timedelta(seconds=70))


@pytest.mark.parametrize("expires, message", [
    (604801, "less than a week"), (0, "at least 1 second"), ("abc", "should be a number")])
def test_presigned_expires_range(expires, message):
    """X-Amz-Expires must be a number from 1 to 604800."""
    req = botocore_signed(presign=604800)
    query = req.raw_query.replace("X-Amz-Expires=604800", f"X-Amz-Expires={expires}")
    with pytest.raises(AuthorizationQueryParametersError, match=message):
        parse_auth(SignedRequest("GET", req.raw_path, query, req.headers), REGION)


def test_presigned_week_is_allowed():
    """X-Amz-Expires of exactly seven days is accepted."""
    assert verify(botocore_signed(presign=604800)).scheme == "sigv4-query"


def test_presigned_missing_parameter():
    """A presigned URL without X-Amz-Signature is malformed."""
    req = botocore_signed(presign=60)
    query = "&".join(p for p in req.raw_query.split("&") if not p.startswith("X-Amz-Signature"))
    with pytest.raises(AuthorizationQueryParametersError, match="requires"):
        parse_auth(SignedRequest("GET", req.raw_path, query, req.headers), REGION)



def capturing_client(endpoint: str):
    """A real boto3 client whose requests are captured before sending: (client, captured)."""
    captured = []

    class Raw:
        def stream(self, **kw):
            return iter([b""])

    def capture(request, **kw):
        captured.append(request)
        return AWSResponse(request.url, 200, {}, Raw())

    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=AK, aws_secret_access_key=SK,
                          config=Config(s3={"addressing_style": "path"}))
    client.meta.events.register("before-send.s3", capture)
    return client, captured


def test_boto3_client_requests_verify():
    """Requests made by a real boto3 client (CRT or botocore signer) verify, presigned ones too."""
    client, captured = capturing_client("http://127.0.0.1:9000")
    for key in HOSTILE_KEYS:
        client.put_object(Bucket="bkt", Key=key, Body=b"x", ACL="private", Metadata={"a": "b"})
        client.get_object(Bucket="bkt", Key=key, Range="bytes=0-0")
    client.list_objects_v2(Bucket="bkt", Prefix="a b+/é", Delimiter="/")
    client.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}]})
    for request in captured:
        assert verify(to_signed(request)).access_key == AK
    presigner = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name=REGION,
                             aws_access_key_id=AK, aws_secret_access_key=SK,
                             config=Config(signature_version="s3v4"))
    url = urlsplit(presigner.generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": HOSTILE_KEYS[0]}, ExpiresIn=60))
    presigned = SignedRequest("GET", url.path, url.query, {"host": url.netloc})
    assert verify(presigned).scheme == "sigv4-query"


# -- refusals ------------------------------------------------------------------------


def test_wrong_secret():
    """A request signed with another secret does not match, and the error says what was signed."""
    with pytest.raises(SignatureDoesNotMatch) as info:
        verify(botocore_signed(), secret="not-the-secret")
    assert info.value.extra["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert "CanonicalRequest" in info.value.extra


@pytest.mark.parametrize("change", [
    {"x-amz-meta-note": "other"}, {"host": "elsewhere:9000"}, {"x-amz-content-sha256": EMPTY}])
def test_tampered_header(change):
    """Changing a signed header (or the payload hash) breaks the signature."""
    req = botocore_signed("PUT", headers={"x-amz-meta-note": "x"}, body=b"data")
    with pytest.raises(SignatureDoesNotMatch):
        verify(SignedRequest(req.method, req.raw_path, req.raw_query, {**req.headers, **change}))


@pytest.mark.parametrize("method, path, query", [
    ("DELETE", "/bkt/k", ""), ("GET", "/bkt/k2", ""), ("GET", "/bkt/k", "acl"), ("GET", "/bkt%2Fk", "")])
def test_tampered_request_line(method, path, query):
    """Changing the method, path or query breaks the signature."""
    req = botocore_signed("GET", "k")
    with pytest.raises(SignatureDoesNotMatch):
        verify(SignedRequest(method, path, query, req.headers))


def test_signed_header_missing():
    """A header named in SignedHeaders but absent from the request does not match."""
    req = botocore_signed("PUT", headers={"content-type": "text/plain"})
    headers = {k: v for k, v in req.headers.items() if k != "content-type"}
    with pytest.raises(SignatureDoesNotMatch):
        verify(SignedRequest(req.method, req.raw_path, req.raw_query, headers))


def test_unsigned_amz_header_refused():
    """An x-amz-* header added after signing is refused, naming the header."""
    req = botocore_signed("PUT")
    added = SignedRequest("PUT", req.raw_path, "", {**req.headers, "x-amz-acl": "public-read"})
    with pytest.raises(AccessDenied, match="not signed") as info:
        parse_auth(added, REGION)
    assert info.value.extra["HeadersNotSigned"] == "x-amz-acl"


def test_host_must_be_signed():
    """SignedHeaders without host is refused."""
    req = doc_request("GET Bucket Lifecycle",
                      authorization=doc_authorization("x-amz-content-sha256;x-amz-date", "0" * 64))
    with pytest.raises(AccessDenied, match="not signed"):
        parse_auth(req, REGION)


@pytest.mark.parametrize("offset", [901, -901])
def test_clock_skew(offset):
    """A header-signed request more than 15 minutes from the server's clock is too skewed."""
    with pytest.raises(RequestTimeTooSkewed) as info:
        parse_auth(doc_request("GET Object"), REGION).verify(
            SK, DOC_TIME + datetime.timedelta(seconds=offset))
    assert info.value.extra["RequestTime"] == "20130524T000000Z"
    assert info.value.extra["MaxAllowedSkewMilliseconds"] == "900000"
    assert "ServerTime" in info.value.extra


def test_clock_skew_limit_is_inclusive():
    """Exactly max_skew seconds away is still accepted."""
    parse_auth(doc_request("GET Object"), REGION).verify(SK, DOC_TIME + datetime.timedelta(seconds=900))


def test_wrong_region():
    """A credential scope naming another region is malformed, and the message names ours."""
    req = doc_request("GET Object")
    with pytest.raises(AuthorizationHeaderMalformed) as info:
        parse_auth(req, "eu-west-1")
    assert info.value.message == ("The authorization header is malformed; the region "
                                  "'us-east-1' is wrong; expecting 'eu-west-1'")
    assert info.value.extra["Region"] == "eu-west-1"


def test_wrong_region_presigned():
    """A presigned credential naming another region is an AuthorizationQueryParametersError."""
    with pytest.raises(AuthorizationQueryParametersError, match="expecting 'eu-west-1'"):
        parse_auth(presigned_doc(), "eu-west-1")


@pytest.mark.parametrize("credential, message", [
    (f"{AK}/20130524/us-east-1/iam/aws4_request", "incorrect service 'iam'"),
    (f"{AK}/20130524/us-east-1/s3/aws5_request", "incorrect terminal"),
    (f"{AK}/20130524/us-east-1/s3", "mal-formed"),
])
def test_bad_credential(credential, message):
    """Wrong service, terminal, shape or date in the credential scope is malformed."""
    authorization = (f"AWS4-HMAC-SHA256 Credential={credential}, "
                     f"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature={'0' * 64}")
    with pytest.raises(AuthorizationHeaderMalformed, match=message):
        parse_auth(doc_request("GET Object", authorization=authorization), REGION)


def test_credential_date_differs():
    """A credential date other than x-amz-date's is malformed, once the clock skew is fine."""
    authorization = doc_authorization("host;range;x-amz-content-sha256;x-amz-date", "0" * 64)
    authorization = authorization.replace("/20130524/", "/20130525/")
    parsed = parse_auth(doc_request("GET Object", authorization=authorization), REGION)
    with pytest.raises(AuthorizationHeaderMalformed, match="Date is not the same as X-Amz-Date"):
        parsed.verify(SK, DOC_TIME)
    with pytest.raises(RequestTimeTooSkewed):
        parsed.verify(SK, DOC_TIME + datetime.timedelta(days=1))


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 Credential=a/b", "AWS4-HMAC-SHA256 garbage",
    f"AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request, Signature=00"])
def test_malformed_header(authorization):
    """An Authorization header without its three components is malformed."""
    with pytest.raises(AuthorizationHeaderMalformed):
        parse_auth(doc_request("GET Object", authorization=authorization), REGION)


def test_missing_content_sha256():
    """SigV4 header auth without x-amz-content-sha256 is an InvalidRequest, as on S3."""
    req = doc_request("GET Object")
    headers = {k: v for k, v in req.headers.items() if k != "x-amz-content-sha256"}
    with pytest.raises(InvalidRequest, match="x-amz-content-sha256"):
        parse_auth(SignedRequest("GET", "/test.txt", "", headers), REGION)


def test_bad_content_sha256():
    """An x-amz-content-sha256 that is neither a digest nor a known literal is refused."""
    with pytest.raises(InvalidArgument, match="x-amz-content-sha256"):
        parse_auth(doc_request("GET Object", **{"x-amz-content-sha256": "nope"}), REGION)


@pytest.mark.parametrize("change", [
    {"x-amz-date": ""}, {"x-amz-date": "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-date": "\x07"},
    {"x-amz-date": "19500707T215304Z"}])
def test_bad_amz_date(change):
    """An empty or non-ISO x-amz-date is refused, as S3 does."""
    with pytest.raises(AccessDenied, match="valid Date or x-amz-date"):
        parse_auth(doc_request("GET Object", **change), REGION)


def test_no_date_at_all():
    """Header auth needs x-amz-date or Date."""
    req = doc_request("GET Object")
    headers = {k: v for k, v in req.headers.items() if k != "x-amz-date"}
    with pytest.raises(AccessDenied, match="valid Date or x-amz-date"):
        parse_auth(SignedRequest("GET", "/test.txt", "", headers), REGION)


def test_date_header_alone():
    """Without x-amz-date the Date header dates the request (and is what gets signed)."""
    date = "Fri, 24 May 2013 00:00:00 GMT"
    scope = "20130524/us-east-1/s3/aws4_request"
    headers = {"host": HOST, "date": date, "x-amz-content-sha256": EMPTY}
    canonical = sigv4.canonical_request("GET", "/k", "", headers, ["date", "host"], EMPTY)
    signature = sigv4.hmac_hex(sigv4.signing_key(SK, "20130524", REGION),
                               sigv4.string_to_sign("20130524T000000Z", scope, canonical))
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, "
                                f"SignedHeaders=date;host, Signature={signature}")
    verified = parse_auth(SignedRequest("GET", "/k", "", headers), REGION).verify(SK, DOC_TIME)
    assert verified.access_key == AK


def test_anonymous():
    """No Authorization header and no auth parameters: anonymous."""
    assert parse_auth(SignedRequest("GET", "/bkt/k", "versionId=1", {"host": "h"}), REGION) is None


def test_two_mechanisms():
    """An Authorization header together with presigned parameters is refused."""
    req = presigned_doc(authorization=doc_authorization("host", "0" * 64))
    with pytest.raises(InvalidArgument, match="Only one auth mechanism"):
        parse_auth(req, REGION)


@pytest.mark.parametrize("authorization", ["Bearer xyz", "AWS4-ECDSA-P256-SHA256 Credential=x", ""])
def test_unsupported_type(authorization):
    """An unknown Authorization scheme is an InvalidArgument."""
    with pytest.raises(InvalidArgument, match="Unsupported Authorization Type"):
        parse_auth(SignedRequest("GET", "/", "", {"host": "h", "authorization": authorization}), REGION)


def test_chunk_chain_needs_streaming():
    """chunk_chain() is only available for STREAMING-... payloads."""
    verified = parse_auth(doc_request("GET Object"), REGION).verify(SK, DOC_TIME)
    assert not verified.streaming
    with pytest.raises(InvalidRequest):
        verified.chunk_chain()


def test_botocore_streaming_unsigned_trailer_request():
    """A boto3 upload over https (STREAMING-UNSIGNED-PAYLOAD-TRAILER) verifies and decodes."""
    client, captured = capturing_client("https://127.0.0.1:9000")
    payload = bytes(range(256)) * 1000
    client.put_object(Bucket="bkt", Key="a b", Body=io.BytesIO(payload))
    request = captured[-1]
    body = request.body.read()
    verified = verify(to_signed(request))
    assert verified.content_sha256 == sigv4.STREAMING_UNSIGNED_TRAILER
    decoder = verified.chunked_decoder()
    events = decoder.feed(body) + decoder.finish()
    assert b"".join(bytes(e) for e in events if isinstance(e, memoryview)) == payload
    assert decoder.done
    assert set(decoder.trailer.headers) == {"x-amz-checksum-crc32"}
