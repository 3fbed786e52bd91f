"""The active share links (presigned URLs): list page by page, copy, revoke."""

from PySide6.QtCore import QEvent, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QToolButton, QVBoxLayout, QWidget)

from ramod.admin.client import AdminApiError
from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.models.links_model import LinksModel
from ramogui.views.common import ErrorBanner, confirm, sorted_table
from ramogui.workers.runner import CallJob, Runner

PAGE_SIZE = 100


def revoke_links(admin, links: list[dict]) -> tuple[list[int], list[str]]:
    """Worker side: revoke each link; ``(ids gone, failure sentences)``.  A link the server
    no longer has counts as gone; an unreachable server stops the run."""
    gone, failures = [], []
    for link in links:
        try:
            admin.revoke_presigned_url(link["id"])
        except AdminApiError as exc:
            if exc.status == 404:
                gone.append(link["id"])
            else:
                failures.append(f"{link['object_key']}: {describe(exc)}")
        except Exception as exc:  # noqa: BLE001 - reported; the rest would fail alike
            failures.append(describe(exc))
            break
        else:
            gone.append(link["id"])
    return gone, failures


class LinksView(QWidget):
    """A table of the active share links, of every bucket or of one (``set_bucket``).

    Shortcuts: F5 reload, Ctrl+C (or Enter, double-click) copy the current link, Delete
    revoke the selected links, Ctrl+F filter.
    """

    status_message = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("linksView")
        self._runner, self._session, self._bucket = runner, None, None
        self._list_job: CallJob | None = None
        self._revoke_job: CallJob | None = None
        self._cursor: str | None = None

        self.model = LinksModel(self)
        self.table = sorted_table(self.model, LinksModel.CREATED, "linksTable",
                                  "Active share links")
        self.table.sortByColumn(LinksModel.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSectionResizeMode(LinksModel.OBJECT,
                                                           QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Double-click or press Enter to copy a link")
        self._proxy: QSortFilterProxyModel = self.table.model()
        self.table.activated.connect(self.copy_url)
        self.table.installEventFilter(self)             # its own Ctrl+C copies one cell
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.filter_edit = _filter_edit(self, "linksFilter", "Filter links",
                                        "Filter by object or bucket (Ctrl+F)",
                                        "Show only the loaded links whose object or bucket "
                                        "contains this text")
        self.filter_edit.textChanged.connect(self._proxy.setFilterFixedString)

        self._title = QLabel(self)
        self._title.setObjectName("linksTitle")
        self._banner = ErrorBanner(self)
        self._count = QLabel(self)
        self._count.setObjectName("linksCount")
        buttons = QHBoxLayout()
        buttons.addWidget(self._title, 1)
        self.refresh_action = self._action("&Refresh", "Reload the links from the server",
                                           QKeySequence.StandardKey.Refresh, self.refresh,
                                           "linksRefresh", buttons)
        self.copy_action = self._action("&Copy link", "Copy the selected link to the clipboard",
                                        QKeySequence.StandardKey.Copy, self.copy_url,
                                        "linksCopy", buttons)
        self.revoke_action = self._action("Re&voke", "Revoke the selected links: they stop "
                                          "working at once", QKeySequence.StandardKey.Delete,
                                          self.revoke_selected, "linksRevoke", buttons)
        self.more_action = self._action("Load &more", "Fetch the next page of links", None,
                                        self.load_more, "linksLoadMore", buttons)
        buttons.addWidget(self.filter_edit)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self._banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._count)
        self._show_title()
        self._update_actions()

    @property
    def loading(self) -> bool:
        """Whether a page or a revocation is under way."""
        return self._list_job is not None or self._revoke_job is not None

    def set_session(self, session: Session | None) -> None:
        """Show ``session``'s links (and load them); ``None`` clears the view."""
        self._cancel()
        self._session = session
        self._banner.clear_error()
        self.model.set_rows([])
        self._cursor = None
        if session is not None:
            self.refresh()
        self._update_actions()

    def set_bucket(self, name: str | None) -> None:
        """List only the links of bucket ``name`` (``None``: of every bucket) and reload."""
        self._bucket = name
        self._show_title()
        self.refresh()

    def refresh(self) -> None:
        """Reload the first page."""
        if self._session is None:
            return
        self._cancel_listing()
        self._request(None)

    def load_more(self) -> None:
        """Fetch the page after the ones shown."""
        if self._session is not None and self._cursor and self._list_job is None:
            self._request(self._cursor)

    def selected_links(self) -> list[dict]:
        """The PresignedUrls of the selected rows, top to bottom."""
        rows = sorted(self._proxy.mapToSource(index).row()
                      for index in self.table.selectionModel().selectedRows())
        return [self.model.row(row) for row in rows]

    def copy_url(self) -> None:
        """Copy the current row's link to the clipboard."""
        index = self.table.currentIndex()
        if not index.isValid():
            return
        link = self.model.row(self._proxy.mapToSource(index).row())
        QGuiApplication.clipboard().setText(link["url"])
        self.status_message.emit(f"Copied the link to {link['object_key']}")

    def revoke_selected(self) -> None:
        """Ask, then revoke the selected links."""
        links = self.selected_links()
        if not links or self._session is None or self._revoke_job is not None:
            return
        what = (f"the link to “{links[0]['object_key']}”" if len(links) == 1
                else f"{len(links)} links")
        them = "it" if len(links) == 1 else "them"
        if not confirm(self, "Revoke share links", f"Revoke {what}? Anyone who has {them} "
                       "loses access at once.", "Revoke"):
            return
        self._revoke_job = self._runner.call(revoke_links, self._session.admin, links,
                                             on_done=self._revoked, on_error=self._revoke_failed)
        self._update_actions()

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and event.matches(QKeySequence.StandardKey.Copy)):
            self.copy_url()
            return True
        return super().eventFilter(watched, event)

    def _request(self, cursor: str | None) -> None:
        self._count.setText("Loading…")
        self._list_job = self._runner.call(
            self._session.admin.list_presigned_urls, bucket_name=self._bucket, limit=PAGE_SIZE,
            cursor=cursor, on_done=lambda page: self._loaded(page, first=cursor is None),
            on_error=self._list_failed)
        self._update_actions()

    def _loaded(self, page: dict, first: bool) -> None:
        self._list_job = None
        self._banner.clear_error()
        if first:
            self.model.set_rows(page.get("items", []))
        else:
            self.model.append_rows(page.get("items", []))
        self._cursor = page.get("next_cursor")
        self._show_count()
        self._update_actions()
        self.status_message.emit(f"{self.model.rowCount()} active share links")

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._show_count()
        self._banner.show_error(f"Could not list the share links: {describe(exc)}")
        self._update_actions()

    def _revoked(self, outcome: tuple[list[int], list[str]]) -> None:
        self._revoke_job = None
        gone, failures = outcome
        self.model.remove_ids(gone)
        self._show_count()
        if failures:
            self._banner.show_error("Could not revoke: " + "; ".join(failures))
        self.status_message.emit(f"Revoked {len(gone)} link{'s' * (len(gone) != 1)}")
        self._update_actions()

    def _revoke_failed(self, exc: BaseException) -> None:
        self._revoke_job = None
        self._banner.show_error(f"Could not revoke: {describe(exc)}")
        self._update_actions()

    def _cancel_listing(self) -> None:
        if self._list_job is not None:
            self._list_job.discard()
            self._list_job = None

    def _cancel(self) -> None:
        self._cancel_listing()
        if self._revoke_job is not None:
            self._revoke_job.discard()
            self._revoke_job = None

    def _show_title(self) -> None:
        self._title.setText("Active share links" + (f" of bucket {self._bucket}"
                                                    if self._bucket else ""))

    def _show_count(self) -> None:
        count = self.model.rowCount()
        text = "No active share links" if count == 0 else f"{count} link{'s' * (count != 1)}"
        self._count.setText(text + ("; more on the server (Load more)" if self._cursor else ""))

    def _update_actions(self) -> None:
        connected = self._session is not None
        selected = bool(self.table.selectionModel().selectedRows())
        self.refresh_action.setEnabled(connected)
        self.copy_action.setEnabled(self.table.currentIndex().isValid())
        self.revoke_action.setEnabled(connected and selected and self._revoke_job is None)
        self.more_action.setEnabled(connected and bool(self._cursor) and self._list_job is None)

    def _action(self, text, tip, shortcut, slot, name, row: QHBoxLayout) -> QAction:
        """An action of this view (shortcut while the focus is in it) and its button."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setObjectName(name)
        button.setAccessibleName(text.replace("&", ""))
        row.addWidget(button)
        return action


def _filter_edit(view: QWidget, name: str, label: str, placeholder: str, tip: str) -> QLineEdit:
    """A filter box for ``view``'s table, focused by Ctrl+F in the view."""
    edit = QLineEdit(view)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setAccessibleName(label)
    edit.setToolTip(tip)
    edit.setClearButtonEnabled(True)
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance(placeholder) + 40)
    find = QAction(view)
    find.setShortcut(QKeySequence.StandardKey.Find)
    find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    find.triggered.connect(edit.setFocus)
    view.addAction(find)
    return edit
