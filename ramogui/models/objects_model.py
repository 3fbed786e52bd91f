"""The rows of the object browser: the folders and objects of one listing, page by page.

A row is an ``Entry``: a folder (a common prefix under the ``/`` delimiter) or an object
(an ObjectSummary of the management API).  Pages are appended as they arrive; nothing
here fetches.  ``ObjectsSortProxy`` sorts the loaded rows by any column, folders first.
"""

import mimetypes
from dataclasses import dataclass

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from ramogui.formatting import human_bytes, local_time
from ramogui.models.rows_model import RowsModel

NAME, SIZE, MODIFIED, TYPE = range(4)
HEADERS = ("Name", "Size", "Modified", "Type")
SORT_ROLE = Qt.ItemDataRole.UserRole
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Entry:
    """One row.  ``key`` is the full key (a folder's ends with ``/``); ``name`` is what
    is left of it below the listed prefix."""

    key: str
    name: str
    is_folder: bool
    size: int = 0
    last_modified: str = ""
    etag: str = ""
    is_multipart: bool = False

    @property
    def kind(self) -> str:
        if self.is_folder:
            return "Folder"
        return describe_type(self.name)


def describe_type(name: str) -> str:
    """``photo.JPG`` → ``image/jpeg``; no known extension → ``File``."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "File"


def entries_from_page(page: dict, prefix: str) -> list["Entry"]:
    """The folders, then the objects, of one management-API listing page under ``prefix``."""
    rows = [Entry(key=common, name=common[len(prefix):], is_folder=True)
            for common in page.get("common_prefixes", [])]
    for item in page.get("items", []):
        rows.append(Entry(key=item["key"], name=item["key"][len(prefix):], is_folder=False,
                          size=item["size"], last_modified=item["last_modified"],
                          etag=item["etag"], is_multipart=item.get("is_multipart", False)))
    return rows


class ObjectsModel(RowsModel):
    """Folders and objects of the listing shown, in the order pages arrived."""

    HEADERS = HEADERS
    RIGHT_ALIGNED = (SIZE,)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._folder_icon = self._file_icon = QIcon()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._folder_icon = app.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
            self._file_icon = app.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    def entry(self, row: int) -> Entry:
        return self.row(row)

    def display(self, entry: Entry, column: int) -> str:
        if column == NAME:
            return entry.name
        if column == SIZE:
            return "" if entry.is_folder else human_bytes(entry.size)
        if column == MODIFIED:
            return local_time(entry.last_modified)
        return entry.kind

    def sort_value(self, entry: Entry, column: int):
        return (entry.name, entry.size, entry.last_modified, entry.kind.lower())[column]

    def tooltip(self, entry: Entry, column: int) -> str | None:
        if column == SIZE and not entry.is_folder:
            return f"{entry.size:,} bytes"
        return entry.key if column == NAME else None

    def role_data(self, entry: Entry, column: int, role: int):
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return self._folder_icon if entry.is_folder else self._file_icon
        return None


class ObjectsSortProxy(QSortFilterProxyModel):
    """Sorts by the column's raw value (sizes as numbers), folders always above objects."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left, right) -> bool:
        a, b = left.data(ENTRY_ROLE), right.data(ENTRY_ROLE)
        if a.is_folder != b.is_folder:
            # Folders first whichever way the column is sorted.
            return a.is_folder if self.sortOrder() == Qt.SortOrder.AscendingOrder else b.is_folder
        x, y = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if x == y:
            return a.name < b.name
        return x < y
