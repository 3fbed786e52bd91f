"""One SQLite transaction when several processes (ramod's workers) share the database file.

In WAL mode readers never wait and one writer at a time holds the write lock.  A
transaction opened with a plain ``BEGIN`` reads from a snapshot and asks for the write
lock at its first write.  If another process committed since that snapshot was taken, or
holds the lock at that moment, SQLite answers SQLITE_BUSY at once: the busy timeout does
not apply to a transaction that has already read (waiting could not make its snapshot
current).  In one process this never happens, since its one database thread runs the
transactions one after the other; with workers, two PUTs of one key in two processes
(read the object row, then write it) do it all the time.  So, for each transaction:

- a function not yet seen writing runs under a plain ``BEGIN``: reads stay concurrent in
  every process;
- if that try fails with SQLITE_BUSY before committing, it was rolled back; the function
  runs again as a writer (below).  This is the same "may run twice" contract as
  ``ramod.metadata.db.Transactions.run`` (query functions only compute their result);
- a writer queues on an ``flock`` of ``<database file>.writers``, then opens with
  ``BEGIN IMMEDIATE``, which takes the write lock before reading anything (with the busy
  timeout, for a writer that did not queue: one that started as a plain ``BEGIN``).  The
  kernel hands the flock to the next waiter as soon as it is released; SQLite's own busy
  handler sleeps 1, 2, 5 ... 100 ms between tries and lets a process that keeps writing
  take the lock back again and again;
- a function that once wrote (known by its code object, per process) runs as a writer
  from then on, so the write paths do not read everything twice under load.

The flock serialises processes, not threads (the lock belongs to the open file, shared
by the process's threads): SQLite servers run one database thread per process.
"""

import fcntl
import os
import threading

from peewee import OperationalError

#: code objects of the query functions seen writing in this process
_writers: set = set()
#: database file -> descriptor of its writers' lock file (kept open for the process's life)
_lock_fds: dict = {}
_lock_fds_guard = threading.Lock()


def run_sqlite_transaction(db, fn, args: tuple, is_busy):
    """``fn(*args)`` in one transaction on the SQLite database ``db`` (connected in this
    thread); a writer's BUSY failure after its retry is raised to the caller.

    :param is_busy: tells an ``OperationalError`` that means SQLITE_BUSY/LOCKED.
    """
    code = getattr(fn, "__code__", None)
    if code is not None and code in _writers:
        return _as_writer(db, fn, args)
    connection = db.connection()
    before = connection.total_changes
    try:
        with db.atomic():
            result = fn(*args)
            wrote = connection.total_changes != before
    except OperationalError as e:
        if not is_busy(e) or db.in_transaction():
            raise
        if code is not None:
            _writers.add(code)
        return _as_writer(db, fn, args)
    if wrote and code is not None:
        _writers.add(code)
    return result


def _as_writer(db, fn, args):
    fd = _writers_lock(db.database)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with db.atomic(lock_type="IMMEDIATE"):
            return fn(*args)
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _writers_lock(database: str) -> int | None:
    if database == ":memory:" or database.startswith("file:"):
        return None  # no other process can open it
    with _lock_fds_guard:
        fd = _lock_fds.get(database)
        if fd is None:
            fd = os.open(f"{database}.writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            _lock_fds[database] = fd
        return fd


def known_writers() -> int:
    """How many query functions this process has seen writing (for tests)."""
    return len(_writers)
