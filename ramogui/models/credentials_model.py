"""The access keys (credentials) of the server, as the management API lists them."""

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ramogui.formatting import local_time

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CredentialsModel(QAbstractTableModel):
    """One row per credential dict (``id``, ``user_name``, ``access_key``, ``is_active``,
    ``is_root``, ``rate_limit``, ``created_at``); never holds a secret key.

    ``SORT_ROLE`` gives raw values (ints, floats, ISO times) for a ``QSortFilterProxyModel``;
    ``FILTER_ROLE`` gives the user name and access key, what the filter box matches.
    """

    ID, USER, ACCESS_KEY, STATUS, ROOT, RATE_LIMIT, CREATED = range(7)
    HEADERS = ("ID", "User", "Access key", "Status", "Root", "Rate limit", "Created")
    SORT_ROLE = Qt.ItemDataRole.UserRole
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1

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
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == self.SORT_ROLE:
            return _sort_value(row, column)
        if role == self.FILTER_ROLE:
            return f"{row['user_name']}\n{row['access_key']}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.ID, self.RATE_LIMIT):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == self.CREATED:
            return row["created_at"]
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

    def find(self, credential_id: int) -> int:
        """The row number of the credential with that id, -1 if not shown."""
        return next((i for i, row in enumerate(self._rows) if row["id"] == credential_id), -1)

    def replace_row(self, credential: dict) -> None:
        """Show the credential's new state (after a change) in place of the old one."""
        i = self.find(credential["id"])
        if i >= 0:
            self._rows[i] = credential
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))

    def remove_row(self, credential_id: int) -> None:
        i = self.find(credential_id)
        if i >= 0:
            self.beginRemoveRows(QModelIndex(), i, i)
            del self._rows[i]
            self.endRemoveRows()


def rate_limit_text(rate_limit: float | None) -> str:
    """``None`` -> ``"Unlimited"``, ``2.5`` -> ``"2.5/s"``."""
    return "Unlimited" if rate_limit is None else f"{rate_limit:g}/s"


def _display(row: dict, column: int) -> str:
    return (str(row["id"]), row["user_name"], row["access_key"],
            "Enabled" if row["is_active"] else "Disabled", "Yes" if row["is_root"] else "",
            rate_limit_text(row["rate_limit"]), local_time(row["created_at"]))[column]


def _sort_value(row: dict, column: int):
    rate = row["rate_limit"]
    return (row["id"], row["user_name"], row["access_key"], int(row["is_active"]),
            int(row["is_root"]), float("inf") if rate is None else float(rate),
            row["created_at"])[column]
