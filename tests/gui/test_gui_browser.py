"""The object browser against a real ramod: listing by folders, paging a 5,000-key bucket,
server-side search, the info panel, drops, downloads and batch delete."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication
from gui_helpers import drop, names
from ramod_process import unique_bucket_name

from ramogui.models.objects_model import NAME, SIZE
from ramogui.views.browser_view import BrowserView
from ramogui.views.object_info import describe_object

MANY = 5000


@pytest.fixture(scope="module")
def big_bucket(gui_ramod):
    """A bucket of 5,000 keys ``item-00000`` … ``item-04999`` (shared by this module)."""
    from ramod_process import no_retry_client
    s3 = no_retry_client(gui_ramod, max_pool_connections=16)
    name = unique_bucket_name("gui-many")
    s3.create_bucket(Bucket=name)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=name, Key=f"item-{n:05d}", Body=b"%d" % n),
                      range(MANY)))
    return name


def shown_browser(qtbot, runner, transfers, session, page_size=1000, size=(1000, 600)):
    """A ``BrowserView`` on ``session``, shown at ``size``."""
    view = BrowserView(runner, transfers, page_size=page_size)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.set_session(session)
    return view


@pytest.fixture
def browser(qtbot, runner, transfers, session):
    return shown_browser(qtbot, runner, transfers, session)


def open_and_wait(qtbot, browser, bucket, prefix=""):
    with qtbot.waitSignal(browser.listing_loaded, timeout=20_000):
        browser.open_bucket(bucket)
        if prefix:
            browser.set_prefix(prefix)
    qtbot.waitUntil(lambda: browser._listing_job is None, timeout=20_000)


def test_folders_and_objects_by_delimiter_with_breadcrumbs(qtbot, browser, s3, bucket,
                                                          screenshot):
    for key in ["a.txt", "photos/2026/x.jpg", "photos/y.jpg", "docs/readme.md", "z/"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"data of " + key.encode())
    open_and_wait(qtbot, browser, bucket)
    assert names(browser) == ["docs/", "photos/", "z/", "a.txt"]     # folders first
    assert "end of the listing" in browser.footer.text()
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        browser.table.activated.emit(browser.proxy.index(1, NAME))     # open photos/
    assert browser.prefix == "photos/"
    assert names(browser) == ["2026/", "y.jpg"]
    assert [b.text() for b in browser.breadcrumbs.buttons] == [bucket, "photos"]
    screenshot(browser, "browser-folder")
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        browser.breadcrumbs.buttons[0].click()
    assert browser.prefix == "" and names(browser)[0] == "docs/"


def test_paging_through_5000_keys_never_lists_the_whole_bucket(qtbot, runner, transfers,
                                                               session, big_bucket, screenshot):
    view = shown_browser(qtbot, runner, transfers, session, size=(900, 500))
    open_and_wait(qtbot, view, big_bucket)
    assert view.model.rowCount() == 1000 and view.next_cursor
    assert view.load_more_button.isVisible()
    assert "more on the server" in view.footer.text()
    # Scrolling to the end fetches the next page by itself.
    with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
        view.table.scrollToBottom()
    assert view.model.rowCount() == 2000
    while view.next_cursor:
        with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
            view.load_more_button.click()
    assert view.pages_loaded == 5
    loaded = [view.model.entry(row).key for row in range(view.model.rowCount())]
    assert loaded == [f"item-{n:05d}" for n in range(MANY)]
    assert "5,000 items shown" in view.footer.text() and "end of the listing" in view.footer.text()
    assert not view.load_more_button.isVisible()
    screenshot(view, "browser-5000-keys")


def test_search_is_a_server_side_prefix(qtbot, browser, big_bucket):
    open_and_wait(qtbot, browser, big_bucket)
    with qtbot.waitSignal(browser.listing_loaded, timeout=20_000):
        qtbot.keyClicks(browser.search, "item-049")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 100, timeout=10_000)
    assert names(browser)[0] == "item-04900" and browser.next_cursor is None
    assert "starting with “item-049”" in browser.footer.text()


def test_columns_sort_by_raw_values_with_folders_first(qtbot, browser, s3, bucket):
    for key, size in [("small", 5), ("big", 5000), ("mid", 300)]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size)
    s3.put_object(Bucket=bucket, Key="folder/inner", Body=b"")
    open_and_wait(qtbot, browser, bucket)
    browser.table.sortByColumn(SIZE, Qt.SortOrder.DescendingOrder)
    assert names(browser) == ["folder/", "big", "mid", "small"]
    browser.table.sortByColumn(SIZE, Qt.SortOrder.AscendingOrder)
    assert names(browser) == ["folder/", "small", "mid", "big"]


def test_info_panel_shows_metadata_etag_type_and_multipart(qtbot, browser, s3, bucket,
                                                           screenshot):
    s3.put_object(Bucket=bucket, Key="doc.pdf", Body=b"%PDF-1.7 hello",
                  ContentType="application/pdf", Metadata={"author": "Ana"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi.bin")
    part = s3.upload_part(Bucket=bucket, Key="multi.bin", UploadId=upload["UploadId"],
                          PartNumber=1, Body=b"m" * 1000)
    s3.complete_multipart_upload(Bucket=bucket, Key="multi.bin", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    open_and_wait(qtbot, browser, bucket)
    browser.table.selectRow(0)
    qtbot.waitUntil(lambda: browser.info.values["Key"].text() == "doc.pdf", timeout=10_000)
    assert browser.info.values["Content type"].text() == "application/pdf"
    assert browser.info.values["ETag"].text().strip('"') == hashlib.md5(b"%PDF-1.7 hello").hexdigest()
    assert browser.info.values["Multipart"].text() == "no"
    table = browser.info.metadata
    assert ("x-amz-meta-author", "Ana") in [(table.item(r, 0).text(), table.item(r, 1).text())
                                            for r in range(table.rowCount())]
    screenshot(browser, "browser-info-panel")
    browser.table.selectRow(1)
    qtbot.waitUntil(lambda: browser.info.values["Key"].text() == "multi.bin", timeout=10_000)
    assert browser.info.values["Multipart"].text() == "yes, 1 part"


def test_dropped_files_and_folder_arrive_byte_identical(qtbot, browser, transfers, s3, bucket,
                                                        tmp_path):
    one, two = tmp_path / "one.bin", tmp_path / "two words.txt"
    one.write_bytes(os.urandom(300_000))
    two.write_text("hello ünïcode\n")
    folder = tmp_path / "album"
    (folder / "inner").mkdir(parents=True)
    (folder / "cover.jpg").write_bytes(os.urandom(1000))
    (folder / "inner" / "deep.txt").write_bytes(b"deep")
    open_and_wait(qtbot, browser, bucket)
    with qtbot.waitSignal(browser.listing_loaded, timeout=30_000):
        assert drop(browser.table, [one, two, folder]) == (True, True)
        qtbot.waitUntil(lambda: transfers.active_count() == 0, timeout=30_000)
    expected = {"one.bin": one, "two words.txt": two, "album/cover.jpg": folder / "cover.jpg",
                "album/inner/deep.txt": folder / "inner" / "deep.txt"}
    for key, path in expected.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == path.read_bytes()
    qtbot.waitUntil(lambda: names(browser) == ["album/", "one.bin", "two words.txt"],
                    timeout=10_000)


def test_drop_of_something_that_is_not_files_is_refused(qtbot, browser, bucket):
    open_and_wait(qtbot, browser, bucket)
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(browser.table.viewport(), enter)
    assert not enter.isAccepted()


def test_download_folder_and_batch_delete(qtbot, browser, transfers, s3, bucket, tmp_path,
                                          answer_dialog):
    contents = {"keep.txt": b"keep", "set/a.bin": os.urandom(5000), "set/sub/b.bin": b"b",
                "c.txt": b"c"}
    for key, body in contents.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    open_and_wait(qtbot, browser, bucket)
    assert names(browser) == ["set/", "c.txt", "keep.txt"]
    browser.table.selectRow(0)
    browser.table.selectionModel().select(
        browser.proxy.index(1, NAME), browser.table.selectionModel().SelectionFlag.Select
        | browser.table.selectionModel().SelectionFlag.Rows)
    browser.download_selected(str(tmp_path))
    qtbot.waitUntil(lambda: transfers.active_count() == 0, timeout=30_000)
    assert (tmp_path / "c.txt").read_bytes() == b"c"
    assert (tmp_path / "set" / "a.bin").read_bytes() == contents["set/a.bin"]
    assert (tmp_path / "set" / "sub" / "b.bin").read_bytes() == b"b"
    answer_dialog("Delete")
    with qtbot.waitSignal(browser.listing_loaded, timeout=20_000):
        browser.action_delete.trigger()
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert remaining == ["keep.txt"]
    assert names(browser) == ["keep.txt"]


def test_cancelled_delete_keeps_everything(qtbot, browser, s3, bucket, answer_dialog):
    s3.put_object(Bucket=bucket, Key="precious", Body=b"p")
    open_and_wait(qtbot, browser, bucket)
    browser.table.selectRow(0)
    answer_dialog("Cancel")
    browser.action_delete.trigger()
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["precious"]


def test_new_folder_is_an_empty_slash_key(qtbot, browser, s3, bucket):
    open_and_wait(qtbot, browser, bucket)
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        browser.create_folder("reports")
    assert s3.head_object(Bucket=bucket, Key="reports/")["ContentLength"] == 0
    assert names(browser) == ["reports/"]


def test_listing_error_is_shown_and_view_keeps_working(qtbot, browser, bucket):
    browser.open_bucket("no-such-bucket-gui-test")
    qtbot.waitUntil(lambda: browser.error.isVisible(), timeout=10_000)
    assert "no-such-bucket-gui-test" in browser.error.text()
    open_and_wait(qtbot, browser, bucket)
    assert not browser.error.isVisible()


def test_a_search_applies_to_its_folder_and_is_cleared_on_navigation(qtbot, browser, s3, bucket):
    for key in ["photos/a.jpg", "photos/ph-1.jpg", "phone.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    open_and_wait(qtbot, browser, bucket)
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        qtbot.keyClicks(browser.search, "ph")
    assert names(browser) == ["photos/", "phone.txt"]
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        browser.table.activated.emit(browser.proxy.index(0, NAME))
    assert browser.prefix == "photos/" and browser.search.text() == ""
    assert names(browser) == ["a.jpg", "ph-1.jpg"]


def test_keys_in_messages_and_details_are_shown_as_text_not_html(qtbot, browser):
    """Anyone who can name an object must not be able to restyle what the admin reads."""
    for label in [browser.error, browser.footer, *browser.info.values.values()]:
        assert label.textFormat() == Qt.TextFormat.PlainText
    browser.info.show_object({"key": "a/<img src=x>bold", "size": 1, "etag": "e"})
    assert browser.info.title.text() == "<b>&lt;img src=x&gt;bold</b>"
    assert browser.info.values["Key"].text() == "a/<img src=x>bold"
    browser.info.clear("Cannot load <i>x</i>")
    assert browser.info.title.textFormat() == Qt.TextFormat.PlainText


def test_refresh_keeps_the_loaded_pages_the_selection_and_the_scroll_position(
        qtbot, runner, transfers, session, s3, bucket, tmp_path):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=bucket, Key=f"k-{n:05d}", Body=b"x"),
                      range(350)))
    view = shown_browser(qtbot, runner, transfers, session, page_size=100, size=(900, 500))
    open_and_wait(qtbot, view, bucket)
    for _ in range(2):
        with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
            view.load_more_button.click()
    assert view.model.rowCount() == 300 and view.pages_loaded == 3
    view.table.selectRow(250)
    view.table.scrollTo(view.proxy.index(250, NAME))
    scrolled = view.table.verticalScrollBar().value()
    assert scrolled > 0

    s3.put_object(Bucket=bucket, Key="k-00100a", Body=b"new")     # inside what is shown
    s3.delete_object(Bucket=bucket, Key="k-00010")
    with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
        view.action_refresh.trigger()                             # F5
    keys = [view.model.entry(row).key for row in range(view.model.rowCount())]
    assert len(keys) == 300 and view.pages_loaded == 3 and view.next_cursor
    assert "k-00100a" in keys and "k-00010" not in keys
    assert keys == sorted(keys) and keys[-1] == "k-00299"
    assert [entry.key for entry in view.selected_entries()] == ["k-00250"]
    assert view.table.verticalScrollBar().value() == scrolled
    qtbot.waitUntil(lambda: view.info.values["Key"].text() == "k-00250", timeout=10_000)

    # An upload into the folder shown refreshes the same way, by itself.
    new = tmp_path / "k-00200b"
    new.write_bytes(b"uploaded")
    with qtbot.waitSignal(view.listing_loaded, timeout=30_000):
        view.upload_paths([str(new)])
    keys = [view.model.entry(row).key for row in range(view.model.rowCount())]
    assert len(keys) == 300 and "k-00200b" in keys and keys[-1] == "k-00298"
    assert [entry.key for entry in view.selected_entries()] == ["k-00250"]
    assert view.table.verticalScrollBar().value() == scrolled


def test_refresh_before_anything_is_listed_lists_the_first_page(qtbot, browser, s3, bucket):
    s3.put_object(Bucket=bucket, Key="only", Body=b"1")
    browser.bucket = bucket                      # nothing listed yet: no pages to keep
    with qtbot.waitSignal(browser.listing_loaded, timeout=10_000):
        browser.refresh()
    assert names(browser) == ["only"] and browser.pages_loaded == 1


@pytest.mark.parametrize("info, shown", [
    ({"is_multipart": False}, "no"),
    ({"is_multipart": True, "part_count": 1}, "yes, 1 part"),
    ({"is_multipart": True, "part_count": 1200}, "yes, 1,200 parts"),
    ({"is_multipart": True, "part_count": None}, "yes"),
])
def test_info_panel_multipart_wording(info, shown):
    assert describe_object({"key": "k", "size": 1, **info})["Multipart"] == shown
