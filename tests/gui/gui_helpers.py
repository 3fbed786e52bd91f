"""Helpers of the desktop-app tests: a file-manager drop, the names a browser shows, a view's
error banner, selecting a row by its item, opening a view and paging through it."""

from PySide6.QtCore import QItemSelectionModel, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel

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
    enter = QDragEnterEvent(spot.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    move = QDragMoveEvent(spot.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, move)
    event = QDropEvent(spot, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, event)
    return enter.isAccepted(), event.isAccepted()


def names(browser):
    """The Name column of a ``BrowserView`` in display order."""
    return [browser.proxy.index(row, NAME).data() for row in range(browser.proxy.rowCount())]


def error_banner(widget) -> QLabel:
    """The ``ErrorBanner`` of a view or dialog."""
    return next(label for label in widget.findChildren(QLabel)
                if label.accessibleName() == "Error message")


def select_item(view, field: str, value) -> None:
    """Make the row of ``view.table`` whose item has ``field == value`` the current and only
    selected one."""
    proxy = view.table.model()
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if view.model.row(proxy.mapToSource(index).row())[field] == value:
            view.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            return
    raise AssertionError(f"no row with {field} {value!r}")


def load_more(view, qtbot, timeout: int = 10_000) -> None:
    """Trigger a buckets or keys view's Load more and wait until the page is in (a last
    page may be empty)."""
    view.load_more_action.trigger()
    assert not view.load_more_action.isEnabled()            # while it loads
    qtbot.waitUntil(lambda: view.load_more_action.isEnabled() or not view.next_cursor,
                    timeout=timeout)


def load_all(view, qtbot) -> None:
    """Load every page of a buckets or keys view."""
    while view.next_cursor:
        load_more(view, qtbot)


def add_view(qtbot, view, size: tuple[int, int] | None = None):
    """Hand ``view`` to ``qtbot`` (closed after the test), shown at ``size`` if given."""
    qtbot.addWidget(view)
    if size is not None:
        view.resize(*size)
        view.show()
    return view


def connect_view(qtbot, view, session, timeout: int = 10_000):
    """Connect a buckets or keys ``view`` to ``session`` and wait for its first page."""
    with qtbot.waitSignal(view.status_message, timeout=timeout):
        view.set_session(session)
    return view


def list_bucket(qtbot, view, session, bucket: str | None, timeout: int = 10_000):
    """Connect a links or uploads ``view`` to ``session``, show ``bucket`` and wait for the
    listing."""
    view.set_session(session)
    view.set_bucket(bucket)
    qtbot.waitUntil(lambda: not view.loading, timeout=timeout)
    return view
