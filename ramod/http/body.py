"""BodyPipeline: a request body flows from the socket, through hashing, into a staging file.

The reactor thread only strips aws-chunked framing and collects ~1 MiB batches; writing
and hashing (MD5, SHA-256, CRC, chunk signatures) run in the I/O pool, one batch of an
upload at a time and in order.  When more than ``HIGH_WATER`` bytes wait for the disk
side, the transport is paused; it resumes below ``LOW_WATER``.  Memory per upload is
therefore bounded whatever the object size.

The pipeline is *held* until the request's signature has been checked: bytes that
arrive earlier are kept (the transport is paused meanwhile) and decoded on ``release``.
"""

import hashlib
from collections import deque

from twisted.internet.defer import Deferred

from ramod.auth.chunked import AwsChunkedDecoder, ChunkEnd, Trailer
from ramod.s3 import checksums, errors
from ramod.s3.payload import Digests, PayloadSpec

BATCH_BYTES = 1 << 20
HIGH_WATER = 8 << 20
LOW_WATER = 2 << 20
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


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

    def run(self, batch: list, staging) -> None:
        """Hash and write one batch of events (I/O thread)."""
        for event in batch:
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
                staging.write(event)


class BodyPipeline:
    """Streams one request body into ``staging``; ``finish`` yields the ``Digests``.

    :param pause: called (reactor thread) to stop reading from the client.
    :param resume: called to read again.
    """

    def __init__(self, pools, blobs, staging, pause, resume, max_size: int):
        self._pools, self._blobs, self.staging = pools, blobs, staging
        self._pause, self._resume = pause, resume
        self._max_size = max_size
        self._held: list | None = []        # raw bytes received before release()
        self._decoder: AwsChunkedDecoder | None = None
        self._hashing: _Hashing | None = None
        self._batch: list = []
        self._batch_bytes = 0
        self._queue: deque = deque()
        self._pending = 0                   # bytes handed on but not yet written
        self._busy = False
        self._paused = False
        self._size = 0
        self.error: Exception | None = None
        self._drained: list = []            # Deferreds waiting for the queue to empty
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
        """Queue decoded events: payload bytes, chunk ends and the trailer."""
        for event in events:
            if isinstance(event, (ChunkEnd, Trailer)):
                self._batch.append(event)
                continue
            size = len(event)
            if not size:
                continue
            self._size += size
            if self._size > self._max_size:
                raise errors.EntityTooLarge(
                    f"Your proposed upload exceeds the maximum allowed object size of "
                    f"{self._max_size} bytes.", MaxSizeAllowed=str(self._max_size))
            self._batch.append(bytes(event))
            self._batch_bytes += size
        if self._batch_bytes >= BATCH_BYTES:
            self._flush()

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

    def finish(self) -> Deferred:
        """All bytes are in: flush, wait for the writes, return ``Digests`` (or fail)."""
        self._finished = True
        if self.error is None:
            try:
                if self._decoder is not None:
                    self._take(self._decoder.finish() or ())
            except Exception as e:
                self._fail(e)
        self._flush()
        d = Deferred()
        self._drained.append(d)
        self._pump()
        return d.addCallback(lambda _: self._digests())

    def abort(self) -> None:
        """The client went away or the request failed: drop the data once writes settle."""
        if self.error is None:
            self.error = errors.S3Error("The upload was abandoned.")
        self._queue.clear()
        self._batch = []
        if not self._busy:
            self._discard()

    # -- internals ------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self._queue.clear()
        self._batch = []
        self._set_paused(False)
        self._pump()

    def _flush(self) -> None:
        if self._batch:
            self._queue.append(self._batch)
            self._pending += self._batch_bytes
            self._batch, self._batch_bytes = [], 0
        self._pump()

    def _pump(self) -> None:
        if self._busy or self._held is not None and self.error is None:
            return
        if self._queue and self.error is None:
            batch = self._queue.popleft()
            batch_bytes = sum(len(e) for e in batch if isinstance(e, bytes))
            self._busy = True
            d = self._pools.run_io(self._hashing.run, batch, self.staging)
            d.addCallbacks(self._wrote, self._write_failed, callbackArgs=(batch_bytes,))
        elif not self._queue or self.error is not None:
            self._update_flow()
            if self._finished or self.error is not None:
                waiting, self._drained = self._drained, []
                for d in waiting:
                    d.callback(None)

    def _wrote(self, _, batch_bytes: int) -> None:
        self._busy = False
        self._pending -= batch_bytes
        if self.error is not None and not self._finished:
            self._discard()
        self._update_flow()
        self._pump()

    def _write_failed(self, failure) -> None:
        self._busy = False
        self._fail(failure.value)

    def _update_flow(self) -> None:
        if self._held is not None:
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
            self._discard()
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
