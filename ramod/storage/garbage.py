"""Removing the files of blobs that no metadata references any more ("garbage").

A metadata transaction that drops a blob's last reference deletes its ``Blob`` row and
queues it in ``GarbageBlob``, then returns its id.  The caller removes the file right
away through here; the sweeper (``RamoService.sweep_garbage``) removes whatever is left
(a blob a reader still has pinned, a failed unlink, a crash in between) and forgets the
queued ids.  So a file removed late costs disk space for a while, never data.
"""

from twisted.internet.defer import Deferred
from twisted.logger import Logger

log = Logger(namespace="ramod.storage")


def remove_garbage(owner, blob_ids: list) -> Deferred | None:
    """Delete unreferenced blob files now, in one I/O job; the sweeper forgets them (and
    retries the ones still pinned by a reader) later.

    :param owner: anything with ``pools`` and ``blobs`` (the S3App, an ``Ingest``).
    :return: the I/O job's Deferred (errors are logged, never raised), None if there was
        nothing to remove.
    """
    if not blob_ids:
        return None
    d = owner.pools.run_io(owner.blobs.remove_blobs, list(blob_ids))
    return d.addErrback(lambda f: log.failure("removing unreferenced blobs", f))
