"""ramod gateways on one PostgreSQL database: what each process must get right for several
gateways to share it (regression tests of what the cross-gateway tests found)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from postgres_cluster import PostgresCluster
from ramod.metadata.db import Transactions, open_database
from ramod.metadata.migrations import migrate
from ramod.metadata.node_lock import NodeIdInUse, NodeLock
from ramod.metadata.store import MetadataStore
from ramod.startup import generate_keys

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")


@pytest.fixture(scope="module")
def postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def test_the_node_lock_holds_whichever_thread_checks_it(postgres):
    """A gateway takes its node lock, checks it every CHECK_SECONDS and releases it from
    its I/O pool, each time on whichever thread is free: every check must find the lock
    held (it once opened a session per thread, which could not take the lock the first
    session held, so every gateway on PostgreSQL stopped 10 s after its start, saying
    another gateway had taken its node id)."""
    def on_a_thread(call):
        result = []
        thread = threading.Thread(target=lambda: result.append(call()))
        thread.start()
        thread.join(30)
        return result[0]
    lock = NodeLock(postgres.url, "lock-probe")
    on_a_thread(lock.acquire)
    try:
        assert [on_a_thread(lock.check) for _ in range(3)] == [True] * 3
        with pytest.raises(NodeIdInUse):
            NodeLock(postgres.url, "lock-probe").acquire()
    finally:
        on_a_thread(lock.release)
    other = NodeLock(postgres.url, "lock-probe")
    other.acquire()  # released means released, whichever thread did it
    other.release()


def test_a_transaction_aborted_as_a_deadlocks_victim_runs_again(postgres):
    """Two transactions locking two rows in opposite orders: PostgreSQL aborts one
    (deadlock detected) and ``Transactions`` runs it again, so both succeed, each once.
    (Concurrent part copies, copies and PUTs into one bucket on several gateways lock a
    bucket's row and a blob's in opposite orders: test_concurrent_mixed_writes_never_
    exceed_quota here answered some of them 500 InternalError.)"""
    db = open_database(postgres.create_database("deadlock"))
    try:
        db.execute_sql("CREATE TABLE pair (id integer PRIMARY KEY, n integer)")
        db.execute_sql("INSERT INTO pair VALUES (1, 0), (2, 0)")
        db.close()
        transactions, calls, barrier = Transactions(db), [], threading.Barrier(2)

        def lock_both(first, second):
            calls.append(first)
            db.execute_sql("UPDATE pair SET n = n + 1 WHERE id = %s", (first,))
            if len(calls) <= 2:
                barrier.wait(10)  # the first tries meet here, each holding its first row
            db.execute_sql("UPDATE pair SET n = n + 1 WHERE id = %s", (second,))
            return first
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(transactions.run, lock_both, rows) for rows in ((1, 2), (2, 1))]
            assert [run.result(30) for run in runs] == [1, 2]
        assert len(calls) == 3                     # one of them ran twice
        assert db.execute_sql("SELECT id, n FROM pair ORDER BY id").fetchall() == [(1, 2), (2, 2)]
    finally:
        db.close_all()


def test_gateways_starting_together_make_one_root_credential(postgres):
    """Gateways starting at once on a new database each look for the root credential and
    make it if there is none: exactly one must be made (they used to make one each, or,
    given RAMO_ROOT_ACCESS_KEY, all but one failed to start on the unique key)."""
    db = open_database(postgres.create_database("roots"))
    try:
        migrate(db)
        store, transactions = MetadataStore(db, None), Transactions(db)
        threads = 6
        with ThreadPoolExecutor(threads) as pool:  # one connection (session) per thread
            for keys in [(None, None)] * 4 + [("RACEROOTKEY", "secret")] * 2:
                transactions.run(lambda: db.execute_sql("DELETE FROM credential"))
                barrier = threading.Barrier(threads)

                def start(_):
                    barrier.wait(10)
                    return transactions.run(store._ensure_root, (*keys, generate_keys))
                made = list(pool.map(start, range(threads)))  # a unique-key error would raise
                roots = transactions.run(lambda: db.execute_sql(
                    "SELECT access_key FROM credential WHERE is_root").fetchall())
                assert len(roots) == 1 and [m[1] for m in made].count(True) == 1, (made, roots)
                assert {m[0].access_key for m in made} == {roots[0][0]}
    finally:
        db.close_all()
