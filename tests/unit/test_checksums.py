"""Tests for ramod.protocol.checksums, checked against botocore's own implementations."""

import base64
import hashlib

import pytest
from botocore import httpchecksum

from ramod.protocol.checksums import (
    ALGORITHMS, algorithm_from_header, composite_b64, header_name, md5_b64_to_hex,
    new_checksum, parse_algorithm, validate_b64, validate_content_md5,
)
from ramod.protocol.errors import InvalidDigest, InvalidRequest

BOTOCORE = {
    "CRC32": httpchecksum.Crc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
}

DATA = [b"", b"a", b"abc", b"Hello, World!", bytes(range(256)) * 1000]


def botocore_b64(algorithm, data):
    checksum = BOTOCORE[algorithm]()
    checksum.update(data)
    return checksum.b64digest()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("data", DATA, ids=lambda d: "%d bytes" % len(d))
def test_digest_matches_botocore(algorithm, data):
    """Each algorithm gives the same base64 digest as botocore, the empty input included."""
    checksum = new_checksum(algorithm)
    checksum.update(data)
    assert checksum.b64digest() == botocore_b64(algorithm, data)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_digest_in_pieces(algorithm, piece):
    """Feeding the data in pieces gives the same digest as feeding it at once."""
    data = bytes(range(256)) * 40
    checksum = new_checksum(algorithm)
    for start in range(0, len(data), piece):
        checksum.update(data[start:start + piece])
    assert checksum.b64digest() == botocore_b64(algorithm, data)


@pytest.mark.parametrize("algorithm, size", [
    ("CRC32", 4), ("CRC32C", 4), ("CRC64NVME", 8), ("SHA1", 20), ("SHA256", 32)])
def test_digest_size(algorithm, size):
    """Digests are big-endian and of the algorithm's size, even when leading bytes are zero."""
    checksum = new_checksum(algorithm)
    assert len(checksum.digest()) == size
    assert len(base64.b64decode(checksum.b64digest())) == size


def test_known_values():
    """Published check values: CRC32 and CRC32C of "123456789", SHA256 of ""."""
    for algorithm, expected in [("CRC32", "cbf43926"), ("CRC32C", "e3069283")]:
        checksum = new_checksum(algorithm)
        checksum.update(b"123456789")
        assert checksum.digest().hex() == expected
    assert new_checksum("sha256").b64digest() == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


@pytest.mark.parametrize("value, expected", [
    ("crc32", "CRC32"), ("CRC32C", "CRC32C"), (" sha256 ", "SHA256"), ("Crc64Nvme", "CRC64NVME")])
def test_parse_algorithm(value, expected):
    """Algorithm names are accepted in any case."""
    assert parse_algorithm(value) == expected


@pytest.mark.parametrize("value", ["MD5", "CRC", "", "SHA512"])
def test_parse_algorithm_unsupported(value):
    """Unsupported algorithms are InvalidRequest."""
    with pytest.raises(InvalidRequest):
        parse_algorithm(value)


@pytest.mark.parametrize("algorithm, header", [
    ("CRC32", "x-amz-checksum-crc32"), ("CRC32C", "x-amz-checksum-crc32c"),
    ("CRC64NVME", "x-amz-checksum-crc64nvme"), ("SHA1", "x-amz-checksum-sha1"),
    ("SHA256", "x-amz-checksum-sha256")])
def test_header_names(algorithm, header):
    """Each algorithm has its header, and the header names its algorithm back."""
    assert header_name(algorithm) == header
    assert algorithm_from_header(header) == algorithm
    assert algorithm_from_header(header.upper()) == algorithm


@pytest.mark.parametrize("name", [
    "x-amz-checksum-type", "x-amz-checksum-algorithm", "x-amz-checksum-md5",
    "content-md5", "x-amz-checksum-", "x-amz-content-sha256"])
def test_algorithm_from_other_headers(name):
    """Headers that carry no checksum value give None."""
    assert algorithm_from_header(name) is None


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_validate_b64_accepts_digest(algorithm):
    """A base64 digest of the right size is accepted and decoded."""
    value = botocore_b64(algorithm, b"abc")
    assert validate_b64(algorithm, value) == base64.b64decode(value)


@pytest.mark.parametrize("algorithm, value", [
    ("CRC32", "AAAAAAA="),       # 5 bytes
    ("CRC32", "AAA="),           # 2 bytes
    ("CRC32", "AAAAAA"),         # missing padding
    ("CRC32", "AAAA AA=="),      # not base64
    ("CRC32", "!!!!!!=="),
    ("CRC32", ""),
    ("CRC64NVME", "AAAAAA=="),   # a CRC32-sized value
    ("SHA256", botocore_b64("SHA1", b"")),
    ("SHA1", "é"),
])
def test_validate_b64_rejects(algorithm, value):
    """A value that is not base64 of the algorithm's digest size is InvalidRequest naming the header."""
    with pytest.raises(InvalidRequest) as info:
        validate_b64(algorithm, value)
    assert info.value.message == "Value for %s header is invalid." % header_name(algorithm)


def test_composite_checksum():
    """A multipart COMPOSITE checksum is the checksum of the parts' raw digests, plus the count."""
    parts = [b"part one", b"part two", b"3"]
    digests = [hashlib.sha256(p).digest() for p in parts]
    expected = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    b64s = [base64.b64encode(d).decode() for d in digests]
    assert composite_b64("SHA256", b64s) == expected + "-3"


def test_content_md5():
    """A base64 MD5 decodes to its 16 bytes and to the hex form of an ETag."""
    digest = hashlib.md5(b"hello").digest()
    value = base64.b64encode(digest).decode()
    assert validate_content_md5(value) == digest
    assert md5_b64_to_hex(value) == "5d41402abc4b2a76b9719d911017c592"


@pytest.mark.parametrize("value", [
    "", "abc", "XrY7u+Ae7tCTyyK7j1rNww", "5d41402abc4b2a76b9719d911017c592",
    base64.b64encode(b"x" * 15).decode(), base64.b64encode(b"x" * 17).decode(), "é"])
def test_content_md5_invalid(value):
    """A Content-MD5 that is not base64 of 16 bytes is InvalidDigest."""
    with pytest.raises(InvalidDigest):
        validate_content_md5(value)
    with pytest.raises(InvalidDigest):
        md5_b64_to_hex(value)
