"""Tests for combining CRCs (ramod.protocol.checksums on awscrt), checked against the CRCs themselves."""

import os
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramod.protocol import checksums
from ramod.protocol.checksums import COMBINABLE as ALGORITHMS
from ramod.protocol.checksums import combine_crc as combine
from ramod.protocol.checksums import combine_crcs as combine_all

GiB = 1024 ** 3

#: CRC of b"123456789", the catalogue's check value for each algorithm
CHECK = {"CRC32": 0xCBF43926, "CRC32C": 0xE3069283, "CRC64NVME": 0xAE8B14860A799888}


def digest(algorithm: str, data: bytes) -> bytes:
    checksum = checksums.Checksum(algorithm)
    checksum.update(data)
    return checksum.digest()


def crc(algorithm: str, data: bytes) -> int:
    return int.from_bytes(digest(algorithm, data), "big")


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in zip(points, points[1:])]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_algorithms_are_the_catalogued_ones(algorithm):
    """checksums.py computes the catalogued CRC, and combining its pieces gives it again."""
    assert crc(algorithm, b"123456789") == CHECK[algorithm]
    pieces = [b"1234", b"", b"5", b"6789"]
    whole = combine_all(algorithm, [(digest(algorithm, p), len(p)) for p in pieces])
    assert int.from_bytes(whole, "big") == CHECK[algorithm]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_random_data_split_at_random_points(algorithm):
    """Any split of random data, empty pieces included, combines to the CRC of the whole."""
    rng = random.Random(algorithm)
    for _ in range(50):
        data = rng.randbytes(rng.randrange(0, 5000))
        cuts = [rng.randrange(0, len(data) + 1) for _ in range(rng.randrange(0, 8))]
        cuts += [cuts[0]] if cuts else []               # a repeated cut: an empty piece
        pieces = split(data, cuts)
        combined = combine_all(algorithm, [(digest(algorithm, p), len(p)) for p in pieces])
        assert combined == digest(algorithm, data)


@settings(max_examples=200, deadline=None)
@given(algorithm=st.sampled_from(ALGORITHMS), a=st.binary(max_size=300), b=st.binary(max_size=300))
def test_combine_two(algorithm, a, b):
    """combine(crc(A), crc(B), len(B)) is crc(A + B)."""
    assert combine(algorithm, crc(algorithm, a), crc(algorithm, b), len(b)) == crc(algorithm, a + b)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_appending_a_mebibyte_of_zeros(algorithm):
    """A long run of zero bytes (data easy to build) shifts the CRC as the real data does."""
    head, zeros = os.urandom(100), bytes(1024 * 1024)
    assert combine(algorithm, crc(algorithm, head), crc(algorithm, zeros), len(zeros)) \
        == crc(algorithm, head + zeros)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_pieces(algorithm):
    """An empty piece changes nothing, on either side; no pieces at all is the CRC of nothing."""
    value = crc(algorithm, b"some data")
    assert combine(algorithm, value, 0, 0) == value
    assert combine(algorithm, 0, value, 9) == value
    assert combine_all(algorithm, []) == digest(algorithm, b"")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_large_lengths_group_either_way(algorithm):
    """With 5 GiB and 5 TiB pieces, (A+B)+C and A+(B+C) agree, and it takes no time."""
    rng = random.Random(7)
    mask = (1 << (8 * checksums.DIGEST_SIZES[algorithm])) - 1
    started = time.monotonic()
    for len_b, len_c in [(5 * GiB, 5 * GiB), (5 * GiB + 1, 3), (5 * 1024 * GiB, 5 * GiB - 1)]:
        a, b, c = (rng.getrandbits(64) & mask for _ in range(3))
        left = combine(algorithm, combine(algorithm, a, b, len_b), c, len_c)
        right = combine(algorithm, a, combine(algorithm, b, c, len_c), len_b + len_c)
        assert left == right
    parts = [(rng.randbytes(checksums.DIGEST_SIZES[algorithm]), 5 * GiB + rng.randrange(1000))
             for _ in range(1000)]
    combine_all(algorithm, parts)
    assert time.monotonic() - started < 30


def test_full_upload_of_equal_parts_is_fast():
    """A 10,000-part upload of 5 GiB parts combines in seconds at most (the shift is cached)."""
    started = time.monotonic()
    combine_all("CRC64NVME", [(bytes(8), 5 * GiB)] * 9999 + [(bytes(8), 17)])
    assert time.monotonic() - started < 10


def test_refusals():
    """An unknown algorithm, a digest of the wrong size and an impossible length are ValueErrors."""
    with pytest.raises(ValueError):
        combine("SHA256", 1, 2, 3)
    with pytest.raises(ValueError):
        combine_all("SHA1", [])
    with pytest.raises(ValueError):
        combine_all("CRC32", [(bytes(8), 1)])
    with pytest.raises(ValueError):
        combine("CRC32", 1, 2, -1)
    with pytest.raises(ValueError):
        combine("CRC32", 1, 2, 1 << 64)
