"""Thread pools owned by the server: one for the database, one for disk and hashing.

The reactor thread never runs SQL, fsync, rename or hashing of large buffers: those
go through ``Pools.run_db`` / ``Pools.run_io``.  ``inline=True`` runs them in the
calling thread, for tests that drive the site with a fake reactor.
"""

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool


class Pools:
    """The database pool (one thread for SQLite) and the I/O pool."""

    def __init__(self, reactor, db_threads: int, io_threads: int, inline: bool = False):
        self._reactor = reactor
        self.inline = inline
        self.db = ThreadPool(1, db_threads, name="ramo-db")
        self.io = ThreadPool(1, io_threads, name="ramo-io")

    def start(self) -> None:
        if not self.inline:
            self.db.start()
            self.io.start()

    def stop(self) -> None:
        if not self.inline:
            self.db.stop()
            self.io.stop()

    def run_db(self, fn, *args, **kwargs) -> Deferred:
        return self._run(self.db, fn, args, kwargs)

    def run_io(self, fn, *args, **kwargs) -> Deferred:
        return self._run(self.io, fn, args, kwargs)

    def _run(self, pool, fn, args, kwargs) -> Deferred:
        if self.inline:
            try:
                return succeed(fn(*args, **kwargs))
            except Exception:
                return fail()
        return deferToThreadPool(self._reactor, pool, fn, *args, **kwargs)
