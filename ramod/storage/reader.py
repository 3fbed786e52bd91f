"""SegmentReader: positional reads over an object's bytes, which may span several blobs
(a multipart object is served from its parts in place)."""

import os
import threading
from bisect import bisect_right

#: bytes read from a blob per I/O job when serving a response
READ_SIZE = 1024 * 1024


class SegmentReader:
    """Reads ``(blob_id, size)`` segments as one byte string, opening each blob lazily.

    The blobs stay pinned in the store (not removable) until ``close``, so an object
    overwritten or deleted while it is being read is still served whole.
    """

    def __init__(self, store, segments: list):
        self._store = store
        self._ids = [blob_id for blob_id, _ in segments]
        self._sizes = [size for _, size in segments]
        self._starts, start = [], 0
        for size in self._sizes:
            self._starts.append(start)
            start += size
        self._open_index: int | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _descriptor(self, index: int) -> int:
        if self._open_index != index:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._fd = os.open(self._store.blob_file(self._ids[index]), os.O_RDONLY)
            self._open_index = index
        return self._fd

    def open_first(self, offset: int) -> int | None:
        """Open the segment holding ``offset`` now (FileNotFoundError if it is gone);
        return its index."""
        with self._lock:
            if not self._ids:
                return None
            index = self._segment_at(offset)
            self._descriptor(index)
            return index

    def _segment_at(self, offset: int) -> int:
        return max(bisect_right(self._starts, offset) - 1, 0)

    def read(self, offset: int, size: int) -> bytes:
        """(I/O thread) ``size`` bytes at ``offset``; fewer only if a blob is short."""
        pieces = []
        with self._lock:
            if self._closed:
                raise ValueError("reader closed")
            while size > 0:
                index = self._segment_at(offset)
                if index >= len(self._ids):
                    break
                within = offset - self._starts[index]
                want = min(size, self._sizes[index] - within)
                if want <= 0:
                    break
                data = os.pread(self._descriptor(index), want, within)
                pieces.append(data)
                if len(data) < want:
                    break
                offset += want
                size -= want
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        self._store.unpin(self._ids)
