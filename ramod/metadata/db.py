"""Opening the metadata database named by ``--db``, binding the models to it, and running
one transaction on it (``Transactions``), whatever has become of its connection.

PostgreSQL goes through a connection pool per process (``playhouse.pool``): as many
connections as the database thread pool has threads, each replaced after
``POSTGRES_STALE_SECONDS`` and discarded as soon as it is found broken.  A database
thread keeps the connection it checked out from one transaction to the next, and gives it
back when it is older than that or not idle (checking out and in around every transaction
would cost about 30 µs of CPU each time, measured).  When the server restarts (or the
network drops the connection), the transaction that notices is handled by the rules of
``Transactions.run``: it runs once more on a new connection if it certainly did not
commit, and otherwise fails with ``DatabaseUnavailable``, which the S3 front and the
management API answer with 503.  Nothing is ever half-written: PostgreSQL rolls back a
transaction whose session ends before its COMMIT.

SQLite keeps one connection per database thread for the life of the process (its
pragmas run once); a write lock held past the busy timeout is ``DatabaseBusy``.
"""

import sqlite3
import threading
import time

from peewee import (DatabaseProxy, InterfaceError, OperationalError, PostgresqlDatabase,
                    SqliteDatabase)
from playhouse.db_url import parse
from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase
from twisted.logger import Logger

from ramod.metadata.errors import DatabaseBusy, DatabaseUnavailable
from ramod.metadata.sqlite_writers import run_sqlite_transaction

log = Logger(namespace="ramod.metadata")

#: every model binds to this; ``open_database`` points it at the real database
database_proxy = DatabaseProxy()

# WAL lets readers run beside the single writer; synchronous=FULL makes every commit
# durable before the client hears 200 (the WAL is fsync'd at each commit).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -64 * 1024,
}

#: connections per process: the size of the database thread pool for PostgreSQL
#: (``ramod.service``), so a transaction never waits for one
POSTGRES_POOL_SIZE = 8
#: a pooled connection older than this is closed and replaced when next checked in or out
#: (long-lived sessions accumulate server memory, and idle ones get cut by firewalls)
POSTGRES_STALE_SECONDS = 300
#: libpq settings unless the URL's query string gives its own: give up connecting after
#: 5 s (a host that does not answer must not hold a database thread for minutes), and
#: notice a silently dead peer through TCP keepalives within about a minute
POSTGRES_CONNECT_DEFAULTS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
_POSTGRES_SCHEMES = ("postgres://", "postgresql://", "postgresext://")
# SQLSTATEs that mean the session is gone: class 08 (connection exception), the server
# shutting down (57P01 admin, 57P02 crash) or not accepting sessions yet (57P03)
_SESSION_GONE_STATES = ("57P01", "57P02", "57P03")
# SQLSTATEs of a transaction PostgreSQL aborted so that others could go on: a deadlock's
# victim (40P01) or a serialization failure (40001).  It was rolled back whole, so it runs
# again, up to CONFLICT_ATTEMPTS times in all.
_CONFLICT_STATES = ("40P01", "40001")
CONFLICT_ATTEMPTS = 5


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, checking a connection out without a round trip.

    ``PooledPostgresqlDatabase`` sends ``SELECT 1`` on every idle connection it hands out;
    this one asks psycopg only what it knows locally.  A connection the server dropped
    meanwhile then fails at the transaction's first statement, before anything could
    commit: ``Transactions`` discards it and runs the transaction again on a new one.
    """

    def _is_closed(self, conn) -> bool:
        return self.broken(conn)

    def broken(self, conn) -> bool:
        """Whether psycopg knows ``conn`` to be unusable (closed, or its session lost)."""
        adapter = self._adapter
        return bool(conn.closed) or adapter.txn_status(conn) == adapter.txn_unknown

    def idle(self, conn) -> bool:
        """Whether ``conn`` is usable and outside any transaction."""
        return not conn.closed and self._adapter.txn_status(conn) == self._adapter.txn_idle

    @property
    def stale_seconds(self) -> float | None:
        """The pool's ``stale_timeout``: a connection this old is closed when checked in."""
        return self._stale_timeout


def open_database(url: str, pool_size: int = POSTGRES_POOL_SIZE):
    """Connect to ``url`` (sqlite:///path or postgresql://...) and initialise the proxy."""
    if url.startswith("sqlite:///"):
        db = SqliteDatabase(url[len("sqlite:///") - 1:], pragmas=SQLITE_PRAGMAS,
                            check_same_thread=False, autoconnect=True)
    elif url.startswith(_POSTGRES_SCHEMES):
        # the URL's query string may set libpq parameters and the pool's stale_timeout
        params = {"max_connections": pool_size, "stale_timeout": POSTGRES_STALE_SECONDS,
                  **POSTGRES_CONNECT_DEFAULTS, **parse(url)}
        db = PostgresPool(params.pop("database"), autoconnect=True, **params)
    else:
        raise ValueError(f"not a sqlite:/// or postgresql:// URL: {url!r}")
    database_proxy.initialize(db)
    return db


def is_postgres(db) -> bool:
    return isinstance(db, PostgresqlDatabase)


def is_sqlite(db) -> bool:
    return isinstance(db, SqliteDatabase)


class _Conflict(Exception):
    """(internal) PostgreSQL aborted the transaction for another's sake; nothing of it
    took effect."""

    def __init__(self, cause: BaseException):
        super().__init__(_driver_message(cause))
        self.detail = _driver_message(cause)


class _Lost(Exception):
    """(internal) the connection went away; ``stage`` says when: ``"connect"``,
    ``"transaction"`` (before COMMIT was sent) or ``"commit"`` (outcome unknown)."""

    def __init__(self, stage: str, cause: BaseException):
        super().__init__(stage)
        self.stage = stage
        self.detail = _driver_message(cause)


def _driver_message(error: BaseException) -> str:
    """The driver's own words, on one line."""
    cause = _driver_error(error)
    return " ".join(str(cause).split()) or type(cause).__name__


def _is_db_api_failure(error) -> bool:
    return any(c.__name__ in ("OperationalError", "InterfaceError") for c in type(error).__mro__)


def _pgcode(error: BaseException) -> str:
    """The SQLSTATE PostgreSQL answered the failed statement with ("" if none)."""
    return getattr(_driver_error(error), "pgcode", None) or ""


def _driver_error(error: BaseException) -> BaseException:
    """The driver's exception that started it: a ROLLBACK failing on a lost connection
    ("connection already closed") is raised while handling the error that lost it, and
    peewee keeps the driver's exception it wraps as ``orig``."""
    while _is_db_api_failure(error.__context__):
        error = error.__context__
    return getattr(error, "orig", None) or error


class Transactions:
    """Runs query functions as transactions on ``db``, in whichever thread calls ``run``
    (the database pool's), and keeps track of whether the database answers."""

    def __init__(self, db):
        self._db = db
        self._postgres = is_postgres(db)
        #: per thread: time.monotonic() when its connection was checked out
        self._held = threading.local()
        self._lock = threading.Lock()
        #: time.monotonic() of the first failure of the outage under way, or None
        self._down_since: float | None = None

    def run(self, fn, args: tuple = ()):
        """``fn(*args)`` in one transaction; its result, or its exception.

        On PostgreSQL a connection found broken is discarded (never returned to the pool)
        together with the pool's idle ones, which went through the same restart; then:

        - lost before COMMIT was sent: PostgreSQL rolled the transaction back, so it took
          no effect whatever it was (a read or a write), and it runs once more, at once, on
          a new connection.  This is what makes a database restart invisible to requests
          that arrive once it is back: the pooled connections are all dead by then and
          each fails at its first statement.  ``fn`` must therefore have no effect outside
          the transaction (MetadataStore's query functions only compute their result);
        - lost during COMMIT: it may have committed or not, and running it again could
          apply it twice, so ``DatabaseUnavailable(commit_in_doubt=True)`` (the write protocol
          then keeps the blob for start-up recovery to decide, see ramod.storage.ingest);
        - no connection can be made, or the second try fails too: ``DatabaseUnavailable``
          (nothing committed).

        A transaction PostgreSQL aborts as the victim of a deadlock (two transactions
        locking the same rows in opposite orders: concurrent writes of one bucket on
        several gateways meet there) or as a serialization failure was rolled back whole:
        it runs again, at once, up to CONFLICT_ATTEMPTS times, then ``DatabaseBusy``.

        On SQLite, a transaction that meets another process's write runs again as a
        writer (``ramod.metadata.sqlite_writers``: worker processes share the file); a
        write lock that stayed taken past the busy timeout is ``DatabaseBusy`` (the
        transaction was rolled back).
        """
        if not self._postgres:
            return self._run_sqlite(fn, args)
        try:
            result = self._attempt_through_conflicts(fn, args)
        except _Lost as lost:
            if lost.stage != "transaction":
                raise self._unavailable(lost)
            log.info("metadata database connection lost before commit ({detail}); "
                     "running the transaction again on a new connection", detail=lost.detail)
            try:
                result = self._attempt_through_conflicts(fn, args)
            except _Lost as again:
                raise self._unavailable(again)
        self._answered()
        return result

    def _attempt_through_conflicts(self, fn, args):
        """``_attempt``, run again while PostgreSQL aborts it for another's sake."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._attempt(fn, args)
            except _Conflict as conflict:
                log.info("transaction aborted by the database ({detail}); running it again "
                         "({attempt} of {attempts})", detail=conflict.detail, attempt=attempt,
                         attempts=CONFLICT_ATTEMPTS)
                last = conflict
        raise DatabaseBusy(f"transaction aborted {CONFLICT_ATTEMPTS} times: {last.detail}")

    def connection(self):
        """A context manager holding one connection for work outside ``run`` (migrations)."""
        return self._db.connection_context()

    # -- PostgreSQL -------------------------------------------------------------------------

    def _attempt(self, fn, args):
        db, held = self._db, self._held
        if not db.is_closed():
            stale = db.stale_seconds
            if not db.idle(db.connection()) or (
                    stale and time.monotonic() - getattr(held, "since", 0.0) > stale):
                db.close()  # back to the pool, which rolls it back or closes it
        if db.is_closed():
            try:
                db.connect()  # checks a connection out of the pool
            except MaxConnectionsExceeded as e:
                raise DatabaseBusy("every pooled connection is in use") from e
            except (OperationalError, InterfaceError) as e:
                raise _Lost("connect", e) from e
            held.since = time.monotonic()
        stage = "transaction"
        try:
            with db.atomic():
                result = fn(*args)
                stage = "commit"  # leaving the block sends COMMIT
            return result
        except (OperationalError, InterfaceError) as e:
            if not self._session_gone(e):
                if _pgcode(e) in _CONFLICT_STATES:  # answered: certainly rolled back
                    raise _Conflict(e) from e
                raise
            self._discard()
            raise _Lost(stage, e) from e

    def _session_gone(self, error: BaseException) -> bool:
        """Whether the error means this thread's connection is unusable (rather than, say,
        a deadlock or a statement timeout on a healthy one)."""
        db = self._db
        if not db.is_closed() and db.broken(db.connection()):
            return True
        code = _pgcode(error)
        return code.startswith("08") or code in _SESSION_GONE_STATES

    def _discard(self) -> None:
        """Close this thread's connection without returning it to the pool, and the pool's
        idle ones, which most likely lost their server the same way (the connections
        other threads hold fail at their next statement, and are discarded then)."""
        self._db.manual_close()
        self._db.close_idle()

    def _unavailable(self, lost: _Lost) -> DatabaseUnavailable:
        with self._lock:
            first, self._down_since = self._down_since is None, self._down_since or time.monotonic()
        if first:
            log.warn("metadata database unavailable ({detail}); requests get 503 until it "
                     "answers again", detail=lost.detail)
        return DatabaseUnavailable(lost.detail, commit_in_doubt=lost.stage == "commit")

    def _answered(self) -> None:
        if self._down_since is not None:
            with self._lock:
                since, self._down_since = self._down_since, None
            if since is not None:
                log.info("metadata database answering again after {s:.1f} s",
                         s=time.monotonic() - since)

    # -- SQLite -----------------------------------------------------------------------------

    def _run_sqlite(self, fn, args):
        db = self._db
        # each pool thread keeps its own connection open (peewee's state is per thread):
        # reconnecting per call would re-run the SQLite pragmas every time
        db.connect(reuse_if_open=True)
        try:
            return run_sqlite_transaction(db, fn, args, _sqlite_busy)
        except OperationalError as e:
            if _sqlite_busy(e):
                raise DatabaseBusy(_driver_message(e)) from e
            raise


def _sqlite_busy(error: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (with any extended code): "database is locked"."""
    cause = _driver_error(error)
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(cause) or "database table is locked" in str(cause)
