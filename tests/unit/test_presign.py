"""Presigned URLs made by ramod.auth.presign pass ramod's own SigV4 check and match botocore's."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ramod.auth import SignedRequest, parse_auth
from ramod.auth.presign import presign

NOW = datetime.datetime(2026, 11, 22, 10, 4, 5, tzinfo=datetime.timezone.utc)
KEYS = ["plain.txt", "dir/sub/file name é+&=%.bin", "~tilde/'quote'!$*()", "a//b"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", "DELETE"])
def test_presigned_url_verifies(key, method):
    """The URL's signature verifies with the secret and fails with any other."""
    made = presign("http://127.0.0.1:9000", "bkt", key, method, "AKIDEXAMPLE", "s3cr/t+key",
                   "us-east-1", NOW, 600)
    parts = urlsplit(made.url)
    request = SignedRequest(method=method, raw_path=parts.path, raw_query=parts.query,
                            headers={"host": parts.netloc})
    parsed = parse_auth(request, "us-east-1")
    assert parsed.access_key == "AKIDEXAMPLE" and parsed.signature == made.signature
    parsed.verify("s3cr/t+key", NOW + datetime.timedelta(seconds=599))
    with pytest.raises(Exception, match="signature"):
        parsed.verify("wrong", NOW)
    with pytest.raises(Exception, match="expired"):
        parsed.verify("s3cr/t+key", NOW + datetime.timedelta(seconds=601))


def test_same_signature_as_botocore():
    """Given botocore's signing time, the URL is the one botocore's query signer makes."""
    request = AWSRequest(method="GET", url="http://127.0.0.1:9000/bkt/dir/file%20%C3%A9.txt")
    S3SigV4QueryAuth(Credentials("AK", "SK"), "s3", "us-east-1", expires=3600).add_auth(request)
    signed_at = datetime.datetime.strptime(parse_qs(urlsplit(request.url).query)["X-Amz-Date"][0],
                                           "%Y%m%dT%H%M%SZ")
    made = presign("http://127.0.0.1:9000", "bkt", "dir/file é.txt", "GET", "AK", "SK",
                   "us-east-1", signed_at, 3600)
    assert made.url == request.url
