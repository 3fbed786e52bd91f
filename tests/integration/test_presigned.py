"""Presigned URLs (SigV2 and SigV4 query signing) fetched with plain http.client."""

import http.client
import os
import time
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ramod_process import REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY

SIGNATURES = ["s3", "s3v4"]


def fetch(url, method="GET", body=None, headers=None):
    """Send one request to ``url`` exactly as given; return ``(status, headers, body)``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def error_code(body):
    """The <Code> of an S3 XML error body."""
    text = body.decode()
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else None


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_get(s3_factory, s3, bucket, signature_version):
    """A presigned GET URL downloads the object without any other credentials."""
    data = os.urandom(70_000)
    key = "pre/sig é+&=.bin"
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    url = s3_factory(signature_version=signature_version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    status, _, body = fetch(url)
    assert status == 200 and body == data


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_put(s3_factory, s3, bucket, signature_version):
    """A presigned PUT URL uploads a body that then reads back identical."""
    data = os.urandom(123_456)
    url = s3_factory(signature_version=signature_version).generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "uploaded"}, ExpiresIn=300)
    status, _, body = fetch(url, "PUT", data)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="uploaded")["Body"].read() == data


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_response_overrides(s3_factory, s3, bucket, signature_version):
    """Signed response-* parameters of a presigned GET set the response headers."""
    s3.put_object(Bucket=bucket, Key="doc", Body=b"a,b", ContentType="text/plain")
    url = s3_factory(signature_version=signature_version).generate_presigned_url(
        "get_object", ExpiresIn=300, Params={
            "Bucket": bucket, "Key": "doc", "ResponseContentType": "text/csv",
            "ResponseContentDisposition": "attachment; filename=x.csv"})
    status, headers, body = fetch(url)
    assert status == 200 and body == b"a,b"
    assert headers["Content-Type"] == "text/csv"
    assert headers["Content-Disposition"] == "attachment; filename=x.csv"


def test_sigv2_presigned_tolerates_extra_query(s3_factory, s3, bucket):
    """An unsigned extra parameter such as x-id does not break a SigV2 presigned URL."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2")
    url = s3_factory(signature_version="s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    status, _, body = fetch(url + "&x-id=GetObject")
    assert status == 200 and body == b"v2"


def test_sigv4_presigned_with_signed_x_id(ramod, s3, bucket):
    """A SigV4 presigned URL whose signed query includes x-id=GetObject is accepted."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v4")
    url = presign_v4(f"{ramod.endpoint}/{bucket}/k?x-id=GetObject", expires=300)
    status, _, body = fetch(url)
    assert status == 200 and body == b"v4"


def presign_v4(url, expires, method="GET", secret_key=ROOT_SECRET_KEY):
    """Presign ``url`` (query included) with botocore's SigV4 query signer."""
    signer = S3SigV4QueryAuth(Credentials(ROOT_ACCESS_KEY, secret_key), "s3", REGION,
                              expires=expires)
    request = AWSRequest(method=method, url=url)
    signer.add_auth(request)
    return request.url


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_expired_presigned_url(s3_factory, s3, bucket, signature_version):
    """A presigned URL used after it expired fails with 403 AccessDenied 'Request has expired'."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3_factory(signature_version=signature_version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    status, _, body = fetch(url)
    assert (status, error_code(body)) == (403, "AccessDenied")
    assert b"Request has expired" in body
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_tampered_presigned_url(s3_factory, s3, bucket, signature_version):
    """Changing the key or the expiry of a presigned URL gives 403 SignatureDoesNotMatch."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object(Bucket=bucket, Key="other", Body=b"secret")
    url = s3_factory(signature_version=signature_version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    other_key = url.replace(f"/{bucket}/k?", f"/{bucket}/other?")
    status, _, body = fetch(other_key)
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")
    longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=600").replace(
        "Expires=", "Expires=1")
    status, _, body = fetch(longer)
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_presigned_wrong_secret(ramod, s3, bucket):
    """A SigV4 presigned URL signed with the wrong secret gives 403 SignatureDoesNotMatch."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = presign_v4(f"{ramod.endpoint}/{bucket}/k", 300, secret_key="wrong")
    status, _, body = fetch(url)
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")


def test_sigv4_expiry_over_a_week_is_refused(ramod, s3, bucket):
    """X-Amz-Expires above 604800 seconds is refused with 400 AuthorizationQueryParametersError."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    ok = presign_v4(f"{ramod.endpoint}/{bucket}/k", 604800)
    assert fetch(ok)[0] == 200
    status, _, body = fetch(presign_v4(f"{ramod.endpoint}/{bucket}/k", 604801))
    assert (status, error_code(body)) == (400, "AuthorizationQueryParametersError")


def test_presigned_url_for_hostile_key(s3_factory, s3, bucket):
    """Presigned URLs work for keys with reserved and non-ASCII characters."""
    key = "a b+c%d/é/../x=y&z"
    s3.put_object(Bucket=bucket, Key=key, Body=b"hostile")
    for version in SIGNATURES:
        url = s3_factory(signature_version=version).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        assert quote(key, safe="/~") in url
        status, _, body = fetch(url)
        assert (status, body) == (200, b"hostile"), version
