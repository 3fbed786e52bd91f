"""Object data on the filesystem, written crash-safely.

Layout under the data directory::

    staging/<node>/<slot>/<id>  bodies being received; a PUT in flight owns exactly one
    staging/<id>                the layout before worker processes: recovered at start
    blobs/<id[:2]>/<id>         committed data, named by a random hex id
    locks/<node>/<slot>.lock    flock'd by the process staging in staging/<node>/<slot>/
    ramod.lock                  SQLite: flock'd by the running server (``BlobStore.lock``)

``<node>`` is the gateway's ``--node-id``; ``<slot>`` is ``server`` for a single server
(``--workers 1``) and ``worker-<I>`` for worker process I of a supervisor.  Each process
stages only in its own slot and recovers it at start while holding its slot lock, so
recovery never touches a staging area a live process is using: another worker's, or
one of an old worker still draining after its supervisor was killed.  The node's main
process (single server or supervisor) also recovers, at start, every slot of its node
whose lock is free (workers of an earlier run with more of them) and the old flat
layout.  The locks live outside ``staging/``: everything under ``staging/`` is an
upload in flight or a leftover of one.  Locks of two gateways never meet: each has its
own ``<node>`` (kept unique by the node lock, ``ramod.startup``), so a slot lock is
only ever contended by processes of one host.

Object keys never become paths: blob ids are generated here (``uuid4().hex``).

Commit protocol (``commit`` runs in the I/O pool, the metadata commit comes between;
every write drives it through ``ramod.storage.ingest.Ingest``):

1. the body is written to ``staging/<id>``, fsync'd, and ``staging/`` fsync'd;
2. ``blobs/xx/<id>`` is hard-linked to it and ``blobs/xx`` fsync'd;
3. the metadata row pointing at ``<id>`` is committed (the store's transaction);
4. ``staging/<id>`` is unlinked, and only then does the client hear 200.

A crash at any point leaves ``staging/<node>/<slot>/<id>``; ``recover`` keeps ``blobs/xx/<id>`` if
committed metadata references it and removes both names otherwise.  Readers only
ever open ``blobs/``, so nothing half-written is visible.
"""

import fcntl
import os
import re
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from ramod.storage.reader import SegmentReader

FANOUT_HEX = 2
MAX_IOVECS = 512  # below the kernel's IOV_MAX (1024 on Linux)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_BLOB_ID = re.compile(r"[0-9a-f]{32}")


def _is_blob_id(name: str) -> bool:
    """Blob ids are uuid4().hex: 32 lower-case hex digits, never anything a client sent."""
    return _BLOB_ID.fullmatch(name) is not None


def _subdirectories(path: Path) -> list:
    try:
        return sorted(p.name for p in path.iterdir() if p.is_dir())
    except FileNotFoundError:
        return []


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class StagingFile:
    """An upload being received under ``staging/<blob_id>``.

    The file is created by the first I/O job that touches it, never on the reactor
    thread; concurrent jobs of one upload share one descriptor.
    """

    def __init__(self, blob_id: str, path: str):
        self.blob_id, self.file_name = blob_id, str(path)
        self._fd: int | None = None
        self._lock = threading.Lock()
        self.closed = False

    def _descriptor(self) -> int:
        with self._lock:
            if self.closed:
                raise ValueError("staging file already closed")
            if self._fd is None:
                self._fd = os.open(self.file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            return self._fd

    def write_at(self, pieces: list, offset: int) -> None:
        """Write ``pieces`` back to back at ``offset`` (an I/O thread; batches of one
        upload may be written concurrently, each at its own offset)."""
        fd = self._descriptor()
        if len(pieces) > MAX_IOVECS:
            pieces = [b"".join(pieces)]
        total = sum(len(p) for p in pieces)
        done = os.pwritev(fd, pieces, offset)
        if done < total:  # short write: finish it piece by piece
            data = memoryview(b"".join(pieces))[done:]
            while data:
                n = os.pwrite(fd, data, offset + done)
                data, done = data[n:], done + n

    def sync_data(self) -> None:
        """Flush what was written so far, so the final fsync has little left to do."""
        with self._lock:
            if self._fd is not None and not self.closed:
                os.fdatasync(self._fd)

    def fsync_and_close(self) -> None:
        fd = self._descriptor()
        os.fsync(fd)
        self.close()

    @property
    def path(self) -> Path:
        return Path(self.file_name)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and not self.closed:
                os.close(self._fd)
            self.closed = True


class DataDirInUse(Exception):
    """Another ramod holds this data directory (or this staging slot)."""


def _try_flock(path: Path, wait: bool = False) -> int | None:
    """An open descriptor of ``path`` holding its exclusive flock, or None if another
    process holds it (``wait``: block until it is released instead)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class StagingArea:
    """One staging directory and, unless it is the old flat layout, the lock file that
    says a live process stages there.

    ``flat``: the pre-worker ``staging/`` itself, whose subdirectories are the nodes'
    areas: only the files directly in it are its own.
    """

    def __init__(self, path: Path, lock_path: Path | None, flat: bool = False):
        self.path, self.lock_path, self.flat = Path(path), lock_path, flat
        self._lock_fd: int | None = None

    def __repr__(self) -> str:
        return f"StagingArea({str(self.path)!r})"

    def try_lock(self, wait: bool = False) -> bool:
        """Take the area's lock if no live process holds it (``wait``: once it is
        released); the flat area has none: the node lock covers it."""
        if self.lock_path is None or self._lock_fd is not None:
            return True
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _try_flock(self.lock_path, wait)
        return self._lock_fd is not None

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def ids(self) -> list:
        """Blob ids with a staging name here: uploads that were in flight at a crash."""
        try:
            return [p.name for p in self.path.iterdir() if _is_blob_id(p.name) and p.is_file()]
        except FileNotFoundError:
            return []


class BlobStore:
    """Creates, commits, opens and removes blob files; every method is synchronous.

    Methods that fsync, link or unlink must be called through the I/O pool.
    """

    def __init__(self, data_dir: Path, node_id: str = "local", slot: str | None = "server"):
        """:param node_id: the gateway's ``--node-id``.
        :param slot: ``server`` (a single server) or ``worker-<I>``: this process's
            staging area, ``staging/<node_id>/<slot>/``; None for a supervisor, which
            stages nothing."""
        self.root = Path(data_dir)
        self.node_id, self.slot = node_id, slot
        self.staging_root = self.root / "staging"
        self.node_staging_dir = self.staging_root / node_id
        self.node_locks_dir = self.root / "locks" / node_id
        self.staging_dir = self.node_staging_dir / slot if slot else None
        self.staging = (StagingArea(self.staging_dir, self.node_locks_dir / f"{slot}.lock")
                        if slot else None)
        self.blobs_dir = self.root / "blobs"
        # plain strings for the per-request paths: pathlib costs more than the syscalls
        self._staging_prefix = f"{self.staging_dir}{os.sep}" if slot else None
        self._blobs_prefix = f"{self.blobs_dir}{os.sep}"
        self._lock_fd: int | None = None
        #: blob id -> readers holding it open; a pinned blob's file is not removed yet
        self._pins: Counter = Counter()
        self._pins_lock = threading.Lock()

    def lock(self) -> None:
        """Take the data directory for this server alone (SQLite: one server per data
        directory; its worker processes do not take it, they are the same server).

        SQLite over a shared filesystem is not safe, and start-up recovery of the old
        flat staging layout assumes no other server writes there.
        """
        fd = _try_flock(self.root / "ramod.lock")
        if fd is None:
            raise DataDirInUse(f"another ramod is already using {self.root}")
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self.staging is not None:
            self.staging.unlock()

    def claim_staging(self, wait: bool = False) -> None:
        """Take this process's staging slot (held until ``unlock``); DataDirInUse if a
        live process still stages there (an old worker draining its last requests),
        unless ``wait`` (an I/O thread): then block until it is free."""
        if not self.staging.try_lock(wait):
            raise DataDirInUse(f"staging area {self.staging_dir} is in use by another process")

    def idle_staging_areas(self, every_node: bool = False) -> list:
        """(node's main process, at start) the old flat ``staging/`` and every other slot
        of this node that no live process holds, each locked: recover them, then
        ``unlock`` each.  ``every_node``: the slots of every node id found (SQLite, where
        this server has the whole data directory: a node id that changed, say with the
        host name, leaves its slots behind)."""
        areas = [StagingArea(self.staging_root, None, flat=True)]
        nodes = _subdirectories(self.staging_root) if every_node else [self.node_id]
        for node in nodes:
            for slot in _subdirectories(self.staging_root / node):
                if node == self.node_id and slot == self.slot:
                    continue
                area = StagingArea(self.staging_root / node / slot,
                                   self.root / "locks" / node / f"{slot}.lock")
                if area.try_lock():
                    areas.append(area)
        return areas

    def prepare(self) -> None:
        """Create the directory tree, this process's staging slot included (durably),
        if it is not there yet."""
        created = False
        for d in (self.root, self.staging_root, self.blobs_dir):
            if not d.is_dir():
                d.mkdir(parents=True, exist_ok=True)
                created = True
        for d in (self.staging_dir, self.node_locks_dir):
            if d is not None and not d.is_dir():
                d.mkdir(parents=True, exist_ok=True)
                _fsync_dir(d.parent)
                _fsync_dir(d.parent.parent)
        for i in range(16 ** FANOUT_HEX):
            sub = self.blobs_dir / f"{i:0{FANOUT_HEX}x}"
            if not sub.is_dir():
                sub.mkdir(exist_ok=True)
                created = True
        if created:
            _fsync_dir(self.blobs_dir)
            _fsync_dir(self.root)
            _fsync_dir(self.root.parent)

    def blob_path(self, blob_id: str) -> Path:
        return Path(self.blob_file(blob_id))

    def blob_file(self, blob_id: str) -> str:
        if not _is_blob_id(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return f"{self._blobs_prefix}{blob_id[:FANOUT_HEX]}{os.sep}{blob_id}"

    def new_staging(self) -> StagingFile:
        """A fresh staging file for an incoming body (created on its first write)."""
        blob_id = uuid.uuid4().hex
        return StagingFile(blob_id, self._staging_prefix + blob_id)

    def commit(self, staging: StagingFile) -> str:
        """Steps 1-2: make the staged data durable under ``blobs/``; return the blob id."""
        staging.fsync_and_close()
        _fsync_dir(self.staging_dir)  # the staging name must outlive a crash: recovery needs it
        final = self.blob_file(staging.blob_id)
        os.link(staging.file_name, final)
        _fsync_dir(os.path.dirname(final))
        return staging.blob_id

    def release_staging(self, staging: StagingFile) -> None:
        """Step 4: the metadata is committed; drop the staging name."""
        _unlink_quietly(staging.file_name)

    def discard(self, staging: StagingFile) -> None:
        """Throw an upload away, whatever stage it reached before metadata commit.

        The blob name goes first: a crash in between leaves the staging name, which
        recovery then cleans up, never a blob nobody knows about.
        """
        staging.close()
        _unlink_quietly(self.blob_file(staging.blob_id))
        _unlink_quietly(staging.file_name)

    def open_blob(self, blob_id: str) -> BinaryIO:
        """Open committed data for reading (raises FileNotFoundError if removed)."""
        return open(self.blob_path(blob_id), "rb", buffering=0)

    def open_segments(self, segments: list, offset: int, first_size: int) -> tuple:
        """(I/O thread) open an object's ``(blob_id, size)`` segments for a response and
        read its first piece: ``(SegmentReader, first bytes)``.

        The blobs are pinned first, then checked: FileNotFoundError means an overwrite
        removed one before the pin (the caller reads the metadata again).
        """
        with self._pins_lock:
            self._pins.update(blob_id for blob_id, _ in segments)
        reader = SegmentReader(self, segments)
        try:
            opened = reader.open_first(offset)
            for index, (blob_id, _) in enumerate(segments):
                if index != opened and not os.path.exists(self.blob_file(blob_id)):
                    raise FileNotFoundError(blob_id)
            return reader, reader.read(offset, first_size) if first_size else b""
        except BaseException:
            reader.close()
            raise

    def unpin(self, blob_ids: list) -> None:
        with self._pins_lock:
            self._pins.subtract(blob_ids)
            for blob_id in blob_ids:
                if self._pins[blob_id] <= 0:
                    del self._pins[blob_id]

    def remove_blob(self, blob_id: str) -> bool:
        """Remove an unreferenced blob's file unless a reader still has it pinned
        (then False: the garbage sweeper tries again later)."""
        with self._pins_lock:  # held over the unlink: a reader must not pin in between
            if blob_id in self._pins:
                return False
            _unlink_quietly(self.blob_file(blob_id))
        return True

    def remove_blobs(self, blob_ids: list) -> list:
        """Remove many blob files in one I/O job; return the ids actually removed."""
        return [blob_id for blob_id in blob_ids if self.remove_blob(blob_id)]

    def staged_ids(self, area: StagingArea | None = None) -> list:
        """Blob ids with a staging name in ``area`` (default: this process's own):
        uploads that were in flight at a crash."""
        return (area or self.staging).ids()

    def recover(self, committed: set, staged: list, area: StagingArea | None = None) -> int:
        """Roll the uploads staged in ``area`` (default: this process's own) forward
        (``committed``) or back; return how many were removed.  Every other file in the
        area goes too; directories stay (in the flat area they are the nodes' areas)."""
        area = area or self.staging
        removed = 0
        for blob_id in staged:
            if blob_id not in committed:
                _unlink_quietly(self.blob_path(blob_id))
                removed += 1
            _unlink_quietly(area.path / blob_id)
        try:
            leftovers = list(area.path.iterdir())
        except FileNotFoundError:
            leftovers = []
        for leftover in leftovers:  # anything else is not ours to keep
            if leftover.is_file():
                _unlink_quietly(leftover)
        return removed
