"""The Runner: blocking calls on a pool, results on the GUI thread, stale ones dropped."""

import threading
import time

from ramogui.client.errors import ClientError
from ramogui.workers.runner import Runner


def test_calls_run_on_a_pool_and_report_on_the_gui_thread(qtbot, runner):
    seen = {}

    def work(x):
        seen["worker"] = threading.current_thread()
        return x * 2

    def done(result):
        seen["result"], seen["callback"] = result, threading.current_thread()

    runner.call(work, 21, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=5_000)
    assert seen["result"] == 42
    assert seen["worker"] is not threading.main_thread()
    assert seen["callback"] is threading.main_thread()
    qtbot.waitUntil(lambda: runner.active == 0, timeout=5_000)


def test_failures_go_to_on_error_or_to_the_failed_signal(qtbot, runner):
    errors = []

    def fail():
        raise ClientError("the server said no")

    runner.call(fail, on_done=lambda _r: errors.append("done?!"), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert isinstance(errors[0], ClientError)
    with qtbot.waitSignal(runner.failed, timeout=5_000) as announced:
        runner.call(fail)
    assert announced.args == ["the server said no"]


def test_a_discarded_call_reports_nothing(qtbot, runner):
    results = []
    job = runner.call(lambda: time.sleep(0.2) or "late", on_done=results.append)
    job.discard()
    runner.call(lambda: "fresh", on_done=results.append)
    qtbot.waitUntil(lambda: runner.active == 0, timeout=5_000)
    assert results == ["fresh"]


def test_busy_count_goes_up_and_back_to_zero(qtbot, runner):
    counts = []
    runner.busy_changed.connect(counts.append)
    gate = threading.Event()
    runner.call(gate.wait, 5)
    runner.call(gate.wait, 5)
    assert runner.active == 2
    gate.set()
    qtbot.waitUntil(lambda: runner.active == 0, timeout=5_000)
    assert counts[:2] == [1, 2] and counts[-1] == 0


def test_serial_mode_runs_on_the_gui_thread_after_the_caller_kept_the_job(qtbot):
    runner = Runner(serial=True)
    state = {}

    def done(result):
        state["job kept before the callback"] = "job" in state
        state["thread"] = threading.current_thread()
        state["result"] = result

    state["job"] = runner.call(lambda: "ok", on_done=done)
    assert "result" not in state
    qtbot.waitUntil(lambda: "result" in state, timeout=5_000)
    assert state["job kept before the callback"] and state["result"] == "ok"
    assert state["thread"] is threading.main_thread()
