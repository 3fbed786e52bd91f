"""Share links: make one in the dialog, download with it, find it in the list, revoke it."""

import urllib.error
import urllib.request

import pytest
from gui_helpers import add_view, error_banner, list_bucket, select_item
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QToolButton

from ramoclient.limits import MAX_PRESIGN_SECONDS
from ramogui.models.links_model import LinksModel
from ramogui.views.common import parse_time
from ramogui.views.links_view import LinksView
from ramogui.views.share_dialog import ShareDialog

BODY = b"shared bytes \x00\xff" * 1000


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _make_link(qtbot, dialog: ShareDialog) -> dict:
    with qtbot.waitSignal(dialog.link_created, timeout=10_000) as made:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    return made.args[0]


def _listed_ids(view: LinksView) -> list[int]:
    return [view.model.row(row)["id"] for row in range(view.model.rowCount())]


def test_make_and_revoke_a_share_link(qtbot, runner, session, s3, bucket, answer_dialog,
                                      screenshot):
    """The issue's test: the link from the clipboard downloads the object; once revoked in
    the list it gets 403."""
    s3.put_object(Bucket=bucket, Key="docs/report.pdf", Body=BODY)
    dialog = ShareDialog(runner, session, bucket, "docs/report.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.amount.setValue(2)
    dialog.unit.setCurrentText("days")
    link = _make_link(qtbot, dialog)

    url = QGuiApplication.clipboard().text()
    assert url == dialog.url.text() == link["url"]
    assert _fetch(url) == BODY
    expires = parse_time(link["expires_at"]) - parse_time(link["created_at"])
    assert expires.total_seconds() == pytest.approx(2 * 86400, abs=5)
    assert "Copied to the clipboard" in dialog.expires.text()
    screenshot(dialog, "share-dialog")
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == url

    view = list_bucket(qtbot, add_view(qtbot, LinksView(runner), (1000, 400)), session, bucket)
    assert _listed_ids(view) == [link["id"]]
    row = view.model.row(0)
    assert (row["object_key"], row["bucket_name"], row["method"]) == (
        "docs/report.pdf", bucket, "GET")
    assert view.model.index(0, LinksModel.METHOD).data() == "GET"
    assert view.model.index(0, LinksModel.EXPIRES).data()            # a local time

    select_item(view, "id", link["id"])
    screenshot(view, "links")
    view.table.setFocus()
    answer_dialog("Revoke")
    with qtbot.waitSignal(view.status_message, timeout=10_000) as said:
        qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert said.args == ["Revoked 1 link"]
    assert _listed_ids(view) == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        _fetch(url)
    assert refused.value.code == 403
    assert link["id"] not in [item["id"] for item in session.admin.iter_presigned_urls()]


def test_revoke_can_be_cancelled(qtbot, runner, session, s3, bucket, answer_dialog):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"k")
    link = session.admin.create_presigned_url(bucket, "keep", expires_in=600)
    view = list_bucket(qtbot, add_view(qtbot, LinksView(runner)), session, bucket)
    select_item(view, "id", link["id"])
    answer_dialog("Cancel")
    qtbot.mouseClick(view.findChild(QToolButton, "linksRevoke"), Qt.MouseButton.LeftButton)
    assert _listed_ids(view) == [link["id"]] and not view.loading
    assert _fetch(link["url"]) == b"k"


def test_links_page_by_page_and_copy(qtbot, runner, session, s3, bucket, monkeypatch):
    """With pages of 2, Load more appends the next page until the last; Copy link copies
    the current row's URL."""
    from ramogui.views import links_view
    monkeypatch.setattr(links_view, "PAGE_SIZE", 2)
    s3.put_object(Bucket=bucket, Key="p", Body=b"p")
    made = [session.admin.create_presigned_url(bucket, "p", expires_in=600)["id"]
            for _ in range(5)]
    view = list_bucket(qtbot, add_view(qtbot, LinksView(runner)), session, bucket)
    assert view.model.rowCount() == 2 and view.more_action.isEnabled()
    while view.more_action.isEnabled():
        view.more_action.trigger()
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    assert sorted(_listed_ids(view)) == sorted(made)
    assert "5 links" == view.findChild(QLabel, "linksCount").text()

    select_item(view, "id", made[2])
    view.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == session.admin.get_presigned_url(made[2])["url"]
    select_item(view, "id", made[3])
    view.show()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == session.admin.get_presigned_url(made[3])["url"]
    for link_id in made:
        session.admin.revoke_presigned_url(link_id)


def test_links_filter_by_bucket(qtbot, runner, session, s3, bucket):
    other = bucket + "-o"
    s3.create_bucket(Bucket=other)
    try:
        for name in (bucket, other):
            s3.put_object(Bucket=name, Key="k", Body=b"k")
        mine = session.admin.create_presigned_url(bucket, "k", expires_in=600)["id"]
        theirs = session.admin.create_presigned_url(other, "k", expires_in=600)["id"]
        view = list_bucket(qtbot, add_view(qtbot, LinksView(runner)), session, bucket)
        assert _listed_ids(view) == [mine]
        view.set_bucket(None)
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
        assert {mine, theirs} <= set(_listed_ids(view))
        view.filter_edit.setText(other.upper())          # the filter box ignores case
        proxy = view.table.model()
        shown = [view.model.row(proxy.mapToSource(proxy.index(row, 0)).row())["id"]
                 for row in range(proxy.rowCount())]
        assert shown == [theirs]
        assert view.findChild(QLabel, "linksTitle").text() == "Active share links"
    finally:
        s3.delete_object(Bucket=other, Key="k")
        s3.delete_bucket(Bucket=other)


@pytest.mark.parametrize("amount, unit, seconds", [
    (0, "minutes", None), (1, "minutes", 60), (7, "days", MAX_PRESIGN_SECONDS),
    (168, "hours", MAX_PRESIGN_SECONDS), (10080, "minutes", MAX_PRESIGN_SECONDS), (8, "days", None),
    (169, "hours", None), (10081, "minutes", None)])
def test_share_expiry_limits(qtbot, runner, session, amount, unit, seconds):
    """1 minute to 7 days: outside that Create is disabled and the dialog says why."""
    dialog = ShareDialog(runner, session, "b", "k")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.unit.setCurrentText(unit)
    dialog.amount.setValue(amount)
    assert dialog.expires_in() == seconds
    assert dialog.create_button.isEnabled() is (seconds is not None)
    banner = error_banner(dialog)
    assert banner.isVisible() is (seconds is None)
    if seconds is None:
        assert "1 minute to 7 days" in banner.text()
        dialog.create()                                # refused without a call
        assert not runner.active


def test_share_server_error_is_inline(qtbot, runner, session, bucket):
    """No such object is no obstacle to signing, but no such bucket is: said in the banner."""
    dialog = ShareDialog(runner, session, bucket + "-missing", "k")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    banner = error_banner(dialog)
    qtbot.waitUntil(banner.isVisible, timeout=10_000)
    assert banner.text().startswith("Could not create the link: ")
    assert dialog.url.text() == "" and dialog.create_button.isEnabled()
