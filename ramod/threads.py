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

from twisted.application import service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

log = Logger(namespace="ramod.threads")


class WorkerPool:
    """``size`` threads running submitted callables; results come back as Deferreds."""

    def __init__(self, reactor, size: int, name: str):
        self._reactor = reactor
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list = []
        self._running = 0
        self._stopped: Deferred | None = None

    def start(self) -> None:
        for i in range(self._size):
            t = threading.Thread(target=self._work, name=f"{self._name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._running = len(self._threads)

    def stop(self, timeout: float = 30.0) -> Deferred:
        """Finish queued work, then end the threads; fires once every thread has exited
        (or after ``timeout`` seconds, with a warning).  Nothing waits on the reactor
        thread: each worker says it is done through ``callFromThread``."""
        self._stopped = stopped = Deferred()
        if not self._running:
            stopped.callback(None)
            return stopped
        for _ in self._threads:
            self._queue.put(None)
        self._threads = []

        def give_up() -> None:
            if not stopped.called:
                log.warn("{name}: {n} threads still busy after {t} s; not waiting for them",
                         name=self._name, n=self._running, t=timeout)
                stopped.callback(None)
        timer = self._reactor.callLater(timeout, give_up)
        stopped.addBoth(lambda result: (timer.active() and timer.cancel(), result)[1])
        return stopped

    def _exited(self) -> None:
        """(reactor thread) one worker thread has ended."""
        self._running -= 1
        if self._running == 0 and self._stopped is not None and not self._stopped.called:
            self._stopped.callback(None)

    def submit(self, fn, *args, **kwargs) -> Deferred:
        d = Deferred()
        self._queue.put((d, fn, args, kwargs))
        return d

    def _work(self) -> None:
        call_from_thread = self._reactor.callFromThread
        while True:
            item = self._queue.get()
            if item is None:
                call_from_thread(self._exited)
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


class Pools(service.Service):
    """The database pool (one thread for SQLite) and the I/O pool, as a service: threads
    start with it; stopping finishes queued work and fires once the threads are gone."""

    name = "pools"

    def __init__(self, reactor, db_threads: int, io_threads: int, inline: bool = False):
        self.inline = inline
        self.db = WorkerPool(reactor, db_threads, "ramo-db")
        self.io = WorkerPool(reactor, io_threads, "ramo-io")

    def startService(self) -> None:
        super().startService()
        if not self.inline:
            self.db.start()
            self.io.start()

    def stopService(self) -> Deferred | None:
        super().stopService()
        if self.inline:
            return None
        # the I/O pool's jobs may still call into the database pool: stop it first
        d = self.io.stop()
        d.addCallback(lambda _: self.db.stop())
        return d

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
