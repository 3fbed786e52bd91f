"""Per-access-key request rates: a token bucket per key, in this process.

A key with a limit of ``r`` requests per second may send a burst of ``max(1, r)``
requests, then ``r`` per second; past that S3 answers 503 SlowDown with a
``Retry-After`` saying when the next request will be accepted.
"""

import math


class RateLimiter:
    """Token buckets keyed by access key; ``clock()`` returns monotonic seconds."""

    def __init__(self, clock):
        self._clock = clock
        #: access key -> (tokens, time of the last refill, rate it was made for)
        self._buckets: dict[str, tuple[float, float, float]] = {}

    def acquire(self, access_key: str, rate: float | None) -> float | None:
        """Take one request's token; None if allowed, else the seconds until one is free."""
        if rate is None:
            self._buckets.pop(access_key, None)
            return None
        now = self._clock()
        burst = max(1.0, rate)
        tokens, last, known_rate = self._buckets.get(access_key, (burst, now, rate))
        if known_rate != rate:
            tokens = min(tokens, burst)
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[access_key] = (tokens - 1.0, now, rate)
            return None
        self._buckets[access_key] = (tokens, now, rate)
        return (1.0 - tokens) / rate


def retry_after_header(wait: float) -> str:
    """Whole seconds for ``Retry-After`` (at least 1)."""
    return str(max(1, math.ceil(wait)))
