"""aws-chunked uploads: boto3's unsigned trailer form over TLS, signed chunks over plain HTTP."""

import base64
import hashlib
import os
import socket
import zlib

import pytest
from awscrt import checksums as crt_checksums
from botocore.exceptions import ClientError

from ramod_process import signed_headers

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum_of(algorithm, data):
    return {
        "CRC32": lambda: b64(zlib.crc32(data).to_bytes(4, "big")),
        "CRC32C": lambda: b64(crt_checksums.crc32c(data).to_bytes(4, "big")),
        "CRC64NVME": lambda: b64(crt_checksums.crc64nvme(data).to_bytes(8, "big")),
        "SHA256": lambda: b64(hashlib.sha256(data).digest()),
    }[algorithm]()


@pytest.fixture
def tls_s3(s3_factory, tls_ramod, tls_cert):
    """A boto3 client over HTTPS that verifies the server against the generated certificate."""
    return s3_factory(tls_ramod, verify=str(tls_cert[0]))


def record_put_headers(client):
    """Collect the headers of every PutObject the client sends."""
    sent = []
    client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers)))
    return sent


# -- boto3 over TLS: STREAMING-UNSIGNED-PAYLOAD-TRAILER -------------------------------------


@pytest.mark.parametrize("size", [0, 1, 100_000, 3 * 1024 * 1024 + 17])
def test_boto3_https_default_trailer_upload(tls_s3, size):
    """boto3's default HTTPS upload (aws-chunked, CRC32 trailer) is stored without framing."""
    bucket = f"tls-{size}-{os.getpid()}"
    tls_s3.create_bucket(Bucket=bucket)
    sent = record_put_headers(tls_s3)
    data = os.urandom(size)
    put = tls_s3.put_object(Bucket=bucket, Key="obj", Body=data)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v
               for k, v in sent[-1].items()}
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert "aws-chunked" in headers["content-encoding"]
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = tls_s3.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")
    assert got["ContentLength"] == size
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == checksum_of("CRC32", data)
    head = tls_s3.head_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == checksum_of("CRC32", data)


@pytest.mark.parametrize("algorithm", ["CRC32C", "SHA256", "CRC64NVME"])
def test_boto3_https_trailer_algorithms(tls_s3, algorithm):
    """Trailer checksums of every algorithm are verified, stored and returned."""
    bucket = f"tls-{algorithm.lower()}-{os.getpid()}"
    tls_s3.create_bucket(Bucket=bucket)
    data = os.urandom(2 * 1024 * 1024 + 5)
    put = tls_s3.put_object(Bucket=bucket, Key="obj", Body=data, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == checksum_of(algorithm, data)
    got = tls_s3.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got[f"Checksum{algorithm}"] == checksum_of(algorithm, data)


def test_boto3_https_file_object_upload(tls_s3, tmp_path):
    """A file object body (the upload_file path) is stored byte-identical over TLS."""
    bucket = f"tls-file-{os.getpid()}"
    tls_s3.create_bucket(Bucket=bucket)
    data = os.urandom(1_500_000)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with path.open("rb") as f:
        tls_s3.put_object(Bucket=bucket, Key="f", Body=f)
    assert tls_s3.get_object(Bucket=bucket, Key="f")["Body"].read() == data


# -- raw STREAMING-AWS4-HMAC-SHA256-PAYLOAD over plain HTTP ---------------------------------------


def signed_chunk_stream(data, chunk_size, signer, request, corrupt_chunk=None, tamper_data=None):
    """The aws-chunked encoding of ``data`` with a signature chained through every chunk.

    :param corrupt_chunk: index of a chunk whose signature is replaced by a wrong one.
    :param tamper_data: index of a chunk whose data is changed after it was signed.
    """
    previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    scope = signer.credential_scope(request)
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    out = []
    for index, chunk in enumerate(chunks):
        string_to_sign = "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", request.context["timestamp"], scope, previous,
            EMPTY_SHA256, hashlib.sha256(chunk).hexdigest()])
        signature = signer.signature(string_to_sign, request)
        previous = signature
        if index == corrupt_chunk:
            signature = "0" * 64
        if index == tamper_data:
            chunk = bytes([chunk[0] ^ 1]) + chunk[1:]
        out.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), signature.encode(), chunk))
    return b"".join(out)


def send_signed_streaming(server, bucket, key, data, *, chunk_size=64 * 1024,
                          http_chunked=True, **corruption):
    """PUT ``data`` as signed aws-chunked; return the raw response bytes.

    With ``http_chunked`` the stream goes out with ``Transfer-Encoding: chunked`` and no
    Content-Length, as streaming clients do; otherwise with its exact Content-Length.
    """
    url = f"{server.endpoint}/{bucket}/{key}"
    sign = {"Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data))}
    if not http_chunked:
        probe = signed_chunk_stream_length(len(data), chunk_size)
        sign["Content-Length"] = str(probe)
    headers, signer, request = signed_headers("PUT", url, payload_hash=STREAMING_SIGNED,
                                              headers=sign)
    body = signed_chunk_stream(data, chunk_size, signer, request, **corruption)
    if http_chunked:
        headers["Transfer-Encoding"] = "chunked"
        pieces = [body[i:i + 10_000] for i in range(0, len(body), 10_000)]
        wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    else:
        assert len(body) == int(sign["Content-Length"])
        wire = body
    return raw_put(server, f"/{bucket}/{key}", headers, wire)


def raw_put(server, path, headers, body):
    """Send one PUT on a fresh connection and return everything the server answered.

    A server may answer and close before the whole body is sent (a rejected chunk):
    the send error is ignored and whatever reply arrived is returned.
    """
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    response = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        try:
            sock.sendall(f"PUT {path} HTTP/1.1\r\n{head}Connection: close\r\n\r\n".encode())
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while chunk := sock.recv(65536):
                response += chunk
        except ConnectionResetError:
            pass
    return response


def signed_chunk_stream_length(size, chunk_size):
    """The encoded length of a signed aws-chunked stream of ``size`` bytes."""
    full, rest = divmod(size, chunk_size)
    sizes = [chunk_size] * full + ([rest] if rest else []) + [0]
    return sum(len(b"%x" % n) + len(";chunk-signature=") + 64 + 2 + n + 2 for n in sizes)


@pytest.mark.parametrize("http_chunked", [True, False], ids=["transfer-encoding", "length"])
@pytest.mark.parametrize("size", [0, 1000, 300_000])
def test_signed_streaming_upload(ramod, s3, bucket, http_chunked, size):
    """A correctly signed aws-chunked PUT stores exactly the decoded payload."""
    data = os.urandom(size)
    response = send_signed_streaming(ramod, bucket, "signed", data, http_chunked=http_chunked)
    assert response.startswith(b"HTTP/1.1 200 "), response[:600]
    got = s3.get_object(Bucket=bucket, Key="signed")
    assert got["ContentLength"] == size
    assert got["Body"].read() == data
    assert got["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("corruption", [
    {"corrupt_chunk": 0}, {"corrupt_chunk": 2}, {"corrupt_chunk": 4}, {"tamper_data": 1},
], ids=["first-signature", "middle-signature", "final-signature", "chunk-data"])
def test_corrupted_chunk_signature(ramod, s3, bucket, corruption):
    """A bad chunk signature (or data changed after signing) is 403 SignatureDoesNotMatch."""
    data = os.urandom(4 * 64 * 1024)  # four data chunks and the final empty one
    response = send_signed_streaming(ramod, bucket, "corrupt", data, **corruption)
    assert response.startswith(b"HTTP/1.1 403 "), response[:600]
    assert b"<Code>SignatureDoesNotMatch</Code>" in response
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="corrupt")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_corrupted_upload_keeps_previous_version(ramod, s3, bucket):
    """A rejected signed-streaming overwrite leaves the earlier object untouched."""
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    response = send_signed_streaming(ramod, bucket, "keep", os.urandom(200_000),
                                     corrupt_chunk=1)
    assert response.startswith(b"HTTP/1.1 403 "), response[:600]
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_decoded_length_mismatch_is_refused(ramod, s3, bucket):
    """A signed stream whose payload differs from x-amz-decoded-content-length is not stored."""
    url = f"{ramod.endpoint}/{bucket}/short"
    data = os.urandom(5000)
    headers, signer, request = signed_headers(
        "PUT", url, payload_hash=STREAMING_SIGNED,
        headers={"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": "6000"})
    body = signed_chunk_stream(data, 4096, signer, request)
    headers["Content-Length"] = str(len(body))
    response = raw_put(ramod, f"/{bucket}/short", headers, body)
    assert response.startswith(b"HTTP/1.1 400 "), response[:600]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="short")
