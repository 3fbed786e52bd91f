"""``RowsModel``: what the app's table models share, a list of rows and a header per column."""

import html

from PySide6 import QtGui
from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt)

_Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class RowsModel(QAbstractTableModel):
    """A flat table, one row per item (a dict, or any record), filled on the GUI thread.

    Subclasses set ``HEADERS`` and write ``display(row, column)``; ``data()`` asks the other
    hooks for the sort role, the filter role (if ``FILTER_ROLE`` is set), tooltips and any
    other role (``role_data``).  ``RIGHT_ALIGNED`` columns (numbers) are aligned right.
    Models of dicts set ``ID_FIELD`` to use ``find``, ``remove_row`` and ``remove_ids``.
    """

    HEADERS: tuple[str, ...] = ()
    SORT_ROLE = Qt.ItemDataRole.UserRole
    FILTER_ROLE: int | None = None
    RIGHT_ALIGNED: tuple[int, ...] = ()
    ID_FIELD: str | None = None

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []

    # -- hooks -----------------------------------------------------------------------------

    def display(self, row, column: int):
        """The text of a cell (``DisplayRole``); every model writes its own."""
        raise NotImplementedError

    def sort_value(self, row, column: int):
        """The raw value ``SORT_ROLE`` sorts by; the shown text unless a model says more."""
        return self.display(row, column)

    def filter_text(self, row) -> str:
        """What the filter box matches (``FILTER_ROLE``)."""
        return ""

    def tooltip(self, row, column: int):
        return None

    def role_data(self, row, column: int, role: int):
        """Any role ``data()`` does not answer itself."""
        return None

    # -- Qt's side ---------------------------------------------------------------------------

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
            return self.display(row, column)
        if role == self.SORT_ROLE:
            return self.sort_value(row, column)
        if self.FILTER_ROLE is not None and role == self.FILTER_ROLE:
            return self.filter_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return as_plain_tooltip(self.tooltip(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if column in self.RIGHT_ALIGNED else None
        return self.role_data(row, column, role)

    # -- the rows ----------------------------------------------------------------------------

    def set_rows(self, rows: list) -> None:
        """Show ``rows`` instead of what was shown."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list) -> None:
        """Add ``rows`` (the next page) after the last row."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def row(self, i: int):
        return self._rows[i]

    def rows(self) -> list:
        """A copy of the rows, in order."""
        return list(self._rows)

    def find(self, row_id) -> int:
        """The number of the row whose ``ID_FIELD`` is ``row_id``, -1 if not shown."""
        return next((i for i, row in enumerate(self._rows) if row[self.ID_FIELD] == row_id), -1)

    def remove_row(self, row_id) -> None:
        """Drop the row ``find(row_id)`` names, if shown."""
        i = self.find(row_id)
        if i >= 0:
            self._remove_at(i)

    def remove_ids(self, ids) -> None:
        """Drop the rows whose ``ID_FIELD`` is one of ``ids``."""
        ids = set(ids)
        self.remove_where(lambda row: row[self.ID_FIELD] in ids)

    def remove_where(self, matches) -> None:
        """Drop the rows ``matches(row)`` is true of, keeping the rest in place."""
        for i in reversed(range(len(self._rows))):
            if matches(self._rows[i]):
                self._remove_at(i)

    def _remove_at(self, i: int) -> None:
        self.beginRemoveRows(QModelIndex(), i, i)
        del self._rows[i]
        self.endRemoveRows()


class ValueSortProxy(QSortFilterProxyModel):
    """Sorts by the Python values of the sort role: Qt's own comparison of variants mixes
    up integers above and below 2**31 (sizes of 2 GiB and more) in some PySide6 releases.
    Text compares without case."""

    def lessThan(self, left, right) -> bool:
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        if isinstance(a, str) and isinstance(b, str):
            return a.casefold() < b.casefold()
        try:
            return a < b
        except TypeError:            # e.g. None beside a number: a stable, total order
            return (a is None, str(a)) < (b is None, str(b))


def as_plain_tooltip(text: str | None) -> str | None:
    """``text`` as a tooltip shows it: Qt renders a tooltip that looks like HTML as HTML, so
    one holding a key such as ``<img src=x>`` is escaped inside a paragraph."""
    if text and QtGui.Qt.mightBeRichText(text):          # Qt's own guess
        return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
    return text
