"""Buckets with their object counts and sizes, as the management API lists them."""

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ramogui.formatting import human_bytes, local_time

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class BucketsModel(QAbstractTableModel):
    """One row per bucket dict (``name``, ``owner_name``, ``object_count``, ``total_size``,
    ``multipart_size``, ``quota_bytes``, ``created_at``).  Rows may lack some fields (the
    ``buckets`` of a credential have only name, count and size): those cells stay empty.

    ``SORT_ROLE`` gives raw values (bytes as ints, ISO times; no quota sorts as infinite);
    ``FILTER_ROLE`` gives the name and owner, what the filter box matches.
    """

    NAME, OWNER, OBJECTS, SIZE, UPLOADS, QUOTA, CREATED = range(7)
    HEADERS = ("Name", "Owner", "Objects", "Size", "Uploads in progress", "Quota", "Created")
    SORT_ROLE = Qt.ItemDataRole.UserRole
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    _FIELDS = ("name", "owner_name", "object_count", "total_size", "multipart_size",
               "quota_bytes", "created_at")
    _NUMERIC = (OBJECTS, SIZE, UPLOADS, QUOTA)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        field = self._FIELDS[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column) if field in row else ""
        if role == self.SORT_ROLE:
            value = row.get(field)
            return float("inf") if column == self.QUOTA and value is None else value
        if role == self.FILTER_ROLE:
            return f"{row['name']}\n{row.get('owner_name', '')}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self._NUMERIC:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.SIZE, self.UPLOADS):
            return f"{row[field]:,} bytes" if field in row else None
        return None

    def set_rows(self, rows: list[dict]) -> None:
        """Show ``rows`` instead of what was shown."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[dict]) -> None:
        """Add ``rows`` (the next page) after the last row."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def row(self, i: int) -> dict:
        return self._rows[i]

    def find(self, name: str) -> int:
        """The row number of the bucket called ``name``, -1 if not shown."""
        return next((i for i, row in enumerate(self._rows) if row["name"] == name), -1)

    def remove_row(self, name: str) -> None:
        i = self.find(name)
        if i >= 0:
            self.beginRemoveRows(QModelIndex(), i, i)
            del self._rows[i]
            self.endRemoveRows()


def _display(row: dict, column: int) -> str:
    if column == BucketsModel.QUOTA:
        return _quota_text(row)
    value = row[BucketsModel._FIELDS[column]]
    if column in (BucketsModel.SIZE, BucketsModel.UPLOADS):
        return human_bytes(value)
    if column == BucketsModel.OBJECTS:
        return f"{value:,}"
    if column == BucketsModel.CREATED:
        return local_time(value)
    return value


def _quota_text(row: dict) -> str:
    """``"None"``, or the quota and how much of it is used, e.g. ``"10.0 MB (45% used)"``."""
    quota = row["quota_bytes"]
    if quota is None:
        return "None"
    used = row.get("total_size", 0) + row.get("multipart_size", 0)
    share = f"{100 * used / quota:.0f}% used" if quota else "no room for writes"
    return f"{human_bytes(quota)} ({share})"
