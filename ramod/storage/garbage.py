"""Removing the files of blobs that no metadata references any more ("garbage").

A metadata transaction that drops a blob's last reference deletes its ``Blob`` row and
queues it in ``GarbageBlob`` with the time, then returns its id.  The file stays for
``--garbage-grace`` seconds: a GET that looked the object up before it was overwritten
or deleted may still be opening or reading its blobs, on this process or on any other
worker or gateway, and ``BlobStore``'s pins only protect the readers of the process that
removes.  Then ``sweep_garbage_blobs`` (run by ``RamoService.sweep_garbage``, in one
process of the cluster at a time) removes it and forgets the queued id.

Nothing removes a garbage file earlier, not even right after the transaction in the
process that made it: no process can know that none of the others looked the object up
a moment before.  A file removed late costs disk space for a while, never data.
"""

import time

from twisted.logger import Logger

log = Logger(namespace="ramod.storage")

#: the database lease of the periodic sweep: one process of the cluster sweeps at a time
SWEEP_LEASE = "garbage-sweep"
#: how long the sweeper's lease lasts without a renewal (it renews it every sweep, every
#: few seconds): when its holder dies, another process takes the sweep over this much later
SWEEP_LEASE_SECONDS = 30.0


async def sweep_garbage_blobs(store, pools, blobs, grace: float, now: float | None = None,
                              limit: int = 1000) -> list:
    """Remove the files of blobs that have been garbage for more than ``grace`` seconds
    (at most ``limit``, oldest first) in one I/O job, and forget them; return the ids
    removed.  A blob a reader of this process still has pinned stays queued (next sweep)."""
    cutoff = (time.time() if now is None else now) - grace
    ids = await store.garbage(limit, before=cutoff)
    if not ids:
        return []
    removed = await pools.run_io(blobs.remove_blobs, ids)
    await store.forget_garbage(removed)
    return removed
