"""The active share links (presigned URLs): list page by page, copy, revoke."""

from functools import partial

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget

from ramogui.models.links_model import LinksModel
from ramogui.views.common import confirm
from ramogui.views.paged_views import RemovableItemsView, remove_each
from ramogui.workers.runner import Runner

PAGE_SIZE = 100


def revoke_links(admin, links: list[dict]) -> tuple[list[int], list[str]]:
    """Worker side: revoke each link; ``(ids gone, failure sentences)``.  A link the server
    no longer has counts as gone; an unreachable server stops the run."""
    return remove_each(links, lambda link: admin.revoke_presigned_url(link["id"]), "id",
                       lambda exc: exc.status == 404)


class LinksView(RemovableItemsView):
    """A table of the active share links, of every bucket or of one (``set_bucket``).

    Shortcuts: F5 reload, Ctrl+C (or Enter, double-click) copy the current link, Delete
    revoke the selected links, Ctrl+F filter.
    """

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(runner, LinksModel, parent, noun="link", verbs=("revoke", "Revoked"),
                         label="Active share links", sort_column=LinksModel.CREATED,
                         stretch_column=LinksModel.OBJECT,
                         filter_hint=("Filter by object or bucket (Ctrl+F)",
                                      "Show only the loaded links whose object or bucket "
                                      "contains this text"))
        self.table.sortByColumn(LinksModel.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setToolTip("Double-click or press Enter to copy a link")
        self.table.activated.connect(self.copy_url)
        self.table.installEventFilter(self)             # its own Ctrl+C copies one cell
        self.copy_action = self._add_action("&Copy link", "Copy the selected link to the "
                                            "clipboard", QKeySequence.StandardKey.Copy,
                                            self.copy_url, "linksCopy")
        self.revoke_action = self._add_action("Re&voke", "Revoke the selected links: they stop "
                                              "working at once", QKeySequence.StandardKey.Delete,
                                              self.revoke_selected, "linksRevoke")
        self._update_actions()

    def set_bucket(self, name: str | None) -> None:
        """List only the links of bucket ``name`` (``None``: of every bucket) and reload."""
        self._bucket = name
        self._show_title()
        self.refresh()

    def selected_links(self) -> list[dict]:
        """The PresignedUrls of the selected rows, top to bottom."""
        return self._selected_items()

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
        if not links or self._session is None or self._remove_job is not None:
            return
        what = (f"the link to “{links[0]['object_key']}”" if len(links) == 1
                else f"{len(links)} links")
        them = "it" if len(links) == 1 else "them"
        if confirm(self, "Revoke share links", f"Revoke {what}? Anyone who has {them} "
                   "loses access at once.", "Revoke"):
            self._remove(partial(revoke_links, self._session.admin, links))

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and event.matches(QKeySequence.StandardKey.Copy)):
            self.copy_url()
            return True
        return super().eventFilter(watched, event)

    def _page_call(self, cursor: str | None):
        return partial(self._session.admin.list_presigned_urls, bucket_name=self._bucket,
                       limit=PAGE_SIZE, cursor=cursor)

    def _listing_what(self) -> str:
        return "the share links"

    def _loaded_message(self) -> str:
        return f"{self.model.rowCount()} active share links"

    def _title_text(self) -> str:
        return "Active share links" + (f" of bucket {self._bucket}" if self._bucket else "")

    def _count_text(self, count: int) -> str:
        return "No active share links" if count == 0 else f"{count} link{'s' * (count != 1)}"

    def _update_actions(self) -> None:
        super()._update_actions()
        self.copy_action.setEnabled(self.table.currentIndex().isValid())
        self.revoke_action.setEnabled(self._can_remove())
