"""The transfers panel on a real queue against a real ramod."""

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QPushButton
from ramod_process import unique_bucket_name

from ramogui.client.transfer import MiB
from ramogui.models.transfers_model import CANCELLED, DONE, FAILED, TransfersModel
from ramogui.views.transfers_panel import TransfersPanel, summary_text
from ramogui.workers.transfer_queue import TransferQueue


@pytest.fixture
def panel(qtbot, session):
    queue = TransferQueue(max_running=2, part_size=5 * MiB)
    queue.set_session(session)
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    panel.resize(1200, 300)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel
    queue.cancel_all()
    assert queue.wait(60_000)


def select(panel: TransfersPanel, *rows: int) -> None:
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(panel.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def cell(panel, row, column, role=Qt.ItemDataRole.DisplayRole):
    return panel.model.index(row, column).data(role)


def test_summary_text():
    assert summary_text({}, 0.0) == "No transfers"
    assert summary_text({"running": 2, "failed": 1}, 34_500_000) == \
        "2 running, 1 failed, 34.5 MB/s"
    assert summary_text({"done": 3, "running": 0}, 10.0) == "3 done"
    assert summary_text({"queued": 4}, 0.0, planning=1) == "Preparing 1 batch, 4 queued"


def test_progress_failure_reason_retry_and_clear(qtbot, panel, s3, bucket, tmp_path,
                                                 screenshot):
    queue, model = panel.queue, panel.model
    (tmp_path / "photo.jpg").write_bytes(b"jpeg" * 1000)
    big = tmp_path / "movie.mp4"
    with open(big, "wb") as file:
        file.truncate(128 * MiB)
    missing = unique_bucket_name("gui-panel-missing")
    messages = []
    panel.status_message.connect(messages.append)

    def cancel_big_midway(*_args):
        for row in model.rows():
            if row["name"] == "movie.mp4" and row["done"] >= 40 * MiB \
                    and row["state"] not in (CANCELLED, DONE):
                queue.cancel(row["id"])

    model.dataChanged.connect(cancel_big_midway)
    queue.add_uploads([str(tmp_path / "photo.jpg")], bucket, "pics/")
    queue.add_uploads([str(tmp_path / "photo.jpg")], missing, "")
    queue.add_uploads([str(big)], bucket, "")
    qtbot.waitUntil(lambda: model.rowCount() == 3 and queue.active_count() == 0,
                    timeout=60_000)
    rows = {(row["bucket"], row["name"]): i for i, row in enumerate(model.rows())}
    done, failed, cancelled = (rows[(bucket, "photo.jpg")], rows[(missing, "photo.jpg")],
                               rows[(bucket, "movie.mp4")])

    # Progress: full for the done one, partial for the cancelled one.
    assert cell(panel, done, TransfersModel.PROGRESS) == "100 %"
    assert cell(panel, cancelled, TransfersModel.STATE) == "Cancelled"
    assert 0 < model.row(cancelled)["done"] < 128 * MiB
    assert cell(panel, cancelled, TransfersModel.PROGRESS).startswith("Cancelled at ")
    assert cell(panel, failed, TransfersModel.PROGRESS) == "Failed"
    # The failure says why, in its column, its tooltip and the status bar.
    reason = cell(panel, failed, TransfersModel.REASON)
    assert "bucket does not exist" in reason.lower()
    assert reason in cell(panel, failed, TransfersModel.NAME, Qt.ItemDataRole.ToolTipRole)
    assert messages == [f"photo.jpg failed: {reason}"]
    qtbot.waitUntil(lambda: panel.summary.text() == "1 failed, 1 cancelled, 1 done",
                    timeout=5_000)
    screenshot(panel, "transfers")

    # Buttons follow the selection.
    select(panel, failed)
    assert panel.retry_button.isEnabled() and not panel.cancel_button.isEnabled()
    select(panel, done)
    assert not panel.retry_button.isEnabled()

    # Retry (by its shortcut) after the bucket exists.
    s3.create_bucket(Bucket=missing)
    try:
        select(panel, failed)
        panel.table.setFocus()
        with qtbot.waitSignal(queue.upload_done, timeout=10_000):
            qtbot.keyClick(panel.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert model.row(failed)["state"] == DONE
        assert s3.get_object(Bucket=missing, Key="photo.jpg")["Body"].read() == b"jpeg" * 1000
    finally:
        s3.delete_object(Bucket=missing, Key="photo.jpg")
        s3.delete_bucket(Bucket=missing)

    qtbot.waitUntil(lambda: panel.clear_button.isEnabled(), timeout=5_000)
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert model.rowCount() == 0
    qtbot.waitUntil(lambda: panel.summary.text() == "No transfers", timeout=5_000)


def test_cancel_button_stops_a_running_upload(qtbot, panel, s3, bucket, tmp_path, screenshot):
    queue, model = panel.queue, panel.model
    big = tmp_path / "huge.bin"
    with open(big, "wb") as file:
        file.truncate(1024 * MiB)
    queue.add_uploads([str(big)], bucket, "backup/")
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.row(0)["speed"], timeout=20_000)
    qtbot.waitUntil(lambda: "MB/s" in panel.summary.text(), timeout=5_000)
    assert cell(panel, 0, TransfersModel.SPEED).endswith("/s")
    assert cell(panel, 0, TransfersModel.REMAINING).endswith(" s")
    screenshot(panel, "transfers-running")
    select(panel, 0)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.row(0)["state"] == CANCELLED, timeout=20_000)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert model.row(0)["state"] != FAILED


def test_controls_have_accessible_names(panel):
    for button in panel.findChildren(QPushButton):
        assert button.accessibleName() and button.toolTip()
    table = QAccessible.queryAccessibleInterface(panel.table)
    assert table.text(QAccessible.Text.Name) == "Transfers"
    summary = QAccessible.queryAccessibleInterface(panel.summary)
    assert summary.text(QAccessible.Text.Name) == "Transfers summary"
    for name in ("transfersTable", "transfersSummary", "transfersCancel", "transfersRetry",
                 "transfersClear"):
        assert panel.findChild(object, name) is not None
