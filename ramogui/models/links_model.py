"""The active share links (presigned URLs) as a table."""

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ramogui.formatting import local_time

_Index = QModelIndex | QPersistentModelIndex


class LinksModel(QAbstractTableModel):
    """One row per PresignedUrl of the management API (a dict; ``row(i)``).

    ``SORT_ROLE`` gives the raw field (ISO times sort in time order); ``FILTER_ROLE`` the
    object key and bucket, what the filter box matches.
    """

    OBJECT, BUCKET, METHOD, CREATED, EXPIRES, ACCESS_KEY = range(6)
    HEADERS = ("Object", "Bucket", "Method", "Created", "Expires", "Access key")
    SORT_ROLE = Qt.ItemDataRole.UserRole
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    _FIELDS = ("object_key", "bucket_name", "method", "created_at", "expires_at", "access_key")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[dict]) -> None:
        """Add a further page; links already listed are not repeated."""
        known = {row["id"] for row in self._rows}
        rows = [row for row in rows if row["id"] not in known]
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows += rows
            self.endInsertRows()

    def remove_ids(self, ids) -> None:
        """Drop the links with these ids (revoked)."""
        ids = set(ids)
        for index in reversed(range(len(self._rows))):
            if self._rows[index]["id"] in ids:
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
        link, column = self._rows[index.row()], index.column()
        value = link.get(self._FIELDS[column])
        if role == Qt.ItemDataRole.DisplayRole:
            return local_time(value) if column in (self.CREATED, self.EXPIRES) else value
        if role == self.SORT_ROLE:
            return value or ""
        if role == self.FILTER_ROLE:
            return f"{link.get('object_key', '')}\n{link.get('bucket_name', '')}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return link.get("url") if column == self.OBJECT else (value or None)
        return None
