"""The access keys of the server: listed page by page, created (the secret shown once),
enabled or disabled, renamed, deleted; the selected key's details and its user's buckets."""

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSplitter, QToolBar,
                               QToolButton, QVBoxLayout, QWidget)

from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.models.buckets_model import BucketsModel
from ramogui.models.credentials_model import CredentialsModel, rate_limit_text
from ramogui.views.common import ErrorBanner, confirm, local_time, sorted_table
from ramogui.views.key_dialogs import NewKeyDialog, RenameDialog, SecretDialog
from ramogui.workers.runner import CallJob, Runner

DEFAULT_PAGE_SIZE = 100
ROOT_PROTECTED = ("The root key can't be disabled, renamed or deleted: it is the key the "
                  "server is run with.")


class KeyDetailPanel(QWidget):
    """The selected key's fields and the buckets of its user."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("keyDetail")
        self.setAccessibleName("Access key details")
        self.fields = {name: QLabel(objectName=f"keyDetail{name.replace(' ', '')}")
                       for name in ("User", "Access key", "Status", "Rate limit", "Created",
                                    "Buckets")}
        form = QFormLayout()
        for name, label in self.fields.items():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(name)
            form.addRow(f"{name}:", label)
        self.placeholder = QLabel("Select a key to see its details and its user's buckets.")
        self.placeholder.setWordWrap(True)
        self.buckets = BucketsModel(self)
        self.buckets_table = sorted_table(self.buckets, BucketsModel.NAME, "keyBucketsTable",
                                          "Buckets of the key's user")
        self.buckets_table.setToolTip("The buckets owned by this key's user")
        for column in (BucketsModel.OWNER, BucketsModel.UPLOADS, BucketsModel.QUOTA,
                       BucketsModel.CREATED):
            self.buckets_table.hideColumn(column)
        layout = QVBoxLayout(self)
        layout.addWidget(self.placeholder)
        layout.addLayout(form)
        layout.addWidget(self.buckets_table, 1)
        self.clear()

    def clear(self) -> None:
        self.placeholder.show()
        for label in self.fields.values():
            label.clear()
        self.buckets.set_rows([])

    def show_key(self, key: dict) -> None:
        """Show the fields of a listed key; its buckets come with ``show_buckets``."""
        self.placeholder.hide()
        values = (key["user_name"], key["access_key"],
                  ("Enabled" if key["is_active"] else "Disabled")
                  + (" (root)" if key["is_root"] else ""),
                  rate_limit_text(key["rate_limit"]), local_time(key["created_at"]), "…")
        for label, value in zip(self.fields.values(), values):
            label.setText(value)

    def show_buckets(self, detail: dict) -> None:
        """The ``get_credential`` answer: its ``buckets`` and ``bucket_count``."""
        self.fields["Buckets"].setText(str(detail["bucket_count"]))
        self.buckets.set_rows(detail["buckets"])


class KeysView(QWidget):
    """Access keys.  Shortcuts: F5 reload, Ctrl+N new key, F2 rename, Ctrl+E enable or
    disable, Delete delete, Ctrl+F filter.

    :param page_size: keys fetched per request; "Load more" fetches the next page.
    """

    status_message = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None, *,
                 page_size: int = DEFAULT_PAGE_SIZE):
        super().__init__(parent)
        self.setObjectName("keysView")
        self.runner, self.page_size = runner, page_size
        self.session: Session | None = None
        self.next_cursor: str | None = None
        self._list_job: CallJob | None = None
        self._detail_job: CallJob | None = None
        self._shown_id: int | None = None     # the key the detail panel shows
        self.new_key_dialog: NewKeyDialog | None = None
        self.rename_dialog: RenameDialog | None = None
        self.secret_dialog: SecretDialog | None = None

        self.banner = ErrorBanner(self)
        self.banner.setObjectName("keysError")
        self.model = CredentialsModel(self)
        self.table = sorted_table(self.model, CredentialsModel.ID, "keysTable", "Access keys")
        self.proxy: QSortFilterProxyModel = self.table.model()
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail = KeyDetailPanel(self)

        self.filter_edit = QLineEdit(objectName="keysFilter")
        self.filter_edit.setPlaceholderText("Filter by user or access key (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter keys")
        self.filter_edit.setToolTip("Show only the loaded keys whose user name or access key "
                                    "contains this text")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(280)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)

        self.toolbar = QToolBar("Access key actions", self)
        self.toolbar.setAccessibleName("Access key actions")
        self.refresh_action = self._action("Refresh", "refreshKeysButton", "Reload the keys",
                                           QKeySequence.StandardKey.Refresh, self.refresh)
        self.new_action = self._action("New key…", "newKeyButton", "Create an access key",
                                       QKeySequence.StandardKey.New, self.new_key)
        self.toggle_action = self._action("Disable", "toggleKeyButton",
                                          "Enable or disable the selected key", "Ctrl+E",
                                          self.toggle_selected)
        self.rename_action = self._action("Rename…", "renameKeyButton",
                                          "Change the user name of the selected key", "F2",
                                          self.rename_selected)
        self.delete_action = self._action("Delete", "deleteKeyButton",
                                          "Delete the selected key",
                                          QKeySequence.StandardKey.Delete, self.delete_selected)
        self._tips = {action: action.toolTip() for action in
                      (self.toggle_action, self.rename_action, self.delete_action)}
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.filter_edit.setFocus)
        self.addAction(find)

        self.count_label = QLabel(objectName="keysCount")
        self.count_label.setAccessibleName("Number of keys loaded")
        self.load_more_action = QAction("Load more", self)
        self.load_more_action.setToolTip("Fetch the next page of keys from the server")
        self.load_more_action.triggered.connect(self.load_more)
        load_more = QToolButton(objectName="loadMoreKeysButton")
        load_more.setDefaultAction(self.load_more_action)
        load_more.setAccessibleName("Load more keys")

        splitter = QSplitter(self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.filter_edit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(load_more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self._update_actions()

    def _action(self, text, name, tip, shortcut, slot) -> QAction:
        """A toolbar action of this view, its shortcut active while the focus is in it."""
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(
            f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        self.addAction(action)
        button = self.toolbar.widgetForAction(action)
        button.setObjectName(name)
        button.setAccessibleName(tip)
        return action

    # -- loading -------------------------------------------------------------

    def set_session(self, session: Session | None) -> None:
        """Show the keys of ``session``'s server (loading them now), or nothing if None."""
        self.session = session
        self._discard_jobs()
        self.model.set_rows([])
        self.next_cursor = None
        self.count_label.clear()
        self.banner.clear_error()
        self._selection_changed()
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        """Reload the first page of keys, keeping the selected key selected."""
        if self.session is None:
            return
        self.banner.clear_error()
        self._load(None)

    def load_more(self) -> None:
        """Fetch the next page of keys, if the server has more."""
        if self.session is not None and self.next_cursor and self._list_job is None:
            self._load(self.next_cursor)

    def _load(self, cursor: str | None) -> None:
        if self._list_job is not None:
            self._list_job.discard()
        self._list_job = self.runner.call(
            self.session.admin.list_credentials, limit=self.page_size, cursor=cursor,
            on_done=lambda page: self._loaded(page, cursor is None), on_error=self._list_failed)
        self._update_actions()

    def _loaded(self, page: dict, first: bool) -> None:
        self._list_job = None
        selected = self.selected_key()
        if first:
            self.model.set_rows(page["items"])
        else:
            self.model.append_rows(page["items"])
        self.next_cursor = page.get("next_cursor")
        if first:
            if selected is not None:
                self.select_key(selected["id"])
            self._selection_changed(reload=True)
        self._update_actions()
        more = "; more on the server" if self.next_cursor else ""
        count = self.model.rowCount()
        loaded = f"{count} key{'s' if count != 1 else ''} loaded{more}"
        self.count_label.setText(loaded)
        if first:
            self.status_message.emit(f"{loaded}.")

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._update_actions()
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_error(describe(exc))

    def _discard_jobs(self) -> None:
        for job in (self._list_job, self._detail_job):
            if job is not None:
                job.discard()
        self._list_job = self._detail_job = None

    # -- selection -------------------------------------------------------------

    def selected_key(self) -> dict | None:
        """The credential dict of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row(self.proxy.mapToSource(rows[0]).row())

    def select_key(self, credential_id: int) -> bool:
        """Select the loaded key with that id; False if it is not loaded or filtered out."""
        i = self.model.find(credential_id)
        index = self.proxy.mapFromSource(self.model.index(i, 0)) if i >= 0 else None
        if index is None or not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _selection_changed(self, *_args, reload: bool = False) -> None:
        """Show the selected key's details, fetching its buckets if it is another key (or if
        ``reload``)."""
        key = self.selected_key()
        shown = None if key is None else key["id"]
        if shown != self._shown_id or reload:
            self._shown_id = shown
            if self._detail_job is not None:
                self._detail_job.discard()
                self._detail_job = None
            if key is None:
                self.detail.clear()
            else:
                self.detail.show_key(key)
                self._detail_job = self.runner.call(
                    self.session.admin.get_credential, key["id"],
                    on_done=self._detail_loaded, on_error=self._detail_failed)
        self._update_actions()

    def _detail_loaded(self, detail: dict) -> None:
        self._detail_job = None
        self.detail.show_buckets(detail)

    def _detail_failed(self, exc: BaseException) -> None:
        self._detail_job = None
        self._failed(exc)

    def _update_actions(self) -> None:
        connected = self.session is not None
        key = self.selected_key()
        changeable = key is not None and not key["is_root"]
        self.refresh_action.setEnabled(connected)
        self.new_action.setEnabled(connected)
        self.load_more_action.setEnabled(
            connected and bool(self.next_cursor) and self._list_job is None)
        self.toggle_action.setText("Enable" if key is not None and not key["is_active"]
                                   else "Disable")
        for action, tip in self._tips.items():
            action.setEnabled(changeable)
            action.setToolTip(ROOT_PROTECTED if key is not None and key["is_root"] else tip)

    # -- actions ---------------------------------------------------------------

    def new_key(self) -> None:
        """Ask for the new key's fields, then create it and show its secret once."""
        if self.session is None:
            return
        dialog = self.new_key_dialog = NewKeyDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._create(dialog.values()))
        dialog.open()

    def _create(self, values: dict) -> None:
        self.new_key_dialog = None
        self.banner.clear_error()
        self.runner.call(self.session.admin.create_credential, **values,
                         on_done=self._created, on_error=self._failed)

    def _created(self, credential: dict) -> None:
        secret = credential.pop("secret_key")
        if not self.next_cursor:            # else it comes with a later page (id order)
            self.model.append_rows([credential])
            self.select_key(credential["id"])
        dialog = self.secret_dialog = SecretDialog(credential["access_key"], secret, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._secret_closed)
        dialog.open()
        self.status_message.emit(f"Created the access key {credential['access_key']} "
                                  f"of {credential['user_name']}.")

    def _secret_closed(self) -> None:
        self.secret_dialog = None

    def toggle_selected(self) -> None:
        """Disable the selected key if it is enabled, else enable it."""
        key = self.selected_key()
        if self.session is None or key is None or key["is_root"]:
            return
        verb = "Disabled" if key["is_active"] else "Enabled"
        self.banner.clear_error()
        self.runner.call(self.session.admin.update_credential, key["id"],
                         is_active=not key["is_active"],
                         on_done=lambda changed: self._changed(changed, verb),
                         on_error=self._failed)

    def rename_selected(self) -> None:
        """Ask for a new user name for the selected key, then rename it."""
        key = self.selected_key()
        if self.session is None or key is None or key["is_root"]:
            return
        dialog = self.rename_dialog = RenameDialog(key["user_name"], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._rename(key["id"], dialog.new_name()))
        dialog.open()

    def _rename(self, credential_id: int, user_name: str) -> None:
        self.rename_dialog = None
        self.banner.clear_error()
        self.runner.call(self.session.admin.update_credential, credential_id,
                         user_name=user_name,
                         on_done=lambda changed: self._changed(changed, "Renamed"),
                         on_error=self._failed)

    def _changed(self, credential: dict, verb: str) -> None:
        self.model.replace_row(credential)
        selected = self.selected_key()
        if selected is not None and selected["id"] == credential["id"]:
            self._selection_changed(reload=True)
        self.status_message.emit(f"{verb} the access key {credential['access_key']} "
                                 f"of {credential['user_name']}.")

    def delete_selected(self) -> None:
        """Delete the selected key after asking."""
        key = self.selected_key()
        if self.session is None or key is None or key["is_root"]:
            return
        if not confirm(self, "Delete access key",
                       f"Delete the access key {key['access_key']} of {key['user_name']}?\n\n"
                       "Programs using it are refused at once. The buckets it created pass "
                       "to another key of the same user. This cannot be undone.", "Delete"):
            return
        self.banner.clear_error()
        self.runner.call(self.session.admin.delete_credential, key["id"],
                         on_done=lambda _none: self._deleted(key), on_error=self._failed)

    def _deleted(self, key: dict) -> None:
        self.model.remove_row(key["id"])
        self._selection_changed()
        self.status_message.emit(f"Deleted the access key {key['access_key']} "
                                 f"of {key['user_name']}.")
