"""Compiled queries: peewee builds the SQL of a hot query once, later calls reuse the text.

Building SQL from peewee's query objects costs far more than running it on SQLite
(hundreds of microseconds against tens), and the per-request queries (credential and
bucket lookup, object read/write) have a fixed shape.  ``SqlCache.execute`` asks
peewee for ``(sql, params)`` on the first call, checks that the parameters come out in
the order the caller passes them, and from then on runs the cached text directly.
"""

import threading


class SqlCache:
    """Per-database cache of SQL text, keyed by a name the caller chooses."""

    def __init__(self, db):
        self._db = db
        self._sql: dict = {}
        self._lock = threading.Lock()

    def execute(self, name: str, build, params: tuple):
        """Run the query ``build(*params)`` (a peewee query) with ``params``; return the cursor."""
        sql = self._sql.get(name)
        if sql is None:
            sql, built = build(*params).sql()
            if list(built) != list(params):
                raise AssertionError(f"compiled query {name}: parameters {built!r} "
                                     f"are not in the order given {params!r}")
            with self._lock:
                self._sql[name] = sql
        return self._db.execute_sql(sql, params)

    def one(self, name: str, build, params: tuple):
        """The first row (a tuple) or None."""
        return self.execute(name, build, params).fetchone()
