"""The buckets view against a real ramod: counts and sizes as boto3 made them, a bucket
created in the GUI belongs to the connection's user, bad names refused as typed, delete
with confirmation, paging, and opening a bucket."""

import pytest
from botocore.exceptions import ClientError
from gui_helpers import add_view, connect_view, load_all, load_more
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication
from ramod_process import ADMIN_API_KEY, no_retry_client, unique_bucket_name

from ramogui.client.profiles import Profile, Secrets
from ramogui.client.session import Session
from ramogui.models.buckets_model import BucketsModel
from ramogui.views.buckets_view import BucketsView

WAIT = 10_000


@pytest.fixture
def make_view(qtbot, runner):
    """``make_view(session, page_size=...)``: a shown BucketsView, its first page loaded."""
    def make(session, **options):
        return connect_view(qtbot, add_view(qtbot, BucketsView(runner, **options), (1100, 480)),
                            session)
    return make


@pytest.fixture
def buckets_view(make_view, session):
    return make_view(session)


@pytest.fixture
def forget_buckets(session):
    """``forget_buckets.append(name)``: buckets force-deleted afterwards if still there."""
    names = []
    yield names
    for name in names:
        if any(True for _ in session.admin.iter_buckets(prefix=name)):
            session.admin.delete_bucket(name, force=True)


def shown_row(view, qtbot, name) -> dict:
    """The model row of bucket ``name`` after reloading every page."""
    with qtbot.waitSignal(view.status_message, timeout=WAIT):
        view.refresh()
    load_all(view, qtbot)
    qtbot.waitUntil(lambda: view.model.find(name) >= 0, timeout=WAIT)
    return view.model.row(view.model.find(name))


def answer_reading(button_text: str, texts: list) -> None:
    """Like ``answer_dialog``, and also keeps the dialog's text."""
    def click():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(25, click)
            return
        texts.append(box.text())
        for button in box.findChildren(QAbstractButton):
            if button.text().replace("&", "") == button_text:
                button.click()
                return
    QTimer.singleShot(25, click)


def head_status(s3, name) -> int:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        return int(exc.response["Error"]["Code"])
    return 200


def test_list_shows_counts_and_sizes(buckets_view, qtbot, s3, bucket, session,
                                     forget_buckets, screenshot):
    view = buckets_view
    limited = unique_bucket_name("gui-quota")
    forget_buckets.append(limited)
    session.admin.create_bucket(limited, quota_bytes=40_000)
    s3.put_object(Bucket=limited, Key="photo.jpg", Body=b"j" * 10_000)
    s3.put_object(Bucket=bucket, Key="a.bin", Body=b"a" * 2500)
    s3.put_object(Bucket=bucket, Key="dir/b.bin", Body=b"b" * 300)
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")
    s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload["UploadId"], PartNumber=1,
                   Body=b"p" * 1200)
    row = shown_row(view, qtbot, bucket)
    assert row["total_size"] == 2800 and row["multipart_size"] == 1200
    assert row["object_count"] == 3 and row["owner_name"] == "root"

    assert view.select_bucket(bucket)
    index = view.table.selectionModel().selectedRows()[0]
    cells = [view.proxy.index(index.row(), c).data() for c in range(6)]
    assert cells == [bucket, row["owner_name"], "3", "2.8 kB", "1.2 kB", "None"]
    quota_row = view.proxy.mapFromSource(view.model.index(view.model.find(limited), 0)).row()
    assert view.proxy.index(quota_row, BucketsModel.QUOTA).data() == "40.0 kB (25% used)"
    screenshot(view, "buckets")

    view.table.sortByColumn(BucketsModel.SIZE, Qt.SortOrder.DescendingOrder)
    sizes = [view.proxy.index(r, BucketsModel.SIZE).data(BucketsModel.SORT_ROLE)
             for r in range(view.proxy.rowCount())]
    assert sizes == sorted(sizes, reverse=True)

    view.filter_edit.setText(bucket.upper())
    assert view.proxy.rowCount() == 1
    view.filter_edit.setText("no-such-bucket-name-here")
    assert view.proxy.rowCount() == 0


def test_create_bucket_belongs_to_the_connected_user(make_view, qtbot, gui_ramod, profile, s3,
                                                     session, forget_buckets):
    """Created through S3 with the profile's key: the bucket is that key's user's."""
    user = unique_bucket_name("gui-maker")
    key = session.admin.create_credential(user_name=user)
    name = unique_bucket_name("gui-new")
    forget_buckets.append(name)
    try:
        own = Session(Profile(name="maker", s3_url=profile.s3_url, admin_url=profile.admin_url,
                              access_key=key["access_key"], region=profile.region),
                      Secrets(admin_key=ADMIN_API_KEY, secret_key=key["secret_key"]))
        view = make_view(own)
        view.new_action.trigger()
        dialog = view.new_bucket_dialog
        assert key["access_key"] in dialog.findChildren(type(dialog.hint))[0].text()
        dialog.name_edit.setText(name)
        assert dialog.create_button.isEnabled() and not dialog.hint.isVisibleTo(dialog)
        with qtbot.waitSignal(view.status_message, timeout=WAIT) as said:
            dialog.create_button.click()
        assert said.args == [f"Created the bucket {name}."]
        assert view.selected_bucket()["name"] == name
        assert view.selected_bucket()["owner_name"] == user
        assert head_status(s3, name) == 200
        assert session.admin.get_bucket(name)["owner_name"] == user
        mine = no_retry_client(gui_ramod, key["access_key"], key["secret_key"]).list_buckets()
        assert [b["Name"] for b in mine["Buckets"]] == [name]
    finally:
        if any(True for _ in session.admin.iter_buckets(prefix=name)):
            session.admin.delete_bucket(name, force=True)
        session.admin.delete_credential(key["id"])


def test_bad_names_refused_as_typed_and_server_refusal_shown(buckets_view, qtbot, bucket):
    view = buckets_view
    view.new_action.trigger()
    dialog = view.new_bucket_dialog
    assert not dialog.create_button.isEnabled() and not dialog.hint.isVisibleTo(dialog)
    for name, rule in [("My_Bucket", "lowercase"), ("ab", "between 3 and 63"),
                       ("10.0.0.1", "IP address"), ("a..b", "two adjacent periods")]:
        dialog.name_edit.setText(name)
        assert not dialog.create_button.isEnabled(), name
        assert dialog.hint.isVisibleTo(dialog) and rule in dialog.hint.text(), name
    dialog.name_edit.setText(bucket)       # valid, but taken
    assert dialog.create_button.isEnabled()
    dialog.create_button.click()
    qtbot.waitUntil(view.banner.isVisible, timeout=WAIT)
    assert view.banner.text() == f"There is already a bucket called {bucket} (owned by root)."


def test_s3_refusal_shown_in_banner(make_view, qtbot, profile, session, forget_buckets):
    """S3's own refusal (here: a key that was disabled meanwhile) is shown in the banner."""
    key = session.admin.create_credential(user_name=unique_bucket_name("gui-off"))
    name = unique_bucket_name("gui-refused")
    forget_buckets.append(name)
    try:
        view = make_view(Session(
            Profile(name="off", s3_url=profile.s3_url, admin_url=profile.admin_url,
                    access_key=key["access_key"], region=profile.region),
            Secrets(admin_key=ADMIN_API_KEY, secret_key=key["secret_key"])))
        session.admin.update_credential(key["id"], is_active=False)
        view.new_action.trigger()
        view.new_bucket_dialog.name_edit.setText(name)
        view.new_bucket_dialog.create_button.click()
        qtbot.waitUntil(view.banner.isVisible, timeout=WAIT)
        assert key["access_key"] in view.banner.text() and "disabled" in view.banner.text()
        assert view.model.find(name) < 0
    finally:
        session.admin.delete_credential(key["id"])


def test_delete_non_empty_bucket_asks_with_its_count(buckets_view, qtbot, s3, forget_buckets):
    view = buckets_view
    name = unique_bucket_name("gui-del")
    forget_buckets.append(name)
    s3.create_bucket(Bucket=name)
    for i in range(2):
        s3.put_object(Bucket=name, Key=f"k{i}", Body=b"z" * 600)
    assert shown_row(view, qtbot, name)["object_count"] == 2
    view.select_bucket(name)

    texts = []
    answer_reading("Cancel", texts)
    view.delete_action.trigger()
    assert name in texts[0] and "2 objects (1.2 kB)" in texts[0]
    assert "deleted too" in texts[0]
    assert head_status(s3, name) == 200 and view.model.find(name) >= 0

    answer_reading("Delete", texts)
    with qtbot.waitSignal(view.status_message, timeout=WAIT):
        view.delete_action.trigger()
    assert view.model.find(name) < 0
    assert head_status(s3, name) == 404
    assert not view.banner.isVisible()


def test_delete_empty_bucket(buckets_view, qtbot, s3, forget_buckets):
    view = buckets_view
    name = unique_bucket_name("gui-del")
    forget_buckets.append(name)
    s3.create_bucket(Bucket=name)
    shown_row(view, qtbot, name)
    view.select_bucket(name)
    texts = []
    answer_reading("Delete", texts)
    with qtbot.waitSignal(view.status_message, timeout=WAIT):
        view.delete_action.trigger()
    assert "object" not in texts[0]
    assert head_status(s3, name) == 404


def test_buckets_come_page_by_page(make_view, qtbot, session, s3, forget_buckets):
    """With 2 buckets a page, 5 new buckets (and every other) are reachable."""
    names = [unique_bucket_name("gui-page") for _ in range(5)]
    for name in names:
        forget_buckets.append(name)
        s3.create_bucket(Bucket=name)
    expected = [row["name"] for row in session.admin.iter_buckets()]
    view = make_view(session, page_size=2)
    assert view.model.rowCount() == 2 and view.next_cursor
    assert view.load_more_action.isEnabled()
    pages = 1
    while view.next_cursor:
        load_more(view, qtbot)
        pages += 1
        assert view.model.rowCount() <= 2 * pages
    loaded = [view.model.row(i)["name"] for i in range(view.model.rowCount())]
    assert loaded == expected and set(names) <= set(loaded)
    assert not view.load_more_action.isEnabled()


def test_enter_and_double_click_open_a_bucket(buckets_view, qtbot, bucket):
    view = buckets_view
    shown_row(view, qtbot, bucket)
    view.select_bucket(bucket)
    index = view.table.selectionModel().selectedRows()[0]
    view.table.setCurrentIndex(index)
    with qtbot.waitSignal(view.bucket_opened, timeout=WAIT) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == [bucket]
    point = view.table.visualRect(index).center()
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    with qtbot.waitSignal(view.bucket_opened, timeout=WAIT) as opened:
        # without the click before, the view ignored QTest's double-click (checked)
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert opened.args == [bucket]


def test_disconnected_view_is_empty(buckets_view):
    view = buckets_view
    view.set_session(None)
    assert view.model.rowCount() == 0 and not view.new_action.isEnabled()
    assert not view.delete_action.isEnabled() and not view.load_more_action.isEnabled()
