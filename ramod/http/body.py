"""BodyPipeline: a request body flows from the socket, through hashing, into a staging file.

The reactor thread only strips aws-chunked framing and collects ~1 MiB batches.  Each
batch then goes through two stages in the I/O pool, which run side by side:

* **hash** — MD5, SHA-256, the additional checksum and chunk signatures; one batch of an
  upload at a time, in order (digests are sequential);
* **write** — ``pwritev`` at the batch's own offset, so writes need no ordering and
  overlap with hashing.  Every ``SYNC_EVERY`` bytes an ``fdatasync`` starts writeback
  early, so the final fsync has little left to flush.

When more than ``HIGH_WATER`` bytes are not yet through both stages, the transport is
paused; it resumes below ``LOW_WATER``.  Memory per upload is therefore bounded
whatever the object size.

The pipeline is *held* until the request's signature has been checked: bytes that
arrive earlier are kept (the transport is paused meanwhile) and decoded on ``release``.
"""

import errno
import hashlib
from collections import deque

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from ramod.auth.chunked import AwsChunkedDecoder, ChunkEnd, Trailer
from ramod.protocol import checksums, errors
from ramod.protocol.payload import Digests, PayloadSpec

log = Logger(namespace="ramod.http.body")

BATCH_BYTES = 1 << 20
HIGH_WATER = 8 << 20
LOW_WATER = 2 << 20
SYNC_EVERY = 128 << 20
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def storage_error(error: Exception) -> Exception:
    """A full disk or quota is the client's business (507), any other I/O error is ours."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return errors.InsufficientStorage(
            f"The server has no disk space left to store this object ({error.strerror}).")
    return error


class _Hashing:
    """Digest state of one body; used by one I/O thread at a time."""

    def __init__(self, spec: PayloadSpec, chain):
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256() if spec.sha256_hex else None
        self.checksum = (checksums.new_checksum(spec.checksum_algorithm)
                         if spec.checksum_algorithm else None)
        self.chain = chain
        self.chunk_sha = hashlib.sha256() if chain is not None else None
        self.trailer: dict = {}

    def run(self, events: list) -> None:
        """Hash one batch of events (I/O thread); raises on a bad chunk signature."""
        for event in events:
            if isinstance(event, ChunkEnd):
                if self.chain is not None:
                    digest = self.chunk_sha.hexdigest() if event.size else _EMPTY_SHA256
                    self.chain.verify_chunk(digest, event.signature)
                    self.chunk_sha = hashlib.sha256()
            elif isinstance(event, Trailer):
                self.trailer = dict(event.headers)
                if self.chain is not None:
                    self.chain.verify_trailer(event.canonical, event.signature)
            else:
                self.md5.update(event)
                if self.sha256 is not None:
                    self.sha256.update(event)
                if self.checksum is not None:
                    self.checksum.update(event)
                if self.chunk_sha is not None:
                    self.chunk_sha.update(event)


class _Batch:
    """~1 MiB of events, where its data goes in the file, and how many stages remain."""

    __slots__ = ("events", "pieces", "size", "offset", "stages")

    def __init__(self, events: list, pieces: list, size: int, offset: int):
        self.events, self.pieces, self.size, self.offset = events, pieces, size, offset
        self.stages = 2


class BodyPipeline:
    """Streams one request body into ``staging``; ``finish`` yields the ``Digests``.

    :param pause: called (reactor thread) to stop reading from the client.
    :param resume: called to read again.
    :param on_error: called with the exception when the body is refused before its end.
    """

    def __init__(self, pools, blobs, staging, pause, resume, max_size: int, on_error=None):
        self._pools, self._blobs, self.staging = pools, blobs, staging
        self._pause, self._resume = pause, resume
        self._on_error = on_error
        self._max_size = max_size
        self._held: list | None = []        # raw bytes received before release()
        self._decoder: AwsChunkedDecoder | None = None
        self._hashing: _Hashing | None = None
        self._events: list = []             # the batch being collected
        self._pieces: list = []
        self._batch_bytes = 0
        self._offset = 0                    # file offset of the next batch
        self._hash_queue: deque = deque()
        self._hash_busy = False
        self._jobs = 0                      # hash and write jobs running
        self._pending = 0                   # bytes not yet through both stages
        self._unsynced = 0
        self._paused = False
        self._size = 0
        self.error: Exception | None = None
        self._drained: list = []            # Deferreds waiting for every job to settle
        self._finished = False
        self._discarded = False

    # -- reactor side ---------------------------------------------------------------------

    def hold_pause(self) -> None:
        """Stop reading until ``release``: the signature is not checked yet."""
        self._set_paused(True)

    def feed(self, data: bytes) -> None:
        """Take raw body bytes from the HTTP parser."""
        if self.error is not None:
            return
        if self._held is not None:
            self._held.append(data)
            return
        try:
            self._take(self._decoder.feed(data) if self._decoder is not None else (data,))
        except Exception as e:
            self._fail(e)

    def _take(self, events) -> None:
        """Collect decoded events: payload bytes, chunk ends and the trailer."""
        for event in events:
            if isinstance(event, (ChunkEnd, Trailer)):
                self._events.append(event)
                continue
            size = len(event)
            if not size:
                continue
            self._size += size
            if self._size > self._max_size:
                raise errors.EntityTooLarge(
                    f"Your proposed upload exceeds the maximum allowed object size of "
                    f"{self._max_size} bytes.", MaxSizeAllowed=str(self._max_size))
            data = bytes(event)
            self._events.append(data)
            self._pieces.append(data)
            self._batch_bytes += size
        if self._batch_bytes >= BATCH_BYTES:
            self._dispatch(self._cut_batch())

    def release(self, spec: PayloadSpec, chain) -> None:
        """The request is authenticated: decode and write what was held, read the rest."""
        if self.error is not None:
            return
        if spec.chunked is not None:
            signed, trailer = spec.chunked
            self._decoder = AwsChunkedDecoder(signed=signed, trailer=trailer)
        self._hashing = _Hashing(spec, chain if spec.chunked and spec.chunked[0] else None)
        held, self._held = self._held, None
        for data in held:
            self.feed(data)
        self._update_flow()

    def finish(self, ingest) -> Deferred:
        """All bytes are in: hash and write the last batch and commit the data to
        ``blobs/`` through ``ingest`` (``Ingest.commit``: one I/O job), then fire with the
        ``Digests`` (or fail).

        From here on the ingest owns the staging file: it discards it unless the blob is
        recorded in the metadata (``ramod.storage.ingest``).
        """
        self._finished = True
        if self.error is None:
            try:
                if self._decoder is not None:
                    self._take(self._decoder.finish() or ())
            except Exception as e:
                self._fail(e)
        last = self._cut_batch()
        d = Deferred()
        self._drained.append(d)
        self._check_drained()
        return d.addCallback(lambda _: self._finalize(last, ingest))

    def abort(self) -> None:
        """The client went away or the request failed: drop the data once jobs settle."""
        if self.error is None:
            self.error = errors.S3Error("The upload was abandoned.")
        self._hash_queue.clear()
        self._check_drained()

    # -- stages ---------------------------------------------------------------------------

    def _cut_batch(self) -> _Batch:
        batch = _Batch(self._events, self._pieces, self._batch_bytes, self._offset)
        self._offset += self._batch_bytes
        self._events, self._pieces, self._batch_bytes = [], [], 0
        return batch

    def _dispatch(self, batch: _Batch) -> None:
        """Queue a full batch for hashing and start writing it now."""
        self._pending += batch.size
        self._hash_queue.append(batch)
        self._jobs += 1
        d = self._pools.run_io(self.staging.write_at, batch.pieces, batch.offset)
        d.addCallbacks(self._stage_done, self._job_failed, callbackArgs=(batch,))
        self._unsynced += batch.size
        if self._unsynced >= SYNC_EVERY:
            self._unsynced = 0
            self._pools.run_io(self.staging.sync_data).addErrback(
                lambda f: log.failure("early writeback of an upload", f))
        self._next_hash()
        self._update_flow()

    def _next_hash(self) -> None:
        if self._hash_busy or not self._hash_queue or self.error is not None:
            return
        batch = self._hash_queue.popleft()
        self._hash_busy = True
        self._jobs += 1
        d = self._pools.run_io(self._hashing.run, batch.events)
        d.addCallbacks(self._hashed, self._job_failed, callbackArgs=(batch,))

    def _hashed(self, _, batch: _Batch) -> None:
        self._hash_busy = False
        self._stage_done(None, batch)
        self._next_hash()

    def _stage_done(self, _, batch: _Batch) -> None:
        self._jobs -= 1
        batch.stages -= 1
        if batch.stages == 0:
            self._pending -= batch.size
            batch.events = batch.pieces = None
        self._update_flow()
        self._check_drained()

    def _job_failed(self, failure) -> None:
        self._jobs -= 1
        self._hash_busy = False
        self._fail(failure.value)

    def _fail(self, error: Exception) -> None:
        error = storage_error(error)
        first = self.error is None
        if first:
            self.error = error
        self._hash_queue.clear()
        self._events, self._pieces = [], []
        self._check_drained()
        if first and not self._finished and self._on_error is not None:
            self._on_error(error)   # the request answers now and closes the connection

    def _check_drained(self) -> None:
        """Fire ``finish`` waiters, or discard an aborted upload, once nothing is running."""
        busy = self._jobs > 0 or (self._hash_queue and self.error is None)
        if busy:
            return
        if self._drained:
            waiting, self._drained = self._drained, []
            for d in waiting:
                d.callback(None)
        elif self.error is not None and not self._finished:
            self._discard()

    def _finalize(self, last: _Batch, ingest) -> Deferred:
        if self.error is not None:
            return self._digests()  # raises; the ingest discards

        def hash_write(staging):
            self._hashing.run(last.events)
            if last.size:
                staging.write_at(last.pieces, last.offset)
        d = Deferred.fromCoroutine(ingest.commit(hash_write))
        d.addErrback(lambda f: self._fail(f.value))
        return d.addCallback(lambda _: self._digests())

    # -- flow control ---------------------------------------------------------------------

    def _update_flow(self) -> None:
        if self._held is not None or self.error is not None:
            return
        if self._pending > HIGH_WATER:
            self._set_paused(True)
        elif self._pending < LOW_WATER:
            self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            (self._pause if paused else self._resume)()

    def _digests(self) -> Digests:
        if self.error is not None:
            raise self.error
        h = self._hashing
        return Digests(size=self._size, md5=h.md5.digest(),
                       sha256_hex=h.sha256.hexdigest() if h.sha256 else None,
                       checksum_b64=h.checksum.b64digest() if h.checksum else None,
                       trailer=h.trailer)

    def _discard(self) -> None:
        if not self._discarded:
            self._discarded = True
            self._pools.run_io(self._blobs.discard, self.staging)
