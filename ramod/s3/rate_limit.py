"""Per-access-key request rates, held for the whole cluster: a token bucket per key in
the metadata database, shared by every worker process and gateway.

A key with a limit of ``r`` requests per second may send a burst of ``max(1, r)``
requests, then ``r`` per second, whichever processes its requests reach; past that S3
answers 503 SlowDown with a ``Retry-After`` saying when the next request will be
accepted.  Each request of a limited key takes its token in one database transaction
(``MetadataStore.take_token``), so the count is exact across processes; the one slack
is the processes' clocks (gateways kept in step by NTP: a skew of ``d`` seconds can let
a key through ``d * r`` requests early, once).  A key without a limit costs nothing: the
credential the request's lookup returned says so, and no token is taken.
"""

import math

from twisted.internet.defer import Deferred


class RateLimiter:
    """The S3 front's view of the shared token buckets."""

    def __init__(self, store):
        self._store = store

    def acquire(self, credential, now: float | None = None) -> Deferred | None:
        """Take one request's token for ``credential`` (a CredentialInfo).

        :returns: None at once for a key without a limit; otherwise a Deferred firing with
            None if the request may go on, else the seconds until a token is free.
        """
        if credential.rate_limit is None:
            return None
        return self._store.take_token(credential.id, credential.rate_limit, now)


def retry_after_header(wait: float) -> str:
    """Whole seconds for ``Retry-After`` (at least 1)."""
    return str(max(1, math.ceil(wait)))
