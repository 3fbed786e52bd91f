"""A bucket's multipart uploads in progress as a table."""

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ramogui.formatting import human_bytes, local_time

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class UploadsModel(QAbstractTableModel):
    """One row per Upload of the management API (a dict; ``row(i)``).

    ``SORT_ROLE`` gives the raw field (ints for parts and size, ISO strings for times);
    ``FILTER_ROLE`` the key and who started the upload, what the filter box matches.
    """

    KEY, INITIATED, INITIATED_BY, PARTS, SIZE = range(5)
    HEADERS = ("Key", "Initiated", "Initiated by", "Parts", "Size")
    SORT_ROLE = Qt.ItemDataRole.UserRole
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    _FIELDS = ("object_key", "initiated_at", "initiated_by", "part_count", "total_size")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[dict]) -> None:
        """Add a further page; uploads already listed are not repeated."""
        known = {row["upload_id"] for row in self._rows}
        rows = [row for row in rows if row["upload_id"] not in known]
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows += rows
            self.endInsertRows()

    def remove_ids(self, upload_ids) -> None:
        """Drop the uploads with these ids (aborted)."""
        upload_ids = set(upload_ids)
        for index in reversed(range(len(self._rows))):
            if self._rows[index]["upload_id"] in upload_ids:
                self.beginRemoveRows(QModelIndex(), index, index)
                del self._rows[index]
                self.endRemoveRows()

    def row(self, index: int) -> dict:
        return self._rows[index]

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
        upload, column = self._rows[index.row()], index.column()
        value = upload.get(self._FIELDS[column])
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.INITIATED:
                return local_time(value)
            return human_bytes(value or 0) if column == self.SIZE else value
        if role == self.SORT_ROLE:
            return value if value is not None else ""
        if role == self.FILTER_ROLE:
            return f"{upload.get('object_key', '')}\n{upload.get('initiated_by', '')}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.PARTS, self.SIZE):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.KEY:
                return f"{value}\nUpload id: {upload.get('upload_id')}"
            if column == self.SIZE:
                return f"{value or 0:,} bytes"
        return None
