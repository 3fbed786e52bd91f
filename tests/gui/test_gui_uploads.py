"""Multipart uploads in progress: listed with their parts, aborted from the GUI."""

from gui_helpers import add_view, error_banner, list_bucket, select_item
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton

from ramogui.models.uploads_model import UploadsModel
from ramogui.views.uploads_view import UploadsView


def _start(s3, bucket: str, key: str, part_sizes: list[int]) -> str:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    for number, size in enumerate(part_sizes, start=1):
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                       Body=b"u" * size)
    return upload_id


def _rows(view: UploadsView) -> dict[str, tuple]:
    """What the table shows, by upload id: (key, parts, size), display text as shown."""
    model = view.model
    return {model.row(row)["upload_id"]: tuple(model.index(row, column).data()
                                               for column in (UploadsModel.KEY, UploadsModel.PARTS,
                                                              UploadsModel.SIZE))
            for row in range(model.rowCount())}


def _open(qtbot, runner, session, bucket) -> UploadsView:
    return list_bucket(qtbot, add_view(qtbot, UploadsView(runner), (900, 320)), session, bucket)


def test_uploads_listed_and_one_aborted(qtbot, runner, session, s3, bucket, answer_dialog,
                                        screenshot):
    first = _start(s3, bucket, "videos/big.mp4", [5 * 1024 * 1024, 1000])
    second = _start(s3, bucket, "backup.tar", [2500])
    view = _open(qtbot, runner, session, bucket)
    assert _rows(view) == {first: ("videos/big.mp4", 2, "5.2 MB"),
                           second: ("backup.tar", 1, "2.5 kB")}
    assert view.findChild(QLabel, "uploadsCount").text() == "2 uploads, 5.2 MB of parts"

    select_item(view, "upload_id", first)
    screenshot(view, "uploads")
    answer_dialog("Abort")
    with qtbot.waitSignal(view.status_message, timeout=10_000) as said:
        qtbot.mouseClick(view.findChild(QToolButton, "uploadsAbort"), Qt.MouseButton.LeftButton)
    assert said.args == ["Aborted 1 upload"]
    assert list(_rows(view)) == [second]
    left = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [upload["UploadId"] for upload in left] == [second]


def test_abort_several_with_the_delete_key(qtbot, runner, session, s3, bucket, answer_dialog):
    ids = [_start(s3, bucket, f"k{n}", [10]) for n in range(3)]
    view = _open(qtbot, runner, session, bucket)
    view.table.setFocus()
    view.table.selectAll()
    answer_dialog("Abort")
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=10_000)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert view.findChild(QLabel, "uploadsCount").text() == "No uploads in progress"
    assert len(ids) == 3


def test_abort_cancelled_keeps_the_upload(qtbot, runner, session, s3, bucket, answer_dialog):
    upload_id = _start(s3, bucket, "keep", [10])
    view = _open(qtbot, runner, session, bucket)
    select_item(view, "upload_id", upload_id)
    answer_dialog("Cancel")
    view.abort_action.trigger()
    assert not view.loading and list(_rows(view)) == [upload_id]
    assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 1


def test_uploads_page_by_page(qtbot, runner, session, s3, bucket, monkeypatch):
    from ramogui.views import uploads_view
    monkeypatch.setattr(uploads_view, "PAGE_SIZE", 2)
    ids = {_start(s3, bucket, f"p{n}", []) for n in range(5)}
    view = _open(qtbot, runner, session, bucket)
    assert view.model.rowCount() == 2
    while view.more_action.isEnabled():
        view.more_action.trigger()
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    assert set(_rows(view)) == ids


def test_uploads_of_a_missing_bucket_and_no_bucket(qtbot, runner, session, bucket):
    view = _open(qtbot, runner, session, bucket + "-missing")
    banner = error_banner(view)
    assert banner.isVisible() and "Could not list the uploads" in banner.text()
    view.set_bucket(None)
    assert view.model.rowCount() == 0 and not view.refresh_action.isEnabled()
    assert not banner.isVisible()
    assert "choose a bucket" in view.findChild(QLabel, "uploadsTitle").text()


def test_bucket_chosen_in_the_view_itself(qtbot, runner, session, s3, bucket):
    upload_id = _start(s3, bucket, "chosen.bin", [100])
    view = add_view(qtbot, UploadsView(runner), (900, 320))
    view.set_session(session)
    qtbot.waitUntil(lambda: view.bucket_box.findText(bucket) >= 0, timeout=10_000)
    assert view.bucket_box.currentText() == ""
    view.bucket_box.setCurrentIndex(view.bucket_box.findText(bucket))
    view.bucket_box.textActivated.emit(bucket)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    assert list(_rows(view)) == [upload_id]
    view.set_bucket(bucket)
    assert view.bucket_box.currentText() == bucket
