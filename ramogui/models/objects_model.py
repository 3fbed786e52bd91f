"""The rows of the object browser: the folders and objects of one listing, page by page.

A row is an ``Entry``: a folder (a common prefix under the ``/`` delimiter) or an object
(an ObjectSummary of the management API).  Pages are appended as they arrive; nothing
here fetches.  ``ObjectsSortProxy`` sorts the loaded rows by any column, folders first.
"""

import mimetypes
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, \
    QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from ramogui.formatting import human_bytes, local_time

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


class ObjectsModel(QAbstractTableModel):
    """Folders and objects of the listing shown, in the order pages arrived."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[Entry] = []
        self._folder_icon = self._file_icon = QIcon()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._folder_icon = app.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
            self._file_icon = app.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    def set_rows(self, rows: list[Entry]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[Entry]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def remove_keys(self, keys: set[str]) -> None:
        """Drop the rows of these keys (after a delete), keeping the rest in place."""
        for position in range(len(self._rows) - 1, -1, -1):
            if self._rows[position].key in keys:
                self.beginRemoveRows(QModelIndex(), position, position)
                del self._rows[position]
                self.endRemoveRows()

    def entry(self, row: int) -> Entry:
        return self._rows[row]

    def entries(self) -> list[Entry]:
        return list(self._rows)

    def object_count(self) -> int:
        return sum(1 for entry in self._rows if not entry.is_folder)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return entry.name
            if column == SIZE:
                return "" if entry.is_folder else human_bytes(entry.size)
            if column == MODIFIED:
                return local_time(entry.last_modified)
            return entry.kind
        if role == SORT_ROLE:
            return (entry.name, entry.size, entry.last_modified, entry.kind.lower())[column]
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return self._folder_icon if entry.is_folder else self._file_icon
        if role == Qt.ItemDataRole.ToolTipRole and column == SIZE and not entry.is_folder:
            return f"{entry.size:,} bytes"
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME:
            return entry.key
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
