"""Helpers of the desktop-app tests: a file-manager drop, the names a browser shows."""

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from ramogui.models.objects_model import NAME


def drop(widget, paths):
    """Drag ``paths`` from a file manager onto ``widget``'s viewport and drop them there;
    ``(enter accepted, drop accepted)``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = widget.viewport()
    spot = QPointF(20, 20)
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(spot, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    move = QDragMoveEvent(spot, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, move)
    event = QDropEvent(spot, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, event)
    return enter.isAccepted(), event.isAccepted()


def names(browser):
    """The Name column of a ``BrowserView`` in display order."""
    return [browser.proxy.index(row, NAME).data() for row in range(browser.proxy.rowCount())]
