"""Small pieces every view uses: the error banner, confirmations, tables, actions, buttons,
filter boxes, and (from ``ramogui.formatting``) times and sizes for people."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QLineEdit, QMessageBox, QPushButton, QTableView, QWidget)

from ramogui.formatting import human_bytes, local_time, parse_time
from ramogui.models.rows_model import ValueSortProxy

__all__ = ["ErrorBanner", "confirm", "filter_edit", "human_bytes", "local_time", "make_action",
           "make_button", "ok_cancel_buttons", "parse_time", "problem_label", "sorted_table"]


class ErrorBanner(QLabel):
    """A red line above a view's content saying what went wrong; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)      # messages quote keys: never HTML
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
    box.setTextFormat(Qt.TextFormat.PlainText)           # the text quotes keys: never HTML
    go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmDialog")
    box.exec()
    return box.clickedButton() is go


def sorted_table(model, sort_column: int, name: str, label: str) -> QTableView:
    """A read-only, row-selecting table of ``model`` through a ``ValueSortProxy``
    (``table.model()``) that sorts by the model's ``SORT_ROLE`` and filters, ignoring case,
    by its ``FILTER_ROLE``."""
    proxy = ValueSortProxy(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(model.SORT_ROLE)
    proxy.setFilterRole(model.FILTER_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
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


def make_action(view: QWidget, text: str, tip: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
    """An action of ``view`` that calls ``slot()``, with ``tip`` as its tooltip; its
    ``shortcut`` works while the focus is in ``view`` and is named at the end of the tip."""
    action = QAction(text, view)
    if shortcut is not None:
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    view.addAction(action)
    return action


def make_button(parent: QWidget, text: str, name: str, label: str, tip: str,
                slot: Callable[[], object]) -> QPushButton:
    """A push button that calls ``slot()``; ``name`` is its objectName, ``label`` its
    accessible name."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setAccessibleName(label)
    button.setToolTip(tip)
    button.clicked.connect(lambda _checked=False: slot())
    return button


def filter_edit(view: QWidget, name: str, label: str, placeholder: str, tip: str,
                min_width: int | None = None) -> QLineEdit:
    """A filter (or search) box of ``view``, focused by Ctrl+F in the view; at least
    ``min_width`` wide (``None``: as wide as its placeholder)."""
    edit = QLineEdit(view)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setAccessibleName(label)
    edit.setToolTip(tip)
    edit.setClearButtonEnabled(True)
    if min_width is None:
        min_width = edit.fontMetrics().horizontalAdvance(placeholder) + 40
    edit.setMinimumWidth(min_width)
    find = QAction(view)
    find.setShortcut(QKeySequence.StandardKey.Find)
    find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    find.triggered.connect(edit.setFocus)
    view.addAction(find)
    return edit


def ok_cancel_buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    """OK (named ``ok_text``) accepts ``dialog``, Cancel rejects it."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setAccessibleName(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def problem_label(label: str = "Input problem") -> QLabel:
    """A red line under a dialog's fields saying what is wrong with the input."""
    hint = QLabel()
    hint.setWordWrap(True)
    hint.setStyleSheet("QLabel { color: #b91c1c; }")
    hint.setAccessibleName(label)
    return hint
