"""The access-keys view against a real ramod: a key created in the GUI works with boto3,
stops working when disabled in the GUI and works again when enabled; rename, delete with
confirmation, root protected, paging, and the buckets of a key's user."""

import uuid

import pytest
from botocore.exceptions import ClientError
from gui_helpers import add_view, connect_view, load_all, load_more
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from ramod_process import ROOT_ACCESS_KEY, no_retry_client, unique_bucket_name

from ramoclient.admin import AdminApiError
from ramogui.views.keys_view import ROOT_PROTECTED, KeysView

OK = QDialogButtonBox.StandardButton.Ok
WAIT = 10_000


def unique_user(prefix="gui-user"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def keys_view(qtbot, runner, session):
    """A shown KeysView connected as root, its first page loaded."""
    return connect_view(qtbot, add_view(qtbot, KeysView(runner), (1200, 560)), session)


@pytest.fixture
def forget_keys(session):
    """``forget_keys.append(id)``: credentials deleted (with their users' buckets) afterwards."""
    ids = []
    yield ids
    for credential_id in ids:
        try:
            detail = session.admin.get_credential(credential_id)
        except AdminApiError:
            continue
        for bucket in detail["buckets"]:
            session.admin.delete_bucket(bucket["name"], force=True)
        session.admin.delete_credential(credential_id)


def create_key_in_gui(view, qtbot, user_name):
    """Fill and accept the New key dialog; the secret dialog that follows."""
    view.new_action.trigger()
    dialog = view.new_key_dialog
    assert dialog.isVisible()
    dialog.user_edit.setText(user_name)
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: view.secret_dialog is not None, timeout=WAIT)
    return view.secret_dialog


def wait_for_row(view, qtbot, credential_id, **fields):
    """Until the model shows the credential with these field values."""
    def shown():
        i = view.model.find(credential_id)
        assert i >= 0
        row = view.model.row(i)
        assert {name: row[name] for name in fields} == fields
    qtbot.waitUntil(shown, timeout=WAIT)


def s3_code(client) -> str:
    with pytest.raises(ClientError) as caught:
        client.list_buckets()
    return caught.value.response["Error"]["Code"]


def test_create_and_disable_a_key(keys_view, qtbot, gui_ramod, session, forget_keys,
                                  screenshot):
    """The issue's test: a key created in the GUI shows its secret once (Copy puts it on the
    clipboard), works with boto3, is refused once disabled in the GUI, works once enabled."""
    view, user = keys_view, unique_user()
    secret_dialog = create_key_in_gui(view, qtbot, user)
    access_key = secret_dialog.access_field.text()
    secret_key = secret_dialog.secret_field.text()
    forget_keys.append(session.admin.iter_credentials(user_name=user).__next__()["id"])
    assert secret_dialog.isVisible()
    assert len(access_key) >= 16 and len(secret_key) >= 8
    assert secret_dialog.access_field.isReadOnly() and secret_dialog.secret_field.isReadOnly()
    assert "cannot be shown again" in secret_dialog.findChild(
        type(secret_dialog.copied_label), "secretWarning").text()
    screenshot(secret_dialog, "key-secret-once")

    secret_dialog.copy_secret_button.click()
    assert QGuiApplication.clipboard().text() == secret_key
    secret_dialog.copy_access_button.click()
    assert QGuiApplication.clipboard().text() == access_key
    secret_dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Close).click()
    assert view.secret_dialog is None

    # the new key is listed, selected, and nowhere holds its secret any more
    key = view.selected_key()
    assert key["access_key"] == access_key and key["user_name"] == user
    assert "secret_key" not in key

    client = no_retry_client(gui_ramod, access_key=access_key, secret_key=secret_key)
    assert client.list_buckets()["Buckets"] == []

    assert view.toggle_action.text() == "Disable" and view.toggle_action.isEnabled()
    view.toggle_action.trigger()
    wait_for_row(view, qtbot, key["id"], is_active=False)
    assert view.toggle_action.text() == "Enable"
    assert s3_code(client) == "InvalidAccessKeyId"

    view.toggle_action.trigger()
    wait_for_row(view, qtbot, key["id"], is_active=True)
    assert client.list_buckets()["Buckets"] == []
    assert not view.banner.isVisible()


def test_new_key_with_shortcut_access_key_and_rate_limit(keys_view, qtbot, session,
                                                         forget_keys):
    view = keys_view
    view.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=WAIT)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.new_key_dialog is not None, timeout=WAIT)
    dialog = view.new_key_dialog
    dialog.access_edit.setText("short")
    assert not dialog.buttons.button(OK).isEnabled() and dialog.hint.isVisibleTo(dialog)
    dialog.user_edit.setText("no spaces allowed")
    assert "user name" in dialog.hint.text()
    access_key = "GUI" + uuid.uuid4().hex[:17].upper()
    user = unique_user()
    dialog.access_edit.setText(access_key)
    dialog.user_edit.setText(user)
    dialog.rate_spin.setValue(25)
    assert dialog.buttons.button(OK).isEnabled()
    dialog.buttons.button(OK).click()
    qtbot.waitUntil(lambda: view.secret_dialog is not None, timeout=WAIT)
    assert view.secret_dialog.access_field.text() == access_key
    view.secret_dialog.reject()
    created = next(session.admin.iter_credentials(user_name=user))
    forget_keys.append(created["id"])
    assert created["access_key"] == access_key and created["rate_limit"] == 25

    # the same access key again: the server's refusal is shown in the banner
    view.new_action.trigger()
    view.new_key_dialog.access_edit.setText(access_key)
    view.new_key_dialog.buttons.button(OK).click()
    qtbot.waitUntil(view.banner.isVisible, timeout=WAIT)
    assert access_key in view.banner.text() or "taken" in view.banner.text()
    assert view.secret_dialog is None


def test_rename_key(keys_view, qtbot, session, forget_keys):
    view, user = keys_view, unique_user()
    created = session.admin.create_credential(user_name=user)
    forget_keys.append(created["id"])
    view.refresh()
    load_all(view, qtbot)
    qtbot.waitUntil(lambda: view.model.find(created["id"]) >= 0, timeout=WAIT)
    assert view.select_key(created["id"])

    view.rename_action.trigger()
    dialog = view.rename_dialog
    assert dialog.name_edit.text() == user
    assert not dialog.buttons.button(OK).isEnabled()      # unchanged
    dialog.name_edit.setText("bad name")
    assert not dialog.buttons.button(OK).isEnabled()
    new_name = unique_user("renamed")
    dialog.name_edit.setText(new_name)
    dialog.buttons.button(OK).click()
    wait_for_row(view, qtbot, created["id"], user_name=new_name)
    assert session.admin.get_credential(created["id"])["user_name"] == new_name
    qtbot.waitUntil(lambda: view.detail.fields["User"].text() == new_name, timeout=WAIT)


def test_delete_key_asks_first(keys_view, qtbot, session, forget_keys, answer_dialog):
    view = keys_view
    created = session.admin.create_credential(user_name=unique_user())
    forget_keys.append(created["id"])
    view.refresh()
    load_all(view, qtbot)
    qtbot.waitUntil(lambda: view.model.find(created["id"]) >= 0, timeout=WAIT)
    view.select_key(created["id"])

    answer_dialog("Cancel")
    view.delete_action.trigger()
    assert view.model.find(created["id"]) >= 0
    assert session.admin.get_credential(created["id"])["id"] == created["id"]

    answer_dialog("Delete")
    view.delete_action.trigger()
    qtbot.waitUntil(lambda: view.model.find(created["id"]) < 0, timeout=WAIT)
    with pytest.raises(AdminApiError) as caught:
        session.admin.get_credential(created["id"])
    assert caught.value.code == "no_such_credential"
    selected = view.selected_key()          # Qt moves the selection to a neighbour
    assert selected is None or selected["id"] != created["id"]


def test_root_key_is_protected(keys_view, qtbot, session):
    view = keys_view
    root = next(row for row in session.admin.iter_credentials() if row["is_root"])
    assert view.select_key(root["id"])
    assert view.model.row(view.model.find(root["id"]))["access_key"] == ROOT_ACCESS_KEY
    for action in (view.toggle_action, view.rename_action, view.delete_action):
        assert not action.isEnabled()
        assert action.toolTip() == ROOT_PROTECTED
    button = view.toolbar.findChild(type(view.toolbar.widgetForAction(view.delete_action)),
                                    "deleteKeyButton")
    assert not button.isEnabled() and button.toolTip() == ROOT_PROTECTED
    view.delete_action.trigger()            # disabled: nothing happens, no dialog
    view.toggle_selected()                  # and the slot itself refuses too
    assert session.admin.get_credential(root["id"])["is_active"]
    view.table.clearSelection()
    assert view.delete_action.toolTip().startswith("Delete the selected key")


def test_key_detail_lists_its_users_buckets_and_refusal_is_shown(
        keys_view, qtbot, gui_ramod, session, forget_keys, answer_dialog, screenshot):
    """The side panel lists the buckets of the key's user with counts and sizes; deleting a
    user's last key while it owns buckets is refused, with the server's reason."""
    view, user = keys_view, unique_user("owner")
    created = session.admin.create_credential(user_name=user, rate_limit=50)
    forget_keys.append(created["id"])
    client = no_retry_client(gui_ramod, access_key=created["access_key"],
                             secret_key=created["secret_key"])
    full, empty = unique_bucket_name("gui-kb"), unique_bucket_name("gui-kb")
    for name in (full, empty):
        client.create_bucket(Bucket=name)
    client.put_object(Bucket=full, Key="a.txt", Body=b"x" * 1500)
    client.put_object(Bucket=full, Key="b/c.txt", Body=b"y" * 25)

    view.refresh()
    load_all(view, qtbot)
    qtbot.waitUntil(lambda: view.model.find(created["id"]) >= 0, timeout=WAIT)
    view.select_key(created["id"])
    qtbot.waitUntil(lambda: view.detail.buckets.rowCount() == 2, timeout=WAIT)
    rows = {view.detail.buckets.row(i)["name"]: view.detail.buckets.row(i) for i in range(2)}
    assert rows[full]["object_count"] == 2 and rows[full]["total_size"] == 1525
    assert rows[empty]["object_count"] == 0 and rows[empty]["total_size"] == 0
    fields = view.detail.fields
    assert fields["User"].text() == user and fields["Buckets"].text() == "2"
    assert fields["Access key"].text() == created["access_key"]
    assert fields["Rate limit"].text() == "50/s" and fields["Status"].text() == "Enabled"
    table = view.detail.buckets_table
    shown = {table.model().index(r, 0).data(): table.model().index(r, 3).data()
             for r in range(table.model().rowCount())}
    assert shown == {full: "1.5 kB", empty: "0 B"}
    screenshot(view, "keys")
    view.filter_edit.setText(user.upper())
    assert view.proxy.rowCount() == 1
    assert view.selected_key()["id"] == created["id"] and fields["Buckets"].text() == "2"
    view.filter_edit.clear()

    answer_dialog("Delete")
    view.delete_action.trigger()
    qtbot.waitUntil(view.banner.isVisible, timeout=WAIT)
    assert "last key" in view.banner.text() and "2 bucket" in view.banner.text()
    assert view.model.find(created["id"]) >= 0


def test_keys_come_page_by_page(qtbot, runner, session, forget_keys):
    """With 2 keys a page, every key is reachable through Load more."""
    for _ in range(3):
        forget_keys.append(session.admin.create_credential(user_name=unique_user())["id"])
    expected = [row["id"] for row in session.admin.iter_credentials()]
    view = connect_view(qtbot, add_view(qtbot, KeysView(runner, page_size=2)), session)
    assert view.model.rowCount() == 2 and view.next_cursor
    assert view.load_more_action.isEnabled() and "more on the server" in view.count_label.text()
    pages = 1
    while view.next_cursor:
        load_more(view, qtbot)
        pages += 1
        assert view.model.rowCount() <= 2 * pages
    assert [view.model.row(i)["id"] for i in range(view.model.rowCount())] == expected
    assert not view.load_more_action.isEnabled()
    assert view.count_label.text() == f"{len(expected)} keys loaded"


def test_disconnected_view_is_empty(keys_view):
    keys_view.set_session(None)
    assert keys_view.model.rowCount() == 0 and keys_view.count_label.text() == ""
    assert not keys_view.new_action.isEnabled() and not keys_view.refresh_action.isEnabled()
    keys_view.new_key()
    assert keys_view.new_key_dialog is None
