"""What a request body must be checked against, read from its headers (pure).

``payload_spec`` turns ``x-amz-content-sha256``, ``Content-MD5``, ``x-amz-checksum-*``,
``x-amz-trailer`` and ``x-amz-decoded-content-length`` into a ``PayloadSpec``;
``verify_digests`` compares what was computed with what was promised.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

from ramod.protocol import checksums, errors

UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_STREAMING = {
    STREAMING_SIGNED: (True, False),
    STREAMING_SIGNED_TRAILER: (True, True),
    STREAMING_UNSIGNED_TRAILER: (False, True),
}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class PayloadSpec:
    """How to read a body and which digests it must match."""

    #: aws-chunked framing: None, or (chunks signed, trailer expected)
    chunked: tuple | None = None
    #: declared decoded length (x-amz-decoded-content-length) for aws-chunked bodies
    decoded_length: int | None = None
    sha256_hex: str | None = None
    md5: bytes | None = None
    #: additional checksum algorithm to compute, and its value if sent as a header
    checksum_algorithm: str | None = None
    checksum_value: str | None = None
    #: the checksum comes in the trailer (x-amz-trailer)
    checksum_in_trailer: bool = False


def payload_spec(headers: dict) -> PayloadSpec:
    """Read the body-related headers; raise an S3Error for invalid values."""
    content_sha = headers.get("x-amz-content-sha256")
    chunked = None
    sha256_hex = None
    if content_sha is not None:
        if content_sha in _STREAMING:
            chunked = _STREAMING[content_sha]
        elif content_sha.startswith("STREAMING-"):
            raise errors.NotImplemented(f"The payload signing mode {content_sha} is not supported.")
        elif _HEX64.fullmatch(content_sha):
            sha256_hex = content_sha.lower()
        elif content_sha != UNSIGNED:
            raise errors.InvalidArgument(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
                "or a valid sha256 value.", ArgumentName="x-amz-content-sha256",
                ArgumentValue=content_sha)
    decoded_length = None
    if chunked is not None:
        raw = headers.get("x-amz-decoded-content-length")
        if raw is not None:
            if not (raw.isascii() and raw.isdigit()):
                raise errors.InvalidArgument("x-amz-decoded-content-length must be a number.")
            decoded_length = int(raw)
        elif headers.get("content-length") is not None:
            raise errors.MissingContentLength(
                "x-amz-decoded-content-length is required with aws-chunked uploads.")
    md5 = None
    if "content-md5" in headers:
        md5 = checksums.validate_content_md5(headers["content-md5"])
    algorithm, value, in_trailer = _checksum(headers, chunked)
    return PayloadSpec(chunked, decoded_length, sha256_hex, md5, algorithm, value, in_trailer)


def _checksum(headers: dict, chunked) -> tuple:
    """(algorithm, header value or None, comes in trailer) from the checksum headers."""
    sent = [(alg, headers[name]) for name in headers
            if (alg := checksums.algorithm_from_header(name)) is not None]
    if len(sent) > 1:
        raise errors.InvalidRequest("Expecting a single x-amz-checksum- header. "
                                    "Multiple checksum Types are not allowed.")
    trailer = headers.get("x-amz-trailer")
    declared = headers.get("x-amz-sdk-checksum-algorithm")
    if sent:
        algorithm, value = sent[0]
        checksums.validate_b64(algorithm, value)
        if declared and checksums.parse_algorithm(declared) != algorithm:
            raise errors.InvalidRequest(
                f"Value for x-amz-sdk-checksum-algorithm header is invalid: {declared} does not "
                f"match the {checksums.header_name(algorithm)} header.")
        return algorithm, value, False
    if trailer:
        names = [n.strip().lower() for n in trailer.split(",") if n.strip()]
        algs = [checksums.algorithm_from_header(n) for n in names]
        if len(names) != 1 or algs[0] is None:
            raise errors.InvalidRequest(f"The value specified in the x-amz-trailer header is not "
                                        f"supported: {trailer}")
        if chunked is None or not chunked[1]:
            raise errors.InvalidRequest("x-amz-trailer needs a STREAMING-...-TRAILER payload.")
        if declared and checksums.parse_algorithm(declared) != algs[0]:
            raise errors.InvalidRequest(
                f"Value for x-amz-sdk-checksum-algorithm header is invalid: {declared} does not "
                f"match the {names[0]} trailer.")
        return algs[0], None, True
    if declared:
        raise errors.InvalidRequest(
            "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
            "or x-amz-trailer headers were found.")
    return None, None, False


@dataclass(frozen=True)
class Digests:
    """What the body pipeline computed."""

    size: int
    md5: bytes
    sha256_hex: str | None
    checksum_b64: str | None
    trailer: dict


def digest_bytes(spec: PayloadSpec, body: bytes) -> Digests:
    """The digests ``spec`` asks for, of a body held in memory (an XML document)."""
    checksum = None
    if spec.checksum_algorithm is not None:
        c = checksums.new_checksum(spec.checksum_algorithm)
        c.update(body)
        checksum = c.b64digest()
    return Digests(size=len(body), md5=hashlib.md5(body).digest(),
                   sha256_hex=hashlib.sha256(body).hexdigest() if spec.sha256_hex else None,
                   checksum_b64=checksum, trailer={})


def verify_digests(spec: PayloadSpec, got: Digests) -> dict:
    """Raise the S3 error for the first broken promise; return {algorithm: b64} to store."""
    if spec.decoded_length is not None and got.size != spec.decoded_length:
        raise errors.IncompleteBody(
            f"The aws-chunked body carried {got.size} bytes but x-amz-decoded-content-length "
            f"declared {spec.decoded_length}.")
    if spec.sha256_hex is not None and got.sha256_hex != spec.sha256_hex:
        raise errors.XAmzContentSHA256Mismatch(
            ClientComputedContentSHA256=spec.sha256_hex, S3ComputedContentSHA256=got.sha256_hex)
    if spec.md5 is not None and got.md5 != spec.md5:
        raise errors.BadDigest(
            "The Content-MD5 you specified did not match what we received.",
            ExpectedDigest=base64.b64encode(spec.md5).decode(),
            CalculatedDigest=base64.b64encode(got.md5).decode())
    if spec.checksum_algorithm is None:
        return {}
    expected = spec.checksum_value
    if spec.checksum_in_trailer:
        name = checksums.header_name(spec.checksum_algorithm)
        expected = got.trailer.get(name)
        if expected is None:
            raise errors.InvalidRequest(f"The trailer {name} declared in x-amz-trailer was not sent.")
        checksums.validate_b64(spec.checksum_algorithm, expected)
    if expected is not None and (checksums.validate_b64(spec.checksum_algorithm, expected)
                                 != base64.b64decode(got.checksum_b64)):
        raise errors.BadDigest(
            f"The {spec.checksum_algorithm} you specified did not match the calculated checksum.")
    return {spec.checksum_algorithm: got.checksum_b64}
