"""Small pieces every view uses: the error banner, confirmations, and (from
``ramogui.formatting``) times and sizes for people."""

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QMessageBox, QTableView,
                               QWidget)

from ramogui.formatting import human_bytes, local_time, parse_time

__all__ = ["ErrorBanner", "confirm", "human_bytes", "local_time", "parse_time",
           "sorted_table"]


class ErrorBanner(QLabel):
    """A red line above a view's content saying what went wrong; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet("QLabel { background: #7f1d1d; color: white; padding: 6px;"
                           " border-radius: 4px; }")
        self.setAccessibleName("Error message")
        self.hide()

    def show_error(self, text: str) -> None:
        self.setText(text)
        self.show()

    def clear_error(self) -> None:
        self.clear()
        self.hide()


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask before something that cannot be undone; ``action`` names the button, e.g.
    ``"Delete"``.  The safe answer (Cancel) is the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel,
                      parent)
    go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmDialog")
    box.exec()
    return box.clickedButton() is go


def sorted_table(model, sort_column: int, name: str, label: str) -> QTableView:
    """A read-only, row-selecting table of ``model`` through a ``QSortFilterProxyModel``
    (``table.model()``) that sorts by the model's ``SORT_ROLE`` and filters, ignoring case,
    by its ``FILTER_ROLE``."""
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(model.SORT_ROLE)
    proxy.setFilterRole(model.FILTER_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    table = QTableView(objectName=name)
    table.setModel(proxy)
    table.setAccessibleName(label)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table
