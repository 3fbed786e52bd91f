"""The transfers panel: every upload and download of a ``TransferQueue`` with a progress bar,
speed, time left and why it failed; Cancel, Retry and Clear finished act on the selection.
"""

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QStyle, QStyledItemDelegate, QStyleOptionProgressBar,
                               QStyleOptionViewItem, QTableView, QVBoxLayout, QWidget)

from ramogui.models.transfers_model import (CANCELLED, DONE, ENDED, FAILED, PROGRESS_ROLE,
                                            QUEUED, RUNNING, TransfersModel, speed_text)
from ramogui.views.common import make_button
from ramogui.workers.transfer_queue import TransferQueue

SUMMARY_DELAY_MS = 200      # the summary and buttons follow the model at most this often


def summary_text(counts: dict[str, int], speed: float, planning: int = 0) -> str:
    """``"2 running, 1 failed, 34.5 MB/s"``; ``"No transfers"`` when there are none."""
    parts = [f"{counts.get(state, 0)} {state}"
             for state in (RUNNING, QUEUED, FAILED, CANCELLED, DONE) if counts.get(state, 0)]
    if planning:
        parts.insert(0, f"preparing {planning} {'batch' if planning == 1 else 'batches'}")
    if counts.get(RUNNING, 0) and speed > 0:
        parts.append(speed_text(speed))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text else "No transfers"


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a progress bar with the cell's text on it."""

    def paint(self, painter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)
        fraction = index.data(PROGRESS_ROLE) or 0.0
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 2, -2, -2)
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.palette, bar.fontMetrics, bar.direction = (option.palette, option.fontMetrics,
                                                       option.direction)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = max(0, min(1000, int(fraction * 1000)))
        bar.text, bar.textVisible = index.data(Qt.ItemDataRole.DisplayRole) or "", True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)


class MiddleElideDelegate(QStyledItemDelegate):
    """Elides in the middle: both the bucket and the file name of ``bucket/dir/file`` show."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class TransfersPanel(QWidget):
    """The transfers of ``queue``: a table and the buttons to cancel, retry and clear.

    ``status_message`` says when a transfer failed, for the main window's status bar.
    """

    status_message = Signal(str)

    def __init__(self, queue: TransferQueue, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transfersPanel")
        self.setAccessibleName("Transfers")
        self.queue, self.model = queue, queue.model

        self.summary = QLabel("No transfers", self)
        self.summary.setObjectName("transfersSummary")
        self.summary.setAccessibleName("Transfers summary")

        self.table = QTableView(self)
        self.table.setObjectName("transfersTable")
        self.table.setAccessibleName("Transfers")
        self.table.setToolTip("Uploads and downloads; select rows to cancel or retry them")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(TransfersModel.PROGRESS, ProgressDelegate(self.table))
        self.table.setItemDelegateForColumn(TransfersModel.LOCATION,
                                            MiddleElideDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in ((TransfersModel.NAME, 180), (TransfersModel.DIRECTION, 28),
                              (TransfersModel.LOCATION, 220), (TransfersModel.SIZE, 80),
                              (TransfersModel.PROGRESS, 220), (TransfersModel.SPEED, 90),
                              (TransfersModel.REMAINING, 90), (TransfersModel.STATE, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(TransfersModel.DIRECTION, QHeaderView.ResizeMode.Fixed)

        self.cancel_button = self._button("transfersCancel", "Cancel", "Cancel transfers",
                                          "Stop the selected transfers",
                                          QKeySequence(QKeySequence.StandardKey.Delete),
                                          self.cancel_selected)
        self.retry_button = self._button("transfersRetry", "Retry", "Retry transfers",
                                         "Start the selected failed or cancelled transfers "
                                         "again", QKeySequence("Ctrl+R"), self.retry_selected)
        self.clear_button = self._button("transfersClear", "Clear finished",
                                         "Clear finished transfers",
                                         "Remove the transfers that are done, failed or "
                                         "cancelled from the list",
                                         QKeySequence("Ctrl+Shift+Delete"), queue.clear_finished)

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for button in (self.cancel_button, self.retry_button, self.clear_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(SUMMARY_DELAY_MS)
        self._refresh_timer.timeout.connect(self.update_summary)
        for signal in (self.model.dataChanged, self.model.rowsInserted, self.model.rowsRemoved,
                       self.model.modelReset):
            signal.connect(self._schedule_update)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        queue.planning_changed.connect(self._schedule_update)
        queue.failed.connect(self._announce_failure)
        self.update_summary()

    def _button(self, name: str, text: str, accessible: str, tip: str, keys: QKeySequence,
                slot) -> QPushButton:
        button = make_button(self, text, name, accessible,
                             f"{tip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})",
                             slot)
        shortcut = QShortcut(keys, self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(button.click)
        return button

    # -- actions ---------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The transfer ids of the selected rows, top to bottom."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.row(i)["id"] for i in rows]

    def _selected_in(self, states) -> list[int]:
        return [transfer_id for transfer_id in self.selected_ids()
                if self.model.get(transfer_id)["state"] in states]

    def cancel_selected(self) -> None:
        for transfer_id in self._selected_in((QUEUED, RUNNING)):
            self.queue.cancel(transfer_id)

    def retry_selected(self) -> None:
        for transfer_id in self._selected_in((FAILED, CANCELLED)):
            self.queue.retry(transfer_id)

    # -- following the queue -----------------------------------------------------------------

    @Slot()
    def _schedule_update(self, *args) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def update_summary(self) -> None:
        counts = self.model.counts()
        self.summary.setText(summary_text(counts, self.model.total_speed(),
                                          self.queue.planning_count()))
        self.clear_button.setEnabled(any(counts[state] for state in ENDED))
        self._update_buttons()

    @Slot()
    def _update_buttons(self, *args) -> None:
        self.cancel_button.setEnabled(bool(self._selected_in((QUEUED, RUNNING))))
        self.retry_button.setEnabled(bool(self._selected_in((FAILED, CANCELLED))))

    @Slot(int, str)
    def _announce_failure(self, transfer_id: int, reason: str) -> None:
        row = self.model.get(transfer_id)
        name = row["name"] if row is not None else "A transfer"
        self.status_message.emit(f"{name} failed: {reason}")
