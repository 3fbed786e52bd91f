"""The server's buckets with their object counts and sizes: listed page by page, created
through S3 as the connection's own key (so the bucket is its user's), deleted after asking."""

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit,
                               QToolBar, QToolButton, QVBoxLayout, QWidget)

from ramod import naming
from ramogui.client.errors import ClientError, describe
from ramogui.client.session import Session
from ramogui.models.buckets_model import BucketsModel
from ramogui.views.common import ErrorBanner, confirm, human_bytes, sorted_table
from ramogui.workers.runner import CallJob, Runner

DEFAULT_PAGE_SIZE = 100


def bucket_name_problem(name: str) -> str:
    """Why S3 refuses ``name`` for a new bucket, as a sentence; ``""`` if it does not."""
    why = naming.bucket_name_problem(name)
    return f"The name {why}." if why else ""


def create_bucket(session: Session, name: str) -> dict:
    """Create ``name`` through S3 as the session's key, then read its row (a management API
    Bucket) back.  Runs on a worker thread.

    :raises ClientError: the bucket exists (S3 in us-east-1 answers 200 to its owner).
    """
    taken = session.admin.list_buckets(prefix=name, limit=1)["items"]
    if taken and taken[0]["name"] == name:
        raise ClientError(f"There is already a bucket called {name} "
                          f"(owned by {taken[0]['owner_name']}).")
    session.s3.create_bucket(name)
    bucket = session.admin.get_bucket(name, limit=1)
    bucket.pop("objects", None)
    return bucket


class NewBucketDialog(QDialog):
    """Asks for a new bucket's name, checking S3's naming rules as it is typed."""

    def __init__(self, owner_key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newBucketDialog")
        self.setWindowTitle("New bucket")
        about = QLabel(f"The bucket will belong to the user of this connection's access key "
                       f"({owner_key}).")
        about.setWordWrap(True)
        self.name_edit = QLineEdit(objectName="bucketNameEdit")
        self.name_edit.setPlaceholderText("e.g. photos-2026")
        self.name_edit.setAccessibleName("Bucket name")
        self.name_edit.setToolTip("3 to 63 lowercase letters, digits, dots and hyphens")
        self.hint = QLabel(objectName="bucketNameHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("QLabel { color: #b91c1c; }")
        self.hint.setAccessibleName("Bucket name problem")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create")
        self.create_button.setAccessibleName("Create")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        label = QLabel("&Name:")
        label.setBuddy(self.name_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(label)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def name(self) -> str:
        return self.name_edit.text().strip()

    def _check(self) -> None:
        name = self.name()
        problem = bucket_name_problem(name)
        self.hint.setText(problem if name else "")
        self.hint.setVisible(bool(name and problem))
        self.create_button.setEnabled(not problem)


class BucketsView(QWidget):
    """Buckets.  Shortcuts: F5 reload, Ctrl+N new bucket, Delete delete, Enter or double-click
    open (``bucket_opened``), Ctrl+F filter.

    :param page_size: buckets fetched per request; "Load more" fetches the next page.
    """

    status_message = Signal(str)
    bucket_opened = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None, *,
                 page_size: int = DEFAULT_PAGE_SIZE):
        super().__init__(parent)
        self.setObjectName("bucketsView")
        self.runner, self.page_size = runner, page_size
        self.session: Session | None = None
        self.next_cursor: str | None = None
        self._listed_up_to = ""             # the last name of the pages loaded
        self._list_job: CallJob | None = None
        self.new_bucket_dialog: NewBucketDialog | None = None

        self.banner = ErrorBanner(self)
        self.banner.setObjectName("bucketsError")
        self.model = BucketsModel(self)
        self.table = sorted_table(self.model, BucketsModel.NAME, "bucketsTable", "Buckets")
        self.table.setToolTip("Double-click or press Enter to browse a bucket's objects")
        self.proxy: QSortFilterProxyModel = self.table.model()
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

        self.filter_edit = QLineEdit(objectName="bucketsFilter")
        self.filter_edit.setPlaceholderText("Filter by name or owner (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter buckets")
        self.filter_edit.setToolTip("Show only the loaded buckets whose name or owner contains "
                                    "this text")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(280)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)

        self.toolbar = QToolBar("Bucket actions", self)
        self.toolbar.setAccessibleName("Bucket actions")
        self.refresh_action = self._action("Refresh", "refreshBucketsButton",
                                           "Reload the buckets",
                                           QKeySequence.StandardKey.Refresh, self.refresh)
        self.new_action = self._action("New bucket…", "newBucketButton", "Create a bucket",
                                       QKeySequence.StandardKey.New, self.new_bucket)
        self.delete_action = self._action("Delete", "deleteBucketButton",
                                          "Delete the selected bucket",
                                          QKeySequence.StandardKey.Delete, self.delete_selected)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.filter_edit.setFocus)
        self.addAction(find)

        self.count_label = QLabel(objectName="bucketsCount")
        self.count_label.setAccessibleName("Number of buckets loaded")
        self.load_more_action = QAction("Load more", self)
        self.load_more_action.setToolTip("Fetch the next page of buckets from the server")
        self.load_more_action.triggered.connect(self.load_more)
        load_more = QToolButton(objectName="loadMoreBucketsButton")
        load_more.setDefaultAction(self.load_more_action)
        load_more.setAccessibleName("Load more buckets")

        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.filter_edit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(load_more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self._update_actions()

    def _action(self, text, name, tip, shortcut, slot) -> QAction:
        """A toolbar action of this view, its shortcut active while the focus is in it."""
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(
            f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        self.addAction(action)
        button = self.toolbar.widgetForAction(action)
        button.setObjectName(name)
        button.setAccessibleName(tip)
        return action

    # -- loading -------------------------------------------------------------

    def set_session(self, session: Session | None) -> None:
        """Show the buckets of ``session``'s server (loading them now), or nothing if None."""
        self.session = session
        if self._list_job is not None:
            self._list_job.discard()
            self._list_job = None
        self.model.set_rows([])
        self.next_cursor, self._listed_up_to = None, ""
        self.count_label.clear()
        self.banner.clear_error()
        self._update_actions()
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        """Reload the first page of buckets, keeping the selected bucket selected."""
        if self.session is None:
            return
        self.banner.clear_error()
        self._load(None)

    def load_more(self) -> None:
        """Fetch the next page of buckets, if the server has more."""
        if self.session is not None and self.next_cursor and self._list_job is None:
            self._load(self.next_cursor)

    def _load(self, cursor: str | None) -> None:
        if self._list_job is not None:
            self._list_job.discard()
        self._list_job = self.runner.call(
            self.session.admin.list_buckets, limit=self.page_size, cursor=cursor,
            on_done=lambda page: self._loaded(page, cursor is None), on_error=self._list_failed)
        self._update_actions()

    def _loaded(self, page: dict, first: bool) -> None:
        self._list_job = None
        selected = self.selected_bucket()
        items = page["items"]
        if first:
            self.model.set_rows(items)
            if selected is not None:
                self.select_bucket(selected["name"])
        else:
            self.model.append_rows(items)
        self.next_cursor = page.get("next_cursor")
        if items:
            self._listed_up_to = items[-1]["name"]
        self._update_actions()
        more = "; more on the server" if self.next_cursor else ""
        count = self.model.rowCount()
        loaded = f"{count} bucket{'s' if count != 1 else ''} loaded{more}"
        self.count_label.setText(loaded)
        if first:
            self.status_message.emit(f"{loaded}.")

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._update_actions()
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_error(describe(exc))

    # -- selection -------------------------------------------------------------

    def selected_bucket(self) -> dict | None:
        """The Bucket dict of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row(self.proxy.mapToSource(rows[0]).row())

    def select_bucket(self, name: str) -> bool:
        """Select the loaded bucket ``name``; False if it is not loaded or filtered out."""
        i = self.model.find(name)
        index = self.proxy.mapFromSource(self.model.index(i, 0)) if i >= 0 else None
        if index is None or not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _activated(self, index) -> None:
        self.bucket_opened.emit(self.model.row(self.proxy.mapToSource(index).row())["name"])

    def _update_actions(self, *_args) -> None:
        connected = self.session is not None
        self.refresh_action.setEnabled(connected)
        self.new_action.setEnabled(connected)
        self.delete_action.setEnabled(connected and self.selected_bucket() is not None)
        self.load_more_action.setEnabled(
            connected and bool(self.next_cursor) and self._list_job is None)

    # -- actions ---------------------------------------------------------------

    def new_bucket(self) -> None:
        """Ask for a name, then create the bucket as the connection's access key."""
        if self.session is None:
            return
        dialog = self.new_bucket_dialog = NewBucketDialog(self.session.profile.access_key, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._create(dialog.name()))
        dialog.open()

    def _create(self, name: str) -> None:
        self.new_bucket_dialog = None
        self.banner.clear_error()
        self.runner.call(create_bucket, self.session, name, on_done=self._created,
                         on_error=self._failed)

    def _created(self, bucket: dict) -> None:
        name = bucket["name"]
        if self.model.find(name) < 0 and (not self.next_cursor or name < self._listed_up_to):
            self.model.append_rows([bucket])        # else it comes with a later page
        self.select_bucket(name)
        self.status_message.emit(f"Created the bucket {name}.")

    def delete_selected(self) -> None:
        """Delete the selected bucket, and its objects if it has any, after asking."""
        bucket = self.selected_bucket()
        if self.session is None or bucket is None:
            return
        name, count = bucket["name"], bucket["object_count"]
        uploads = bucket["multipart_size"]
        contents = ""
        if count:
            contents += (f"It holds {count:,} object{'s' if count != 1 else ''} "
                         f"({human_bytes(bucket['total_size'])}), which will be deleted too. ")
        if uploads:
            contents += (f"Its uploads in progress ({human_bytes(uploads)}) will be "
                         "aborted. ")
        if not confirm(self, "Delete bucket",
                       f"Delete the bucket {name}?\n\n{contents}This cannot be undone.",
                       "Delete"):
            return
        self.banner.clear_error()
        self.runner.call(self.session.admin.delete_bucket, name, force=bool(count or uploads),
                         on_done=lambda _none: self._deleted(name), on_error=self._failed)

    def _deleted(self, name: str) -> None:
        self.model.remove_row(name)
        self._update_actions()
        self.status_message.emit(f"Deleted the bucket {name}.")
