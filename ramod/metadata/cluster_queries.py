"""What the processes of a cluster share through the database (database thread): leases
for jobs only one process may run at a time, token buckets of rate-limited keys, and
the quota room uploads in flight hold.

Several ramod worker processes, and several gateways on one PostgreSQL database, each
serve requests on their own; whatever must hold for all of them together is decided
here, in one transaction each, by the database — no process trusts another's memory.

Every transaction below writes before it reads: on SQLite its first statement takes the
database's write lock (a deferred transaction that had read first could not become a
writer once another process had committed), on PostgreSQL concurrent ones queue on the
row they change.  Times are Unix seconds from the calling process's clock (``now``
arguments, for tests); gateways are expected to keep their clocks in step (NTP), and
what a skew of a few seconds does is said where it matters.
"""

import time

from peewee import fn

from ramod.metadata import errors
from ramod.metadata.db import is_postgres
from ramod.metadata.models import Bucket, Lease, QuotaReservation, RateBucket


def refill(tokens: float, updated_at: float, now: float, rate: float) -> float:
    """A token bucket's tokens at ``now``: ``rate`` per second since ``updated_at``, at
    most the burst (``max(1, rate)``).  A clock behind ``updated_at`` adds nothing."""
    return min(max(1.0, rate), tokens + max(0.0, now - updated_at) * rate)


class ClusterQueries:
    """Mixed into MetadataStore: needs ``_run``, ``_lock`` and ``_db``."""

    # -- leases -------------------------------------------------------------------------

    def hold_lease(self, name: str, holder: str, seconds: float, now: float | None = None):
        """Take the lease ``name`` for ``holder``, or renew it, for ``seconds``: True if
        ``holder`` holds it now.  Another holder's lease is taken over only once expired,
        so a holder that dies loses it ``seconds`` after its last renewal at most."""
        def q():
            at = time.time() if now is None else now
            taken = Lease.update(holder=holder, expires_at=at + seconds).where(
                (Lease.name == name) & ((Lease.holder == holder) | (Lease.expires_at < at))
            ).execute()
            if taken:
                return True
            # no row yet (or another's, still valid): the insert settles which
            Lease.insert(name=name, holder=holder, expires_at=at + seconds).on_conflict_ignore(
            ).execute()
            row = Lease.select(Lease.holder).where(Lease.name == name).first()
            return row is not None and row.holder == holder
        return self._run(q)

    def release_lease(self, name: str, holder: str):
        """Give the lease up if ``holder`` has it (another process may take it at once)."""
        def q():
            return Lease.delete().where((Lease.name == name) & (Lease.holder == holder)).execute()
        return self._run(q)

    def lease_holder(self, name: str, now: float | None = None):
        """The process holding the lease ``name`` (None if nobody, or it expired)."""
        def q():
            at = time.time() if now is None else now
            row = Lease.select(Lease.holder).where(
                (Lease.name == name) & (Lease.expires_at >= at)).first()
            return None if row is None else row.holder
        return self._run(q)

    # -- rate limits --------------------------------------------------------------------

    def take_token(self, credential_id: int, rate: float, now: float | None = None):
        """One request's token from the key's bucket, shared by every process: None if
        there was one, else the seconds until there is.

        Tokens come back at ``rate`` per second up to a burst of ``max(1, rate)``; an
        admitted request costs one UPDATE of the key's row (the condition and the
        arithmetic in SQL, so concurrent requests on any process are counted exactly),
        a refused one changes nothing."""
        def q():
            at = time.time() if now is None else now
            burst = max(1.0, rate)
            for _ in range(2):
                if self._db.execute_sql(self._take_token_sql(), (
                        burst, at, rate, at, credential_id, burst, at, rate)).rowcount == 1:
                    return None
                row = RateBucket.select(RateBucket.tokens, RateBucket.updated_at).where(
                    RateBucket.credential == credential_id).first()
                if row is not None:
                    return (1.0 - refill(row.tokens, row.updated_at, at, rate)) / rate
                # the key's first limited request: a full bucket, then take from it
                RateBucket.insert(credential=credential_id, tokens=burst,
                                  updated_at=at).on_conflict_ignore().execute()
            raise AssertionError("a rate bucket row that was just made is missing")
        return self._run(q)

    def _take_token_sql(self) -> str:
        sql = getattr(self, "_take_token_text", None)
        if sql is None:
            least, greatest = ("LEAST", "GREATEST") if is_postgres(self._db) else ("min", "max")
            p = self._db.param
            tokens = f"{least}({p}, tokens + {greatest}(0, {p} - updated_at) * {p})"
            table = RateBucket._meta.table_name
            sql = self._take_token_text = (
                f'UPDATE "{table}" SET tokens = {tokens} - 1, '
                f'updated_at = {greatest}(updated_at, {p}) '
                f'WHERE credential_id = {p} AND {tokens} >= 1')
        return sql

    # -- quota reservations -------------------------------------------------------------

    def reserve_quota(self, bucket, size: int, holder: str, seconds: float,
                      now: float | None = None):
        """Hold ``size`` bytes of ``bucket``'s quota for an upload about to be read, for
        ``seconds`` (renewed by ``renew_reservations``): the reservation's id.

        Checked against what the bucket holds now plus every live reservation, on any
        process, in the transaction that inserts this one; reservations of concurrent
        admissions of the bucket are serialised on its row.

        :raises QuotaExceeded: it does not fit (nothing is reserved).
        :raises BucketMissing: the bucket is gone.
        """
        def q():
            at = time.time() if now is None else now
            # the write first (SQLite's lock); what a dead process held is reclaimed here
            QuotaReservation.delete().where((QuotaReservation.bucket == bucket.id)
                                            & (QuotaReservation.expires_at <= at)).execute()
            row = self._lock(Bucket.select(Bucket.quota_bytes, Bucket.object_bytes,
                                           Bucket.upload_bytes).where(Bucket.id == bucket.id)
                             ).first()
            if row is None:
                raise errors.BucketMissing(bucket.name)
            held = (QuotaReservation.select(fn.COALESCE(fn.SUM(QuotaReservation.size), 0))
                    .where((QuotaReservation.bucket == bucket.id)
                           & (QuotaReservation.expires_at > at)).scalar())
            used = row.object_bytes + row.upload_bytes + int(held)
            if row.quota_bytes is not None and used + size > row.quota_bytes:
                raise errors.QuotaExceeded(bucket.name, row.quota_bytes, used, size)
            return QuotaReservation.insert(bucket=bucket.id, size=size, holder=holder,
                                           expires_at=at + seconds).execute()
        return self._run(q)

    def renew_reservations(self, ids: list, seconds: float, now: float | None = None):
        """Push the expiry of the reservations ``ids`` (uploads still going on) out to
        ``seconds`` from now; return how many are still there."""
        def q():
            if not ids:
                return 0
            at = time.time() if now is None else now
            return QuotaReservation.update(expires_at=at + seconds).where(
                QuotaReservation.id.in_(ids)).execute()
        return self._run(q)

    def release_reservation(self, reservation_id: int):
        """The upload is over (stored, refused or cut off): give its room back."""
        def q():
            return QuotaReservation.delete().where(QuotaReservation.id == reservation_id).execute()
        return self._run(q)

    def reserved_bytes(self, bucket_id: int, now: float | None = None):
        """Bytes of ``bucket_id``'s quota held by live reservations, on every process."""
        def q():
            at = time.time() if now is None else now
            return int(QuotaReservation.select(fn.COALESCE(fn.SUM(QuotaReservation.size), 0))
                       .where((QuotaReservation.bucket == bucket_id)
                              & (QuotaReservation.expires_at > at)).scalar())
        return self._run(q)
