"""The write protocol: new data becomes part of an object exactly once, or leaves no trace.

Every write that references blobs goes through one ``Ingest``::

    async with Ingest(app.pools, app.blobs, staging) as ingest:
        digests = await ingest.receive(request.pipeline)      # or: await ingest.commit(fill, ...)
        ...                                                   # checks that may refuse it
        info, _ = await ingest.record(app.store.put_object, bucket, key, new)
        ...                                                   # the response

1. **commit** (one I/O job): the last bytes are written into ``staging/<id>``, which is
   fsync'd (and ``staging/``), then hard-linked as ``blobs/xx/<id>`` (directory fsync'd)
   — ``BlobStore.commit``;
2. **record**: the metadata transaction that references the blob.  Only a committed blob
   can be recorded, so no metadata ever points at data that is not on disk;
3. once recorded, the staging name is released in the I/O pool, without delaying the
   response; blobs the transaction dropped are queued as garbage in that same transaction
   and removed by the sweep after the grace (``ramod.storage.garbage``);
4. if the block is left any other way — an exception anywhere (a digest mismatch, a
   failed precondition, the bucket or upload gone), a cancellation, or simply without
   calling ``record`` — the staging file and its not yet referenced blob are discarded
   (``BlobStore.discard``, I/O pool) before the block's exception goes on.

Whether the blob is kept depends only on whether the transaction committed, never on a
flag a handler must remember to set, and never on whether the handler raised after the
transaction (its row references the blob by then).  When nobody can know — the
connection to the database was lost during COMMIT (the transaction's exception has a true
``commit_in_doubt``) — the blob and its staging name are left as a crash would leave
them, and start-up recovery keeps or removes the blob by what the database says.

Why an async context manager rather than a class whose methods the handler calls in
order: the discard must happen on every way out of the handler, including ones it never
sees (a cancellation delivered while it awaits, an exception in code after the write);
``async with`` runs it on all of them, and the steps refuse to run outside the block.
It is one class, not a decorator or a callback chain, because the handlers' own logic
(retries for a copy source rewritten meanwhile, preconditions checked in the
transaction) sits between the steps.

Cancellation never cuts a step short: a step's work runs in a pool thread that cannot
be stopped, so a cancelled ``commit`` or ``record`` first waits for its job to end.
Then nothing still writes into a file being discarded, and a transaction that did
commit is honoured (staging released, ``CancelledError`` raised after), one that did not
is discarded.  The durability guarantee is unchanged: the caller answers 200 only after
``record`` returned, so data and metadata are on disk.

A write that only references blobs that already exist (CopyObject, a whole-object
UploadPartCopy) uses an ``Ingest`` without a staging file: ``record`` alone.
"""

from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure

log = Logger(namespace="ramod.storage")


async def _settle(d: Deferred) -> tuple:
    """Wait for ``d`` to fire on its own even if the awaiting coroutine is cancelled:
    ``(result or Failure, CancelledError or None)``.

    Cancelling a pool job's Deferred would not stop the thread running it, only lose its
    outcome; here the cancellation is kept and handed back with the outcome instead.
    """
    outcome: list = []
    waiter: Deferred = Deferred()

    def arrived(result):
        outcome.append(result)
        if not waiter.called:
            waiter.callback(None)

    d.addBoth(arrived)
    cancelled = None
    while not outcome:
        try:
            await waiter
        except CancelledError as e:
            cancelled = e
            waiter = Deferred()
    return outcome[0], cancelled


class Ingest:
    """One write's new blob (``staging``; None if it only references existing blobs), from
    the staging file to a metadata row, or discarded.

    :ivar digests: what ``receive`` computed (None before, or for other kinds of write).
    """

    def __init__(self, pools, blobs, staging=None):
        self.pools, self.blobs, self.staging = pools, blobs, staging
        self.digests = None
        self._entered = self._closed = False
        self._committed = False
        self._recorded = False
        self._in_doubt = False

    @property
    def blob_id(self) -> str | None:
        """The new blob's id (what the metadata row references), None without staging."""
        return self.staging.blob_id if self.staging is not None else None

    @property
    def recorded(self) -> bool:
        """The metadata transaction committed: the blob is kept whatever happens next."""
        return self._recorded

    # -- the block --------------------------------------------------------------------------

    async def __aenter__(self) -> "Ingest":
        if self._entered:
            raise RuntimeError("an Ingest is used for one write only")
        self._entered = True
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        self._closed = True
        if self.staging is not None and self._in_doubt:
            # the row may reference the blob: leave both names for start-up recovery
            log.warn("upload {blob} kept for start-up recovery: its metadata commit may or may "
                     "not have happened", blob=self.staging.blob_id)
            await _settle(self.pools.run_io(self.staging.close))
        elif self.staging is not None and not self._recorded:
            outcome, _ = await _settle(self.pools.run_io(self.blobs.discard, self.staging))
            if isinstance(outcome, Failure):
                log.failure("discarding an upload (start-up recovery removes it)", outcome)
        return False

    def _check_open(self, step: str) -> None:
        if not self._entered or self._closed:
            raise RuntimeError(f"Ingest.{step} runs only inside its 'async with' block")
        if self._recorded:
            raise RuntimeError(f"Ingest.{step} after the write was recorded")

    # -- steps ------------------------------------------------------------------------------

    async def commit(self, fill=None, *args):
        """Step 1 in one I/O job: ``fill(staging, *args)`` if given (writes the last or all
        of the bytes; its result is returned), then fsync and link into ``blobs/``."""
        self._check_open("commit")
        if self.staging is None:
            raise RuntimeError("this write has no staging file to commit")
        if self._committed:
            raise RuntimeError("the blob is already committed")
        staging, blobs = self.staging, self.blobs

        def fill_and_commit():
            result = fill(staging, *args) if fill is not None else None
            blobs.commit(staging)
            return result
        outcome, cancelled = await _settle(self.pools.run_io(fill_and_commit))
        if isinstance(outcome, Failure):
            outcome.raiseException()
        self._committed = True
        if cancelled is not None:
            raise cancelled
        return outcome

    async def receive(self, pipeline):
        """Step 1 for a streamed request body: ``pipeline.finish(self)`` hashes and writes
        its last batch and commits through ``commit``; return (and keep) its Digests.

        Waits for the pipeline's jobs to end even when cancelled, like the other steps.
        """
        self._check_open("receive")
        outcome, cancelled = await _settle(pipeline.finish(self))
        if isinstance(outcome, Failure):
            outcome.raiseException()
        self.digests = outcome
        if cancelled is not None:
            raise cancelled
        return outcome

    async def record(self, transaction, *args, **kwargs):
        """Step 2: run the metadata transaction ``transaction(*args, **kwargs)`` (a
        MetadataStore write); return its result.  Once it committed, the staging name is
        released (I/O pool, not waited for); what the write left unreferenced is already
        queued for the garbage sweep (``ramod.storage.garbage``)."""
        self._check_open("record")
        if self.staging is not None and not self._committed:
            raise RuntimeError("the blob is not durable yet: commit it before recording it")
        outcome, cancelled = await _settle(ensureDeferred(transaction(*args, **kwargs)))
        if isinstance(outcome, Failure):
            self._in_doubt = bool(getattr(outcome.value, "commit_in_doubt", False))
            outcome.raiseException()
        self._recorded = True
        if self.staging is not None:
            self.pools.run_io(self.blobs.release_staging, self.staging).addErrback(
                lambda f: log.failure("removing a staging file (start-up recovery removes it)", f))
        if cancelled is not None:
            raise cancelled
        return outcome
