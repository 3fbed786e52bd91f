"""A bucket's multipart uploads in progress: list page by page, abort."""

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QToolButton, QVBoxLayout, QWidget)

from ramod.admin.client import AdminApiError
from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.models.uploads_model import UploadsModel
from ramogui.views.common import ErrorBanner, confirm, human_bytes, sorted_table
from ramogui.workers.runner import CallJob, Runner

PAGE_SIZE = 100


def abort_uploads(admin, bucket: str, uploads: list[dict]) -> tuple[list[str], list[str]]:
    """Worker side: abort each upload; ``(upload ids gone, failure sentences)``.  An upload
    the server no longer has counts as gone; an unreachable server stops the run."""
    gone, failures = [], []
    for upload in uploads:
        try:
            admin.abort_upload(bucket, upload["upload_id"])
        except AdminApiError as exc:
            if exc.code == "no_such_upload":
                gone.append(upload["upload_id"])
            else:
                failures.append(f"{upload['object_key']}: {describe(exc)}")
        except Exception as exc:  # noqa: BLE001 - reported; the rest would fail alike
            failures.append(describe(exc))
            break
        else:
            gone.append(upload["upload_id"])
    return gone, failures


class UploadsView(QWidget):
    """A table of one bucket's multipart uploads in progress (``set_bucket``).

    Shortcuts: F5 reload, Delete abort the selected uploads, Ctrl+F filter.
    """

    status_message = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("uploadsView")
        self._runner, self._session, self._bucket = runner, None, None
        self._list_job: CallJob | None = None
        self._abort_job: CallJob | None = None
        self._cursor: str | None = None

        self.model = UploadsModel(self)
        self.table = sorted_table(self.model, UploadsModel.KEY, "uploadsTable",
                                  "Multipart uploads in progress")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(UploadsModel.KEY, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self._proxy: QSortFilterProxyModel = self.table.model()
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.filter_edit = _filter_edit(self, "uploadsFilter", "Filter uploads",
                                        "Filter by key or user (Ctrl+F)",
                                        "Show only the loaded uploads whose key or initiator "
                                        "contains this text")
        self.filter_edit.textChanged.connect(self._proxy.setFilterFixedString)

        self._title = QLabel(self)
        self._title.setObjectName("uploadsTitle")
        self._banner = ErrorBanner(self)
        self._count = QLabel(self)
        self._count.setObjectName("uploadsCount")
        buttons = QHBoxLayout()
        buttons.addWidget(self._title, 1)
        self.refresh_action = self._action("&Refresh", "Reload the uploads from the server",
                                           QKeySequence.StandardKey.Refresh, self.refresh,
                                           "uploadsRefresh", buttons)
        self.abort_action = self._action("&Abort", "Abort the selected uploads and free their "
                                         "parts", QKeySequence.StandardKey.Delete,
                                         self.abort_selected, "uploadsAbort", buttons)
        self.more_action = self._action("Load &more", "Fetch the next page of uploads", None,
                                        self.load_more, "uploadsLoadMore", buttons)
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
        """Whether a page or an abort is under way."""
        return self._list_job is not None or self._abort_job is not None

    def set_session(self, session: Session | None) -> None:
        """Use ``session`` (and reload); ``None`` clears the view."""
        self._cancel()
        self._session = session
        self._banner.clear_error()
        self.model.set_rows([])
        self._cursor = None
        self._show_count()
        if session is not None:
            self.refresh()
        self._update_actions()

    def set_bucket(self, name: str | None) -> None:
        """Show the uploads of bucket ``name`` (``None``: none) and reload."""
        self._cancel()
        self._bucket = name
        self._banner.clear_error()
        self.model.set_rows([])
        self._cursor = None
        self._show_title()
        self._show_count()
        self.refresh()

    def refresh(self) -> None:
        """Reload the first page."""
        if self._session is None or not self._bucket:
            self._update_actions()
            return
        self._cancel_listing()
        self._request(None)

    def load_more(self) -> None:
        """Fetch the page after the ones shown."""
        if self._session is not None and self._cursor and self._list_job is None:
            self._request(self._cursor)

    def selected_uploads(self) -> list[dict]:
        """The Uploads of the selected rows, top to bottom."""
        rows = sorted(self._proxy.mapToSource(index).row()
                      for index in self.table.selectionModel().selectedRows())
        return [self.model.row(row) for row in rows]

    def abort_selected(self) -> None:
        """Ask, then abort the selected uploads."""
        uploads = self.selected_uploads()
        if not uploads or self._session is None or self._abort_job is not None:
            return
        size = human_bytes(sum(upload.get("total_size", 0) for upload in uploads))
        what = (f"the upload of “{uploads[0]['object_key']}”" if len(uploads) == 1
                else f"{len(uploads)} uploads")
        if not confirm(self, "Abort uploads", f"Abort {what}? The parts sent so far ({size}) "
                       "are deleted; an aborted upload cannot be completed.", "Abort"):
            return
        self._abort_job = self._runner.call(abort_uploads, self._session.admin, self._bucket,
                                            uploads, on_done=self._aborted,
                                            on_error=self._abort_failed)
        self._update_actions()

    def _request(self, cursor: str | None) -> None:
        self._count.setText("Loading…")
        self._list_job = self._runner.call(
            self._session.admin.list_uploads, self._bucket, limit=PAGE_SIZE, cursor=cursor,
            on_done=lambda page: self._loaded(page, first=cursor is None),
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
        self.status_message.emit(f"{self.model.rowCount()} uploads in progress in {self._bucket}")

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._show_count()
        self._banner.show_error(f"Could not list the uploads of {self._bucket}: {describe(exc)}")
        self._update_actions()

    def _aborted(self, outcome: tuple[list[str], list[str]]) -> None:
        self._abort_job = None
        gone, failures = outcome
        self.model.remove_ids(gone)
        self._show_count()
        if failures:
            self._banner.show_error("Could not abort: " + "; ".join(failures))
        self.status_message.emit(f"Aborted {len(gone)} upload{'s' * (len(gone) != 1)}")
        self._update_actions()

    def _abort_failed(self, exc: BaseException) -> None:
        self._abort_job = None
        self._banner.show_error(f"Could not abort: {describe(exc)}")
        self._update_actions()

    def _cancel_listing(self) -> None:
        if self._list_job is not None:
            self._list_job.discard()
            self._list_job = None

    def _cancel(self) -> None:
        self._cancel_listing()
        if self._abort_job is not None:
            self._abort_job.discard()
            self._abort_job = None

    def _show_title(self) -> None:
        self._title.setText(f"Uploads in progress in bucket {self._bucket}" if self._bucket
                            else "Uploads in progress (choose a bucket)")

    def _show_count(self) -> None:
        count = self.model.rowCount()
        if not self._bucket:
            text = ""
        elif count == 0:
            text = "No uploads in progress"
        else:
            size = human_bytes(sum(self.model.row(i).get("total_size", 0) for i in range(count)))
            text = f"{count} upload{'s' * (count != 1)}, {size} of parts"
        self._count.setText(text + ("; more on the server (Load more)" if self._cursor else ""))

    def _update_actions(self) -> None:
        ready = self._session is not None and bool(self._bucket)
        selected = bool(self.table.selectionModel().selectedRows())
        self.refresh_action.setEnabled(ready)
        self.abort_action.setEnabled(ready and selected and self._abort_job is None)
        self.more_action.setEnabled(ready and bool(self._cursor) and self._list_job is None)

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
