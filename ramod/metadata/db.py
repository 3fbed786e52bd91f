"""Opening the metadata database named by ``--db`` and binding the models to it."""

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

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


def open_database(url: str):
    """Connect to ``url`` (sqlite:///path or postgresql://...) and initialise the proxy."""
    if url.startswith("sqlite:///"):
        db = SqliteDatabase(url[len("sqlite:///") - 1:], pragmas=SQLITE_PRAGMAS,
                            check_same_thread=False, autoconnect=True)
    else:
        db = connect(url, autoconnect=True)
    database_proxy.initialize(db)
    return db


def is_postgres(db) -> bool:
    return isinstance(db, PostgresqlDatabase)


def is_sqlite(db) -> bool:
    return isinstance(db, SqliteDatabase)
