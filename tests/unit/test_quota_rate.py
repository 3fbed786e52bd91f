"""QuotaGate admits uploads by declared size against reservations in the database;
RateLimiter takes each request's token from the key's bucket in the database (a real
SQLite store run inline; several processes on one database: test_cluster_state.py)."""

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from conftest import result
from test_metadata_store import new_blob

from ramod.metadata.models import QuotaReservation, RateBucket
from ramod.protocol import errors
from ramod.s3.quota import RENEW_SECONDS, RESERVATION_SECONDS, QuotaGate
from ramod.s3.rate_limit import RateLimiter, retry_after_header


@pytest.fixture
def gate(store):
    return QuotaGate(store, "node/1", Clock())


def admit(gate, *args):
    """Run ``gate.admit(*args)`` (inline, so already done): its release function or None."""
    return result(Deferred.fromCoroutine(gate.admit(*args)))


def with_quota(store, quota, used=0, name="bkt"):
    """``name`` with ``quota`` bytes, holding ``used`` bytes of objects; its BucketInfo."""
    info = result(store.update_bucket(name, quota_bytes=quota))
    if used:
        result(store.put_object(info, f"used-{used}", new_blob(size=used)))
    return result(store.get_bucket(name))


def test_no_quota_reserves_nothing(store, bucket, gate):
    """Without a quota (or for an empty body) there is nothing to reserve, nor any query."""
    assert admit(gate, bucket, 10**12) is None
    assert admit(gate, with_quota(store, 100), 0) is None
    assert QuotaReservation.select().count() == 0


def test_admitted_uploads_count_until_released(store, bucket, gate):
    """Uploads in flight count against the quota until released (once, however often called)."""
    info = with_quota(store, 100, used=30)
    first = admit(gate, info, 40)
    assert result(store.reserved_bytes(info.id)) == 40
    with pytest.raises(errors.S3Error) as caught:
        admit(gate, info, 40)
    assert caught.value.code == "QuotaExceeded" and caught.value.status == 403
    assert "quota of 100 bytes" in caught.value.message and "holds 70 bytes" in caught.value.message
    first()
    first()
    assert result(store.reserved_bytes(info.id)) == 0
    assert QuotaReservation.select().count() == 0
    assert admit(gate, info, 70) is not None


def test_exact_fit_is_admitted_and_buckets_are_separate(store, root, bucket, gate):
    """Filling a quota exactly is allowed; other buckets have their own reservations."""
    result(store.create_bucket("other", root.id, "us-east-1"))
    info, other = with_quota(store, 100), with_quota(store, 100, name="other")
    assert admit(gate, info, 100) is not None
    assert admit(gate, other, 100) is not None
    with pytest.raises(errors.S3Error):
        admit(gate, info, 1)


def test_the_usage_is_read_again_when_reserving(store, bucket, gate):
    """What the bucket holds is read in the reservation's transaction, not taken from the
    (older) BucketInfo of the request's lookup."""
    stale = with_quota(store, 100)
    result(store.put_object(stale, "meanwhile", new_blob(size=80)))
    with pytest.raises(errors.S3Error) as caught:
        admit(gate, stale, 30)
    assert "holds 80 bytes" in caught.value.message


def test_reservations_are_renewed_while_held_and_expire_when_not(store, bucket):
    """The gate renews its reservations every RENEW_SECONDS while they are held; one that
    is not renewed (its process died) stops counting RESERVATION_SECONDS later."""
    clock = Clock()
    gate = QuotaGate(store, "node/1", clock)
    info = with_quota(store, 100)
    release = admit(gate, info, 60)
    row = QuotaReservation.get()
    assert row.holder == "node/1"
    first_expiry = row.expires_at
    QuotaReservation.update(expires_at=first_expiry - 50).execute()  # as if time had passed
    clock.advance(RENEW_SECONDS)
    assert QuotaReservation.get().expires_at >= first_expiry  # renewed to now + the lifetime
    release()
    clock.advance(RENEW_SECONDS)
    assert not gate._renewer.running  # nothing held, nothing to renew

    result(store.reserve_quota(info, 60, "node/2", RESERVATION_SECONDS, now=1000.0))
    assert result(store.reserved_bytes(info.id, now=1000.0 + RESERVATION_SECONDS - 1)) == 60
    assert result(store.reserved_bytes(info.id, now=1000.0 + RESERVATION_SECONDS)) == 0
    # the next admission of the bucket reclaims the expired row
    result(store.reserve_quota(info, 100, "node/1", RESERVATION_SECONDS,
                               now=1000.0 + RESERVATION_SECONDS))
    assert [(r.holder, r.size) for r in QuotaReservation.select()] == [("node/1", 100)]


def test_a_bucket_deleted_meanwhile_is_no_such_bucket(store, bucket, gate):
    info = with_quota(store, 100)
    result(store.delete_bucket("bkt"))
    with pytest.raises(errors.S3Error) as caught:
        admit(gate, info, 10)
    assert caught.value.code == "NoSuchBucket"


# -- rate limits ------------------------------------------------------------------------------


def test_burst_then_steady_rate(store, root):
    """A key with rate r gets a burst of r requests, then one every 1/r seconds."""
    now = 1000.0
    assert [result(store.take_token(root.id, 5, now)) for _ in range(5)] == [None] * 5
    wait = result(store.take_token(root.id, 5, now))
    assert wait == pytest.approx(0.2)
    now += 0.2
    assert result(store.take_token(root.id, 5, now)) is None
    assert result(store.take_token(root.id, 5, now)) is not None


def test_slow_rates_and_unlimited_keys(store, root):
    """Below one request per second the burst is one; keys without a limit are never held
    and cost no query at all."""
    assert result(store.take_token(root.id, 0.5, 1000.0)) is None
    assert result(store.take_token(root.id, 0.5, 1000.0)) == pytest.approx(2.0)
    limiter = RateLimiter(store)
    free = result(store.create_credential("alice", "FREEKEY", "secret"))
    assert all(limiter.acquire(free) is None for _ in range(1000))
    assert RateBucket.select().where(RateBucket.credential == free.id).count() == 0
    assert retry_after_header(0.01) == "1" and retry_after_header(2.2) == "3"


def test_the_limiter_takes_the_credentials_rate(store):
    """RateLimiter.acquire uses the limit the request's credential carries."""
    limited = result(store.create_credential("bob", "SLOWKEY", "secret", rate_limit=1))
    limiter = RateLimiter(store)
    assert result(limiter.acquire(limited, now=1000.0)) is None
    assert result(limiter.acquire(limited, now=1000.5)) == pytest.approx(0.5)


def test_lowering_a_rate_applies_at_once(store, root):
    """Tokens saved under a higher rate don't outlast a lower one."""
    result(store.take_token(root.id, 100, 1000.0))
    assert result(store.take_token(root.id, 1, 1000.0)) is None
    assert result(store.take_token(root.id, 1, 1000.0)) is not None


def test_a_clock_behind_refills_nothing(store, root):
    """A process whose clock is behind the last one that took a token adds no tokens (and
    does not move the bucket's time back)."""
    assert result(store.take_token(root.id, 1, 1000.0)) is None
    assert result(store.take_token(root.id, 1, 990.0)) == pytest.approx(1.0)
    assert RateBucket.get().updated_at == 1000.0
