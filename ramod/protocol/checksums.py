"""S3 object checksums: ``Content-MD5`` and the additional ``x-amz-checksum-*`` algorithms.

S3 sends every checksum as base64 of the big-endian digest: 4 bytes for
CRC32 and CRC32C, 8 for CRC64NVME, 20 for SHA1, 32 for SHA256.  The CRCs
come from zlib and awscrt (the library botocore itself uses), the SHAs from
hashlib.  Nothing here does I/O: callers feed bytes with ``update``.
"""

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable

from awscrt import checksums as _crt

from ramod.protocol.errors import InvalidDigest, InvalidRequest

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")

#: digest size in bytes of each algorithm
DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}

_HEADER_PREFIX = "x-amz-checksum-"

_CRCS: dict[str, Callable[[bytes, int], int]] = {
    "CRC32": zlib.crc32,
    "CRC32C": _crt.crc32c,
    "CRC64NVME": _crt.crc64nvme,
}


class Checksum:
    """A running checksum of one algorithm: ``update()`` with bytes, then ``b64digest()``."""

    def __init__(self, algorithm: str):
        self.algorithm = algorithm
        self._size = DIGEST_SIZES[algorithm]
        self._crc = _CRCS.get(algorithm)
        self._value = 0
        self._hash = None if self._crc else hashlib.new(algorithm.lower())

    def update(self, data: bytes) -> None:
        """Feed the next piece of the data."""
        if self._crc is not None:
            self._value = self._crc(data, self._value)
        else:
            self._hash.update(data)

    def digest(self) -> bytes:
        """The raw big-endian digest of everything fed so far."""
        if self._crc is not None:
            return self._value.to_bytes(self._size, "big")
        return self._hash.digest()

    def b64digest(self) -> str:
        """The digest as S3 sends it in ``x-amz-checksum-<algorithm>``."""
        return base64.b64encode(self.digest()).decode("ascii")


def parse_algorithm(value: str) -> str:
    """Validate an ``x-amz-checksum-algorithm`` / ``x-amz-sdk-checksum-algorithm`` value.

    :return: the canonical upper-case name, e.g. ``"CRC32C"``.
    :raises InvalidRequest: the algorithm is not one S3 supports.
    """
    name = value.strip().upper()
    if name not in ALGORITHMS:
        raise InvalidRequest(
            "Checksum algorithm %r is not supported; use one of %s."
            % (value, ", ".join(ALGORITHMS)))
    return name


def new_checksum(algorithm: str) -> Checksum:
    """Start a checksum; ``algorithm`` is one of :data:`ALGORITHMS` (any case)."""
    return Checksum(parse_algorithm(algorithm))


def header_name(algorithm: str) -> str:
    """The response/request header carrying ``algorithm``, e.g. ``x-amz-checksum-crc32``."""
    return _HEADER_PREFIX + algorithm.lower()


def algorithm_from_header(name: str) -> str | None:
    """The algorithm a ``x-amz-checksum-*`` header name carries, or None for any other header.

    ``x-amz-checksum-type`` and ``x-amz-checksum-algorithm`` are not checksum
    values and give None.
    """
    name = name.strip().lower()
    if not name.startswith(_HEADER_PREFIX):
        return None
    algorithm = name[len(_HEADER_PREFIX):].upper()
    return algorithm if algorithm in ALGORITHMS else None


def validate_b64(algorithm: str, value: str) -> bytes:
    """Check a client-sent checksum value and return its raw digest.

    :raises InvalidRequest: ``value`` is not base64 of a digest of the right size.
    """
    raw = _b64decode(value)
    if raw is None or len(raw) != DIGEST_SIZES[algorithm]:
        raise InvalidRequest("Value for %s header is invalid." % header_name(algorithm))
    return raw


def composite_b64(algorithm: str, part_digests: Iterable[str]) -> str:
    """The ``COMPOSITE`` checksum of a multipart upload, e.g. ``"abc=-3"``.

    It is the checksum of the concatenated raw part digests, followed by the
    number of parts.

    :param part_digests: each part's checksum as base64, in part order.
    """
    whole, count = new_checksum(algorithm), 0
    for value in part_digests:
        whole.update(base64.b64decode(value))
        count += 1
    return "%s-%d" % (whole.b64digest(), count)


def validate_content_md5(value: str) -> bytes:
    """Check a ``Content-MD5`` header and return the 16-byte digest it carries.

    :raises InvalidDigest: the value is not base64 of 16 bytes.
    """
    raw = _b64decode(value)
    if raw is None or len(raw) != 16:
        raise InvalidDigest("The Content-MD5 you specified is not valid: "
                            "it must be the base64 encoding of a 16-byte MD5 digest.")
    return raw


def md5_b64_to_hex(value: str) -> str:
    """Turn a ``Content-MD5`` value into hex, the form of a simple object's ETag.

    :raises InvalidDigest: the value is not base64 of 16 bytes.
    """
    return validate_content_md5(value).hex()


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


# -- combining CRCs --------------------------------------------------------------

#: awscrt's CRC combination: crc(A + B) from crc(A), crc(B) and len(B), in O(log len(B))
_COMBINE: dict[str, Callable[[int, int, int], int]] = {
    "CRC32": _crt.combine_crc32,
    "CRC32C": _crt.combine_crc32c,
    "CRC64NVME": _crt.combine_crc64nvme,
}

#: the algorithms whose checksums of parts combine into the whole object's (FULL_OBJECT)
COMBINABLE = tuple(_COMBINE)


def combine_crc(algorithm: str, crc_a: int, crc_b: int, len_b: int) -> int:
    """The CRC of ``A + B`` from ``crc(A)``, ``crc(B)`` and the length of ``B`` in bytes.

    :raises ValueError: an algorithm that is not a CRC, or ``len_b`` outside 0 .. 2^64-1.
    """
    combine = _COMBINE.get(algorithm)
    if combine is None:
        raise ValueError(f"{algorithm} is not a CRC: its checksums do not combine")
    if not 0 <= len_b < 1 << 64:
        raise ValueError(f"length {len_b} is out of range")
    return combine(crc_a, crc_b, len_b)


def combine_crcs(algorithm: str, parts: Iterable[tuple[bytes, int]]) -> bytes:
    """The CRC of the concatenated parts, as a big-endian digest (a FULL_OBJECT checksum).

    :param parts: ``(digest, length)`` of each part in order, the digest big-endian
        as S3 sends it (base64-decoded).  No parts gives the CRC of no data.
    :raises ValueError: an algorithm that is not a CRC, or a digest of the wrong size.
    """
    if algorithm not in _COMBINE:
        raise ValueError(f"{algorithm} is not a CRC: its checksums do not combine")
    size = DIGEST_SIZES[algorithm]
    whole = 0                                          # the CRC of no data
    for digest, length in parts:
        if len(digest) != size:
            raise ValueError(f"a {algorithm} digest is {size} bytes, not {len(digest)}")
        whole = combine_crc(algorithm, whole, int.from_bytes(digest, "big"), length)
    return whole.to_bytes(size, "big")

