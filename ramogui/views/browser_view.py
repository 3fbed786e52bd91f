"""The object browser: one bucket's folders and objects, page by page, with every action on them.

Listings come from the management API a page at a time (``page_size`` entries, folders by
the ``/`` delimiter); more pages load when the user scrolls to the end or presses "Load
more", so a bucket of millions of keys is never listed whole.  The search box narrows the
listing on the server (a key prefix under the current folder).  Uploads and downloads go
to the ``TransferQueue``.  Refresh (F5, and by itself after uploads, deletes and new
folders) lists again as many pages as were shown and keeps the selection and the scroll
position; opening a folder or searching starts from the first page.
"""

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QSplitter, QToolBar, QVBoxLayout, QWidget)

from ramogui.client.bulk import delete_entries
from ramogui.client.errors import describe
from ramogui.client.listing import first_pages
from ramogui.models.objects_model import (MODIFIED, NAME, SIZE, TYPE, Entry, ObjectsModel,
                                          ObjectsSortProxy, entries_from_page)
from ramogui.views.breadcrumbs import Breadcrumbs
from ramogui.views.common import ErrorBanner, confirm, filter_edit, make_action, make_button
from ramogui.views.object_info import ObjectInfoPanel
from ramogui.views.object_table import ObjectTable
from ramogui.views.replace_question import ask_replace
from ramogui.views.share_dialog import ShareDialog

PAGE_SIZE = 1000
SEARCH_DELAY_MS = 300
REFRESH_AFTER_UPLOAD_MS = 800


class BrowserView(QWidget):
    """Folders and objects of one bucket.

    :param transfers: the app's ``TransferQueue`` (uploads and downloads).
    :param page_size: entries per listing request (1..1000).
    """

    status_message = Signal(str)
    listing_loaded = Signal()             # a page arrived and is shown
    link_created = Signal(dict)           # a share link was made (the PresignedUrl)

    def __init__(self, runner, transfers, parent: QWidget | None = None, *,
                 page_size: int = PAGE_SIZE):
        super().__init__(parent)
        self.runner, self.transfers, self.page_size = runner, transfers, page_size
        self.session = None
        self.bucket, self.prefix = "", ""
        self.next_cursor: str | None = None
        self.pages_loaded = 0
        self._listing_job = self._info_job = None
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self._upload_refresh = QTimer(self, singleShot=True, interval=REFRESH_AFTER_UPLOAD_MS)
        self._upload_refresh.timeout.connect(self.refresh)
        transfers.upload_done.connect(self._uploaded)
        self._update_actions()

    # -- layout ------------------------------------------------------------

    def _build(self) -> None:
        self.error = ErrorBanner(self)
        self.breadcrumbs = Breadcrumbs(self)
        self.breadcrumbs.prefix_chosen.connect(self.set_prefix)
        self.search = filter_edit(self, "searchField", "Search by name prefix",
                                  "Search names starting with… (Ctrl+F)",
                                  "Lists only names in this folder that start with this text "
                                  "(searched on the server)", min_width=0)
        self.search.textChanged.connect(self._search_changed)

        self.toolbar = QToolBar("Object actions", self)
        self.toolbar.setAccessibleName("Object actions")
        self.action_up = self._action("Up", "Go to the parent folder", "Alt+Up", self.go_up)
        self.action_refresh = self._action(
            "Refresh", "List this folder again, as far as it is loaded", "F5", self.refresh)
        self.toolbar.addSeparator()
        self.action_upload = self._action("Upload files…", "Upload files into this folder",
                                          "Ctrl+U", self.choose_files_to_upload)
        self.action_upload_folder = self._action(
            "Upload folder…", "Upload a whole folder into this folder", "Ctrl+Shift+U",
            self.choose_folder_to_upload)
        self.action_new_folder = self._action("New folder…", "Create a folder here",
                                              "Ctrl+Shift+N", self.ask_new_folder)
        self.toolbar.addSeparator()
        self.action_download = self._action("Download…", "Download the selection to a folder",
                                            "Ctrl+D", self.download_selected)
        self.action_share = self._action("Share link…", "Make a link to the selected object",
                                         "Ctrl+L", self.share_selected)
        self.action_delete = self._action("Delete", "Delete the selected objects and folders",
                                          QKeySequence.StandardKey.Delete, self.delete_selected)

        self.model = ObjectsModel(self)
        self.proxy = ObjectsSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = ObjectTable(self)
        self.table.setObjectName("objectTable")
        self.table.setModel(self.proxy)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()       # widths from samples: a million rows can't be measured
        for column, sample in ((SIZE, "999.9 MB"), (MODIFIED, "2026-11-22 00:00:00"),
                               (TYPE, "application/octet-stream")):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 24)
        self.table.activated.connect(self._activated)
        self.table.files_dropped.connect(self.upload_paths)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.info = ObjectInfoPanel(self)
        self.info.setObjectName("objectInfo")
        splitter = QSplitter(self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.info)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.footer = QLabel(self)
        self.footer.setTextFormat(Qt.TextFormat.PlainText)
        self.footer.setObjectName("listingStatus")
        self.footer.setAccessibleName("Listing status")
        self.load_more_button = make_button(self, "Load more", "loadMoreButton",
                                            "Load the next page of the listing",
                                            "Fetch the next page of this folder from the server",
                                            self.load_more)

        top = QHBoxLayout()
        top.addWidget(self.breadcrumbs, 1)
        top.addWidget(self.search)
        bottom = QHBoxLayout()
        bottom.addWidget(self.footer, 1)
        bottom.addWidget(self.load_more_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(top)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _action(self, text, tip, shortcut, slot) -> QAction:
        action = make_action(self, text, tip, slot, shortcut)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        if button is not None:
            button.setAccessibleName(text.rstrip("…"))
        return action

    # -- where we are --------------------------------------------------------

    def set_session(self, session) -> None:
        self.session = session
        self.open_bucket("")

    def open_bucket(self, bucket: str) -> None:
        self.bucket = bucket
        self.set_prefix("")

    def set_prefix(self, prefix: str) -> None:
        """Show folder ``prefix`` (a search applies to the folder it was typed in: cleared)."""
        self.prefix = prefix
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.breadcrumbs.set_location(self.bucket, prefix)
        self.reload()

    def go_up(self) -> None:
        if self.prefix:
            self.set_prefix(self.prefix[:-1].rpartition("/")[0] + "/"
                            if "/" in self.prefix[:-1] else "")

    def refresh(self) -> None:
        """List the current folder again as far as it was loaded (the same number of pages),
        then show it keeping the selection and the scroll position."""
        if (self.session is None or not self.bucket or self.pages_loaded == 0
                or self._search_timer.isActive()):
            self.reload()
            return
        self._upload_refresh.stop()
        self.error.clear_error()
        if self._listing_job is not None:
            self._listing_job.discard()
        self._listing_job = self.runner.call(
            first_pages, self.session.admin, self.bucket, self._list_prefix(),
            limit=self.page_size, pages=self.pages_loaded,
            on_done=self._refreshed, on_error=self._listing_failed)
        self._update_actions()

    def _refreshed(self, pages: list[dict]) -> None:
        self._listing_job = None
        selected = {entry.key for entry in self.selected_entries()}
        current = self.proxy.mapToSource(self.table.currentIndex())
        current_key = self.model.entry(current.row()).key if current.isValid() else None
        scrolled = self.table.verticalScrollBar().value()
        self.model.set_rows([entry for page in pages
                             for entry in entries_from_page(page, self.prefix)])
        self.pages_loaded, self.next_cursor = len(pages), pages[-1].get("next_cursor")
        self._select_keys(selected, current_key)
        self.table.verticalScrollBar().setValue(scrolled)
        self._update_footer()
        self._update_actions()
        self.listing_loaded.emit()

    def _select_keys(self, keys: set[str], current_key: str | None) -> None:
        """Select the rows of ``keys`` that are still listed; ``current_key``'s row becomes
        the current one (without scrolling to it)."""
        selection = QItemSelection()
        flags = QItemSelectionModel.SelectionFlag
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            key = self.model.entry(self.proxy.mapToSource(index).row()).key
            if key == current_key:
                self.table.selectionModel().setCurrentIndex(index, flags.NoUpdate)
            if key in keys:
                selection.select(index, index)
        if not selection.isEmpty():
            self.table.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)

    # -- listing -------------------------------------------------------------

    def reload(self) -> None:
        """List the current folder again from its first page."""
        self._search_timer.stop()
        self._upload_refresh.stop()
        self.error.clear_error()
        self.model.set_rows([])
        self.info.clear()
        self.next_cursor, self.pages_loaded = None, 0
        if self._listing_job is not None:
            self._listing_job.discard()
            self._listing_job = None
        if self._info_job is not None:
            self._info_job.discard()
            self._info_job = None
        if self.session is None or not self.bucket:
            self.footer.setText("Choose a bucket to browse." if self.session else "Not connected.")
            self._update_actions()
            return
        self._fetch(None)

    def _search_changed(self, _text: str) -> None:
        """A new search: the cursor of the old one must not be followed; list after a pause."""
        self.next_cursor = None
        self._update_actions()
        self._search_timer.start()

    def load_more(self) -> None:
        if self.next_cursor and self._listing_job is None:
            self._fetch(self.next_cursor)

    def _list_prefix(self) -> str:
        """The key prefix listed: the folder, and what the search box holds."""
        return self.prefix + self.search.text()

    def _fetch(self, cursor: str | None) -> None:
        list_prefix = self._list_prefix()
        self.footer.setText(f"Loading {list_prefix or 'the top level'}…")
        self._listing_job = self.runner.call(
            self.session.admin.list_objects, self.bucket, prefix=list_prefix or None,
            delimiter="/", limit=self.page_size, cursor=cursor,
            on_done=self._page_arrived, on_error=self._listing_failed)
        self._update_actions()

    def _page_arrived(self, page: dict) -> None:
        self._listing_job = None
        self.pages_loaded += 1
        self.next_cursor = page.get("next_cursor")
        self.model.append_rows(entries_from_page(page, self.prefix))
        self._update_footer()
        self._update_actions()
        self.listing_loaded.emit()

    def _listing_failed(self, exc: BaseException) -> None:
        self._listing_job = None
        self.error.show_error(f"Cannot list {self.bucket}/{self.prefix}: {describe(exc)}")
        self.footer.setText("")
        self._update_actions()

    def _update_footer(self) -> None:
        count = self.model.rowCount()
        text = f"{count:,} item{'s' if count != 1 else ''} shown"
        if self.search.text():
            text += f" starting with “{self.search.text()}”"
        text += (" · more on the server: scroll down or press Load more" if self.next_cursor
                 else " · end of the listing")
        self.footer.setText(text)

    def _scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if value >= bar.maximum() - 2 and bar.maximum() > 0:
            self.load_more()

    # -- selection -----------------------------------------------------------

    def selected_entries(self) -> list[Entry]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.entry(self.proxy.mapToSource(index).row()) for index in rows]

    def _selection_changed(self, *_args) -> None:
        self._update_actions()
        entries = self.selected_entries()
        if self._info_job is not None:
            self._info_job.discard()
            self._info_job = None
        if len(entries) != 1 or entries[0].is_folder:
            self.info.clear(f"{len(entries)} selected." if len(entries) > 1 else
                            "Select an object to see its details.")
            return
        self.info.clear("Loading details…")
        self._info_job = self.runner.call(
            self.session.admin.get_object, self.bucket, entries[0].key,
            on_done=self._info_arrived, on_error=self._info_failed)

    def _info_arrived(self, info: dict) -> None:
        self._info_job = None
        self.info.show_object(info)

    def _info_failed(self, exc: BaseException) -> None:
        self._info_job = None
        self.info.clear(f"Cannot load the details: {describe(exc)}")

    def _activated(self, index) -> None:
        entry = self.model.entry(self.proxy.mapToSource(index).row())
        if entry.is_folder:
            self.set_prefix(entry.key)

    def _update_actions(self) -> None:
        ready = self.session is not None and bool(self.bucket)
        entries = self.selected_entries() if ready else []
        for action in (self.action_refresh, self.action_upload, self.action_upload_folder,
                       self.action_new_folder):
            action.setEnabled(ready)
        self.action_up.setEnabled(ready and bool(self.prefix))
        self.action_download.setEnabled(bool(entries))
        self.action_delete.setEnabled(bool(entries))
        self.action_share.setEnabled(len(entries) == 1 and not entries[0].is_folder)
        self.load_more_button.setEnabled(bool(self.next_cursor) and self._listing_job is None)
        self.load_more_button.setVisible(bool(self.next_cursor))

    # -- actions -------------------------------------------------------------

    def upload_paths(self, paths: list[str]) -> None:
        """Upload local files and folders into the folder shown."""
        if self.session is None or not self.bucket:
            self.error.show_error("Open a bucket before uploading.")
            return
        prefix, where = self.prefix, f"{self.bucket}/{self.prefix}"
        self.transfers.add_uploads(
            paths, self.bucket, prefix, ask_replace=lambda existing, total: ask_replace(
                self, where, [key[len(prefix):] for key in existing], total))
        self.status_message.emit(f"Uploading {len(paths)} item(s) to {self.bucket}/{self.prefix}")

    def choose_files_to_upload(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Upload files")
        if paths:
            self.upload_paths(paths)

    def choose_folder_to_upload(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Upload a folder")
        if path:
            self.upload_paths([path])

    def download_selected(self, dest_dir: str | None = None) -> None:
        """Download the selected objects and folders into ``dest_dir`` (asked if not given)."""
        entries = self.selected_entries()
        if not entries:
            return
        if dest_dir is None:
            dest_dir = QFileDialog.getExistingDirectory(self, "Download to folder")
            if not dest_dir:
                return
        keys = [entry.key for entry in entries if not entry.is_folder]
        prefixes = [entry.key for entry in entries if entry.is_folder]
        self.transfers.add_downloads(self.bucket, keys, prefixes, dest_dir)
        self.status_message.emit(f"Downloading {len(entries)} item(s) to {dest_dir}")

    def share_selected(self) -> None:
        entries = self.selected_entries()
        if len(entries) == 1 and not entries[0].is_folder:
            dialog = ShareDialog(self.runner, self.session, self.bucket, entries[0].key, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.link_created.connect(self.link_created)
            dialog.open()

    def ask_new_folder(self) -> None:
        name, ok = QInputDialog.getText(self, "New folder", "Folder name:")
        if ok:
            self.create_folder(name)

    def create_folder(self, name: str) -> None:
        """An empty ``name/`` object, which S3 clients show as a folder."""
        name = name.strip().strip("/")
        if not name:
            self.error.show_error("A folder needs a name.")
            return
        self.runner.call(self.session.s3.put_object, self.bucket, f"{self.prefix}{name}/", b"",
                         on_done=lambda _etag: self.refresh(),
                         on_error=lambda exc: self.error.show_error(
                             f"Cannot create folder {name}: {describe(exc)}"))

    def delete_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        keys = [entry.key for entry in entries if not entry.is_folder]
        prefixes = [entry.key for entry in entries if entry.is_folder]
        what = []
        if keys:
            what.append(f"{len(keys)} object{'s' if len(keys) != 1 else ''}")
        if prefixes:
            what.append(f"{len(prefixes)} folder{'s' if len(prefixes) != 1 else ''} "
                        "with everything in them")
        if not confirm(self, "Delete", f"Delete {' and '.join(what)} from {self.bucket}? "
                       "This cannot be undone.", "Delete"):
            return
        self.status_message.emit(f"Deleting {' and '.join(what)}…")
        self.runner.call(delete_entries, self.session.admin, self.bucket, keys, prefixes,
                         on_done=self._deleted, on_error=lambda exc: self.error.show_error(
                             f"Delete failed: {describe(exc)}"))

    def _deleted(self, report) -> None:
        message = f"Deleted {report.deleted:,} object{'s' if report.deleted != 1 else ''}."
        if report.failed:
            first_key, first_reason = report.errors[0]
            self.error.show_error(f"{report.failed:,} could not be deleted, e.g. "
                                  f"{first_key}: {first_reason}")
        self.status_message.emit(message)
        self.refresh()

    def _uploaded(self, bucket: str, key: str) -> None:
        if bucket == self.bucket and key.startswith(self.prefix):
            self._upload_refresh.start()
