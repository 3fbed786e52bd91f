"""Bucket quotas, checked before any data is written.

The metadata store enforces a quota in the transaction that commits a write (so it
holds across requests and ramod nodes); ``QuotaGate`` refuses an upload earlier,
from its declared size, before its body is read, counting the uploads this process
has already admitted and not yet finished.
"""

from collections.abc import Callable

from ramoclient.human import human_bytes
from ramod.metadata import errors as meta
from ramod.protocol import errors


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
    """Admits uploads into buckets with a quota, by their declared size."""

    def __init__(self):
        #: bucket id -> bytes of admitted uploads still in flight
        self._reserved: dict[int, int] = {}

    def reserved(self, bucket_id: int) -> int:
        return self._reserved.get(bucket_id, 0)

    def admit(self, bucket, size: int, resource: str = "") -> Callable[[], None] | None:
        """Reserve ``size`` bytes of ``bucket``'s quota, or raise QuotaExceeded.

        :param bucket: a BucketInfo with its usage as read for this request.
        :returns: the function that gives the reservation back (call it once, when the
            request is over), or None when there is nothing to reserve.
        """
        if bucket.quota_bytes is None or size <= 0:
            return None
        held = self._reserved.get(bucket.id, 0)
        used = bucket.used_bytes + held
        if used + size > bucket.quota_bytes:
            raise quota_error(bucket.name, bucket.quota_bytes, used, size, resource)
        self._reserved[bucket.id] = held + size
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            left = self._reserved.get(bucket.id, 0) - size
            if left > 0:
                self._reserved[bucket.id] = left
            else:
                self._reserved.pop(bucket.id, None)
        return release
