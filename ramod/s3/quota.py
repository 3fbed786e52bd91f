"""Bucket quotas, checked before any data is written.

The metadata store enforces a quota in the transaction that commits a write (so it
holds across requests and ramod processes whatever happened before); ``QuotaGate``
refuses an upload earlier, from its declared size, before its body is read.  It counts
the uploads in flight on every process of the cluster: each admitted upload holds a
reservation row in the database (bucket, bytes, holder, expiry), checked and inserted in
one transaction against the bucket's usage and the live reservations, and deleted when
the request ends.  A process that dies leaves its reservations behind; they stop
counting when they expire (``RESERVATION_SECONDS`` after their last renewal: the
holder renews those of its uploads still going on every ``RENEW_SECONDS``).  Buckets
without a quota pay nothing for this.
"""

from collections.abc import Callable

from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from ramoclient.human import human_bytes
from ramod.metadata import errors as meta
from ramod.protocol import errors

log = Logger(namespace="ramod.s3")

#: a reservation not renewed for this long no longer counts (its process died)
RESERVATION_SECONDS = 60.0
#: how often a process renews the reservations of its uploads in flight
RENEW_SECONDS = 20.0


def quota_error(bucket: str, quota: int, used: int, adding: int,
                resource: str = "") -> errors.S3Error:
    """The S3 error for a write that does not fit."""
    return errors.QuotaExceeded(
        f"The bucket {bucket!r} has a quota of {quota} bytes ({human_bytes(quota)}); it holds "
        f"{used} bytes and this upload would add {adding} more.",
        resource=resource, BucketName=bucket)


def translate(error: meta.QuotaExceeded, resource: str = "") -> errors.S3Error:
    return quota_error(error.bucket, error.quota, error.used, error.adding, resource)


class QuotaGate:
    """Admits uploads into buckets with a quota, by their declared size.

    :param store: the MetadataStore (``reserve_quota``, ``renew_reservations``,
        ``release_reservation``).
    :param holder: this process's name in the cluster (``Config.process_name``), written
        in its reservations.
    :param clock: an IReactorTime, for the renewals.
    """

    def __init__(self, store, holder: str, clock):
        self._store, self._holder, self._clock = store, holder, clock
        #: ids of this process's reservations whose request is not over
        self._held: set[int] = set()
        self._renewer: LoopingCall | None = None

    async def admit(self, bucket, size: int, resource: str = "") -> Callable[[], None] | None:
        """Reserve ``size`` bytes of ``bucket``'s quota, or raise QuotaExceeded.

        :param bucket: a BucketInfo (its quota as read for this request; the usage is read
            again in the reservation's transaction).
        :returns: the function that gives the reservation back (call it once, when the
            request is over; later calls do nothing), or None when there is nothing to
            reserve.
        """
        if bucket.quota_bytes is None or size <= 0:
            return None
        try:
            reservation = await self._store.reserve_quota(bucket, size, self._holder,
                                                          RESERVATION_SECONDS)
        except meta.QuotaExceeded as e:
            raise translate(e, resource)
        except meta.BucketMissing:
            raise errors.NoSuchBucket(resource=resource, BucketName=bucket.name)
        self._held.add(reservation)
        self._renew_while_held()
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._held.discard(reservation)
            if not self._held and self._renewer is not None and self._renewer.running:
                self._renewer.stop()
            self._store.release_reservation(reservation).addErrback(
                lambda f: log.failure("giving back a quota reservation (it expires by itself)", f))
        return release

    def _renew_while_held(self) -> None:
        if self._renewer is None:
            self._renewer = LoopingCall(self._renew)
            self._renewer.clock = self._clock
        if not self._renewer.running:
            self._renewer.start(RENEW_SECONDS, now=False)

    def _renew(self):
        if not self._held:
            return None
        d = self._store.renew_reservations(sorted(self._held), RESERVATION_SECONDS)
        return d.addErrback(lambda f: log.failure("renewing quota reservations", f))
