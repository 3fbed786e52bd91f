"""A bucket's multipart uploads in progress: list page by page, abort."""

from functools import partial

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QComboBox, QWidget

from ramogui.models.uploads_model import UploadsModel
from ramogui.views.common import confirm, human_bytes
from ramogui.views.paged_views import RemovableItemsView, remove_each
from ramogui.workers.runner import Runner

PAGE_SIZE = 100
BUCKET_CHOICES = 1000


def abort_uploads(admin, bucket: str, uploads: list[dict]) -> tuple[list[str], list[str]]:
    """Worker side: abort each upload; ``(upload ids gone, failure sentences)``.  An upload
    the server no longer has counts as gone; an unreachable server stops the run."""
    return remove_each(uploads, lambda upload: admin.abort_upload(bucket, upload["upload_id"]),
                       "upload_id", lambda exc: exc.code == "no_such_upload")


class UploadsView(RemovableItemsView):
    """A table of one bucket's multipart uploads in progress (``set_bucket``).

    Shortcuts: F5 reload, Delete abort the selected uploads, Ctrl+F filter.
    """

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(runner, UploadsModel, parent, noun="upload", verbs=("abort", "Aborted"),
                         label="Multipart uploads in progress", sort_column=UploadsModel.KEY,
                         stretch_column=UploadsModel.KEY,
                         filter_hint=("Filter by key or user (Ctrl+F)",
                                      "Show only the loaded uploads whose key or initiator "
                                      "contains this text"))
        self.table.horizontalHeader().setStretchLastSection(False)
        self.abort_action = self._add_action("&Abort", "Abort the selected uploads and free "
                                             "their parts", QKeySequence.StandardKey.Delete,
                                             self.abort_selected, "uploadsAbort")
        self.bucket_box = QComboBox(self, objectName="uploadsBucket", editable=True)
        self.bucket_box.setAccessibleName("Bucket")
        self.bucket_box.setToolTip("The bucket whose uploads in progress are listed")
        self.bucket_box.setMinimumContentsLength(24)
        self.bucket_box.lineEdit().setPlaceholderText("Choose a bucket")
        self.bucket_box.textActivated.connect(self._bucket_chosen)
        self._buttons.insertWidget(1, self.bucket_box)
        self._names_job = None
        self._update_actions()

    def set_session(self, session) -> None:
        """Use ``session``; the bucket chooser offers its first thousand buckets."""
        super().set_session(session)
        self.bucket_box.clear()
        if self._names_job is not None:
            self._names_job.discard()
            self._names_job = None
        if session is not None:
            self._names_job = self._runner.call(
                session.admin.list_buckets, limit=BUCKET_CHOICES,
                on_done=self._bucket_names, on_error=lambda _exc: None)

    def _bucket_names(self, page: dict) -> None:
        self._names_job = None
        current = self._bucket or ""
        self.bucket_box.clear()
        self.bucket_box.addItems([bucket["name"] for bucket in page.get("items", [])])
        self.bucket_box.setEditText(current)

    def _bucket_chosen(self, name: str) -> None:
        name = name.strip()
        if name and name != self._bucket:
            self.set_bucket(name)

    def set_bucket(self, name: str | None) -> None:
        """Show the uploads of bucket ``name`` (``None``: none) and reload."""
        self._bucket = name
        self.bucket_box.setEditText(name or "")
        self._clear()
        self._show_title()
        self.refresh()

    def selected_uploads(self) -> list[dict]:
        """The Uploads of the selected rows, top to bottom."""
        return self._selected_items()

    def abort_selected(self) -> None:
        """Ask, then abort the selected uploads."""
        uploads = self.selected_uploads()
        if not uploads or self._session is None or self._remove_job is not None:
            return
        size = human_bytes(sum(upload.get("total_size", 0) for upload in uploads))
        what = (f"the upload of “{uploads[0]['object_key']}”" if len(uploads) == 1
                else f"{len(uploads)} uploads")
        if confirm(self, "Abort uploads", f"Abort {what}? The parts sent so far ({size}) "
                   "are deleted; an aborted upload cannot be completed.", "Abort"):
            self._remove(partial(abort_uploads, self._session.admin, self._bucket, uploads))

    def _ready(self) -> bool:
        return self._session is not None and bool(self._bucket)

    def _page_call(self, cursor: str | None):
        return partial(self._session.admin.list_uploads, self._bucket, limit=PAGE_SIZE,
                       cursor=cursor)

    def _listing_what(self) -> str:
        return f"the uploads of {self._bucket}"

    def _loaded_message(self) -> str:
        return f"{self.model.rowCount()} uploads in progress in {self._bucket}"

    def _title_text(self) -> str:
        return (f"Uploads in progress in bucket {self._bucket}" if self._bucket
                else "Uploads in progress (choose a bucket)")

    def _count_text(self, count: int) -> str:
        if not self._bucket:
            return ""
        if count == 0:
            return "No uploads in progress"
        size = human_bytes(sum(self.model.row(i).get("total_size", 0) for i in range(count)))
        return f"{count} upload{'s' * (count != 1)}, {size} of parts"

    def _update_actions(self) -> None:
        super()._update_actions()
        self.abort_action.setEnabled(self._can_remove())
