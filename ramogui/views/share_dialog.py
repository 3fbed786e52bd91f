"""Make a share link (a presigned GET URL) for one object, with an expiry the user picks."""

from html import escape

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget)

from ramoclient.limits import MAX_PRESIGN_SECONDS
from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.views.common import ErrorBanner, local_time, make_button
from ramogui.workers.runner import CallJob, Runner

UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400))
MIN_EXPIRY = 60                    # one minute
LIMITS_TEXT = "A link can last from 1 minute to 7 days."


class ShareDialog(QDialog):
    """Create a link that downloads ``bucket``/``key`` without credentials until it expires.

    The URL is copied to the clipboard as soon as it is made; ``link_created`` carries the
    management API's PresignedUrl (so a list of links can reload).
    """

    link_created = Signal(dict)

    def __init__(self, runner: Runner, session: Session, bucket: str, key: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shareDialog")
        self.setWindowTitle(f"Share {key}")
        self._runner, self._session, self.bucket, self.key = runner, session, bucket, key
        self._job: CallJob | None = None
        self._link: dict = {}

        what = QLabel(f"Anyone with the link can download <b>{escape(key)}</b> from bucket "
                      f"<b>{escape(bucket)}</b> until it expires.", self)
        what.setWordWrap(True)
        self._banner = ErrorBanner(self)

        self.amount = QSpinBox(self)
        self.amount.setObjectName("expiryAmount")
        self.amount.setRange(0, 99_999)
        self.amount.setValue(1)
        self.amount.setAccessibleName("Expires after")
        self.amount.setToolTip(f"How long the link works. {LIMITS_TEXT}")
        self.unit = QComboBox(self)
        self.unit.setObjectName("expiryUnit")
        for name, _ in UNITS:
            self.unit.addItem(name)
        self.unit.setCurrentText("hours")
        self.unit.setAccessibleName("Expiry unit")
        self.unit.setToolTip("Minutes, hours or days")
        self.create_button = make_button(self, "&Create link", "createLinkButton", "Create link",
                                         "Make the link and copy it to the clipboard",
                                         self.create)
        self.create_button.setDefault(True)
        expiry = QHBoxLayout()
        expiry.addWidget(self.amount)
        expiry.addWidget(self.unit)
        expiry.addWidget(self.create_button)
        expiry.addStretch(1)
        self._limits = QLabel(LIMITS_TEXT, self)
        self._limits.setObjectName("expiryLimits")

        self.url = QLineEdit(self)
        self.url.setObjectName("shareUrl")
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("The link appears here")
        self.url.setAccessibleName("Share link")
        self.url.setToolTip("The link; it is copied to the clipboard when made")
        self.copy_button = make_button(self, "C&opy", "copyUrlButton", "Copy link",
                                       "Copy the link to the clipboard", self.copy_url)
        self.copy_button.setEnabled(False)
        link_row = QHBoxLayout()
        link_row.addWidget(self.url, 1)
        link_row.addWidget(self.copy_button)
        self.expires = QLabel(self)
        self.expires.setObjectName("shareExpires")

        form = QFormLayout()
        form.addRow("Expires &after:", expiry)
        form.addRow("", self._limits)
        form.addRow("&Link:", link_row)
        form.addRow("", self.expires)
        form.labelForField(expiry).setBuddy(self.amount)
        form.labelForField(link_row).setBuddy(self.url)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")

        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(self._banner)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.amount.valueChanged.connect(self._validate)
        self.unit.currentIndexChanged.connect(self._validate)
        self.resize(620, self.sizeHint().height())

    def expires_in(self) -> int | None:
        """The chosen expiry in seconds, or ``None`` when it is out of bounds."""
        seconds = self._seconds()
        return seconds if MIN_EXPIRY <= seconds <= MAX_PRESIGN_SECONDS else None

    def create(self) -> None:
        """Ask the server for a link with the chosen expiry."""
        expires_in = self.expires_in()
        if expires_in is None or self._job is not None:
            self._validate()
            return
        self._banner.clear_error()
        self.create_button.setEnabled(False)
        self.expires.setText("Creating the link…")
        self._job = self._runner.call(self._session.admin.create_presigned_url, self.bucket,
                                      self.key, expires_in=expires_in,
                                      on_done=self._created, on_error=self._failed)

    def copy_url(self) -> None:
        """Put the link on the clipboard."""
        if self.url.text():
            QGuiApplication.clipboard().setText(self.url.text())
            self.expires.setText(self._expiry_text() + " Copied to the clipboard.")

    def done(self, result: int) -> None:
        if self._job is not None:
            self._job.discard()
            self._job = None
        super().done(result)

    def _created(self, link: dict) -> None:
        self._job = None
        self._link = link
        self.url.setText(link["url"])
        self.url.setCursorPosition(0)
        self.copy_button.setEnabled(True)
        self._validate()
        self.copy_url()
        self.link_created.emit(link)

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self.expires.clear()
        self._validate()
        self._banner.show_error(f"Could not create the link: {describe(exc)}")

    def _seconds(self) -> int:
        return self.amount.value() * dict(UNITS)[self.unit.currentText()]

    def _expiry_text(self) -> str:
        return f"Expires {local_time(self._link.get('expires_at'))}."

    def _validate(self) -> None:
        """Enable Create only for an expiry within the limits, and say why when not."""
        seconds = self._seconds()
        self.create_button.setEnabled(self.expires_in() is not None and self._job is None)
        if seconds < MIN_EXPIRY:
            self._banner.show_error(f"The link must last at least 1 minute. {LIMITS_TEXT}")
        elif seconds > MAX_PRESIGN_SECONDS:
            self._banner.show_error(f"The link can last at most 7 days. {LIMITS_TEXT}")
        else:
            self._banner.clear_error()
