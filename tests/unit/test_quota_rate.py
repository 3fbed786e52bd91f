"""QuotaGate admits uploads by declared size; RateLimiter is a token bucket per key."""

import pytest

from ramod.metadata.records import BucketInfo
from ramod.protocol import errors
from ramod.s3.quota import QuotaGate
from ramod.s3.rate_limit import RateLimiter, retry_after_header


def bucket(quota, used=0, bucket_id=1):
    return BucketInfo("b", 1, "root", "us-east-1", None, bucket_id, object_bytes=used,
                      quota_bytes=quota)


def test_no_quota_reserves_nothing():
    """Without a quota (or for an empty body) there is nothing to reserve."""
    gate = QuotaGate()
    assert gate.admit(bucket(None), 10**12) is None
    assert gate.admit(bucket(100), 0) is None


def test_admitted_uploads_count_until_released():
    """Uploads in flight count against the quota until released (once, however often called)."""
    gate = QuotaGate()
    first = gate.admit(bucket(100, used=30), 40)
    with pytest.raises(errors.S3Error) as caught:
        gate.admit(bucket(100, used=30), 40)
    assert caught.value.code == "QuotaExceeded" and caught.value.status == 403
    assert "quota of 100 bytes" in caught.value.message and "holds 70 bytes" in caught.value.message
    first()
    first()
    assert gate.reserved(1) == 0
    assert gate.admit(bucket(100, used=30), 70) is not None


def test_exact_fit_is_admitted_and_buckets_are_separate():
    """Filling a quota exactly is allowed; other buckets have their own reservations."""
    gate = QuotaGate()
    assert gate.admit(bucket(100), 100) is not None
    assert gate.admit(bucket(100, bucket_id=2), 100) is not None
    with pytest.raises(errors.S3Error):
        gate.admit(bucket(100), 1)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_burst_then_steady_rate():
    """A key with rate r gets a burst of r requests, then one every 1/r seconds."""
    clock = Clock()
    limiter = RateLimiter(clock)
    assert [limiter.acquire("k", 5) for _ in range(5)] == [None] * 5
    wait = limiter.acquire("k", 5)
    assert wait == pytest.approx(0.2)
    clock.now += 0.2
    assert limiter.acquire("k", 5) is None
    assert limiter.acquire("k", 5) is not None


def test_slow_rates_and_unlimited_keys():
    """Below one request per second the burst is one; keys without a limit are never held."""
    clock = Clock()
    limiter = RateLimiter(clock)
    assert limiter.acquire("slow", 0.5) is None
    assert limiter.acquire("slow", 0.5) == pytest.approx(2.0)
    assert all(limiter.acquire("free", None) is None for _ in range(1000))
    assert retry_after_header(0.01) == "1" and retry_after_header(2.2) == "3"


def test_lowering_a_rate_applies_at_once():
    """Tokens saved under a higher rate don't outlast a lower one."""
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.acquire("k", 100)
    assert limiter.acquire("k", 1) is None
    assert limiter.acquire("k", 1) is not None
