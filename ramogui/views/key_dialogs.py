"""Dialogs of the access-keys view: new key, the secret shown once, rename.

They are opened with ``open()`` (window-modal, not blocking) and report by ``accepted``.
"""

import re

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ramogui.views.common import ok_cancel_buttons, problem_label

# The management API's rules (docs/management-api.md, POST /credentials).
USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
ACCESS_KEY = re.compile(r"[A-Za-z0-9]{16,128}")
MAX_RATE_LIMIT = 1_000_000


def user_name_problem(text: str) -> str:
    """Why ``text`` can't be a user name, ``""`` if it can."""
    if USER_NAME.fullmatch(text):
        return ""
    return "A user name has 1 to 64 letters, digits or . _ @ + -"


class NewKeyDialog(QDialog):
    """Asks for the optional user name, access key and rate limit of a new key."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newKeyDialog")
        self.setWindowTitle("New access key")
        self.user_edit = QLineEdit(objectName="newKeyUser")
        self.user_edit.setPlaceholderText("Default: the access key")
        self.user_edit.setAccessibleName("User name")
        self.user_edit.setToolTip("The user the key belongs to; keys of one user share its "
                                  "buckets. Letters, digits and . _ @ + -")
        self.access_edit = QLineEdit(objectName="newKeyAccessKey")
        self.access_edit.setPlaceholderText("Generated")
        self.access_edit.setAccessibleName("Access key")
        self.access_edit.setToolTip("16 to 128 letters and digits; leave empty to generate one")
        self.rate_spin = QDoubleSpinBox(objectName="newKeyRateLimit")
        self.rate_spin.setRange(0, MAX_RATE_LIMIT)
        self.rate_spin.setDecimals(1)
        self.rate_spin.setSpecialValueText("Unlimited")
        self.rate_spin.setSuffix(" requests/s")
        self.rate_spin.setAccessibleName("Rate limit")
        self.rate_spin.setToolTip("S3 requests per second allowed to this key; 0 for unlimited")
        self.hint = problem_label()
        self.buttons = ok_cancel_buttons(self, "Create")

        form = QFormLayout()
        form.addRow("&User name:", self.user_edit)
        form.addRow("&Access key:", self.access_edit)
        form.addRow("&Rate limit:", self.rate_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.user_edit.textChanged.connect(self._check)
        self.access_edit.textChanged.connect(self._check)
        self._check()

    def values(self) -> dict:
        """Keyword arguments of ``AdminClient.create_credential``."""
        rate = self.rate_spin.value()
        return {"user_name": self.user_edit.text().strip() or None,
                "access_key": self.access_edit.text().strip() or None,
                "rate_limit": rate or None}

    def _check(self) -> None:
        user, access = self.user_edit.text().strip(), self.access_edit.text().strip()
        problem = user_name_problem(user) if user else ""
        if not problem and access and not ACCESS_KEY.fullmatch(access):
            problem = "An access key has 16 to 128 letters and digits."
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)


class SecretDialog(QDialog):
    """The new key's access key and secret key, with Copy buttons; the only time the secret
    is ever shown."""

    def __init__(self, access_key: str, secret_key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("secretDialog")
        self.setWindowTitle("New access key: copy the secret key now")
        warning = QLabel("This is the only time the secret key is shown: it cannot be shown "
                         "again. Copy it now and keep it somewhere safe. If it is lost, create "
                         "a new key.", objectName="secretWarning")
        warning.setWordWrap(True)
        font = warning.font()
        font.setBold(True)
        warning.setFont(font)
        self.access_field = self._field(access_key, "accessKeyField", "Access key")
        self.secret_field = self._field(secret_key, "secretKeyField", "Secret key")
        self.copy_access_button = self._copy_button(self.access_field, "copyAccessKeyButton")
        self.copy_secret_button = self._copy_button(self.secret_field, "copySecretKeyButton")
        self.copied_label = QLabel(objectName="copiedLabel")
        self.copied_label.setAccessibleName("Copy result")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Access key:", _row(self.access_field, self.copy_access_button))
        form.addRow("Secret key:", _row(self.secret_field, self.copy_secret_button))
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addLayout(form)
        layout.addWidget(self.copied_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.finished.connect(self._forget)

    def _field(self, text: str, name: str, label: str) -> QLineEdit:
        field = QLineEdit(text, objectName=name)
        field.setReadOnly(True)
        field.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        field.setAccessibleName(label)
        field.setToolTip(f"The {label.lower()}, read-only; select it or use Copy")
        return field

    def _copy_button(self, field: QLineEdit, name: str) -> QPushButton:
        what = field.accessibleName().lower()
        button = QPushButton("Copy", objectName=name)
        button.setAccessibleName(f"Copy the {what}")
        button.setToolTip(f"Put the {what} on the clipboard")
        button.clicked.connect(lambda: self._copy(field, what))
        return button

    def _copy(self, field: QLineEdit, what: str) -> None:
        QGuiApplication.clipboard().setText(field.text())
        self.copied_label.setText(f"The {what} is on the clipboard.")

    def _forget(self) -> None:
        """Drop the secret from the widgets once the dialog is closed."""
        self.secret_field.clear()


class RenameDialog(QDialog):
    """Asks for a key's new user name."""

    def __init__(self, user_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("renameKeyDialog")
        self.setWindowTitle("Rename user")
        self._old = user_name
        self.name_edit = QLineEdit(user_name, objectName="renameKeyUser")
        self.name_edit.selectAll()
        self.name_edit.setAccessibleName("New user name")
        self.name_edit.setToolTip("The buckets this key created move to the new user name")
        self.hint = problem_label()
        self.buttons = ok_cancel_buttons(self, "Rename")
        form = QFormLayout()
        form.addRow("&User name:", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def new_name(self) -> str:
        return self.name_edit.text().strip()

    def _check(self) -> None:
        name = self.new_name()
        problem = user_name_problem(name)
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            not problem and name != self._old)


def _row(field: QWidget, button: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return holder
