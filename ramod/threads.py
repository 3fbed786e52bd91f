"""Thread pools owned by the server: one for the database, one for disk and hashing.

The reactor thread never runs SQL, fsync, rename or hashing of large buffers: those
go through ``Pools.run_db`` / ``Pools.run_io``, which return Deferreds fired on the
reactor thread.  ``inline=True`` runs them in the calling thread instead, for tests
that drive the site with a fake reactor.

``WorkerPool`` is deliberately lean (a SimpleQueue and ``callFromThread``): every S3
request makes one to four trips through these pools, and Twisted's general-purpose
ThreadPool costs several times more Python per trip.
"""

import queue
import threading

from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure


class WorkerPool:
    """``size`` threads running submitted callables; results come back as Deferreds."""

    def __init__(self, reactor, size: int, name: str):
        self._reactor = reactor
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list = []

    def start(self) -> None:
        for i in range(self._size):
            t = threading.Thread(target=self._work, name=f"{self._name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish queued work, then end the threads (waiting at most ``timeout`` each)."""
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def submit(self, fn, *args, **kwargs) -> Deferred:
        d = Deferred()
        self._queue.put((d, fn, args, kwargs))
        return d

    def _work(self) -> None:
        call_from_thread = self._reactor.callFromThread
        while True:
            item = self._queue.get()
            if item is None:
                return
            d, fn, args, kwargs = item
            try:
                result = fn(*args, **kwargs)
            except BaseException:
                failure = Failure()
                failure.cleanFailure()
                call_from_thread(d.errback, failure)
            else:
                call_from_thread(d.callback, result)
            del item, d, fn, args, kwargs


class Pools:
    """The database pool (one thread for SQLite) and the I/O pool."""

    def __init__(self, reactor, db_threads: int, io_threads: int, inline: bool = False):
        self.inline = inline
        self.db = WorkerPool(reactor, db_threads, "ramo-db")
        self.io = WorkerPool(reactor, io_threads, "ramo-io")

    def start(self) -> None:
        if not self.inline:
            self.db.start()
            self.io.start()

    def stop(self) -> None:
        if not self.inline:
            self.io.stop()
            self.db.stop()

    def run_db(self, fn, *args, **kwargs) -> Deferred:
        return self._run(self.db, fn, args, kwargs)

    def run_io(self, fn, *args, **kwargs) -> Deferred:
        return self._run(self.io, fn, args, kwargs)

    def _run(self, pool: WorkerPool, fn, args, kwargs) -> Deferred:
        if self.inline:
            try:
                return succeed(fn(*args, **kwargs))
            except Exception:
                return fail()
        return pool.submit(fn, *args, **kwargs)
