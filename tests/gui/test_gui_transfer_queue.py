"""The transfer queue (and its model) against a real ramod, boto3 the witness."""

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from ramod_process import unique_bucket_name

from ramogui.client.transfer import MiB
from ramogui.models.transfers_model import (CANCELLED, DONE, FAILED, ID_ROLE, PROGRESS_ROLE,
                                            QUEUED, RUNNING, TransfersModel, duration_text,
                                            moving_speed, new_row, remaining_seconds,
                                            speed_text)
from ramogui.workers.transfer_queue import TransferJob, TransferQueue


@pytest.fixture
def make_queue(qtbot, session):
    """``make_queue(**options)``: a connected queue, stopped and drained after the test."""
    made = []

    def make(**options) -> TransferQueue:
        queue = TransferQueue(**options)
        queue.set_session(session)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.cancel_all()
        assert queue.wait(60_000)


def states(queue: TransferQueue) -> list[str]:
    return [row["state"] for row in queue.model.rows()]


def wait_idle(qtbot, queue: TransferQueue, timeout=30_000) -> None:
    qtbot.waitUntil(lambda: queue.active_count() == 0 and queue.model.rowCount() > 0,
                    timeout=timeout)


def sparse_file(path: Path, size: int) -> str:
    with open(path, "wb") as file:
        file.truncate(size)
    return str(path)


def keys_in(s3, bucket) -> dict[str, bytes]:
    contents = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in contents}


# -- uploads -----------------------------------------------------------------------------------

def test_many_small_files_upload_with_at_most_n_running(qtbot, make_queue, s3, bucket, tmp_path):
    queue = make_queue(max_running=2)
    files = {}
    for i in range(24):
        path = tmp_path / "batch" / f"d{i % 3}" / f"f{i:02}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + i))
        files[f"in/batch/d{i % 3}/f{i:02}.txt"] = path.read_bytes()
    most_running, uploaded = [0], []

    def watch(_id):
        running = states(queue).count(RUNNING)
        assert running <= queue.running_count() <= 2
        most_running[0] = max(most_running[0], running)

    queue.changed.connect(watch)
    queue.upload_done.connect(lambda b, k: uploaded.append((b, k)))
    with qtbot.waitSignal(queue.idle, timeout=30_000):
        queue.add_uploads([str(tmp_path / "batch")], bucket, "in/")
    assert states(queue) == [DONE] * 24
    assert most_running[0] >= 1 and queue.pool.maxThreadCount() == 2
    assert sorted(uploaded) == sorted((bucket, key) for key in files)
    assert keys_in(s3, bucket) == files
    for row in queue.model.rows():
        assert row["done"] == row["size"]


def test_big_upload_reports_progress(qtbot, make_queue, s3, bucket, tmp_path):
    queue = make_queue(part_size=5 * MiB)
    data = os.urandom(18 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    seen = []
    queue.model.dataChanged.connect(lambda *a: seen.append(queue.model.row(0)["done"]))
    with qtbot.waitSignal(queue.upload_done, timeout=30_000) as blocker:
        queue.add_uploads([str(tmp_path / "big.bin")], bucket, "")
    assert blocker.args == [bucket, "big.bin"]
    row = queue.model.row(0)
    assert (row["state"], row["done"], row["size"]) == (DONE, len(data), len(data))
    assert seen == sorted(seen) and seen[-1] == len(data)
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == data and got["ETag"].endswith('-4"')


def test_cancel_all_stops_running_and_queued_uploads(qtbot, make_queue, s3, bucket, tmp_path):
    queue = make_queue(max_running=1, part_size=5 * MiB)
    paths = [sparse_file(tmp_path / f"big{i}.bin", 96 * MiB) for i in range(3)]

    def cancel_once_moving(*_args):
        if queue.model.rowCount() and queue.model.row(0)["done"] > 0:
            queue.cancel_all()

    queue.model.dataChanged.connect(cancel_once_moving)
    queue.add_uploads(paths, bucket, "")
    with qtbot.waitSignal(queue.idle, timeout=60_000):
        pass
    assert states(queue) == [CANCELLED] * 3
    assert queue.model.row(0)["done"] < 96 * MiB
    queue.wait(30_000)
    assert keys_in(s3, bucket) == {}
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_cancel_of_a_queued_transfer_is_immediate(qtbot, make_queue, bucket, tmp_path):
    queue = make_queue(max_running=1, part_size=5 * MiB)
    paths = [sparse_file(tmp_path / "first.bin", 64 * MiB),
             sparse_file(tmp_path / "second.bin", 10)]
    with qtbot.waitSignal(queue.model.rowsInserted, timeout=10_000):
        queue.add_uploads(paths, bucket, "")
    # The first one keeps the only slot busy until its end is delivered by the event loop.
    assert states(queue) == [QUEUED, QUEUED] and queue.running_count() == 1
    cancelled = []
    queue.finished.connect(cancelled.append)
    queue.cancel(queue.model.row(1)["id"])
    assert queue.model.row(1)["state"] == CANCELLED and cancelled == [queue.model.row(1)["id"]]
    wait_idle(qtbot, queue)
    assert states(queue) == [DONE, CANCELLED]


def test_failed_upload_says_why_and_retry_succeeds(qtbot, make_queue, s3, tmp_path):
    queue = make_queue()
    name = unique_bucket_name("gui-queue-retry")
    (tmp_path / "note.txt").write_bytes(b"note")
    failures = []
    queue.failed.connect(lambda i, reason: failures.append(reason))
    with qtbot.waitSignal(queue.finished, timeout=10_000):
        queue.add_uploads([str(tmp_path / "note.txt")], name, "")
    row = queue.model.row(0)
    assert row["state"] == FAILED and "bucket does not exist" in row["reason"].lower()
    assert failures == [row["reason"]]
    s3.create_bucket(Bucket=name)
    try:
        with qtbot.waitSignal(queue.upload_done, timeout=10_000):
            assert queue.retry(row["id"])
        assert queue.model.row(0)["state"] == DONE and queue.model.row(0)["reason"] == ""
        assert not queue.retry(row["id"])             # only failed or cancelled ones
        assert keys_in(s3, name) == {"note.txt": b"note"}
    finally:
        s3.delete_object(Bucket=name, Key="note.txt")
        s3.delete_bucket(Bucket=name)


def test_unreadable_entries_become_failed_rows(qtbot, make_queue, bucket, tmp_path):
    queue = make_queue()
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ok.txt").write_bytes(b"ok")
    os.mkfifo(tmp_path / "d" / "pipe")
    with qtbot.waitSignal(queue.idle, timeout=10_000):
        queue.add_uploads([str(tmp_path / "d")], bucket, "")
    rows = {row["key"]: row for row in queue.model.rows()}
    assert rows["d/ok.txt"]["state"] == DONE
    assert rows["d/pipe"]["state"] == FAILED and "not a file" in rows["d/pipe"]["reason"]


def test_clear_finished_keeps_the_rest(qtbot, make_queue, bucket, tmp_path):
    queue = make_queue()
    (tmp_path / "a.txt").write_bytes(b"a")
    with qtbot.waitSignal(queue.idle, timeout=10_000):
        queue.add_uploads([str(tmp_path / "a.txt")], bucket, "")
    queue.clear_finished()
    assert queue.model.rowCount() == 0


def test_without_a_session_adding_fails_visibly(qtbot, bucket, tmp_path):
    queue = TransferQueue()
    queue.add_uploads([str(tmp_path)], bucket, "")
    assert queue.model.row(0)["state"] == FAILED
    assert queue.model.row(0)["reason"] == "Not connected to a server."


def test_closing_the_session_cancels(qtbot, make_queue, s3, bucket, tmp_path):
    queue = make_queue(max_running=1, part_size=5 * MiB)
    queue.add_uploads([sparse_file(tmp_path / f"b{i}.bin", 64 * MiB) for i in range(2)],
                      bucket, "")
    qtbot.waitUntil(lambda: queue.model.rowCount() == 2, timeout=10_000)
    queue.set_session(None)
    wait_idle(qtbot, queue)
    assert CANCELLED in states(queue) and queue.active_count() == 0


# -- downloads ---------------------------------------------------------------------------------

def test_download_folder_and_refused_key(qtbot, make_queue, s3, bucket, tmp_path):
    objects = {"site/index.html": b"<html>", "site/css/a.css": os.urandom(2000),
               "site/../../escape": b"evil"}
    for key, data in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    dest = tmp_path / "dest"
    dest.mkdir()
    queue = make_queue()
    saved = []
    queue.download_done.connect(saved.append)
    with qtbot.waitSignal(queue.idle, timeout=20_000):
        queue.add_downloads(bucket, [], ["site/"], str(dest))
    rows = {row["key"]: row for row in queue.model.rows()}
    assert rows["site/index.html"]["state"] == DONE
    assert rows["site/../../escape"]["state"] == FAILED
    assert rows["site/../../escape"]["reason"].startswith("Refused")
    assert sorted(saved) == sorted([str(dest / "site" / "index.html"),
                                    str(dest / "site" / "css" / "a.css")])
    assert (dest / "site" / "css" / "a.css").read_bytes() == objects["site/css/a.css"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.css", "index.html"]
    # Retrying the refused one refuses it again.
    with qtbot.waitSignal(queue.finished, timeout=10_000):
        queue.retry(rows["site/../../escape"]["id"])
    assert queue.model.get(rows["site/../../escape"]["id"])["state"] == FAILED


# -- the job's progress throttle ---------------------------------------------------------------

def test_job_progress_is_throttled(qtbot):
    def work(on_progress, cancel):
        for _ in range(100_000):
            on_progress(10)
        return "ok"

    job = TransferJob(7, 1_000_000, work)
    progress, ended = [], []
    job.signals.progress.connect(lambda i, done, total: progress.append((i, done, total)))
    job.signals.ended.connect(lambda i, ok, result: ended.append((i, ok, result)))
    job.run()                                  # on this thread: signals arrive at once
    assert progress[-1] == (7, 1_000_000, 1_000_000)
    assert len(progress) < 50
    assert ended == [(7, True, "ok")]


def test_progress_signal_carries_64_bit_sizes(qtbot):
    big = 5 * 1024 ** 3
    job = TransferJob(1, big, lambda on_progress, cancel: on_progress(big))
    got = []
    job.signals.progress.connect(lambda i, done, total: got.append((done, total)))
    job.run()
    assert got[-1] == (big, big)


# -- the model ---------------------------------------------------------------------------------

def test_speed_and_time_texts():
    assert speed_text(1_234_567) == "1.2 MB/s"
    assert speed_text(999) == "999 B/s"
    assert speed_text(None) == ""
    assert duration_text(200) == "3 min 20 s"
    assert duration_text(180) == "3 min"
    assert duration_text(4.2) == "5 s"
    assert duration_text(7500) == "2 h 5 min"
    assert duration_text(2 * 86400 + 3 * 3600) == "2 d 3 h"
    assert duration_text(None) == duration_text(float("inf")) == ""
    assert remaining_seconds(100, 40, 20.0) == 3.0
    assert remaining_seconds(100, 40, None) is None


def test_moving_speed_needs_half_a_second():
    assert moving_speed([(0.0, 0)]) is None
    assert moving_speed([(0.0, 0), (0.2, 100)]) is None
    assert moving_speed([(0.0, 0), (1.0, 500), (2.0, 1000)]) == 500.0


def test_model_rows_progress_speed_and_roles(qtbot):
    model = TransfersModel()
    model.add([new_row(1, "upload", "a.bin", "bkt", "dir/a.bin", "/tmp/a.bin", 10_000_000),
               new_row(2, "download", "b.txt", "bkt", "b.txt", "/tmp/b.txt", 0, FAILED,
                       "The specified bucket does not exist. (NoSuchBucket, HTTP 404)")])
    assert model.rowCount() == 2 and model.columnCount() == 9
    model.set_state(1, RUNNING)
    for second in range(7):
        model.set_progress(1, second * 1_000_000, now=100.0 + second)
    row = model.row(0)
    assert row["speed"] == pytest.approx(1_000_000)
    assert len(row["samples"]) <= 7
    index = model.index(0, TransfersModel.PROGRESS)
    assert index.data(PROGRESS_ROLE) == pytest.approx(0.6)
    assert index.data() == "60 % · 6.0 MB of 10.0 MB"
    assert model.index(0, TransfersModel.SPEED).data() == "1.0 MB/s"
    assert model.index(0, TransfersModel.REMAINING).data() == "4 s"
    assert model.index(0, TransfersModel.DIRECTION).data() == "↑"
    assert model.index(0, TransfersModel.LOCATION).data() == "bkt/dir/a.bin"
    assert model.index(0, TransfersModel.SIZE).data(Qt.ItemDataRole.UserRole) == 10_000_000
    assert model.index(1, 0).data(ID_ROLE) == 2
    assert model.index(1, TransfersModel.STATE).data() == "Failed"
    assert "NoSuchBucket" in model.index(1, TransfersModel.REASON).data()
    assert "NoSuchBucket" in model.index(1, TransfersModel.NAME).data(Qt.ItemDataRole.ToolTipRole)
    # A stall: ticks without progress bring the speed down.
    for second in range(7, 14):
        model.tick(now=100.0 + second)
    assert model.row(0)["speed"] == 0.0
    assert model.counts()[RUNNING] == 1 and model.counts()[FAILED] == 1
    model.set_state(1, DONE)
    assert model.index(0, TransfersModel.STATE).data() == "Done"
    assert model.index(0, TransfersModel.PROGRESS).data(PROGRESS_ROLE) == 1.0
    assert model.index(0, TransfersModel.SPEED).data() == ""
    model.remove([2])
    assert model.rowCount() == 1 and model.row_of(1) == 0 and model.row_of(2) == -1
