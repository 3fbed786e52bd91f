"""The whole app as a person uses it: the main window with every real part, against a real
ramod — connect through the dialog, create a bucket, drop files and a folder, switch views,
the dark palette, and closing during a transfer."""

import os

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget
from gui_helpers import drop, names
from ramod_process import ADMIN_API_KEY, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, unique_bucket_name

from ramogui.app import _connect_saved
from ramogui.client.profile_store import ProfileStore
from ramogui.views.connect_dialog import ConnectDialog
from ramogui.views.main_window import MainWindow
from ramogui.workers.transfer_queue import TransferQueue


@pytest.fixture
def window(qtbot, runner, tmp_path, monkeypatch):
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path / "config"))
    transfers = TransferQueue()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(runner, transfers, ProfileStore(), settings)
    qtbot.addWidget(main)
    main.resize(1280, 800)
    main.show()
    yield main
    transfers.cancel_all()
    transfers.wait(30_000)


def connect_through_dialog(qtbot, window, server):
    dialog = window.show_connect_dialog()
    qtbot.waitUntil(lambda: not dialog.is_busy())          # the saved profiles are read
    fields = {"nameEdit": "local", "s3UrlEdit": server.endpoint, "adminUrlEdit": server.admin_url,
              "adminKeyEdit": ADMIN_API_KEY, "accessKeyEdit": ROOT_ACCESS_KEY,
              "secretKeyEdit": ROOT_SECRET_KEY}
    for name, text in fields.items():
        edit = dialog.findChild(QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)
    dialog.findChild(QAbstractButton, "connectButton").click()
    qtbot.waitUntil(lambda: window.session is not None, timeout=20_000)
    return dialog


def test_connect_create_bucket_drop_and_browse(qtbot, window, gui_ramod, s3, tmp_path,
                                               screenshot):
    connect_through_dialog(qtbot, window, gui_ramod)
    assert window.windowTitle() == "Ramo — local"
    assert gui_ramod.endpoint in window.connection_label.text()
    qtbot.waitUntil(lambda: window.dashboard.isVisible(), timeout=5_000)
    screenshot(window, "app-dashboard")

    # Create a bucket in the Buckets view (Ctrl+N opens the dialog).
    window.show_page(window.buckets)
    name = unique_bucket_name("gui-app")
    window.buckets.new_bucket()
    dialog = window.buckets.new_bucket_dialog
    qtbot.keyClicks(dialog.name_edit, name)
    dialog.accept()
    qtbot.waitUntil(lambda: window.buckets.selected_bucket() is not None
                    and window.buckets.selected_bucket()["name"] == name, timeout=20_000)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    shown = window.buckets.model.rowCount()
    assert window.buckets.count_label.text().startswith(f"{shown} bucket{'s' * (shown != 1)} loaded")
    screenshot(window, "app-buckets")

    # Open it, then drop two files and a folder onto the listing.
    with qtbot.waitSignal(window.browser.listing_loaded, timeout=20_000):
        window.buckets.bucket_opened.emit(name)
    assert window.stack.currentWidget() is window.browser
    first, second = tmp_path / "report.pdf", tmp_path / "data.csv"
    first.write_bytes(os.urandom(20 * 1024 * 1024 + 17))      # multipart, parallel parts
    second.write_text("a,b\n1,2\n")
    folder = tmp_path / "holiday"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "beach.jpg").write_bytes(os.urandom(4096))
    (folder / "notes.txt").write_text("sunny")
    assert drop(window.browser.table, [first, second, folder]) == (True, True)
    qtbot.waitUntil(lambda: window.transfers.active_count() == 0, timeout=60_000)
    expected = {"report.pdf": first, "data.csv": second,
                "holiday/day1/beach.jpg": folder / "day1" / "beach.jpg",
                "holiday/notes.txt": folder / "notes.txt"}
    for key, path in expected.items():
        assert s3.get_object(Bucket=name, Key=key)["Body"].read() == path.read_bytes(), key
    assert s3.head_object(Bucket=name, Key="report.pdf")["ETag"].endswith('-3"')
    qtbot.waitUntil(lambda: names(window.browser) == ["holiday/", "data.csv", "report.pdf"],
                    timeout=20_000)
    screenshot(window, "app-browser-after-drop")

    # Every view answers to the session; each page shows without errors.
    for title, view in window.pages:
        window.show_page(view)
        qtbot.waitUntil(lambda: window.runner.active == 0, timeout=20_000)
        banners = [w for w in view.findChildren(QWidget) if w.accessibleName() == "Error message"]
        assert not any(banner.isVisible() for banner in banners), title
    window.show_page(window.browser)

    # Dark palette, and a screenshot of it.
    window.dark_action.trigger()
    assert QApplication.palette().window().color().lightness() < 80
    qtbot.waitUntil(lambda: window.browser.table.palette().base().color().lightness() < 80,
                    timeout=5_000)
    qtbot.wait(50)
    screenshot(window, "app-browser-dark")
    window.dark_action.trigger()
    assert QApplication.palette().window().color().lightness() > 180


def test_controls_have_accessible_names(qtbot, window, session):
    window.set_session(session)
    unnamed = []
    for widget in window.findChildren(QAbstractButton) + window.findChildren(QLineEdit):
        if not widget.isVisibleTo(window):
            continue
        interface = QAccessible.queryAccessibleInterface(widget)
        label = interface.text(QAccessible.Text.Name) if interface else ""
        if not (label or widget.accessibleName()):
            unnamed.append(f"{type(widget).__name__} {widget.objectName()!r} {widget.toolTip()!r}")
    assert unnamed == []


def test_closing_during_a_transfer_asks_then_cancels_cleanly(qtbot, window, session, s3,
                                                             bucket, tmp_path, answer_dialog):
    window.set_session(session)
    big = tmp_path / "huge.bin"
    with open(big, "wb") as sparse:
        sparse.truncate(3 * 1024 ** 3)                            # 3 GiB, takes a while
    with qtbot.waitSignal(window.browser.listing_loaded, timeout=20_000):
        window.open_bucket(bucket)
    window.browser.upload_paths([str(big)])
    qtbot.waitUntil(lambda: window.transfers.running_count() == 1, timeout=20_000)

    answer_dialog("Cancel")                       # "no, keep transferring"
    window.close()
    assert window.isVisible() and window.transfers.running_count() == 1

    answer_dialog("Cancel transfers and quit")
    window.close()
    assert not window.isVisible()
    # The worker has finished (closeEvent waited for it): the upload was aborted on the server.
    assert window.transfers.wait(0)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    qtbot.waitUntil(lambda: window.transfers.active_count() == 0, timeout=5_000)


def test_connecting_elsewhere_during_a_transfer_asks_first(qtbot, window, session, profile,
                                                            secrets, bucket, tmp_path,
                                                            answer_dialog):
    from ramogui.client.session import Session
    window.set_session(session)
    big = tmp_path / "huge.bin"
    with open(big, "wb") as sparse:
        sparse.truncate(3 * 1024 ** 3)
    with qtbot.waitSignal(window.browser.listing_loaded, timeout=20_000):
        window.open_bucket(bucket)
    window.browser.upload_paths([str(big)])
    qtbot.waitUntil(lambda: window.transfers.running_count() == 1, timeout=20_000)
    other = Session(profile, secrets)
    answer_dialog("Cancel")
    assert window.switch_session(other) is False
    assert window.session is session and window.transfers.running_count() == 1
    answer_dialog("Cancel transfers and connect")
    assert window.switch_session(other) is True
    assert window.session is other
    qtbot.waitUntil(lambda: window.transfers.active_count() == 0, timeout=30_000)


def test_profile_option_connects_off_the_gui_thread(qtbot, window, runner, profile, secrets):
    """``ramogui --profile NAME``: the saved profile is read and connected in the background."""
    window.store.save(profile, secrets)
    _connect_saved(runner, window, window.store, profile.name)
    assert window.session is None                      # not read on the GUI thread
    assert window.statusBar().currentMessage() == "Connecting with profile 'test'…"
    qtbot.waitUntil(lambda: window.session is not None, timeout=15_000)
    assert window.session.profile == profile and window.windowTitle() == "Ramo — test"


def test_profile_option_with_an_unknown_profile_opens_the_dialog(qtbot, window, runner):
    _connect_saved(runner, window, window.store, "nope")
    qtbot.waitUntil(lambda: window.findChild(ConnectDialog) is not None, timeout=15_000)
    assert window.statusBar().currentMessage() == (
        "Cannot use profile 'nope': there is no saved profile of that name with its secrets.")
    assert window.session is None
