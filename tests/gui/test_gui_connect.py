"""The connection test against a real ramod, each failure in words a person understands, and
the connect dialog that runs it."""

import dataclasses
import socket
import ssl
import time
import uuid

import pytest
from keyrings import RefusingOnceKeyring, SlowKeyring, installed
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QLineEdit
from ramod_process import REGION, admin_call

from ramogui.client.connection_check import check_connection, reason
from ramogui.client.errors import AccessRefused, ClientError, ConnectionFailed
from ramogui.client.profile_store import ProfileStore
from ramogui.client.profiles import Secrets
from ramogui.client.session import Session
from ramogui.views.connect_dialog import ConnectDialog


@pytest.fixture
def config(monkeypatch, tmp_path):
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def credential(gui_ramod):
    """A fresh (access key, secret key, id) of a user of its own."""
    access_key = "GUICONN" + uuid.uuid4().hex[:16].upper()
    status, body = admin_call(gui_ramod, "POST", "/credentials",
                              {"access_key": access_key, "secret_key": "gui-connect-secret-1"})
    assert status == 201, body
    return access_key, "gui-connect-secret-1", body["id"]


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure(profile, secrets, timeout=10, **changes) -> ClientError:
    session = Session(dataclasses.replace(profile, **changes), secrets, timeout=timeout)
    with pytest.raises(ClientError) as caught:
        check_connection(session)
    return caught.value


# -- check_connection ----------------------------------------------------------


def test_success_reports_figures(session, s3, bucket, gui_ramod):
    s3.put_object(Bucket=bucket, Key="one", Body=b"x" * 10)
    report = check_connection(session)
    _, stats = admin_call(gui_ramod, "GET", "/stats")
    assert report.buckets == len(s3.list_buckets()["Buckets"]) >= 1
    assert report.objects == stats["objects"] >= 1
    assert report.total_storage_human == stats["total_storage_human"]
    assert report.summary().startswith(f"Connected. Access key {session.profile.access_key} sees ")
    assert "in all." in report.summary()


def test_wrong_admin_key(profile):
    error = failure(profile, Secrets("not-the-admin-key", "ramo-test-root-secret-key/+0123456789"))
    assert isinstance(error, AccessRefused)
    assert str(error) == (
        f"The management API {profile.admin_url} refused the admin API key (401 Unauthorized). "
        "Check the key: ramod prints it when it starts and keeps it in <data dir>/admin-api-key.")


def test_unknown_access_key(profile, secrets):
    error = failure(profile, secrets, access_key="NOSUCHACCESSKEY00000")
    assert isinstance(error, AccessRefused)
    assert str(error) == (f"The S3 endpoint {profile.s3_url} does not know the access key "
                          "NOSUCHACCESSKEY00000. Check the access key.")


def test_wrong_secret_key(profile, secrets, credential):
    access_key, _, _ = credential
    error = failure(profile, Secrets(secrets.admin_key, "wrong-secret-key"), access_key=access_key)
    assert isinstance(error, AccessRefused)
    assert str(error) == (f"The S3 endpoint {profile.s3_url} refused the secret key: it does not "
                          f"belong to the access key {access_key}. Check the secret key.")


def test_disabled_key(profile, secrets, credential, gui_ramod):
    access_key, secret_key, credential_id = credential
    ok = Session(dataclasses.replace(profile, access_key=access_key),
                 Secrets(secrets.admin_key, secret_key))
    assert check_connection(ok).buckets == 0
    status, _ = admin_call(gui_ramod, "PATCH", f"/credentials/{credential_id}",
                           {"is_active": False})
    assert status == 200
    error = failure(profile, Secrets(secrets.admin_key, secret_key), access_key=access_key)
    assert isinstance(error, AccessRefused)
    assert str(error) == (f"The access key {access_key} is disabled, so the S3 endpoint "
                          f"{profile.s3_url} refuses it. Enable it, or use another key.")


def test_access_key_refused_without_admin_says_what_s3_said(profile, secrets):
    """With the management API refusing too, S3's own sentence is kept, after the admin's."""
    error = failure(profile, Secrets("wrong-admin", secrets.secret_key),
                    access_key="NOSUCHACCESSKEY00000")
    lines = str(error).split("\n")
    assert isinstance(error, AccessRefused) and len(lines) == 2
    assert lines[0].startswith(f"The management API {profile.admin_url} refused the admin")
    assert lines[1].startswith(f"The S3 endpoint {profile.s3_url}: S3 refused the access key "
                               "NOSUCHACCESSKEY00000")


def test_refused_port_on_each_side(profile, secrets):
    port = free_port()
    dead = f"http://127.0.0.1:{port}"
    error = failure(profile, secrets, s3_url=dead)
    assert isinstance(error, ConnectionFailed)
    assert str(error) == (f"Cannot connect to the S3 endpoint {dead}: connection refused. "
                          "Is ramod running, and listening on this port?")
    error = failure(profile, secrets, admin_url=dead)
    assert isinstance(error, ConnectionFailed)
    assert str(error) == (f"Cannot connect to the management API {dead}: connection refused. "
                          "Is ramod running, and listening on this port?")
    error = failure(profile, secrets, admin_url=dead, s3_url=dead)
    assert str(error).split("\n") == [
        f"Cannot connect to the management API {dead}: connection refused. "
        "Is ramod running, and listening on this port?",
        f"Cannot connect to the S3 endpoint {dead}: connection refused. "
        "Is ramod running, and listening on this port?"]


def test_tls_to_a_plain_http_port(profile, secrets, gui_ramod):
    """ramod answers a TLS hello on its plain port at once, so the error is immediate."""
    url = gui_ramod.endpoint.replace("http://", "https://")
    started = time.monotonic()
    error = failure(profile, secrets, timeout=20, s3_url=url)
    assert time.monotonic() - started < 5
    assert isinstance(error, ConnectionFailed)
    assert str(error) == (
        f"Cannot connect to the S3 endpoint {url}: TLS error (WRONG_VERSION_NUMBER). Does the "
        "server speak https on this port? If it is plain http, use an http:// URL.")


def test_tls_error_is_explained():
    """A plain-http server that answers the handshake with an HTTP error: a TLS error."""
    problem = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    problem.reason = "WRONG_VERSION_NUMBER"
    assert reason(problem, 10, "https://s3.example") == (
        "TLS error (WRONG_VERSION_NUMBER). Does the server speak https on this port? If it is "
        "plain http, use an http:// URL.")


def test_untrusted_certificate_is_explained():
    problem = ssl.SSLCertVerificationError(1, "certificate verify failed")
    problem.verify_message = "self-signed certificate"
    assert reason(problem, 10, "https://s3.example") == (
        "TLS certificate not trusted (self-signed certificate). Choose the CA file that signed "
        "the server's certificate, or turn off certificate verification if you trust this "
        "network.")


def test_endpoints_swapped(profile, secrets):
    """The management API's URL where S3's should be, and the other way round."""
    error = failure(profile, secrets, s3_url=profile.admin_url, admin_url=profile.s3_url)
    admin_line, s3_line = str(error).split("\n")
    assert admin_line.endswith("Is this really ramod's management API, and not its S3 endpoint?")
    assert s3_line.endswith("Is this really ramod's S3 endpoint, and not its management API?")


# -- the dialog ----------------------------------------------------------------


def fill(qtbot, dialog, profile, secrets, name="local ramod"):
    """Type a profile into the dialog's form."""
    for object_name, text in (("nameEdit", name), ("s3UrlEdit", profile.s3_url),
                              ("adminUrlEdit", profile.admin_url),
                              ("adminKeyEdit", secrets.admin_key),
                              ("accessKeyEdit", profile.access_key),
                              ("secretKeyEdit", secrets.secret_key), ("regionEdit", REGION)):
        field = dialog.findChild(QLineEdit, object_name)
        field.clear()
        qtbot.keyClicks(field, text)


def make_dialog(qtbot, runner, store=None):
    """The dialog, once it has read the saved profiles (in the background)."""
    dialog = ConnectDialog(runner, store or ProfileStore())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.is_busy())
    return dialog


def click(qtbot, button):
    """Click ``button`` and wait for the profile store call it starts (if any) to end."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not button.window().is_busy())


def test_dialog_defaults_for_a_first_profile(qtbot, runner, config):
    dialog = make_dialog(qtbot, runner)
    assert dialog.s3_url_edit.text() == "http://127.0.0.1:9000"
    assert dialog.admin_url_edit.text() == "http://127.0.0.1:9001"
    assert dialog.region_edit.text() == "us-east-1"
    assert dialog.verify_tls_check.isChecked()
    assert dialog.secret_key_edit.echoMode() == dialog.secret_key_edit.EchoMode.Password
    assert dialog.warning_label.isVisible()
    assert "plain text" in dialog.warning_label.text()
    assert dialog.profile_list.count() == 1


def test_dialog_test_then_connect(qtbot, runner, config, profile, secrets, screenshot):
    dialog = make_dialog(qtbot, runner)
    fill(qtbot, dialog, profile, secrets)
    dialog.show_secrets_check.setChecked(True)
    assert dialog.secret_key_edit.echoMode() == dialog.secret_key_edit.EchoMode.Normal
    dialog.show_secrets_check.setChecked(False)

    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert not dialog.test_button.isEnabled()                 # while the test runs
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("Connected."), timeout=15000)
    assert dialog.test_button.isEnabled()
    assert "#15803d" in dialog.result_label.styleSheet()       # green
    screenshot(dialog, "connect-dialog")

    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted)
    assert dialog.profile().name == "local ramod"
    assert dialog.session().admin.stats()["credentials"] >= 1
    assert dialog.session().s3.list_buckets() is not None
    store = ProfileStore()
    assert store.last_used == "local ramod"
    assert store.load_secrets("local ramod") == secrets


def test_dialog_shows_a_wrong_key_in_red(qtbot, runner, config, profile, secrets, screenshot):
    dialog = make_dialog(qtbot, runner)
    fill(qtbot, dialog, profile, Secrets("wrong-admin-key", secrets.secret_key))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refused the admin API key" in dialog.result_label.text(),
                    timeout=15000)
    assert "#b91c1c" in dialog.result_label.styleSheet()       # red
    screenshot(dialog, "connect-dialog-wrong-key")


def test_dialog_refuses_a_bad_url_before_testing(qtbot, runner, config, profile, secrets):
    dialog = make_dialog(qtbot, runner)
    fill(qtbot, dialog, profile, secrets)
    dialog.s3_url_edit.setText("127.0.0.1:9000")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert "must start with http:// or https://" in dialog.result_label.text()
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.session() is None


def test_dialog_manages_several_profiles(qtbot, runner, config, profile, secrets,
                                         answer_dialog):
    store = ProfileStore()
    store.save(dataclasses.replace(profile, name="first"), secrets)
    store.save(dataclasses.replace(profile, name="second", region="eu-west-1"), secrets)
    store.set_last_used("second")
    dialog = make_dialog(qtbot, runner, ProfileStore())
    assert [dialog.profile_list.item(i).text() for i in range(2)] == ["first", "second"]
    assert dialog.name_edit.text() == "second" and dialog.region_edit.text() == "eu-west-1"
    assert dialog.secret_key_edit.text() == secrets.secret_key

    qtbot.mouseClick(dialog.duplicate_button, Qt.MouseButton.LeftButton)
    assert dialog.name_edit.text() == "second copy"
    assert dialog.profile_list.currentItem().text() == "second copy *"
    click(qtbot, dialog.save_button)
    assert dialog.profile_list.currentItem().text() == "second copy"
    assert ProfileStore().load_secrets("second copy") == secrets

    dialog.name_edit.setText("renamed")                  # a rename of a saved profile
    click(qtbot, dialog.save_button)
    assert [p.name for p in ProfileStore().list()] == ["first", "second", "renamed"]

    dialog.profile_list.setCurrentRow(0)
    assert dialog.name_edit.text() == "first"
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.profile_list.setFocus()
    answer_dialog("Delete")
    qtbot.keyClick(dialog.profile_list, Qt.Key.Key_Delete)      # the Delete key asks first
    qtbot.waitUntil(lambda: not dialog.is_busy())
    assert dialog.profile_list.count() == 2
    assert [p.name for p in ProfileStore().list()] == ["second", "renamed"]
    assert ProfileStore().load_secrets("first") is None

    answer_dialog("Cancel")
    click(qtbot, dialog.delete_button)
    assert len(ProfileStore().list()) == 2 and dialog.profile_list.count() == 2

    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.s3_url_edit.text() == "http://127.0.0.1:9000"
    assert dialog.name_edit.text() == "New profile"
    assert dialog.profile_list.currentItem().text() == "New profile *"
    fill(qtbot, dialog, profile, secrets, name="renamed")
    click(qtbot, dialog.save_button)
    assert "“renamed” already exists" in dialog.result_label.text()


def test_dialog_survives_a_damaged_file(qtbot, runner, config):
    (config / "profiles.json").write_text("{oops")
    dialog = make_dialog(qtbot, runner)
    assert dialog.error_banner.isVisible() and "is damaged" in dialog.error_banner.text()
    assert dialog.profile_list.count() == 1                    # a new profile to fill in


def test_dialog_is_accessible(qtbot, runner, config):
    dialog = make_dialog(qtbot, runner)
    for widget in dialog.findChildren(QLineEdit) + dialog.findChildren(QAbstractButton):
        if widget.isVisible():
            assert widget.accessibleName(), widget.objectName()
            assert widget.toolTip(), widget.objectName()
            assert widget.objectName()


def test_dialog_reads_the_keyring_off_the_gui_thread(qtbot, runner, config, profile, secrets):
    with installed(SlowKeyring(delay=0.1)) as backend:
        ProfileStore().save(profile, secrets)
        ProfileStore().save(dataclasses.replace(profile, name="second"), secrets)
        backend.calls = 0
        ticks = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(dialog.is_busy()))
        timer.start(10)
        dialog = ConnectDialog(runner, ProfileStore())
        qtbot.addWidget(dialog)
        dialog.show()
        # Back at once: the keyring has not been asked anything yet, the form waits.
        assert backend.calls == 0 and dialog.is_busy()
        assert not dialog.form_box.isEnabled() and not dialog.connect_button.isEnabled()
        assert dialog.profile_list.count() == 0
        assert dialog.result_label.text() == "Reading the saved profiles…"
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=15_000)
        timer.stop()
        assert backend.calls >= 7                  # probe (3) + two fields of two profiles
        assert ticks.count(True) >= 10             # the event loop ran all along
        assert [dialog.profile_list.item(i).text() for i in range(2)] == ["test", "second"]
        assert dialog.form_box.isEnabled() and dialog.connect_button.isEnabled()
        assert dialog.secret_key_edit.text() == secrets.secret_key
        assert not dialog.warning_label.isVisible()          # a keyring: no plain-text warning

        dialog.name_edit.setText("renamed")
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        dialog.name_edit.setFocus()
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert dialog.is_busy() and not dialog.profile_list.isEnabled()
        assert not dialog.name_edit.isEnabled()
        assert dialog.result_label.text() == "Saving “renamed”…"
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=15_000)
        assert dialog.result_label.text() == "Profile “renamed” saved."
        assert dialog.focusWidget() is dialog.name_edit        # typing can go on
        assert [p.name for p in ProfileStore().list()] == ["renamed", "second"]


def test_dialog_shows_a_refused_save_and_saves_on_retry(qtbot, runner, config, profile,
                                                        secrets):
    with installed(RefusingOnceKeyring("renamed")):
        ProfileStore().save(profile, secrets)
        dialog = make_dialog(qtbot, runner)
        dialog.name_edit.clear()
        qtbot.keyClicks(dialog.name_edit, "renamed")           # typed: the entry is edited
        click(qtbot, dialog.save_button)
        assert "The desktop keyring refused" in dialog.result_label.text()
        assert "#b91c1c" in dialog.result_label.styleSheet()
        assert dialog.profile_list.currentItem().text() == "renamed *"   # still unsaved
        assert ProfileStore().load_secrets("test") == secrets           # nothing lost
        click(qtbot, dialog.save_button)
        assert dialog.result_label.text() == "Profile “renamed” saved."
        assert dialog.profile_list.currentItem().text() == "renamed"
        store = ProfileStore()
        assert [p.name for p in store.list()] == ["renamed"]
        assert store.load_secrets("renamed") == secrets and store.load_secrets("test") is None


def test_connect_with_a_bad_ca_file_says_so(qtbot, runner, config, profile, secrets,
                                                 tmp_path):
    dialog = make_dialog(qtbot, runner)
    fill(qtbot, dialog, profile, secrets)
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate")
    dialog.cafile_edit.setText(str(ca))
    dialog.s3_url_edit.setText(profile.s3_url.replace("http://", "https://"))
    click(qtbot, dialog.connect_button)
    assert dialog.isVisible() and dialog.session() is None
    assert "#b91c1c" in dialog.result_label.styleSheet()
    assert dialog.result_label.text() == (
        f"The CA file {ca} holds no usable PEM certificate (NO_CERTIFICATE_OR_CRL_FOUND).")
    assert dialog.connect_button.isEnabled()
