"""Small pieces every view uses: the error banner, confirmations, times and sizes for people."""

import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from ramod.human import human_bytes

__all__ = ["ErrorBanner", "confirm", "human_bytes", "local_time", "parse_time"]


class ErrorBanner(QLabel):
    """A red line above a view's content saying what went wrong; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet("QLabel { background: #7f1d1d; color: white; padding: 6px;"
                           " border-radius: 4px; }")
        self.setAccessibleName("Error message")
        self.hide()

    def show_error(self, text: str) -> None:
        self.setText(text)
        self.show()

    def clear_error(self) -> None:
        self.clear()
        self.hide()


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask before something that cannot be undone; ``action`` names the button, e.g.
    ``"Delete"``.  The safe answer (Cancel) is the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel,
                      parent)
    go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmDialog")
    box.exec()
    return box.clickedButton() is go


def parse_time(text: str | None) -> datetime.datetime | None:
    """An ISO 8601 time of the management API (``2026-11-22T10:04:05Z``) as an aware datetime."""
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(text: str | None) -> str:
    """An API time shown in the computer's time zone, ``2026-11-22 11:04:05``; ``""`` if none."""
    moment = parse_time(text)
    if moment is None:
        return text or ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
