"""The server's buckets with their object counts and sizes: listed page by page, created
through S3 as the connection's own key (so the bucket is its user's), deleted after asking."""

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ramoclient import naming
from ramogui.client.errors import ClientError
from ramogui.client.session import Session
from ramogui.models.buckets_model import BucketsModel
from ramogui.views.common import confirm, human_bytes, ok_cancel_buttons, problem_label
from ramogui.views.paged_views import ToolbarItemsView
from ramogui.workers.runner import Runner

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
        self.hint = problem_label("Bucket name problem")
        self.hint.setObjectName("bucketNameHint")
        self.buttons = ok_cancel_buttons(self, "Create")
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
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


class BucketsView(ToolbarItemsView):
    """Buckets.  Shortcuts: F5 reload, Ctrl+N new bucket, Delete delete, Enter or double-click
    open (``bucket_opened``), Ctrl+F filter.

    :param page_size: buckets fetched per request; "Load more" fetches the next page.
    """

    bucket_opened = Signal(str)
    ID = "name"

    def __init__(self, runner: Runner, parent: QWidget | None = None, *,
                 page_size: int = DEFAULT_PAGE_SIZE):
        super().__init__(runner, BucketsModel, parent, noun="bucket", kind="Bucket",
                         sort_column=BucketsModel.NAME, page_size=page_size,
                         filter_hint=("Filter by name or owner (Ctrl+F)",
                                      "Show only the loaded buckets whose name or owner "
                                      "contains this text"))
        self._listed_up_to = ""             # the last name of the pages loaded
        self.new_bucket_dialog: NewBucketDialog | None = None
        self.table.setToolTip("Double-click or press Enter to browse a bucket's objects")
        self.table.activated.connect(self._activated)
        self.new_action = self._action("New bucket…", "newBucketButton", "Create a bucket",
                                       QKeySequence.StandardKey.New, self.new_bucket)
        self.delete_action = self._action("Delete", "deleteBucketButton",
                                          "Delete the selected bucket",
                                          QKeySequence.StandardKey.Delete, self.delete_selected)
        self._update_actions()

    def set_session(self, session: Session | None) -> None:
        self._listed_up_to = ""
        super().set_session(session)

    def _page_call(self, cursor: str | None):
        return partial(self.session.admin.list_buckets, limit=self.page_size, cursor=cursor)

    def _page_shown(self, items: list[dict], first: bool) -> None:
        if items:
            self._listed_up_to = items[-1]["name"]

    # -- selection -------------------------------------------------------------

    def selected_bucket(self) -> dict | None:
        """The Bucket dict of the selected row."""
        return self._selected()

    def select_bucket(self, name: str) -> bool:
        """Select the loaded bucket ``name``; False if it is not loaded or filtered out."""
        return self._select(name)

    def _activated(self, index) -> None:
        self.bucket_opened.emit(self.model.row(self.proxy.mapToSource(index).row())["name"])

    def _update_actions(self) -> None:
        super()._update_actions()
        connected = self.session is not None
        self.new_action.setEnabled(connected)
        self.delete_action.setEnabled(connected and self.selected_bucket() is not None)

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
