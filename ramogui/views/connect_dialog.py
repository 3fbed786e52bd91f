"""The connect dialog: the saved profiles on the left, the chosen one's form on the right,
a connection test that runs in the background, and Connect.

Edits are kept per profile while the dialog is open (an unsaved profile shows a ``*`` in the
list); Save or Connect writes the profile, its secrets and, for Connect, makes it the last
used one.  Reading and writing profiles goes through the runner like any network call: a
keyring daemon can take its time (or wait for an unlock prompt), and the dialog must not freeze
meanwhile; the profile controls are disabled while such a call is under way.
"""

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget)

from ramogui.client.connection_check import check_connection
from ramogui.client.errors import ClientError, describe
from ramogui.client.profile_store import (ProfileError, ProfileStore, SavedProfiles,
                                          check_profile)
from ramogui.client.profiles import DEFAULT_REGION, Profile, Secrets
from ramogui.client.session import Session
from ramogui.views.common import ErrorBanner, confirm
from ramogui.workers.runner import CallJob, Runner

DEFAULT_S3_URL = "http://127.0.0.1:9000"
DEFAULT_ADMIN_URL = "http://127.0.0.1:9001"
TEST_TIMEOUT = 10.0              # seconds per side for "Test connection"
GREEN, RED = "#15803d", "#b91c1c"
DARK_GREEN_RED = {GREEN: "#4ade80", RED: "#f87171"}       # readable on a dark palette


@dataclass
class _Entry:
    """A profile as the dialog holds it: ``saved_name`` is its name on disk (None: new)."""

    saved_name: str | None
    profile: Profile
    secrets: Secrets
    dirty: bool = False


def _test(profile: Profile, secrets: Secrets):
    """Worker: connect with a short timeout and check both sides."""
    return check_connection(Session(profile, secrets, timeout=TEST_TIMEOUT))


def _open_session(store: ProfileStore, profile: Profile, secrets: Secrets) -> Session:
    """Worker: remember ``profile`` as the last used one and make its session (which reads
    the CA file, if any)."""
    store.set_last_used(profile.name)
    return Session(profile, secrets)


def _buddy(text: str, field: QWidget) -> QLabel:
    """A form label whose ``&`` shortcut focuses ``field`` (a row holding a layout)."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


class ConnectDialog(QDialog):
    """Choose, edit and test a connection profile; ``exec()`` is Accepted after Connect, and
    then ``session()`` and ``profile()`` give what to work with.

    :param runner: runs the connection test off the GUI thread.
    :param store: where profiles and secrets are kept.
    """

    def __init__(self, runner: Runner, store: ProfileStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to a Ramo server")
        self.setMinimumSize(780, 480)
        self._runner, self._store = runner, store
        self._entries: list[_Entry] = []
        self._loading = False
        self._job: CallJob | None = None            # the connection test
        self._store_job: CallJob | None = None      # reading or writing profiles
        self._focus: QWidget | None = None           # where the focus was before it
        self._session: Session | None = None
        self._profile: Profile | None = None
        self._build()
        self._load()

    # -- results -----------------------------------------------------------

    def session(self) -> Session | None:
        """The session made by Connect (None before)."""
        return self._session

    def profile(self) -> Profile | None:
        """The profile connected with (None before Connect)."""
        return self._profile

    # -- layout ------------------------------------------------------------

    def _build(self) -> None:
        self.error_banner = ErrorBanner(self)
        self.error_banner.setObjectName("errorBanner")

        self.profile_list = QListWidget()
        self._name(self.profile_list, "profileList", "Connection profiles",
                   "The saved connection profiles; * marks unsaved changes")
        self.profile_list.currentRowChanged.connect(self._show_entry)
        self.add_button = self._button("Add", "addProfileButton", "Add profile",
                                       "Add a new connection profile (Ctrl+N)", self._add)
        self.duplicate_button = self._button(
            "Duplicate", "duplicateProfileButton", "Duplicate profile",
            "Make a copy of the selected profile", self._duplicate)
        self.delete_button = self._button("Delete", "deleteProfileButton", "Delete profile",
                                          "Delete the selected profile and its stored keys",
                                          self._delete)
        list_buttons = QHBoxLayout()
        for button in (self.add_button, self.duplicate_button, self.delete_button):
            list_buttons.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.profile_list, 1)
        left.addLayout(list_buttons)

        self.name_edit = self._edit("nameEdit", "Profile name", "A name for this server")
        self.s3_url_edit = self._edit("s3UrlEdit", "S3 endpoint",
                                      "The S3 address of ramod, e.g. http://127.0.0.1:9000")
        self.admin_url_edit = self._edit(
            "adminUrlEdit", "Management API URL",
            "The management API address of ramod, e.g. http://127.0.0.1:9001")
        self.admin_key_edit = self._edit(
            "adminKeyEdit", "Admin API key",
            "The admin API key: ramod prints it at start and keeps it in <data dir>/admin-api-key",
            secret=True)
        self.access_key_edit = self._edit("accessKeyEdit", "Access key",
                                          "The S3 access key transfers are signed with")
        self.secret_key_edit = self._edit("secretKeyEdit", "Secret key",
                                          "The secret key of the access key", secret=True)
        self.show_secrets_check = QCheckBox("Show keys")
        self._name(self.show_secrets_check, "showSecretsCheck", "Show keys",
                   "Show the admin API key and the secret key in clear")
        self.show_secrets_check.toggled.connect(self._show_secrets)
        self.region_edit = self._edit("regionEdit", "Region",
                                      "The region requests are signed for (ramod's --region)")
        self.verify_tls_check = QCheckBox("Verify TLS certificates")
        self._name(self.verify_tls_check, "verifyTlsCheck", "Verify TLS certificates",
                   "For https: refuse servers whose certificate is not trusted")
        self.verify_tls_check.toggled.connect(self._form_edited)
        self.cafile_edit = self._edit("caFileEdit", "CA file",
                                      "A PEM file of CA certificates to trust instead of the "
                                      "system's (optional)")
        self.cafile_edit.setPlaceholderText("System certificates")
        self.cafile_button = self._button("Browse…", "caFileButton", "Choose CA file",
                                          "Choose a PEM file of CA certificates", self._choose_ca)

        secret_row, ca_row = QHBoxLayout(), QHBoxLayout()
        secret_row.addWidget(self.secret_key_edit, 1)
        secret_row.addWidget(self.show_secrets_check)
        ca_row.addWidget(self.cafile_edit, 1)
        ca_row.addWidget(self.cafile_button)
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&S3 endpoint:", self.s3_url_edit)
        form.addRow("&Management API:", self.admin_url_edit)
        form.addRow("A&dmin API key:", self.admin_key_edit)
        form.addRow("&Access key:", self.access_key_edit)
        form.addRow(_buddy("S&ecret key:", self.secret_key_edit), secret_row)
        form.addRow("&Region:", self.region_edit)
        form.addRow("", self.verify_tls_check)
        form.addRow(_buddy("CA &file:", self.cafile_edit), ca_row)

        self.warning_label = QLabel()             # filled in once the store has been read
        self.warning_label.setObjectName("secretStorageWarning")
        self.warning_label.setAccessibleName("Secret storage warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("QLabel { background: #fef3c7; color: #78350f;"
                                         " padding: 6px; border-radius: 4px; }")
        self.warning_label.hide()
        self.result_label = QLabel()
        self.result_label.setObjectName("testResult")
        self.result_label.setAccessibleName("Connection test result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.test_button = self._button("&Test connection", "testButton", "Test connection",
                                        "Try the management API and S3 with these settings "
                                        "(Ctrl+T)", self._test)
        self.save_button = self._button("Sa&ve", "saveButton", "Save profile",
                                        "Save this profile and its keys (Ctrl+S)",
                                        self._save_current)
        self.connect_button = self._button("&Connect", "connectButton", "Connect",
                                           "Save this profile and connect with it",
                                           self._connect)
        self.connect_button.setDefault(True)
        self.cancel_button = self._button("Cancel", "cancelButton", "Cancel",
                                          "Close without connecting", self.reject)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        for button in (self.save_button, self.cancel_button, self.connect_button):
            actions.addWidget(button)

        right = QVBoxLayout()
        right.addWidget(self.form_box)
        right.addWidget(self.warning_label)
        right.addWidget(self.result_label)
        right.addStretch(1)
        right.addLayout(actions)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 3)
        outer = QVBoxLayout(self)
        outer.addWidget(self.error_banner)
        outer.addLayout(columns)

        for keys, slot in (("Ctrl+N", self._add), ("Ctrl+S", self._save_current),
                           ("Ctrl+T", self._test)):
            QShortcut(QKeySequence(keys), self, slot)
        QShortcut(QKeySequence.StandardKey.Delete, self.profile_list, self._delete,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def _name(self, widget: QWidget, object_name: str, accessible: str, tip: str) -> None:
        widget.setObjectName(object_name)
        widget.setAccessibleName(accessible)
        widget.setToolTip(tip)

    def _button(self, text, object_name, accessible, tip, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        self._name(button, object_name, accessible, tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _edit(self, object_name, accessible, tip, secret=False) -> QLineEdit:
        edit = QLineEdit()
        self._name(edit, object_name, accessible, tip)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.textEdited.connect(self._form_edited)
        return edit

    # -- profiles ----------------------------------------------------------

    def is_busy(self) -> bool:
        """Whether profiles are being read or written (their controls are disabled)."""
        return self._store_job is not None

    def _run_store(self, text: str, fn, *args, on_done, on_error=None) -> None:
        """Run a profile-store call off the GUI thread, the profile controls disabled."""
        self._result(text, None)
        self._set_store_controls(False)

        def done(result) -> None:
            self._store_job = None
            self._set_store_controls(True)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._store_job = None
            self._set_store_controls(True)
            (on_error or (lambda error: self._result(describe(error), RED)))(exc)

        self._store_job = self._runner.call(fn, *args, on_done=done, on_error=failed)

    def _set_store_controls(self, enabled: bool) -> None:
        if not enabled:
            self._focus = self.focusWidget()      # a disabled field loses the focus
        for widget in (self.profile_list, self.add_button, self.duplicate_button,
                       self.delete_button, self.save_button, self.connect_button, self.form_box):
            widget.setEnabled(enabled)
        if enabled and self._focus is not None and self._focus.isEnabled():
            self._focus.setFocus()

    def _load(self) -> None:
        self._run_store("Reading the saved profiles…", self._store.read_all,
                        on_done=self._loaded, on_error=self._load_failed)

    def _loaded(self, saved: SavedProfiles) -> None:
        self._result("", None)
        if saved.problems:
            self.error_banner.show_error(" ".join(saved.problems))
        self.warning_label.setText(saved.warning or "")
        self.warning_label.setVisible(bool(saved.warning))
        for profile, secrets in saved.profiles:
            self._entries.append(_Entry(profile.name, profile, secrets or Secrets("", "")))
            self.profile_list.addItem(profile.name)
        if not self._entries:
            self._add()
            return
        names = [entry.saved_name for entry in self._entries]
        last = saved.last_used
        self.profile_list.setCurrentRow(names.index(last) if last in names else 0)

    def _load_failed(self, exc: BaseException) -> None:
        self._result("", None)
        self.error_banner.show_error(f"Could not read the saved profiles: {describe(exc)}")
        self._add()

    def _current(self) -> _Entry | None:
        row = self.profile_list.currentRow()
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def _append(self, entry: _Entry) -> None:
        self._entries.append(entry)
        self.profile_list.addItem("")
        self._label(len(self._entries) - 1)
        self.profile_list.setCurrentRow(len(self._entries) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _label(self, row: int) -> None:
        entry, item = self._entries[row], self.profile_list.item(row)
        item.setText(entry.profile.name + (" *" if entry.dirty else ""))
        item.setToolTip("Unsaved changes" if entry.dirty else "")

    def _unique(self, base: str) -> str:
        taken = {entry.profile.name for entry in self._entries}
        name, number = base, 2
        while name in taken:
            name, number = f"{base} {number}", number + 1
        return name

    def _add(self) -> None:
        if self.is_busy():
            return
        profile = Profile(name=self._unique("New profile"), s3_url=DEFAULT_S3_URL,
                          admin_url=DEFAULT_ADMIN_URL, access_key="", region=DEFAULT_REGION)
        self._append(_Entry(None, profile, Secrets("", ""), dirty=True))

    def _duplicate(self) -> None:
        entry = self._current()
        if entry is not None:
            profile = dataclasses.replace(entry.profile,
                                          name=self._unique(f"{entry.profile.name} copy"))
            self._append(_Entry(None, profile, dataclasses.replace(entry.secrets), dirty=True))

    def _delete(self) -> None:
        entry = self._current()
        if self.is_busy() or entry is None or not confirm(
                self, "Delete profile", f"Delete the connection profile “{entry.profile.name}” "
                "and its stored keys?", "Delete"):
            return
        if entry.saved_name is None:
            self._forget(entry)
        else:
            self._run_store(f"Deleting “{entry.saved_name}”…", self._store.delete,
                            entry.saved_name, on_done=lambda _none: self._forget(entry))

    def _forget(self, entry: _Entry) -> None:
        """Take ``entry`` out of the list (deleted, or never saved)."""
        self._result("", None)
        row = self._entries.index(entry)
        del self._entries[row]
        self.profile_list.takeItem(row)
        if not self._entries:
            self._add()

    # -- the form ----------------------------------------------------------

    def _show_entry(self, row: int) -> None:
        if not 0 <= row < len(self._entries):
            return
        entry = self._entries[row]
        profile, secrets = entry.profile, entry.secrets
        self._loading = True
        for edit, text in ((self.name_edit, profile.name), (self.s3_url_edit, profile.s3_url),
                           (self.admin_url_edit, profile.admin_url),
                           (self.admin_key_edit, secrets.admin_key),
                           (self.access_key_edit, profile.access_key),
                           (self.secret_key_edit, secrets.secret_key),
                           (self.region_edit, profile.region),
                           (self.cafile_edit, profile.cafile or "")):
            edit.setText(text)
        self.verify_tls_check.setChecked(profile.verify_tls)
        self._loading = False
        self._result("", None)

    def _form_edited(self) -> None:
        entry = self._current()
        if self._loading or entry is None:
            return
        entry.profile, entry.secrets = self._form()
        entry.dirty = True
        self._label(self.profile_list.currentRow())

    def _form(self) -> tuple[Profile, Secrets]:
        """The form's content, not yet checked."""
        profile = Profile(name=self.name_edit.text(), s3_url=self.s3_url_edit.text(),
                          admin_url=self.admin_url_edit.text(),
                          access_key=self.access_key_edit.text(),
                          region=self.region_edit.text(),
                          verify_tls=self.verify_tls_check.isChecked(),
                          cafile=self.cafile_edit.text() or None)
        return profile, Secrets(admin_key=self.admin_key_edit.text(),
                                secret_key=self.secret_key_edit.text())

    def _checked_form(self) -> tuple[Profile, Secrets]:
        """The form's content cleaned up, or ``ProfileError`` saying what to fix."""
        profile, secrets = self._form()
        profile = check_profile(profile)
        if not secrets.admin_key:
            raise ProfileError("Enter the admin API key.")
        if not secrets.secret_key:
            raise ProfileError("Enter the secret key of the access key.")
        return profile, secrets

    def _show_secrets(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.admin_key_edit.setEchoMode(mode)
        self.secret_key_edit.setEchoMode(mode)

    def _choose_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a CA certificate file", self.cafile_edit.text(),
            "PEM certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.cafile_edit.setText(path)
            self._form_edited()

    def _result(self, text: str, color: str | None) -> None:
        if color and self.palette().window().color().lightness() < 128:
            color = DARK_GREEN_RED[color]
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"QLabel {{ color: {color}; }}" if color else "")

    # -- actions -----------------------------------------------------------

    def _save_current(self, then=None) -> None:
        """Write the shown profile and its secrets off the GUI thread; then call
        ``then(profile, secrets)`` if given (a failure is shown in red instead)."""
        entry = self._current()
        if self.is_busy() or entry is None:
            return
        try:
            profile, secrets = self._checked_form()
            others = {other.saved_name for other in self._entries if other is not entry}
            if profile.name in others:
                raise ProfileError(f"A profile named “{profile.name}” already exists.")
        except ClientError as exc:
            self._result(str(exc), RED)
            return
        self._run_store(f"Saving “{profile.name}”…", self._store.save_as, entry.saved_name,
                        profile, secrets,
                        on_done=lambda saved: self._saved(entry, saved, secrets, then))

    def _saved(self, entry: _Entry, profile: Profile, secrets: Secrets, then) -> None:
        entry.saved_name, entry.profile, entry.secrets, entry.dirty = (
            profile.name, profile, secrets, False)
        row = self._entries.index(entry)
        self._label(row)
        if row == self.profile_list.currentRow():
            self._show_entry(row)
        self._result(f"Profile “{profile.name}” saved.", GREEN)
        if then is not None:
            then(profile, secrets)

    def _test(self) -> None:
        if self._job is not None:
            return
        try:
            profile, secrets = self._checked_form()
        except ClientError as exc:
            self._result(str(exc), RED)
            return
        self._result("Testing the connection…", None)
        self.test_button.setEnabled(False)
        self._job = self._runner.call(_test, profile, secrets, on_done=self._tested,
                                      on_error=self._test_failed)

    def _tested(self, report) -> None:
        self._job = None
        self.test_button.setEnabled(True)
        self._result(report.summary(), GREEN)

    def _test_failed(self, exc: BaseException) -> None:
        self._job = None
        self.test_button.setEnabled(True)
        self._result(describe(exc), RED)

    def _connect(self) -> None:
        self._save_current(then=self._open)

    def _open(self, profile: Profile, secrets: Secrets) -> None:
        def opened(session: Session) -> None:
            self._session, self._profile = session, profile
            self.accept()
        self._run_store(f"Connecting with “{profile.name}”…", _open_session, self._store, profile,
                        secrets, on_done=opened)

    def done(self, result: int) -> None:
        for job in (self._job, self._store_job):
            if job is not None:
                job.discard()
        self._job = self._store_job = None
        super().done(result)
