"""Raw HTTP fed into the real S3 site (StringTransport, inline pools, real SQLite and files)."""

import base64
import hashlib
import hmac
import os
import sys
import time
import zlib
from pathlib import Path

import pytest
from twisted.internet.defer import Deferred

sys.path.insert(0, str(Path(__file__).parent))
from harness import SECRET_KEY, Harness, signed  # noqa: E402

from ramod.http.site import LINGER_SECONDS  # noqa: E402
from ramod.storage.garbage import sweep_garbage_blobs  # noqa: E402


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path)
    assert harness.exchange(signed("PUT", "/bkt")).startswith(b"HTTP/1.1 200 ")
    return harness


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


def staging_files(h) -> list:
    return list(h.blobs.staging_dir.iterdir())


def blob_files(h) -> list:
    return [p for d in h.blobs.blobs_dir.iterdir() for p in d.iterdir()]


def test_put_object_one_byte_at_a_time(h):
    """A PUT delivered one byte per read is stored whole and reads back identical."""
    data = os.urandom(3000)
    out = h.exchange(signed("PUT", "/bkt/one%20byte", data), byte_at_a_time=True)
    assert status(out) == 200
    assert f'ETag: "{hashlib.md5(data).hexdigest()}"'.encode() in out
    got = h.exchange(signed("GET", "/bkt/one%20byte"))
    assert status(got) == 200 and body_of(got) == data
    assert staging_files(h) == []


def test_head_sends_length_without_body(h):
    """HEAD answers the object's Content-Length and no body bytes."""
    h.exchange(signed("PUT", "/bkt/k", b"x" * 123))
    out = h.exchange(signed("HEAD", "/bkt/k"))
    assert status(out) == 200
    assert b"Content-Length: 123\r\n" in out
    assert body_of(out) == b""


def test_two_pipelined_requests_on_one_connection(h):
    """Requests pipelined on one connection are answered in order."""
    h.exchange(signed("PUT", "/bkt/p", b"pipelined"))
    out = h.exchange(signed("GET", "/bkt/p") + signed("GET", "/bkt/missing"))
    assert out.count(b"HTTP/1.1 ") == 2
    first, second = out.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200") and b"pipelined" in first
    assert second.startswith(b"404") and b"<Code>NoSuchKey</Code>" in second


def test_too_large_put_is_refused_before_the_body(tmp_path):
    """A Content-Length over the limit gets EntityTooLarge at once and the connection closes."""
    h = Harness(tmp_path, **{"max-object-size": "1000"})
    h.exchange(signed("PUT", "/bkt"))
    raw = signed("PUT", "/bkt/big", b"y" * 2000, payload_hash="UNSIGNED-PAYLOAD")
    head = raw[: raw.index(b"\r\n\r\n") + 4]
    proto, transport = h.connect()
    proto.dataReceived(head)  # no body byte sent yet
    out = transport.value()
    assert status(out) == 400 and b"<Code>EntityTooLarge</Code>" in out
    assert b"Connection: close" in out
    assert not transport.disconnecting  # lingering: what the client still sends is dropped
    proto.dataReceived(b"y" * 2000)
    h.reactor.advance(LINGER_SECONDS)
    assert transport.disconnecting
    assert transport.value() == out
    assert staging_files(h) == []


def test_bad_signature_stores_nothing(h):
    """A PUT signed with the wrong secret is 403 SignatureDoesNotMatch and leaves no file."""
    out = h.exchange(signed("PUT", "/bkt/forged", b"data", secret="not-the-secret"))
    assert status(out) == 403 and b"<Code>SignatureDoesNotMatch</Code>" in out
    assert status(h.exchange(signed("GET", "/bkt/forged"))) == 404
    assert staging_files(h) == [] and blob_files(h) == []


def test_content_md5_mismatch_is_bad_digest(h):
    """A body that does not match Content-MD5 is BadDigest and is not stored."""
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    out = h.exchange(signed("PUT", "/bkt/md5", b"payload", {"Content-MD5": wrong}))
    assert status(out) == 400 and b"<Code>BadDigest</Code>" in out
    assert status(h.exchange(signed("GET", "/bkt/md5"))) == 404
    assert staging_files(h) == [] and blob_files(h) == []


def test_content_sha256_mismatch(h):
    """A body that does not match x-amz-content-sha256 is XAmzContentSHA256Mismatch."""
    raw = signed("PUT", "/bkt/sha", b"abc", payload_hash=hashlib.sha256(b"abd").hexdigest())
    out = h.exchange(raw)
    assert status(out) == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in out
    assert blob_files(h) == []


def test_unknown_subresource_is_not_implemented(h):
    """A sub-resource the server does not serve answers 501 NotImplemented."""
    out = h.exchange(signed("GET", "/bkt/k?torrent"))
    assert status(out) == 501 and b"<Code>NotImplemented</Code>" in out


def test_billion_laughs_is_malformed_xml(h):
    """An entity-expansion body on CreateBucket is MalformedXML and the server keeps serving."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<CreateBucketConfiguration><LocationConstraint>&b;</LocationConstraint>"
            b"</CreateBucketConfiguration>")
    out = h.exchange(signed("PUT", "/newbucket", bomb))
    assert status(out) == 400 and b"<Code>MalformedXML</Code>" in out
    assert status(h.exchange(signed("GET", "/"))) == 200


def _chunk_signature(key, date, scope, previous, data) -> str:
    to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, previous,
                         hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _signing_key(date: str) -> bytes:
    key = ("AWS4" + SECRET_KEY).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signed_streaming_put(path: str, data: bytes, chunk: int, corrupt: bool = False) -> bytes:
    """An aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT with real chunk signatures."""
    raw = signed("PUT", path, b"", {"x-amz-decoded-content-length": str(len(data)),
                                      "Content-Encoding": "aws-chunked"},
                 payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    head = raw[: raw.index(b"\r\n\r\n")].decode()
    amz_date = head.split("X-Amz-Date: ")[1].split("\r\n")[0]
    seed = head.split("Signature=")[1].split("\r\n")[0]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    key = _signing_key(amz_date[:8])
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    body, previous = b"", seed
    for piece in pieces:
        sig = _chunk_signature(key, amz_date, scope, previous, piece)
        if corrupt and piece:
            sig = "f" * 64
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(piece), sig.encode(), piece)
        previous = sig
    head = head.replace("Content-Length: 0", f"Content-Length: {len(body)}")
    return head.encode() + b"\r\n\r\n" + body


def test_signed_aws_chunked_upload_byte_at_a_time(h):
    """Signed aws-chunked bodies are decoded, every chunk verified, and no framing is stored."""
    data = os.urandom(9000)
    out = h.exchange(signed_streaming_put("/bkt/chunked", data, 4096), byte_at_a_time=True)
    assert status(out) == 200, out
    assert body_of(h.exchange(signed("GET", "/bkt/chunked"))) == data


def test_corrupted_chunk_signature_is_refused(h):
    """A wrong chunk signature is SignatureDoesNotMatch and nothing is stored."""
    out = h.exchange(signed_streaming_put("/bkt/badchunk", os.urandom(5000), 2048, corrupt=True))
    assert status(out) == 403 and b"<Code>SignatureDoesNotMatch</Code>" in out
    assert status(h.exchange(signed("GET", "/bkt/badchunk"))) == 404
    assert staging_files(h) == [] and blob_files(h) == []


def test_unsigned_trailer_upload_with_crc32(h):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer is verified."""
    data = os.urandom(7000)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n" % (len(data), data, crc.encode())
    raw = signed("PUT", "/bkt/trailer", b"", {
        "x-amz-decoded-content-length": str(len(data)), "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32"}, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    raw = raw.replace(b"Content-Length: 0", b"Content-Length: %d" % len(body)) + body
    out = h.exchange(raw, byte_at_a_time=True)
    assert status(out) == 200, out
    assert f"x-amz-checksum-crc32: {crc}".lower().encode() in out.lower()
    got = h.exchange(signed("GET", "/bkt/trailer", headers={"x-amz-checksum-mode": "ENABLED"}))
    assert body_of(got) == data


def test_wrong_trailer_checksum_is_bad_digest(h):
    """A trailer checksum that does not match the data is BadDigest."""
    data = b"z" * 100
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n" % (len(data), data)
    raw = signed("PUT", "/bkt/badtrailer", b"", {
        "x-amz-decoded-content-length": "100", "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32"}, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    raw = raw.replace(b"Content-Length: 0", b"Content-Length: %d" % len(body)) + body
    out = h.exchange(raw)
    assert status(out) == 400 and b"<Code>BadDigest</Code>" in out
    assert blob_files(h) == []


def test_every_response_has_request_ids(h):
    """Successes and errors alike carry x-amz-request-id and x-amz-id-2."""
    for raw in (signed("GET", "/"), signed("GET", "/nobucket/k"), signed("DELETE", "/bkt/none")):
        out = h.exchange(raw).lower()
        assert b"x-amz-request-id: " in out and b"x-amz-id-2: " in out


def test_keys_never_become_paths(h):
    """A key full of ../ is just a name: it is stored in the database, not on a path."""
    data = b"not a file outside"
    out = h.exchange(signed("PUT", "/bkt/../../../../etc/ramo-escape", data))
    assert status(out) == 200
    assert not Path("/etc/ramo-escape").exists()
    assert body_of(h.exchange(signed("GET", "/bkt/../../../../etc/ramo-escape"))) == data
    assert all(p.parent.parent == h.blobs.blobs_dir for p in blob_files(h))


def test_host_header_names_the_bucket_when_virtual_hosted(tmp_path):
    """With --domain, Host: <bucket>.<domain> addresses the bucket."""
    h = Harness(tmp_path, domain="s3.test")
    assert status(h.exchange(signed("PUT", "/", host="vbkt.s3.test"))) == 200
    assert status(h.exchange(signed("PUT", "/obj", b"virtual", host="vbkt.s3.test"))) == 200
    assert body_of(h.exchange(signed("GET", "/vbkt/obj"))) == b"virtual"
    assert body_of(h.exchange(signed("GET", "/obj", host="vbkt.s3.test:9000"))) == b"virtual"


def test_overwrite_keeps_only_the_new_data(h):
    """Overwriting a key serves the new body; the old blob file stays for the garbage grace
    period (a GET on another process may be reading it), then the sweep removes it."""
    h.exchange(signed("PUT", "/bkt/over", b"first version"))
    out = h.exchange(signed("PUT", "/bkt/over", b"second"))
    assert status(out) == 200
    assert body_of(h.exchange(signed("GET", "/bkt/over"))) == b"second"
    assert len(blob_files(h)) == 2
    grace = h.config.garbage_grace
    sweep = sweep_garbage_blobs(h.store, h.pools, h.blobs, grace, time.time() + grace + 1)
    removed = []
    Deferred.fromCoroutine(sweep).addCallback(removed.extend)  # inline pools: done at once
    assert len(removed) == 1
    assert len(blob_files(h)) == 1


def test_streamed_body_over_the_limit_is_refused_midway(tmp_path):
    """A chunked PUT that grows past the size limit is answered at once and closed."""
    h = Harness(tmp_path, **{"max-object-size": "5000"})
    h.exchange(signed("PUT", "/bkt"))
    raw = signed("PUT", "/bkt/grows", b"", {"Transfer-Encoding": "chunked"},
                 payload_hash="UNSIGNED-PAYLOAD").replace(b"Content-Length: 0\r\n", b"")
    proto, transport = h.connect()
    proto.dataReceived(raw)
    for _ in range(10):
        proto.dataReceived(b"400\r\n" + b"z" * 0x400 + b"\r\n")
    out = transport.value()
    assert status(out) == 400 and b"<Code>EntityTooLarge</Code>" in out
    h.reactor.advance(LINGER_SECONDS)
    assert transport.disconnecting
    assert staging_files(h) == [] and blob_files(h) == []



def test_xml_body_is_held_to_its_signed_sha256(h):
    """A CreateBucket body that differs from its signed x-amz-content-sha256 is refused."""
    body = b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>" \
           b"</CreateBucketConfiguration>"
    raw = signed("PUT", "/tampered", body, payload_hash=hashlib.sha256(b"other").hexdigest())
    out = h.exchange(raw)
    assert status(out) == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in out
    assert status(h.exchange(signed("HEAD", "/tampered"))) == 404


def test_utf8_metadata_round_trips_byte_for_byte(h):
    """User metadata and Content-Disposition come back as the UTF-8 bytes that were sent."""
    raw = signed("PUT", "/bkt/meta", b"m", {"x-amz-meta-name": "café 日本",
                                             "Content-Disposition": "attachment; filename=naïve"})
    assert status(h.exchange(raw)) == 200
    out = h.exchange(signed("HEAD", "/bkt/meta"))
    assert "x-amz-meta-name: café 日本".encode() in out
    assert "Content-Disposition: attachment; filename=naïve".encode() in out


def test_204_has_no_content_length(h):
    """DELETE answers 204 without a Content-Length header (RFC 9110)."""
    out = h.exchange(signed("DELETE", "/bkt/whatever"))
    assert status(out) == 204 and b"content-length" not in out.lower()


def test_list_buckets_pages_with_max_buckets(h):
    """ListBuckets honours max-buckets and continues from its ContinuationToken."""
    for name in ("bkt2", "bkt3"):
        h.exchange(signed("PUT", f"/{name}"))
    first = h.exchange(signed("GET", "/?max-buckets=2"))
    assert first.count(b"<Name>") == 2 and b"<ContinuationToken>" in first
    token = first.split(b"<ContinuationToken>")[1].split(b"</ContinuationToken>")[0].decode()
    from urllib.parse import quote
    second = h.exchange(signed("GET", f"/?continuation-token={quote(token, safe='')}&max-buckets=2"))
    assert b"<Name>bkt3</Name>" in second and second.count(b"<Name>") == 1
    assert b"<ContinuationToken>" not in second
    assert status(h.exchange(signed("GET", "/?max-buckets=0"))) == 400
    only = h.exchange(signed("GET", "/?prefix=bkt3"))
    assert only.count(b"<Name>") == 1 and b"<Prefix>bkt3</Prefix>" in only


def test_put_without_any_length_is_411(h):
    """A PUT with neither Content-Length nor Transfer-Encoding is 411 MissingContentLength."""
    raw = signed("PUT", "/bkt/nolength", b"", payload_hash="UNSIGNED-PAYLOAD")
    raw = raw.replace(b"Content-Length: 0\r\n", b"")
    out = h.exchange(raw + b"some body bytes")
    assert status(out) == 411 and b"<Code>MissingContentLength</Code>" in out
    assert status(h.exchange(signed("HEAD", "/bkt/nolength"))) == 404


def test_public_acl_and_encryption_are_refused_not_ignored(h):
    """A public-read ACL or SSE header is 501 on CreateBucket and PutObject alike."""
    for raw in (signed("PUT", "/pubbucket", headers={"x-amz-acl": "public-read"}),
                signed("PUT", "/bkt/k", b"x", {"x-amz-acl": "public-read"}),
                signed("PUT", "/bkt/k", b"x", {"x-amz-server-side-encryption": "AES256"}),
                signed("PUT", "/bkt/k", b"x", {"x-amz-grant-read": "uri=AllUsers"})):
        out = h.exchange(raw)
        assert status(out) == 501 and b"<Code>NotImplemented</Code>" in out
    assert status(h.exchange(signed("HEAD", "/pubbucket"))) == 404


def test_content_encoding_keeps_its_list_minus_aws_chunked(h):
    """Content-Encoding is stored as sent, with only the aws-chunked coding removed."""
    h.exchange(signed("PUT", "/bkt/enc", b"e", {"Content-Encoding": "deflate, gzip"}))
    assert b"Content-Encoding: deflate, gzip\r\n" in h.exchange(signed("HEAD", "/bkt/enc"))


def test_oversized_xml_body_is_refused_midway(h):
    """An XML request body over the cap is answered at once (MaxMessageLengthExceeded)."""
    from ramod.http.site import MAX_SMALL_BODY
    raw = signed("PUT", "/hugeconfig", b"", payload_hash="UNSIGNED-PAYLOAD").replace(
        b"Content-Length: 0", b"Content-Length: %d" % (MAX_SMALL_BODY * 4))
    proto, transport = h.connect()
    proto.dataReceived(raw)
    for _ in range(3):
        proto.dataReceived(b"<" * MAX_SMALL_BODY)
    out = transport.value()
    assert status(out) == 400 and b"<Code>MaxMessageLengthExceeded</Code>" in out
    assert out.count(b"HTTP/1.1 ") == 1


def test_expected_bucket_owner_is_checked(h):
    """x-amz-expected-bucket-owner must name the bucket's owner, else 403 AccessDenied."""
    from ramod.s3.buckets import owner_id
    h.exchange(signed("PUT", "/bkt/owned", b"o"))
    mine = h.exchange(signed("GET", "/bkt/owned",
                             headers={"x-amz-expected-bucket-owner": owner_id("root")}))
    assert status(mine) == 200
    other = h.exchange(signed("GET", "/bkt/owned", headers={"x-amz-expected-bucket-owner": "1" * 64}))
    assert status(other) == 403 and b"<Code>AccessDenied</Code>" in other


def test_anonymous_requests(h):
    """Unsigned requests are 403 AccessDenied, or 404 NoSuchBucket for a missing bucket."""
    anon = b"GET /bkt/k HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\n"
    out = h.exchange(anon)
    assert status(out) == 403 and b"<Code>AccessDenied</Code>" in out
    out = h.exchange(anon.replace(b"/bkt/k", b"/missing-bucket/k"))
    assert status(out) == 404 and b"<Code>NoSuchBucket</Code>" in out


def test_form_post_bodies_are_left_to_the_s3_front(h):
    """twisted.web does not parse a form POST's body itself (it answered one it could not
    parse with a bare 400 and dropped the connection): the S3 front reads the body."""
    raw = signed("POST", "/bkt?delete", b"<Delete/>", headers={"Content-Type": "multipart/form-data"})
    out = h.exchange(raw)
    assert status(out) == 400
    assert b"X-Amz-Request-Id: " in out and b"<Code>MalformedXML</Code>" in body_of(out)
