"""Running blocking client calls on a thread pool, with results delivered on the GUI thread.

``Runner.call(fn, *args, on_done=..., on_error=...)`` runs ``fn`` in a ``QThreadPool``
thread; when it returns, ``on_done(result)`` (or ``on_error(exc)``) is called on the GUI
thread, through a queued signal to the ``Runner`` (which lives there).  A job can be
``discard``-ed: its outcome is then dropped (a listing the user navigated away from).

``Runner(serial=True)`` runs every call on the GUI thread (on the next turn of the event
loop), which makes a misbehaving view easy to step through in a debugger (GitFourchette's
``ForceSerial``).
"""

import itertools
import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from ramogui.client.errors import describe

log = logging.getLogger(__name__)


class JobSignals(QObject):
    """How a ``CallJob`` reports: ``(job id, succeeded, result or exception)``."""

    ended = Signal(int, bool, object)


class CallJob(QRunnable):
    """One call of ``fn(*args, **kwargs)`` on a pool thread."""

    def __init__(self, job_id: int, fn: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.setAutoDelete(False)           # the Runner holds it until it has reported
        self.job_id, self.signals = job_id, JobSignals()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self.discarded = False

    def discard(self) -> None:
        """Drop the outcome: neither callback will be called."""
        self.discarded = True

    def run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure goes to on_error
            self.signals.ended.emit(self.job_id, False, exc)
        else:
            self.signals.ended.emit(self.job_id, True, result)


class Runner(QObject):
    """Runs client calls off the GUI thread.

    :param pool: the thread pool (default: a pool of its own with ``max_threads``).
    :param serial: run every call synchronously, for debugging.
    """

    busy_changed = Signal(int)           # number of calls under way
    failed = Signal(str)                 # a failure no ``on_error`` took: for the status bar

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None,
                 max_threads: int = 6, serial: bool = False):
        super().__init__(parent)
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(max_threads)
        self.pool, self.serial = pool, serial
        self._ids = itertools.count(1)
        self._jobs: dict[int, tuple[CallJob, Callable | None, Callable | None]] = {}

    def call(self, fn: Callable, *args, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None, **kwargs) -> CallJob:
        """Run ``fn(*args, **kwargs)`` on the pool; report to ``on_done``/``on_error`` on the
        GUI thread.  Without ``on_error``, a failure is announced by ``failed``."""
        job = CallJob(next(self._ids), fn, args, kwargs)
        self._jobs[job.job_id] = (job, on_done, on_error)
        job.signals.ended.connect(self._ended)
        self.busy_changed.emit(len(self._jobs))
        if self.serial:
            # On the next turn of the event loop, so the caller has kept the job it was
            # handed before its callbacks run.
            QTimer.singleShot(0, job.run)
        else:
            self.pool.start(job)
        return job

    @property
    def active(self) -> int:
        """How many calls are under way."""
        return len(self._jobs)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool's threads are idle (shutting down, tests)."""
        return self.pool.waitForDone(msecs)

    @Slot(int, bool, object)
    def _ended(self, job_id: int, ok: bool, outcome: object) -> None:
        job, on_done, on_error = self._jobs.pop(job_id, (None, None, None))
        self.busy_changed.emit(len(self._jobs))
        if job is None or job.discarded:
            return
        try:
            if ok:
                if on_done is not None:
                    on_done(outcome)
            elif on_error is not None:
                on_error(outcome)
            else:
                log.warning("background call failed: %r", outcome)
                self.failed.emit(describe(outcome))
        except RuntimeError as exc:
            # The widget that asked was closed meanwhile ("C++ object already deleted").
            if "already deleted" not in str(exc):
                raise
