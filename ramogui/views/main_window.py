"""The main window: navigation between the views, the transfers dock, menus and the status bar."""

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QListWidget, QMainWindow,
                               QMessageBox, QSplitter, QStackedWidget)

from ramogui.views.browser_view import BrowserView
from ramogui.views.buckets_view import BucketsView
from ramogui.views.common import confirm
from ramogui.views.connect_dialog import ConnectDialog
from ramogui.views.dashboard_view import DashboardView
from ramogui.views.keys_view import KeysView
from ramogui.views.links_view import LinksView
from ramogui.views.theme import apply_theme
from ramogui.views.transfers_panel import TransfersPanel
from ramogui.views.uploads_view import UploadsView

CANCEL_WAIT_MS = 15_000
NAVIGATION_WIDTH = 170


class MainWindow(QMainWindow):
    """The app's window.

    :param runner: the ``Runner`` every view uses for network calls.
    :param transfers: the ``TransferQueue``.
    :param store: the ``ProfileStore`` the connect dialog edits.
    """

    def __init__(self, runner, transfers, store, settings: QSettings | None = None):
        super().__init__()
        self.runner, self.transfers, self.store = runner, transfers, store
        self.settings = settings or QSettings("Ramo", "ramogui")
        self.session = None
        self.setWindowTitle("Ramo")
        self.resize(1200, 760)

        self.dashboard = DashboardView(runner)
        self.buckets = BucketsView(runner)
        self.browser = BrowserView(runner, transfers)
        self.uploads = UploadsView(runner)
        self.links = LinksView(runner)
        self.keys = KeysView(runner)
        self.pages = [("Dashboard", self.dashboard), ("Buckets", self.buckets),
                      ("Browser", self.browser), ("Multipart uploads", self.uploads),
                      ("Share links", self.links), ("Access keys", self.keys)]

        self.stack = QStackedWidget()
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Sections")
        for number, (title, view) in enumerate(self.pages, 1):
            self.stack.addWidget(view)
            self.navigation.addItem(title)
            self.navigation.item(number - 1).setToolTip(f"{title} (Ctrl+{number})")
            view.status_message.connect(self.show_status)
        self.navigation.currentRowChanged.connect(self._page_chosen)
        splitter = QSplitter()
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        splitter.setSizes([NAVIGATION_WIDTH, 1000])
        self.setCentralWidget(splitter)

        self.transfers_panel = TransfersPanel(transfers)
        self.transfers_panel.status_message.connect(self.show_status)
        self.transfers_dock = QDockWidget("Transfers", self)
        self.transfers_dock.setObjectName("transfersDock")
        self.transfers_dock.setWidget(self.transfers_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.transfers_dock)

        self.connection_label = QLabel("Not connected")
        self.connection_label.setAccessibleName("Connection")
        self.busy_label = QLabel()
        self.busy_label.setAccessibleName("Background activity")
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.connection_label)
        runner.busy_changed.connect(self._busy)
        runner.failed.connect(self.show_status)

        self.buckets.bucket_opened.connect(self.open_bucket)
        self.browser.link_created.connect(lambda _link: self.links.refresh())
        self._menus()
        self.navigation.setCurrentRow(0)

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._menu_action(file_menu, "&Connect…", QKeySequence.StandardKey.Open,
                          self.show_connect_dialog)
        file_menu.addSeparator()
        self._menu_action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view_menu = self.menuBar().addMenu("&View")
        for number, (title, view) in enumerate(self.pages, 1):
            self._menu_action(view_menu, title, f"Ctrl+{number}",
                              lambda v=view: self.show_page(v))
        view_menu.addSeparator()
        view_menu.addAction(self.transfers_dock.toggleViewAction())
        self.transfers_dock.toggleViewAction().setShortcut("Ctrl+T")
        self.dark_action = self._menu_action(view_menu, "&Dark theme", "Ctrl+Shift+D",
                                             self._toggle_dark)
        self.dark_action.setCheckable(True)
        self.dark_action.setChecked(self.settings.value("dark", False, type=bool))
        help_menu = self.menuBar().addMenu("&Help")
        self._menu_action(help_menu, "&Keyboard shortcuts", "F1", self._show_shortcuts)

    def _menu_action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # -- connection ----------------------------------------------------------

    def show_connect_dialog(self) -> ConnectDialog:
        dialog = ConnectDialog(self.runner, self.store, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.switch_session(dialog.session()))
        dialog.open()
        return dialog

    def switch_session(self, session) -> bool:
        """Connect to ``session`` unless transfers are running and the person would rather
        let them finish (switching cancels them); whether it switched."""
        running = self.transfers.active_count()
        if running and not confirm(
                self, "Transfers running",
                f"{running} transfer{'s are' if running != 1 else ' is'} still running. "
                "Connecting elsewhere cancels them. Cancel them and connect?",
                "Cancel transfers and connect"):
            return False
        self.set_session(session)
        return True

    def set_session(self, session) -> None:
        """Point every view at ``session`` (``None``: disconnected)."""
        self.session = session
        self.transfers.set_session(session)
        for _title, view in self.pages:
            view.set_session(session)
        if session is None:
            self.setWindowTitle("Ramo")
            self.connection_label.setText("Not connected")
            return
        profile = session.profile
        self.setWindowTitle(f"Ramo — {profile.name}")
        self.connection_label.setText(f"{profile.name}: {profile.s3_url} as {profile.access_key}")
        self.show_status(f"Connected to {profile.name}")

    # -- navigation ----------------------------------------------------------

    def show_page(self, view) -> None:
        self.navigation.setCurrentRow(self.stack.indexOf(view))

    def open_bucket(self, name: str) -> None:
        self.browser.open_bucket(name)
        self.uploads.set_bucket(name)
        self.show_page(self.browser)

    def _page_chosen(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _busy(self, count: int) -> None:
        self.busy_label.setText(f"Working… ({count})" if count else "")

    def _toggle_dark(self) -> None:
        dark = self.dark_action.isChecked()
        self.settings.setValue("dark", dark)
        apply_theme(QApplication.instance(), dark)

    def _show_shortcuts(self) -> None:
        lines = [f"Ctrl+{n}: {title}" for n, (title, _view) in enumerate(self.pages, 1)]
        lines += ["Ctrl+O: connect", "Ctrl+T: show/hide transfers", "Ctrl+Shift+D: dark theme",
                  "F5: refresh", "Ctrl+N: new bucket or key", "Ctrl+U / Ctrl+Shift+U: upload "
                  "files / a folder", "Ctrl+D: download", "Ctrl+L: share link",
                  "Delete: delete the selection", "Ctrl+F: search", "Alt+Up: parent folder",
                  "Ctrl+Q: quit"]
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(lines))

    # -- closing -------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.transfers.active_count()
        if running and not confirm(
                self, "Transfers running",
                f"{running} transfer{'s are' if running != 1 else ' is'} still running. "
                "Cancel and quit? Unfinished uploads are aborted on the server and unfinished "
                "downloads removed.", "Cancel transfers and quit"):
            event.ignore()
            return
        if running:
            self.transfers.cancel_all()
            self.transfers.wait(CANCEL_WAIT_MS)
        self.runner.wait(CANCEL_WAIT_MS)
        event.accept()
