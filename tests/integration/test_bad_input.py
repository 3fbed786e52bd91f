"""Malformed and hostile input against a real ramod: clear answers, and it keeps serving."""

import os
import socket

import pytest

from ramod_process import signed_headers, unique_bucket_name

BAD_REQUESTS = [
    b"\x00\x01\x02garbage\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"PUT /b/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"v" * 70000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 garbage\r\n\r\n",
    b"GET /%ff%fe/k HTTP/1.1\r\nHost: x\r\nAuthorization: AWS ab:cd\r\nDate: now\r\n\r\n",
    os.urandom(4096),
]


def _exchange(port: int, raw: bytes, half_close: bool = True) -> bytes:
    """Send ``raw`` and read until the server closes (``half_close``: also end our side)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except OSError:
            pass
        return b"".join(chunks)


@pytest.mark.parametrize("raw", BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_malformed_request_gets_4xx_and_server_keeps_serving(ramod, s3, raw):
    """Each malformed request is answered with a 4xx (or the connection is closed), never 5xx."""
    answer = _exchange(ramod.port, raw)
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:300]
    bucket = unique_bucket_name("alive")
    s3.create_bucket(Bucket=bucket)
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_s3_errors_carry_code_message_and_request_id(ramod):
    """A signed request for a missing bucket gets 404 NoSuchBucket as S3 XML with ids."""
    headers, _, _ = signed_headers("GET", f"{ramod.endpoint}/no-such-bucket-here/k")
    raw = "GET /no-such-bucket-here/k HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    answer = _exchange(ramod.port, raw.encode(), half_close=False)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404 ")
    assert b"<Code>NoSuchBucket</Code>" in body and b"<Message>" in body
    request_id = body.split(b"<RequestId>")[1].split(b"</RequestId>")[0]
    assert b"x-amz-request-id: " + request_id.lower() in head.lower()
