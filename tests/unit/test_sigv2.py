"""SigV2: the S3 developer guide's examples, botocore round trips and refusals."""

import datetime
from urllib.parse import urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

from ramod.auth import SignedRequest, VerifiedAuth, parse_auth, sigv2
from ramod.protocol.errors import AccessDenied, InvalidArgument, RequestTimeTooSkewed, SignatureDoesNotMatch

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"


def at(text):
    return datetime.datetime.strptime(text, "%d %b %Y %H:%M:%S").replace(tzinfo=datetime.timezone.utc)


# "Signing and Authenticating REST Requests" examples:
# (method, host bucket, path, query, headers, signature, time)
DOC_EXAMPLES = {
    "Object GET": ("GET", "johnsmith", "/photos/puppy.jpg", "", {
        "date": "Tue, 27 Mar 2007 19:36:42 +0000"}, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=", "27 Mar 2007 19:36:42"),
    "Object PUT": ("PUT", "johnsmith", "/photos/puppy.jpg", "", {
        "date": "Tue, 27 Mar 2007 21:15:45 +0000", "content-type": "image/jpeg", "content-length": "94328"},
        "MyyxeRY7whkBe+bq8fHCL/2kKUg=", "27 Mar 2007 21:15:45"),
    "List": ("GET", "johnsmith", "/", "prefix=photos&max-keys=50&marker=puppy", {
        "date": "Tue, 27 Mar 2007 19:42:41 +0000", "user-agent": "Mozilla/5.0"},
        "htDYFYduRNen8P9ZfE/s9SuKy0U=", "27 Mar 2007 19:42:41"),
    "Fetch": ("GET", "johnsmith", "/", "acl", {"date": "Tue, 27 Mar 2007 19:44:46 +0000"},
              "c2WLPFtWHVgbEmeEG93a4cG37dM=", "27 Mar 2007 19:44:46"),
    "Delete": ("DELETE", None, "/johnsmith/photos/puppy.jpg", "", {
        "date": "Tue, 27 Mar 2007 21:20:27 +0000", "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000"},
        "R4dJ53KECjStyBO5iTBJZ4XVOaI=", "27 Mar 2007 21:20:26"),
    "Upload": ("PUT", "static.johnsmith.net", "/db-backup.dat.gz", "", {
        "date": "Tue, 27 Mar 2007 21:06:08 +0000", "x-amz-acl": "public-read",
        "content-type": "application/x-download", "content-md5": "4gJE4saaMU4BqNR0kLY+lw==",
        "x-amz-meta-reviewedby": "joe@johnsmith.net,jane@johnsmith.net",
        "x-amz-meta-filechecksum": "0x02661779", "x-amz-meta-checksumalgorithm": "crc32",
        "content-disposition": "attachment; filename=database.dat", "content-encoding": "gzip"},
        "ilyl83RwaSoYIEdixDQcA4OnAnc=", "27 Mar 2007 21:06:08"),
}


def doc_request(name, signature=None):
    method, bucket, path, query, headers, sig, _ = DOC_EXAMPLES[name]
    headers = {**headers, "authorization": f"AWS {AK}:{signature or sig}"}
    return SignedRequest(method, path, query, headers), bucket


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_aws_examples(name):
    """Each published SigV2 example verifies, virtual-hosted ones given their bucket."""
    req, bucket = doc_request(name)
    parsed = parse_auth(req, REGION, bucket_host=bucket)
    assert parsed.verify(SK, at(DOC_EXAMPLES[name][6])) == VerifiedAuth(AK, "sigv2-header")


def test_aws_unicode_example():
    """The unicode-key example signs the path exactly as sent (lower-case escapes kept)."""
    headers = {"date": "Wed, 28 Mar 2007 01:49:49 +0000",
               "authorization": "AWS 0PN5J17HBGZHT7JJ3X82:dxhSBHoI6eVSPcXJqEghlUzZMnY="}
    req = SignedRequest("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "", headers)
    parse_auth(req, REGION).verify("uV3F3YluFJax1cknvbcGwgjvx4QpvB+leU8dUj2o", at("28 Mar 2007 01:49:49"))


def test_aws_query_example():
    """The published query-string example verifies before its Expires and not after."""
    req = SignedRequest("GET", "/photos/puppy.jpg", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
                        "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620", {})
    parsed = parse_auth(req, REGION, bucket_host="johnsmith")
    assert parsed.verify(SK, at("27 Mar 2007 19:36:42")) == VerifiedAuth(AK, "sigv2-query")
    with pytest.raises(AccessDenied, match="Request has expired"):
        parsed.verify(SK, datetime.datetime.fromtimestamp(1175139621, datetime.timezone.utc))


def test_upload_string_to_sign():
    """The Upload example's string to sign is the published one."""
    req, bucket = doc_request("Upload")
    assert parse_auth(req, REGION, bucket_host=bucket).candidates() == [
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
        "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
        "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz"]


@pytest.mark.parametrize("query, resource", [
    ("", "/b/k"),
    ("acl", "/b/k?acl"),
    ("uploads=", "/b/k?uploads="),
    ("uploadId=a%2Bb&partNumber=3&x-id=UploadPart", "/b/k?partNumber=3&uploadId=a+b"),
    ("versionId=1&prefix=p&tagging", "/b/k?tagging&versionId=1"),
    ("response-content-type=text%2Fplain&response-expires=x",
     "/b/k?response-content-type=text/plain&response-expires=x"),
])
def test_canonical_resource(query, resource):
    """Only sub-resources are signed, sorted, with decoded values."""
    assert sigv2.canonical_resource("/b/k", query) == resource


# -- botocore round trips ---------------------------------------------------------------


def botocore_signed(method="GET", key="k", query="", headers=None, secret=SK, presign=None):
    url = f"http://127.0.0.1:9000/bkt/{percent_encode(key, safe='/~')}"
    if query:
        url += "?" + query
    request = AWSRequest(method=method, url=url, headers=headers or {})
    credentials = Credentials(AK, secret)
    if presign is None:
        HmacV1Auth(credentials).add_auth(request)
    else:
        HmacV1QueryAuth(credentials, expires=presign).add_auth(request)
    split = urlsplit(request.url)
    headers = {name.lower(): value for name, value in request.headers.items()}
    return SignedRequest(method, split.path, split.query, headers)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


KEYS = ["a b+c%d/é/../x=y&z", "ключ ☃", "~!'()*$,;:@"]
QUERIES = ["", "acl", "uploadId=a%2Fb%2B&partNumber=2", "versionId=null&tagging",
           "response-content-disposition=attachment%3B%20filename%3D%22%C3%A9%22"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("query", QUERIES)
def test_botocore_header(key, query):
    """botocore's HmacV1Auth requests verify for hostile keys and sub-resources."""
    req = botocore_signed("PUT", key, query, {"x-amz-meta-a": " b ", "content-type": "text/plain"})
    assert parse_auth(req, REGION).verify(SK, now()) == VerifiedAuth(AK, "sigv2-header")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("query", QUERIES)
def test_botocore_query(key, query):
    """botocore's HmacV1QueryAuth URLs verify until they expire."""
    req = botocore_signed("GET", key, query, presign=60)
    parsed = parse_auth(SignedRequest("GET", req.raw_path, req.raw_query, {}), REGION)
    assert parsed.verify(SK, now()) == VerifiedAuth(AK, "sigv2-query")
    with pytest.raises(AccessDenied, match="Request has expired"):
        parsed.verify(SK, now() + datetime.timedelta(seconds=120))


def test_botocore_query_with_amz_header():
    """x-amz-* values botocore moves into a presigned query are part of the signature."""
    req = botocore_signed("PUT", presign=60, headers={"x-amz-acl": "public-read"})
    assert "x-amz-acl=public-read" in req.raw_query
    parse_auth(SignedRequest("PUT", req.raw_path, req.raw_query, {}), REGION).verify(SK, now())
    tampered = req.raw_query.replace("public-read", "private")
    with pytest.raises(SignatureDoesNotMatch):
        parse_auth(SignedRequest("PUT", req.raw_path, tampered, {}), REGION).verify(SK, now())


def test_x_amz_date_with_empty_date_line():
    """With x-amz-date, a signature over an empty Date line (the AWS rule) is accepted too."""
    headers = {"x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000"}
    to_sign = sigv2.string_to_sign("GET", headers, "", "/b/k")
    headers["authorization"] = f"AWS {AK}:{sigv2.sign(SK, to_sign)}"
    parse_auth(SignedRequest("GET", "/b/k", "", headers), REGION).verify(SK, at("27 Mar 2007 21:20:26"))


# -- refusals -----------------------------------------------------------------------------


def test_wrong_secret():
    """Another secret does not match."""
    with pytest.raises(SignatureDoesNotMatch) as info:
        parse_auth(botocore_signed(), REGION).verify("other", now())
    assert info.value.extra["StringToSign"].startswith("GET\n")


@pytest.mark.parametrize("change", [
    {"content-type": "text/html"}, {"x-amz-meta-a": "c"}, {"x-amz-acl": "public-read"}])
def test_tampered(change):
    """Changing Content-Type or any x-amz-* header breaks the signature."""
    req = botocore_signed("PUT", headers={"x-amz-meta-a": "b", "content-type": "text/plain"})
    tampered = SignedRequest("PUT", req.raw_path, req.raw_query, {**req.headers, **change})
    with pytest.raises(SignatureDoesNotMatch):
        parse_auth(tampered, REGION).verify(SK, now())


def test_tampered_subresource():
    """Adding a sub-resource to a signed request breaks the signature."""
    req = botocore_signed()
    with pytest.raises(SignatureDoesNotMatch):
        parse_auth(SignedRequest("GET", req.raw_path, "acl", req.headers), REGION).verify(SK, now())


def test_skew():
    """A Date more than max_skew away is RequestTimeTooSkewed."""
    req, bucket = doc_request("Object GET")
    with pytest.raises(RequestTimeTooSkewed) as info:
        parse_auth(req, REGION, bucket).verify(SK, at("27 Mar 2007 19:52:43"))
    assert info.value.extra["RequestTime"] == "Tue, 27 Mar 2007 19:36:42 +0000"


@pytest.mark.parametrize("headers", [
    {}, {"date": "\x07"}, {"date": "Tue, 07 Jul 1950 21:53:04 GMT"},
    {"x-amz-date": "", "date": "Tue, 27 Mar 2007 19:36:42 +0000"}])
def test_bad_date(headers):
    """A missing, unreadable or pre-epoch date is AccessDenied, as s3-tests expect."""
    req = SignedRequest("GET", "/b/k", "", {**headers, "authorization": f"AWS {AK}:abc="})
    with pytest.raises(AccessDenied, match="valid Date or x-amz-date"):
        parse_auth(req, REGION).verify(SK, at("27 Mar 2007 19:36:42"))


@pytest.mark.parametrize("authorization", ["AWS HAHAHA", "AWS :sig", "AWS ak:"])
def test_malformed_header(authorization):
    """'AWS' without access key and signature is an InvalidArgument (s3-tests)."""
    with pytest.raises(InvalidArgument):
        parse_auth(SignedRequest("GET", "/", "", {"authorization": authorization}), REGION)


@pytest.mark.parametrize("query", [
    "AWSAccessKeyId=a&Signature=b", "Signature=b&Expires=1", "AWSAccessKeyId=a&Signature=b&Expires=soon"])
def test_malformed_query(query):
    """A presigned V2 query missing a parameter, or with a non-numeric Expires, is refused."""
    with pytest.raises(AccessDenied):
        parse_auth(SignedRequest("GET", "/b/k", query, {}), REGION)


def test_bucket_request_signed_with_trailing_slash_verifies():
    """boto3 signs a request on a bucket (PUT /bucket) with resource /bucket/: accepted."""
    from botocore.auth import HmacV1Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from ramod.auth import SignedRequest, parse_auth

    req = AWSRequest(method="PUT", url="http://127.0.0.1:9000/probe-bucket/", headers={})
    HmacV1Auth(Credentials("AKID", "secret")).add_auth(req)
    headers = {k.lower(): v for k, v in req.headers.items()}
    headers["host"] = "127.0.0.1:9000"
    sent = SignedRequest("PUT", "/probe-bucket", "", headers)  # what boto3 puts on the wire
    parsed = parse_auth(sent, "us-east-1")
    import datetime
    assert parsed.verify("secret", datetime.datetime.now(datetime.timezone.utc)).access_key == "AKID"
