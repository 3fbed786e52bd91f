"""The queue of uploads and downloads behind the transfers panel and the browser's drops.

``add_uploads``/``add_downloads`` plan on a ``Runner`` thread (walking a big folder or listing
a big prefix never blocks the GUI), then each file becomes a row of the queue's
``TransfersModel`` and, when its turn comes, a ``TransferJob`` (one ``QRunnable``).  At most
``max_running`` jobs run at once, first planned first started; the others wait in the queue,
so cancelling one that has not started is immediate.  Jobs report through queued signals,
progress at most every ``PROGRESS_INTERVAL`` seconds, and only the queue (on the GUI thread)
writes the model.

Uploads replace objects of the same key, as S3 does, unless ``add_uploads`` is given
``ask_replace``: then the plan also finds which keys exist, and the person chooses to replace
them, skip them or cancel the batch before anything is sent.
"""

import itertools
import logging
import os
import threading
import time
from collections import deque
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from ramogui.client import transfer
from ramogui.client.conflicts import existing_keys
from ramogui.client.errors import Cancelled, ClientError, describe
from ramogui.client.session import Session
from ramogui.models.transfers_model import (CANCELLED, DONE, DOWNLOAD, ENDED, FAILED, QUEUED,
                                            RUNNING, UPLOAD, TransfersModel, new_row)
from ramogui.workers.runner import CallJob, Runner

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1     # seconds between two progress signals of one transfer
SPEED_TICK_MS = 1000        # samples added to running transfers, so a stall shows
REPLACE, SKIP = "replace", "skip"    # answers of ``ask_replace`` (``None``: cancel the batch)


class TransferSignals(QObject):
    """How a ``TransferJob`` reports: its transfer id first."""

    started = Signal(int)
    progress = Signal(int, "qint64", "qint64")  # bytes done, bytes in all (64-bit: > 2 GiB)
    ended = Signal(int, bool, object)           # succeeded, result or exception


class TransferJob(QRunnable):
    """One transfer: ``work(on_progress, cancel)`` on a pool thread."""

    def __init__(self, transfer_id: int, total: int, work: Callable):
        super().__init__()
        self.setAutoDelete(False)          # the queue holds it until it has reported
        self.transfer_id, self.signals = transfer_id, TransferSignals()
        self.cancel_event = threading.Event()
        self._work, self._total = work, total
        self._lock = threading.Lock()
        self._done, self._last_emit = 0, 0.0

    def run(self) -> None:
        self.signals.started.emit(self.transfer_id)
        try:
            result = self._work(self._progress, self.cancel_event)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported
            if not isinstance(exc, (ClientError, OSError)):
                log.warning("transfer %d failed unexpectedly", self.transfer_id, exc_info=True)
            self._emit_progress()
            self.signals.ended.emit(self.transfer_id, False, exc)
        else:
            self._emit_progress()
            self.signals.ended.emit(self.transfer_id, True, result)

    def _progress(self, moved: int) -> None:
        with self._lock:
            self._done += moved
            now = time.monotonic()
            if now - self._last_emit >= PROGRESS_INTERVAL:
                self._last_emit = now
                self.signals.progress.emit(self.transfer_id, self._done, self._total)

    def _emit_progress(self) -> None:
        with self._lock:
            self.signals.progress.emit(self.transfer_id, self._done, self._total)


class TransferQueue(QObject):
    """Uploads and downloads, ``max_running`` at a time; owns the ``model`` the panel shows.

    :param max_running: transfers moving data at once.
    :param part_size: multipart part size for big uploads (see ``client.transfer``).
    :param parallel_parts: parts of one upload in flight at once.
    """

    changed = Signal(int)              # a transfer was added or changed state
    finished = Signal(int)             # a transfer ended: done, failed or cancelled
    upload_done = Signal(str, str)     # bucket, key: an upload is in place (refresh listings)
    download_done = Signal(str)        # the local path a download was saved as
    failed = Signal(int, str)          # transfer id, the reason (for a status bar)
    idle = Signal()                    # nothing queued, running or being planned any more
    planning_changed = Signal(int)     # how many added batches are still being planned

    def __init__(self, parent: QObject | None = None, *, max_running: int = 3,
                 part_size: int = transfer.PART_SIZE,
                 parallel_parts: int = transfer.PARALLEL_PARTS):
        super().__init__(parent)
        self.model = TransfersModel(self)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_running)
        self.max_running = max_running
        self.part_size, self.parallel_parts = part_size, parallel_parts
        self._planner = Runner(self, max_threads=2)
        self._plans: dict[threading.Event, CallJob | None] = {}        # batches being planned
        self._session: Session | None = None
        self._ids = itertools.count(1)
        self._items: dict[int, tuple] = {}          # transfer id -> (session, bucket, item)
        self._waiting: deque[int] = deque()
        self._jobs: dict[int, TransferJob] = {}                        # started, not reported
        self._ticker = QTimer(self)
        self._ticker.setInterval(SPEED_TICK_MS)
        self._ticker.timeout.connect(self.model.tick)

    # -- session ---------------------------------------------------------------------------

    def set_session(self, session: Session | None) -> None:
        """Transfers use the session current when they were added; changing or closing the
        session cancels the transfers of the old one."""
        if session is self._session:
            return
        if self._session is not None:
            self.cancel_all()
        self._session = session

    # -- adding ----------------------------------------------------------------------------

    def add_uploads(self, paths: list[str], bucket: str, prefix: str = "",
                    ask_replace: Callable[[list[str], int], str | None] | None = None) -> None:
        """Upload files and folders (walked off the GUI thread) into the folder ``prefix``.

        :param ask_replace: called on the GUI thread with the keys that already exist and the
            number of files planned, when some do; answers ``REPLACE``, ``SKIP`` or ``None``
            (upload nothing).  Without it existing objects are replaced.
        """
        paths = list(paths)
        if ask_replace is None:
            self._plan(UPLOAD, bucket, lambda session, cancel: transfer.plan_uploads(
                paths, prefix, cancel))
            return

        def plan(session, cancel):
            items = transfer.plan_uploads(paths, prefix, cancel)
            keys = [item.key for item in items if not item.problem]
            return items, existing_keys(session.admin, bucket, keys, cancel)

        def choose(planned) -> list:
            items, existing = planned
            if not existing:
                return items
            answer = ask_replace(existing, sum(1 for item in items if not item.problem))
            if answer == REPLACE:
                return items
            if answer == SKIP:
                taken = set(existing)
                return [item for item in items if item.key not in taken]
            return []
        self._plan(UPLOAD, bucket, plan, choose)

    def add_downloads(self, bucket: str, keys: list[str], prefixes: list[str],
                      dest_dir: str) -> None:
        """Download objects and "folders" (listed off the GUI thread) into ``dest_dir``."""
        keys, prefixes = list(keys), list(prefixes)
        self._plan(DOWNLOAD, bucket, lambda session, cancel: transfer.plan_downloads(
            session.admin, bucket, keys, prefixes, dest_dir, cancel))

    def _plan(self, direction: str, bucket: str, plan: Callable,
              choose: Callable[[object], list] | None = None) -> None:
        """Run ``plan(session, cancel)`` off the GUI thread and queue the items it gives;
        ``choose`` turns its result into the items (on the GUI thread: it may ask)."""
        session = self._session
        if session is None:
            self._add_failed(direction, bucket, "Not connected to a server.")
            self._check_idle()
            return
        cancel = threading.Event()
        self._plans[cancel] = None

        def done(planned) -> None:
            items = planned if choose is None else choose(planned)
            self._plans.pop(cancel, None)
            self.planning_changed.emit(len(self._plans))
            if not cancel.is_set():             # cancelled while ``choose`` asked
                self._enqueue(session, direction, bucket, items)
            self._check_idle()

        def error(exc: BaseException) -> None:
            self._plans.pop(cancel, None)
            self.planning_changed.emit(len(self._plans))
            if not isinstance(exc, Cancelled):
                self._add_failed(direction, bucket, describe(exc))
            self._check_idle()

        job = self._planner.call(plan, session, cancel, on_done=done, on_error=error)
        if cancel in self._plans:
            self._plans[cancel] = job
            self.planning_changed.emit(len(self._plans))

    def _enqueue(self, session: Session, direction: str, bucket: str, items: list) -> None:
        rows = []
        for item in items:
            transfer_id = next(self._ids)
            self._items[transfer_id] = (session, bucket, item)
            if direction == UPLOAD:
                name = os.path.basename(item.path)
            else:
                name = os.path.basename(item.path) or item.key.rsplit("/", 1)[-1]
            rows.append(new_row(transfer_id, direction, name or item.key, bucket, item.key,
                                item.path, item.size, FAILED if item.problem else QUEUED,
                                item.problem))
            if not item.problem:
                self._waiting.append(transfer_id)
        self.model.add(rows)
        for row in rows:
            self.changed.emit(row["id"])
            if row["state"] == FAILED:
                self.finished.emit(row["id"])
                self.failed.emit(row["id"], row["reason"])
        self._pump()

    # -- control ---------------------------------------------------------------------------

    def cancel(self, transfer_id: int) -> None:
        """Stop a queued or running transfer (a running one ends as cancelled shortly)."""
        if transfer_id in self._waiting:
            self._waiting.remove(transfer_id)
            self._end(transfer_id, CANCELLED)
            self._check_idle()
        elif transfer_id in self._jobs:
            self._jobs[transfer_id].cancel_event.set()

    def cancel_all(self) -> None:
        """Stop every transfer and every folder still being planned."""
        for cancel, job in self._plans.items():
            cancel.set()
            if job is not None:
                job.discard()
        if self._plans:
            self._plans.clear()
            self.planning_changed.emit(0)
        waiting, self._waiting = list(self._waiting), deque()
        for transfer_id in waiting:
            self._end(transfer_id, CANCELLED)
        for job in self._jobs.values():
            job.cancel_event.set()
        self._check_idle()

    def retry(self, transfer_id: int) -> bool:
        """Queue a failed or cancelled transfer again; whether it was."""
        row = self.model.get(transfer_id)
        if row is None or row["state"] not in (FAILED, CANCELLED) or transfer_id not in \
                self._items or transfer_id in self._jobs:
            return False
        _, bucket, item = self._items[transfer_id]
        self._items[transfer_id] = (self._session, bucket, item)     # retried as connected now
        self.model.set_state(transfer_id, QUEUED)
        self._waiting.append(transfer_id)
        self.changed.emit(transfer_id)
        self._pump()
        return True

    def clear_finished(self) -> None:
        """Remove the rows of transfers that are done, failed or cancelled."""
        ended = [row["id"] for row in self.model.rows() if row["state"] in ENDED]
        for transfer_id in ended:
            self._items.pop(transfer_id, None)
        self.model.remove(ended)

    def active_count(self) -> int:
        """Transfers queued or running, plus batches still being planned (ask before
        closing when this is not 0)."""
        return len(self._waiting) + len(self._jobs) + len(self._plans)

    def running_count(self) -> int:
        return len(self._jobs)

    def planning_count(self) -> int:
        return len(self._plans)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the threads are idle (closing the app, tests); whether they are."""
        return self._planner.wait(msecs) and self.pool.waitForDone(msecs)

    # -- running ---------------------------------------------------------------------------

    def _pump(self) -> None:
        while self._waiting and len(self._jobs) < self.max_running:
            transfer_id = self._waiting.popleft()
            job = TransferJob(transfer_id, self.model.get(transfer_id)["size"],
                              self._work(transfer_id))
            job.signals.started.connect(self._started)
            job.signals.progress.connect(self._progress)
            job.signals.ended.connect(self._ended)
            self._jobs[transfer_id] = job
            self.pool.start(job)
        if self._jobs and not self._ticker.isActive():
            self._ticker.start()

    def _work(self, transfer_id: int) -> Callable:
        """What the job of a transfer runs: ``work(on_progress, cancel)``."""
        session, bucket, item = self._items[transfer_id]
        part_size, parallel = self.part_size, self.parallel_parts

        def work(on_progress, cancel):
            if session is None:
                raise ClientError("Not connected to a server.")
            if isinstance(item, transfer.UploadItem):
                return transfer.upload_file(session.s3, item.path, bucket, item.key,
                                            on_progress=on_progress, cancel=cancel,
                                            part_size=part_size, parallel=parallel)
            if item.problem:
                raise transfer.TransferError(item.problem)
            return transfer.download_object(session.s3, bucket, item.key, item.path,
                                            on_progress=on_progress, cancel=cancel)
        return work

    @Slot(int)
    def _started(self, transfer_id: int) -> None:
        self.model.set_state(transfer_id, RUNNING)
        self.changed.emit(transfer_id)

    @Slot(int, "qint64", "qint64")
    def _progress(self, transfer_id: int, done: int, total: int) -> None:
        if transfer_id in self._jobs:
            self.model.set_progress(transfer_id, done)

    @Slot(int, bool, object)
    def _ended(self, transfer_id: int, ok: bool, outcome: object) -> None:
        self._jobs.pop(transfer_id, None)
        row = self.model.get(transfer_id)
        if ok and row is not None:
            if row["direction"] == DOWNLOAD:
                row["path"] = outcome          # the name it got ("x (1).txt")
                row["name"] = os.path.basename(outcome)
            self._end(transfer_id, DONE)
            if row["direction"] == UPLOAD:
                self.upload_done.emit(row["bucket"], row["key"])
            else:
                self.download_done.emit(outcome)
        elif isinstance(outcome, Cancelled):
            self._end(transfer_id, CANCELLED)
        elif not ok:
            self._end(transfer_id, FAILED, describe(outcome))
        self._pump()
        self._check_idle()

    def _end(self, transfer_id: int, state: str, reason: str = "") -> None:
        self.model.set_state(transfer_id, state, reason)
        self.changed.emit(transfer_id)
        self.finished.emit(transfer_id)
        if state == FAILED:
            self.failed.emit(transfer_id, reason)

    def _check_idle(self) -> None:
        if not self._jobs:
            self._ticker.stop()
        if self.active_count() == 0:
            self.idle.emit()

    def _add_failed(self, direction: str, bucket: str, reason: str) -> None:
        """A row for a batch that could not even be planned."""
        transfer_id = next(self._ids)
        self.model.add([new_row(transfer_id, direction, bucket, bucket, "", "", 0, FAILED,
                                reason)])
        self.changed.emit(transfer_id)
        self.finished.emit(transfer_id)
        self.failed.emit(transfer_id, reason)
