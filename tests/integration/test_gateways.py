"""ramod gateways on one PostgreSQL database: what each process must get right for several
gateways to share it (regression tests of what the cross-gateway tests found)."""

import threading

import pytest

from postgres_cluster import PostgresCluster
from ramod.metadata.node_lock import NodeIdInUse, NodeLock

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
