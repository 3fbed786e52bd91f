"""The server at a glance: the ``/stats`` figures and a chart of storage per bucket."""

import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout,
                               QWidget)

from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.views.bar_chart import BarChart
from ramogui.views.common import ErrorBanner, human_bytes, make_button
from ramogui.workers.runner import CallJob, Runner

# (key of the /stats answer, caption); total_storage is shown in human units
FIGURES = (("credentials", "Access keys"), ("buckets", "Buckets"), ("objects", "Objects"),
           ("total_storage", "Storage used"), ("active_multipart_uploads", "Uploads in progress"),
           ("active_presigned_urls", "Active share links"))
MAX_BUCKETS = 1000                 # the chart covers at most this many buckets (by name)
PAGE_LIMIT = 1000                  # the management API's largest page
AUTO_REFRESH_MS = 30_000


def load_overview(admin, max_buckets: int = MAX_BUCKETS) -> dict:
    """Worker side: ``{"stats", "buckets", "more"}``, ``more`` when buckets were left out."""
    stats = admin.stats()
    buckets, cursor = [], None
    while len(buckets) < max_buckets:
        page = admin.list_buckets(limit=min(PAGE_LIMIT, max_buckets - len(buckets)),
                                  cursor=cursor)
        buckets += page.get("items", [])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return {"stats": stats, "buckets": buckets[:max_buckets], "more": bool(cursor)}


class DashboardView(QWidget):
    """Figure tiles and the storage chart; F5 reloads, and while shown it reloads itself
    every 30 s (never two loads at once)."""

    status_message = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardView")
        self._runner, self._session = runner, None
        self._job: CallJob | None = None
        self._figures: dict[str, QLabel] = {}

        self._banner = ErrorBanner(self)
        self._updated = QLabel(self)
        self._updated.setObjectName("dashboardUpdated")
        self._updated.setMinimumWidth(self._updated.fontMetrics().horizontalAdvance(
            "Updated 00:00:00") + 8)
        self._refresh_button = make_button(self, "&Refresh", "dashboardRefresh",
                                           "Refresh dashboard",
                                           "Reload the figures from the server (F5)", self.refresh)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)

        title = QLabel("Server overview", self)
        title.setFont(_scaled_font(title.font(), 1.3, bold=True))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self._updated)
        header.addWidget(self._refresh_button)

        tiles = QGridLayout()
        for index, (key, caption) in enumerate(FIGURES):
            tiles.addWidget(self._tile(key, caption), index // 3, index % 3)

        self.chart = BarChart(self)
        self.chart.setObjectName("storageChart")
        scroll = QScrollArea(self)
        scroll.setWidget(self.chart)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        chart_title = QLabel("Storage per bucket (objects and parts of uploads in progress)",
                             self)
        chart_title.setFont(_scaled_font(chart_title.font(), 1.0, bold=True))
        chart_title.setBuddy(self.chart)
        self._note = QLabel(self)
        self._note.setObjectName("chartNote")
        self._note.setWordWrap(True)
        self._note.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self._banner)
        layout.addLayout(tiles)
        layout.addWidget(chart_title)
        layout.addWidget(self._note)
        layout.addWidget(scroll, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(AUTO_REFRESH_MS)
        self._timer.timeout.connect(self._auto_refresh)
        self._clear()

    @property
    def loading(self) -> bool:
        """Whether a load is under way."""
        return self._job is not None

    def figure(self, key: str) -> str:
        """The text shown for a ``/stats`` figure, e.g. ``figure("objects")``."""
        return self._figures[key].text()

    def set_session(self, session: Session | None) -> None:
        """Show ``session``'s server (and load it); ``None`` clears the view."""
        self._cancel()
        self._session = session
        self._banner.clear_error()
        self._clear()
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        """Reload the figures and the chart; a load under way is superseded."""
        self._load(announce=True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def _auto_refresh(self) -> None:
        if self._job is None:
            self._load(announce=False)

    def _load(self, announce: bool) -> None:
        if self._session is None:
            return
        self._cancel()
        self._updated.setText("Loading…")
        self._job = self._runner.call(load_overview, self._session.admin,
                                      on_done=lambda overview: self._loaded(overview, announce),
                                      on_error=self._failed)

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.discard()
            self._job = None

    def _loaded(self, overview: dict, announce: bool) -> None:
        self._job = None
        self._banner.clear_error()
        stats = overview["stats"]
        for key, caption in FIGURES:
            value = stats.get(key, 0)
            self._set_figure(key, caption, human_bytes(value) if key == "total_storage"
                             else f"{value:,}")
        self._figures["total_storage"].setToolTip(f"{stats.get('total_storage', 0):,} bytes")
        buckets = overview["buckets"]
        self.chart.set_data((b["name"], b.get("total_size", 0) + b.get("multipart_size", 0))
                            for b in buckets)
        if overview["more"]:
            self._note.setText(f"The chart shows the first {len(buckets):,} buckets by name; "
                               f"the server has {stats.get('buckets', 0):,}.")
        self._note.setVisible(overview["more"])
        now = datetime.datetime.now().strftime("%H:%M:%S")
        self._updated.setText(f"Updated {now}")
        if announce:
            self.status_message.emit("Dashboard updated")

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self._updated.setText("")
        self._banner.show_error(f"Could not load the dashboard: {describe(exc)}")

    def _tile(self, key: str, caption: str) -> QFrame:
        tile = QFrame(self)
        tile.setObjectName(f"tile_{key}")
        tile.setFrameShape(QFrame.Shape.StyledPanel)
        value = QLabel(tile)
        value.setObjectName(f"figure_{key}")
        value.setFont(_scaled_font(value.font(), 1.8, bold=True))
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        name = QLabel(caption, tile)
        layout = QVBoxLayout(tile)
        layout.addWidget(value)
        layout.addWidget(name)
        self._figures[key] = value
        return tile

    def _set_figure(self, key: str, caption: str, text: str) -> None:
        label = self._figures[key]
        label.setText(text)
        label.setAccessibleName(f"{caption}: {text}")

    def _clear(self) -> None:
        for key, caption in FIGURES:
            self._set_figure(key, caption, "–")
            self._figures[key].setToolTip(caption)
        self.chart.set_data([])
        self._note.hide()
        self._updated.setText("")


def _scaled_font(font: QFont, factor: float, bold: bool = False) -> QFont:
    font = QFont(font)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    return font
