"""Combine the CRCs of two pieces of data into the CRC of their concatenation.

A ``FULL_OBJECT`` multipart checksum is the CRC of the whole object, but the
parts are checksummed one by one as they arrive; reading 5 TB again to
checksum it would be absurd.  zlib's ``crc32_combine`` shows the way: with
``A`` and ``B`` the two pieces,

    crc(A + B) = crc(A) * x^(8 * len(B)) mod P  xor  crc(B)

because the CRCs used here start from all ones and end with an xor of all
ones, whose effects cancel out.  ``x^(8n) mod P`` is a product of the
precomputed powers ``x^(2^k) mod P`` for the bits set in ``8n``, so one
combine costs O(log n) polynomial multiplications of ``width`` steps each,
whatever the lengths (zlib 1.2.12's ``multmodp``/``x2nmodp``, which replaced
its older GF(2) matrix squaring with the same result).

Polynomials are in the reflected (LSB-first) form the three algorithms use;
each matches :mod:`ramod.protocol.checksums` (zlib and awscrt), which the tests check.
"""

from functools import lru_cache

__all__ = ["ALGORITHMS", "combine", "combine_all"]


#: lengths up to 2^64 bytes; x^(2^k) mod P is tabled for k = 0 .. _MAX_K
_MAX_K = 64 + 3


class _Crc:
    """One CRC's polynomial and its table of ``x^(2^k) mod P`` (k = 0 .. _MAX_K)."""

    def __init__(self, width: int, poly: int):
        self.width = width
        #: the generator polynomial, bit-reflected, without its x^width term
        self.poly = poly
        self.powers = [1 << (width - 2)]                   # x^1 (x^0 is the top bit)
        while len(self.powers) <= _MAX_K:
            self.powers.append(self.multiply(self.powers[-1], self.powers[-1]))

    def multiply(self, a: int, b: int) -> int:
        """``a * b mod P`` for reflected polynomials."""
        m = 1 << (self.width - 1)
        product = 0
        while a:
            if a & m:
                product ^= b
                a ^= m
            m >>= 1
            b = (b >> 1) ^ self.poly if b & 1 else b >> 1
        return product


_CRCS = {
    "CRC32": _Crc(32, 0xEDB88320),                 # zlib, ISO-HDLC
    "CRC32C": _Crc(32, 0x82F63B78),                # Castagnoli
    "CRC64NVME": _Crc(64, 0x9A6C9329AC4BC9B5),     # CRC-64/NVME (0xAD93D23594C93659 reflected)
}

#: the algorithms whose CRCs combine (and so may have a ``FULL_OBJECT`` checksum)
ALGORITHMS = tuple(_CRCS)


def _crc(algorithm: str) -> _Crc:
    try:
        return _CRCS[algorithm]
    except KeyError:
        raise ValueError(f"{algorithm!r} is not a combinable CRC; use one of "
                         f"{', '.join(ALGORITHMS)}") from None


@lru_cache(maxsize=64)
def _x_to_8n(algorithm: str, n: int) -> int:
    """``x^(8n) mod P``: the operator that appends ``n`` zero bytes to a raw CRC.

    Cached: the parts of an upload are mostly of one size.
    """
    crc = _CRCS[algorithm]
    result, k = 1 << (crc.width - 1), 3                # x^0; 8n = n << 3
    while n:
        if n & 1:
            result = crc.multiply(crc.powers[k], result)
        n >>= 1
        k += 1
    return result


def combine(algorithm: str, crc_a: int, crc_b: int, len_b: int) -> int:
    """The CRC of ``A + B`` from ``crc(A)``, ``crc(B)`` and the length of ``B`` in bytes.

    :param algorithm: ``"CRC32"``, ``"CRC32C"`` or ``"CRC64NVME"``.
    :raises ValueError: an unknown algorithm, or ``len_b`` negative or 2^64 or more.
    """
    crc = _crc(algorithm)
    if not 0 <= len_b < 1 << 64:
        raise ValueError(f"length {len_b} is out of range")
    return crc.multiply(_x_to_8n(algorithm, len_b), crc_a) ^ crc_b


def combine_all(algorithm: str, parts: list[tuple[bytes, int]]) -> bytes:
    """The CRC of the concatenated parts, as a big-endian digest.

    :param parts: ``(digest, length)`` of each part in order, the digest big-endian
        as S3 sends it (base64-decoded).  No parts gives the CRC of no data.
    :raises ValueError: an unknown algorithm, or a digest of the wrong size.
    """
    crc = _crc(algorithm)
    size = crc.width // 8
    whole = 0                                          # the CRC of no data
    for digest, length in parts:
        if len(digest) != size:
            raise ValueError(f"a {algorithm} digest is {size} bytes, not {len(digest)}")
        whole = combine(algorithm, whole, int.from_bytes(digest, "big"), length)
    return whole.to_bytes(size, "big")
