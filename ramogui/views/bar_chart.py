"""A horizontal bar chart of sizes, painted with QPainter (PySide6-Essentials has no QtCharts)."""

from typing import Iterable

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ramogui.views.common import human_bytes

MARGIN = 8
GAP = 8
LABEL_SHARE = 0.4          # at most this much of the width goes to the labels


class BarChart(QWidget):
    """One bar per item, biggest first: the top ``max_bars`` and one bar for all the rest.

    Colours come from the widget's palette (bars in Highlight, text in WindowText), so the
    chart reads in light and dark themes alike.  Screen readers cannot see paint, so the
    accessible description says what the bars show.

    :param noun: what an item is, for the "N other buckets" bar and the description.
    """

    def __init__(self, parent: QWidget | None = None, *, max_bars: int = 12,
                 noun: str = "bucket", title: str = "Storage per bucket"):
        super().__init__(parent)
        self.max_bars, self.noun = max_bars, noun
        self._items: list[tuple[str, int]] = []
        self._bars: list[tuple[str, int]] = []
        self._grouped = False                       # the last bar stands for the rest
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._describe()

    def set_data(self, items: Iterable[tuple[str, int]]) -> None:
        """Show ``(label, bytes)`` pairs; negative sizes count as 0."""
        self._items = sorted(((str(label), max(int(size), 0)) for label, size in items),
                             key=lambda item: (-item[1], item[0]))
        bars = self._items
        self._grouped = len(bars) > self.max_bars + 1     # a group of one would hide a name
        if self._grouped:
            rest = bars[self.max_bars:]
            bars = bars[:self.max_bars] + [(self._plural(len(rest), "other"),
                                            sum(size for _, size in rest))]
        self._bars = list(bars)
        self._describe()
        self.updateGeometry()
        self.update()

    def items(self) -> list[tuple[str, int]]:
        """Every item given, biggest first."""
        return list(self._items)

    def bars(self) -> list[tuple[str, int]]:
        """The bars drawn, top to bottom (the last may be the "other" group)."""
        return list(self._bars)

    def bar_at(self, y: float) -> int | None:
        """The index of the bar at height ``y``, or ``None``."""
        row = int((y - MARGIN) // self._row_height()) if y >= MARGIN else -1
        return row if 0 <= row < len(self._bars) else None

    def sizeHint(self) -> QSize:
        rows = max(len(self._bars), 1)
        return QSize(480, 2 * MARGIN + rows * self._row_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 2 * MARGIN + self._row_height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        painter.setPen(text_color)
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        if not self._bars:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, f"No {self.noun}s to show")
            return
        metrics = self.fontMetrics()
        label_width = min(max(metrics.horizontalAdvance(label) for label, _ in self._bars) + 2,
                          int(area.width() * LABEL_SHARE))       # + 2: rounding of advances
        value_width = max(metrics.horizontalAdvance(human_bytes(size)) for _, size in self._bars)
        bar_room = max(area.width() - label_width - value_width - 2 * GAP, 1.0)
        biggest = max(size for _, size in self._bars) or 1
        bar_color = palette.color(QPalette.ColorRole.Highlight)
        other_color = QColor(bar_color)
        other_color.setAlphaF(0.45)
        row_height = self._row_height()
        for index, (label, size) in enumerate(self._bars):
            top = area.top() + index * row_height
            text_rect = QRectF(area.left(), top, label_width, row_height - 2)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, label_width))
            length = bar_room * (size / biggest)
            if size > 0:
                length = max(length, 2.0)
            is_other = self._grouped and index == len(self._bars) - 1
            left = area.left() + label_width + GAP
            painter.fillRect(QRectF(left, top + 3, length, row_height - 8),
                             other_color if is_other else bar_color)
            painter.drawText(QRectF(left + length + GAP, top, value_width + GAP, row_height - 2),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             human_bytes(size))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.bar_at(event.pos().y())
            if index is None:
                QToolTip.hideText()
                event.ignore()
            else:
                label, size = self._bars[index]
                QToolTip.showText(event.globalPos(), f"{label}: {human_bytes(size)} "
                                  f"({size:,} bytes)", self)
            return True
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()
        return super().event(event)

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 10

    def _plural(self, count: int, adjective: str = "") -> str:
        words = [str(count)] + ([adjective] if adjective else [])
        return " ".join(words + [self.noun if count == 1 else f"{self.noun}s"])

    def _describe(self) -> None:
        """Put the chart's figures in the accessible description."""
        if not self._items:
            self.setAccessibleDescription(f"No {self.noun}s.")
            return
        total = sum(size for _, size in self._items)
        bars = "; ".join(f"{label}: {human_bytes(size)}" for label, size in self._bars)
        self.setAccessibleDescription(
            f"{self._plural(len(self._items))}, {human_bytes(total)} in all, biggest first. "
            f"{bars}.")
