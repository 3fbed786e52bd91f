"""The access keys of the server: listed page by page, created (the secret shown once),
enabled or disabled, renamed, deleted; the selected key's details and its user's buckets."""

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ramogui.models.buckets_model import BucketsModel
from ramogui.models.credentials_model import CredentialsModel, rate_limit_text
from ramogui.views.common import confirm, local_time, sorted_table
from ramogui.views.key_dialogs import NewKeyDialog, RenameDialog, SecretDialog
from ramogui.views.paged_views import ToolbarItemsView
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


class KeysView(ToolbarItemsView):
    """Access keys.  Shortcuts: F5 reload, Ctrl+N new key, F2 rename, Ctrl+E enable or
    disable, Delete delete, Ctrl+F filter.

    :param page_size: keys fetched per request; "Load more" fetches the next page.
    """

    ID = "id"

    def __init__(self, runner: Runner, parent: QWidget | None = None, *,
                 page_size: int = DEFAULT_PAGE_SIZE):
        detail = KeyDetailPanel()
        super().__init__(runner, CredentialsModel, parent, noun="key", kind="Access key",
                         sort_column=CredentialsModel.ID, page_size=page_size, side=detail,
                         filter_hint=("Filter by user or access key (Ctrl+F)",
                                      "Show only the loaded keys whose user name or access "
                                      "key contains this text"))
        self.detail = detail
        self._detail_job: CallJob | None = None
        self._shown_id: int | None = None     # the key the detail panel shows
        self.new_key_dialog: NewKeyDialog | None = None
        self.rename_dialog: RenameDialog | None = None
        self.secret_dialog: SecretDialog | None = None

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
        self._update_actions()

    def _page_call(self, cursor: str | None):
        return partial(self.session.admin.list_credentials, limit=self.page_size, cursor=cursor)

    def _page_shown(self, items: list[dict], first: bool) -> None:
        if first:
            self._selection_changed(reload=True)

    def _discard_jobs(self) -> None:
        super()._discard_jobs()
        if self._detail_job is not None:
            self._detail_job.discard()
            self._detail_job = None

    # -- selection -------------------------------------------------------------

    def selected_key(self) -> dict | None:
        """The credential dict of the selected row."""
        return self._selected()

    def select_key(self, credential_id: int) -> bool:
        """Select the loaded key with that id; False if it is not loaded or filtered out."""
        return self._select(credential_id)

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
        super()._update_actions()
        key = self.selected_key()
        changeable = key is not None and not key["is_root"]
        self.new_action.setEnabled(self.session is not None)
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
