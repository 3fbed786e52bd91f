"""Tests for ramod.protocol.payload: the body headers a request sends and the checks made after its body."""

import base64
import hashlib
import zlib

import pytest

from ramod.protocol import errors
from ramod.protocol.payload import (
    STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED, Digests,
    PayloadSpec, payload_spec, verify_digests,
)

BODY = b"hello\n"
BODY_SHA = hashlib.sha256(BODY).hexdigest()
BODY_MD5 = hashlib.md5(BODY).digest()
BODY_MD5_B64 = base64.b64encode(BODY_MD5).decode()
BODY_CRC32 = base64.b64encode(zlib.crc32(BODY).to_bytes(4, "big")).decode()  # "NjowIA=="
BODY_SHA1 = base64.b64encode(hashlib.sha1(BODY).digest()).decode()
BODY_SHA256_B64 = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
EMPTY_SHA = hashlib.sha256(b"").hexdigest()
ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"


def digests(body=BODY, checksum_b64=None, trailer=None, sha=True):
    """What the body pipeline would compute for ``body``."""
    return Digests(size=len(body), md5=hashlib.md5(body).digest(),
                   sha256_hex=hashlib.sha256(body).hexdigest() if sha else None,
                   checksum_b64=checksum_b64, trailer=trailer or {})


def header_id(value):
    """A readable test id for a headers dict (the other parameters get pytest's default)."""
    if isinstance(value, dict):
        return ";".join(f"{k.removeprefix('x-amz-')}={v[:24]}" for k, v in value.items()) or "none"
    return None


def raises(error, fn, *args):
    """Call ``fn`` and return the S3Error it raises, checking it is exactly ``error``."""
    with pytest.raises(errors.S3Error) as caught:
        fn(*args)
    assert type(caught.value) is error, caught.value
    assert caught.value.code == error.__name__
    return caught.value


# -- x-amz-content-sha256 ------------------------------------------------------------------

# (headers, expected PayloadSpec)
SPECS = [
    ({}, PayloadSpec()),
    ({"x-amz-content-sha256": BODY_SHA}, PayloadSpec(sha256_hex=BODY_SHA)),
    ({"x-amz-content-sha256": BODY_SHA.upper()}, PayloadSpec(sha256_hex=BODY_SHA)),
    ({"x-amz-content-sha256": EMPTY_SHA}, PayloadSpec(sha256_hex=EMPTY_SHA)),
    ({"x-amz-content-sha256": UNSIGNED}, PayloadSpec()),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "6",
      "content-length": "175"},
     PayloadSpec(chunked=(True, False), decoded_length=6)),
    ({"x-amz-content-sha256": STREAMING_SIGNED_TRAILER, "x-amz-decoded-content-length": "0",
      "x-amz-trailer": "x-amz-checksum-crc32", "content-length": "300"},
     PayloadSpec(chunked=(True, True), decoded_length=0, checksum_algorithm="CRC32",
                 checksum_in_trailer=True)),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-decoded-content-length": "6",
      "x-amz-trailer": "x-amz-checksum-crc64nvme", "content-length": "60"},
     PayloadSpec(chunked=(False, True), decoded_length=6, checksum_algorithm="CRC64NVME",
                 checksum_in_trailer=True)),
    # Transfer-Encoding: chunked with aws-chunked inside: no length to declare
    ({"x-amz-content-sha256": STREAMING_SIGNED}, PayloadSpec(chunked=(True, False))),
    ({"content-md5": BODY_MD5_B64}, PayloadSpec(md5=BODY_MD5)),
    ({"x-amz-content-sha256": BODY_SHA, "content-md5": BODY_MD5_B64},
     PayloadSpec(sha256_hex=BODY_SHA, md5=BODY_MD5)),
    # additional checksums sent as headers
    ({"x-amz-checksum-crc32": BODY_CRC32},
     PayloadSpec(checksum_algorithm="CRC32", checksum_value=BODY_CRC32)),
    ({"x-amz-checksum-sha1": BODY_SHA1},
     PayloadSpec(checksum_algorithm="SHA1", checksum_value=BODY_SHA1)),
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-sdk-checksum-algorithm": "CRC32"},
     PayloadSpec(checksum_algorithm="CRC32", checksum_value=BODY_CRC32)),
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-sdk-checksum-algorithm": "crc32"},
     PayloadSpec(checksum_algorithm="CRC32", checksum_value=BODY_CRC32)),
    # x-amz-checksum-type and x-amz-checksum-algorithm carry no checksum value
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-checksum-type": "FULL_OBJECT"},
     PayloadSpec(checksum_algorithm="CRC32", checksum_value=BODY_CRC32)),
    # additional checksums sent in the trailer, named in any case and with spaces
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": " X-Amz-Checksum-SHA256 "},
     PayloadSpec(chunked=(False, True), checksum_algorithm="SHA256", checksum_in_trailer=True)),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32c",
      "x-amz-sdk-checksum-algorithm": "CRC32C"},
     PayloadSpec(chunked=(False, True), checksum_algorithm="CRC32C", checksum_in_trailer=True)),
]


@pytest.mark.parametrize("headers, expected", SPECS, ids=header_id)
def test_payload_spec(headers, expected):
    """Each accepted combination of body headers gives the expected PayloadSpec."""
    assert payload_spec(headers) == expected


# (headers, error class, status)
SPEC_ERRORS = [
    # x-amz-content-sha256 that is none of the accepted forms
    ({"x-amz-content-sha256": ECDSA}, errors.NotImplemented, 501),
    ({"x-amz-content-sha256": ECDSA + "-TRAILER"}, errors.NotImplemented, 501),
    ({"x-amz-content-sha256": "STREAMING-SOMETHING-NEW"}, errors.NotImplemented, 501),
    ({"x-amz-content-sha256": "garbage"}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": ""}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": "unsigned-payload"}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": BODY_SHA[:-1]}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": BODY_SHA + "0"}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": BODY_SHA[:-1] + "g"}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": BODY_SHA + "\n"}, errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": BODY_SHA256_B64}, errors.InvalidArgument, 400),  # base64, not hex
    # x-amz-decoded-content-length
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "-1"},
     errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "six"},
     errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": ""},
     errors.InvalidArgument, 400),
    # header values are decoded as latin-1: "\xb2" is SUPERSCRIPT TWO, a digit to str.isdigit
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "\xb2"},
     errors.InvalidArgument, 400),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "content-length": "175"},
     errors.MissingContentLength, 411),
    # Content-MD5 that is not base64 of 16 bytes
    ({"content-md5": "not base64!"}, errors.InvalidDigest, 400),
    ({"content-md5": base64.b64encode(b"x" * 15).decode()}, errors.InvalidDigest, 400),
    ({"content-md5": BODY_MD5.hex()}, errors.InvalidDigest, 400),
    ({"content-md5": ""}, errors.InvalidDigest, 400),
    ({"content-md5": f"{BODY_MD5_B64},{BODY_MD5_B64}"}, errors.InvalidDigest, 400),
    # x-amz-checksum-* headers
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-checksum-sha1": BODY_SHA1},
     errors.InvalidRequest, 400),
    ({"x-amz-checksum-crc32": "!!!!"}, errors.InvalidRequest, 400),
    ({"x-amz-checksum-crc32": BODY_SHA1}, errors.InvalidRequest, 400),  # wrong size
    ({"x-amz-checksum-sha256": BODY_SHA}, errors.InvalidRequest, 400),  # hex, not base64
    ({"x-amz-checksum-crc32": ""}, errors.InvalidRequest, 400),
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-sdk-checksum-algorithm": "SHA256"},
     errors.InvalidRequest, 400),
    ({"x-amz-checksum-crc32": BODY_CRC32, "x-amz-sdk-checksum-algorithm": "MD5"},
     errors.InvalidRequest, 400),
    # x-amz-trailer
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-md5"},
     errors.InvalidRequest, 400),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-meta-foo"},
     errors.InvalidRequest, 400),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER,
      "x-amz-trailer": "x-amz-checksum-crc32,x-amz-checksum-sha1"}, errors.InvalidRequest, 400),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-trailer": "x-amz-checksum-crc32"},
     errors.InvalidRequest, 400),
    ({"x-amz-content-sha256": UNSIGNED, "x-amz-trailer": "x-amz-checksum-crc32"},
     errors.InvalidRequest, 400),
    ({"x-amz-trailer": "x-amz-checksum-crc32"}, errors.InvalidRequest, 400),
    # x-amz-sdk-checksum-algorithm must match the trailer too (versitygw #1659 records S3's answer)
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc64nvme",
      "x-amz-sdk-checksum-algorithm": "SHA1"}, errors.InvalidRequest, 400),
    # ... and alone it is an error: "x-amz-sdk-checksum-algorithm specified, but no corresponding
    # x-amz-checksum-* or x-amz-trailer headers were found." (S3, seen in HADOOP-19046)
    ({"x-amz-sdk-checksum-algorithm": "CRC32"}, errors.InvalidRequest, 400),
    ({"x-amz-sdk-checksum-algorithm": "bogus"}, errors.InvalidRequest, 400),
]


@pytest.mark.parametrize("headers, error, status", SPEC_ERRORS, ids=header_id)
def test_payload_spec_errors(headers, error, status):
    """Invalid or unsupported body headers raise the S3 error AWS answers with."""
    assert raises(error, payload_spec, headers).status == status


# -- verify_digests ------------------------------------------------------------------------

# (headers, computed Digests, stored checksums)
VERIFIED = [
    ({}, digests(), {}),
    ({"x-amz-content-sha256": UNSIGNED}, digests(sha=False), {}),
    ({"x-amz-content-sha256": BODY_SHA}, digests(), {}),
    ({"x-amz-content-sha256": BODY_SHA.upper()}, digests(), {}),
    ({"content-md5": BODY_MD5_B64}, digests(), {}),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "6"},
     digests(sha=False), {}),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "0"},
     digests(b"", sha=False), {}),
    ({"x-amz-checksum-crc32": BODY_CRC32}, digests(checksum_b64=BODY_CRC32), {"CRC32": BODY_CRC32}),
    ({"x-amz-checksum-sha256": BODY_SHA256_B64, "content-md5": BODY_MD5_B64,
      "x-amz-content-sha256": BODY_SHA},
     digests(checksum_b64=BODY_SHA256_B64), {"SHA256": BODY_SHA256_B64}),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-decoded-content-length": "6",
      "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, trailer={"x-amz-checksum-crc32": BODY_CRC32}, sha=False),
     {"CRC32": BODY_CRC32}),
    ({"x-amz-content-sha256": STREAMING_SIGNED_TRAILER, "x-amz-decoded-content-length": "6",
      "x-amz-trailer": "x-amz-checksum-sha1"},
     digests(checksum_b64=BODY_SHA1, trailer={"x-amz-checksum-sha1": BODY_SHA1}, sha=False),
     {"SHA1": BODY_SHA1}),
]


@pytest.mark.parametrize("headers, got, stored", VERIFIED, ids=header_id)
def test_verify_digests(headers, got, stored):
    """A body matching every promise passes, returning the checksums to store."""
    assert verify_digests(payload_spec(headers), got) == stored


OTHER = b"hellO\n"
OTHER_CRC32 = base64.b64encode(zlib.crc32(OTHER).to_bytes(4, "big")).decode()

# (headers, computed Digests, error class)
MISMATCHES = [
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "7"},
     digests(sha=False), errors.IncompleteBody),
    ({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "5"},
     digests(sha=False), errors.IncompleteBody),
    ({"x-amz-content-sha256": BODY_SHA}, digests(OTHER), errors.XAmzContentSHA256Mismatch),
    ({"x-amz-content-sha256": EMPTY_SHA}, digests(), errors.XAmzContentSHA256Mismatch),
    ({"content-md5": BODY_MD5_B64}, digests(OTHER), errors.BadDigest),
    ({"x-amz-checksum-crc32": BODY_CRC32}, digests(OTHER, checksum_b64=OTHER_CRC32), errors.BadDigest),
    ({"x-amz-checksum-crc32": "AAAAAA=="}, digests(checksum_b64=BODY_CRC32), errors.BadDigest),
    # the trailer carries a value that does not match the body
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, trailer={"x-amz-checksum-crc32": OTHER_CRC32}, sha=False),
     errors.BadDigest),
    # the trailer announced in x-amz-trailer is missing, or is another checksum
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, sha=False), errors.InvalidRequest),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, trailer={"x-amz-checksum-sha1": BODY_SHA1}, sha=False),
     errors.InvalidRequest),
    # the trailer value is not base64 of a CRC32
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, trailer={"x-amz-checksum-crc32": "nope"}, sha=False),
     errors.InvalidRequest),
    ({"x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER, "x-amz-trailer": "x-amz-checksum-crc32"},
     digests(checksum_b64=BODY_CRC32, trailer={"x-amz-checksum-crc32": BODY_SHA1}, sha=False),
     errors.InvalidRequest),
]


@pytest.mark.parametrize("headers, got, error", MISMATCHES, ids=header_id)
def test_verify_digests_mismatch(headers, got, error):
    """A body that breaks a promise made in its headers raises the matching S3 error."""
    assert raises(error, verify_digests, payload_spec(headers), got).status == 400


def test_size_is_checked_first():
    """A short aws-chunked body is IncompleteBody even when its digests are wrong too."""
    spec = payload_spec({"x-amz-content-sha256": STREAMING_SIGNED, "x-amz-decoded-content-length": "9",
                         "content-md5": BODY_MD5_B64, "x-amz-checksum-crc32": "AAAAAA=="})
    raises(errors.IncompleteBody, verify_digests, spec, digests(OTHER, checksum_b64=OTHER_CRC32))


def test_sha_mismatch_reports_both_values():
    """XAmzContentSHA256Mismatch carries the client's and the server's SHA-256."""
    error = raises(errors.XAmzContentSHA256Mismatch, verify_digests,
                   payload_spec({"x-amz-content-sha256": BODY_SHA}), digests(OTHER))
    assert error.extra == {"ClientComputedContentSHA256": BODY_SHA,
                           "S3ComputedContentSHA256": hashlib.sha256(OTHER).hexdigest()}


def test_md5_mismatch_reports_both_values():
    """BadDigest for Content-MD5 carries the expected and the calculated digests in base64."""
    error = raises(errors.BadDigest, verify_digests, payload_spec({"content-md5": BODY_MD5_B64}),
                   digests(OTHER))
    assert error.extra == {"ExpectedDigest": BODY_MD5_B64,
                           "CalculatedDigest": base64.b64encode(hashlib.md5(OTHER).digest()).decode()}


def test_full_disk_is_insufficient_storage():
    """ENOSPC and EDQUOT while writing a body become 507 InsufficientStorage; other errors stay."""
    import errno as errno_mod

    from ramod.http.body import storage_error

    for code in (errno_mod.ENOSPC, errno_mod.EDQUOT):
        err = storage_error(OSError(code, "No space left on device"))
        assert err.code == "InsufficientStorage" and err.status == 507
    other = OSError(errno_mod.EIO, "I/O error")
    assert storage_error(other) is other
