"""Tests for ramod.threads: the pools run work off the reactor thread and stop without
ever blocking it."""

import queue
import threading
import time

from twisted.internet.task import Clock

from ramod.threads import Pools, WorkerPool


class ThreadedClock(Clock):
    """A Clock whose callFromThread queues calls for the test to run on its own thread."""

    def __init__(self):
        super().__init__()
        self.from_threads: queue.SimpleQueue = queue.SimpleQueue()

    def callFromThread(self, fn, *args):
        self.from_threads.put((fn, args))

    def run_until(self, condition, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            try:
                fn, args = self.from_threads.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("condition not met in time")
            fn(*args)


def test_results_come_back_through_call_from_thread():
    """A submitted call runs in a pool thread and its result reaches the Deferred."""
    clock = ThreadedClock()
    pool = WorkerPool(clock, 2, "t")
    pool.start()
    results = []
    pool.submit(threading.current_thread).addCallback(results.append)
    clock.run_until(lambda: results)
    assert results[0] is not threading.current_thread()
    stopped = []
    pool.stop().addCallback(stopped.append)
    clock.run_until(lambda: stopped)


def test_stop_returns_at_once_and_fires_when_the_threads_are_gone():
    """Stopping never waits on the calling thread: busy work finishes first, then the
    Deferred fires."""
    clock = ThreadedClock()
    pool = WorkerPool(clock, 1, "t")
    pool.start()
    release = threading.Event()
    pool.submit(release.wait)
    started = time.monotonic()
    stopped = []
    pool.stop().addCallback(stopped.append)
    assert time.monotonic() - started < 0.5 and not stopped
    release.set()
    clock.run_until(lambda: stopped)


def test_stop_gives_up_on_a_stuck_thread_after_the_timeout():
    """A thread that never ends does not hold the stop forever."""
    clock = ThreadedClock()
    pool = WorkerPool(clock, 1, "t")
    pool.start()
    release = threading.Event()
    pool.submit(release.wait)
    stopped = []
    pool.stop(timeout=10).addCallback(stopped.append)
    clock.advance(10)
    assert stopped == [None]
    release.set()


def test_pools_as_a_service():
    """Pools start their threads with the service and stop them, I/O first, when it stops."""
    clock = ThreadedClock()
    pools = Pools(clock, 1, 2)
    pools.startService()
    results = []
    pools.run_io(lambda: "io").addCallback(results.append)
    pools.run_db(lambda: "db").addCallback(results.append)
    clock.run_until(lambda: len(results) == 2)
    assert sorted(results) == ["db", "io"]
    stopped = []
    pools.stopService().addCallback(stopped.append)
    clock.run_until(lambda: stopped)
    assert not pools.running


def test_inline_pools_run_in_the_caller():
    """inline=True (tests with a fake reactor) runs calls at once, in the calling thread."""
    pools = Pools(None, 1, 1, inline=True)
    pools.startService()
    results = []
    pools.run_io(threading.current_thread).addCallback(results.append)
    assert results == [threading.current_thread()]
    assert pools.stopService() is None
