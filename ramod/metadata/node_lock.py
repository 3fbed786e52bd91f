"""The node lock on PostgreSQL: one gateway per ``--node-id``.

Several gateways may share one PostgreSQL database and one data directory, each under its
own node id (its staging area is ``staging/<node id>/``, see ``ramod.storage.filesystem``).
Two gateways claiming the same id would recover each other's uploads in flight, so each
holds a session-level advisory lock on a hash of its node id, on a connection of its own
kept for the server's lifetime.  A lock in the database rather than a lock file: flock
on NFS is emulated, lost with the client's lease, or not shared between hosts at all;
PostgreSQL releases the lock the moment the holder's session ends, a crash included.

``check`` (every ``CHECK_SECONDS``) notices a lost session (database restart, network):
it reconnects and takes the lock again; if another gateway took the id meanwhile, the
lock is lost for good and the caller stops the server.
"""

import hashlib

from peewee import DatabaseError, InterfaceError, OperationalError, PostgresqlDatabase
from playhouse.db_url import parse

from ramod.metadata.db import POSTGRES_CONNECT_DEFAULTS

CHECK_SECONDS = 10.0


class NodeIdInUse(Exception):
    """Another gateway holds this node id."""


def lock_key(node_id: str) -> int:
    """The advisory lock's bigint key for ``node_id``."""
    digest = hashlib.sha256(b"ramo-node:" + node_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class NodeLock:
    """A gateway's claim on its node id; every method blocks (call through the I/O pool)."""

    def __init__(self, db_url: str, node_id: str):
        params = {**POSTGRES_CONNECT_DEFAULTS, **parse(db_url)}
        self.node_id = node_id
        self._key = lock_key(node_id)
        # one connection whichever thread calls: the methods run in the I/O pool, a
        # different thread each time, and peewee's default per-thread connection would
        # make ``check`` open a second session, which can't take the lock the first holds
        self._db = PostgresqlDatabase(params.pop("database"), autoconnect=False,
                                      thread_safe=False, **params)

    def acquire(self) -> None:
        """Take the lock; NodeIdInUse if another gateway holds it (database errors pass)."""
        if not self._try():
            raise NodeIdInUse(f"another ramod gateway is already running as node "
                              f"{self.node_id!r} on this database: give each one its own "
                              f"--node-id")

    def _try(self) -> bool:
        if self._db.is_closed():
            self._db.connect()
        cursor = self._db.execute_sql("SELECT pg_try_advisory_lock(%s)", (self._key,))
        taken = bool(cursor.fetchone()[0])
        if not taken:
            self._db.close()
        return taken

    def check(self) -> bool:
        """True while the lock is held (retaken after a lost session); False once another
        gateway has the id.  Raises the database's error while it can't be reached."""
        try:
            self._db.execute_sql("SELECT 1").fetchone()
            return True
        except (OperationalError, InterfaceError, DatabaseError):
            self._close_quietly()
        return self._try()

    def release(self) -> None:
        self._close_quietly()  # ending the session releases the lock

    def _close_quietly(self) -> None:
        try:
            self._db.close()
        except (OperationalError, InterfaceError, DatabaseError):
            pass
