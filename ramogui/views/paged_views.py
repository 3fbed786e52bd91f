"""The two kinds of view that list management-API items a page at a time into a filtered
table: ``RemovableItemsView`` (share links, multipart uploads: select some, remove them) and
``ToolbarItemsView`` (buckets, access keys: a toolbar of actions on the selected item)."""

from collections.abc import Callable, Iterable

from PySide6.QtCore import QSortFilterProxyModel, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QToolBar, QToolButton, QVBoxLayout, QWidget)

from ramoclient.admin import AdminApiError
from ramogui.client.errors import describe
from ramogui.client.session import Session
from ramogui.views.common import ErrorBanner, filter_edit, make_action, sorted_table
from ramogui.workers.runner import CallJob, Runner


def remove_each(items: Iterable[dict], remove: Callable[[dict], object], key: str,
                missing: Callable[[AdminApiError], bool]) -> tuple[list, list[str]]:
    """Worker side: ``remove(item)`` for each item; ``(item[key] of the items gone, failure
    sentences)``.  An item the server no longer has (``missing(error)``) counts as gone; an
    unreachable server stops the run."""
    gone, failures = [], []
    for item in items:
        try:
            remove(item)
        except AdminApiError as exc:
            if missing(exc):
                gone.append(item[key])
            else:
                failures.append(f"{item['object_key']}: {describe(exc)}")
        except Exception as exc:  # noqa: BLE001 - reported; the rest would fail alike
            failures.append(describe(exc))
            break
        else:
            gone.append(item[key])
    return gone, failures


class RemovableItemsView(QWidget):
    """A title and buttons over a table of items listed page by page ("Load more"), their
    count under it; the selected items are removed (revoked, aborted) after asking.

    A subclass adds its actions with ``_add_action`` (enabling them in ``_update_actions``)
    and gives ``_page_call``, ``_listing_what``, ``_loaded_message``, ``_title_text`` and
    ``_count_text``; its remove slot asks, then calls ``_remove``.

    :param noun: one item (``"link"``); ``f"{noun}s"`` prefixes the objectNames.
    :param verbs: removing and removed, e.g. ``("revoke", "Revoked")``.
    :param filter_hint: the filter box's placeholder and tooltip.
    """

    status_message = Signal(str)

    def __init__(self, runner: Runner, model_class, parent: QWidget | None, *, noun: str,
                 verbs: tuple[str, str], label: str, sort_column: int, stretch_column: int,
                 filter_hint: tuple[str, str]):
        super().__init__(parent)
        name = f"{noun}s"
        self.setObjectName(f"{name}View")
        self._noun, self._verbs = noun, verbs
        self._runner, self._session, self._bucket = runner, None, None
        self._list_job: CallJob | None = None
        self._remove_job: CallJob | None = None
        self._cursor: str | None = None

        self.model = model_class(self)
        self.table = sorted_table(self.model, sort_column, f"{name}Table", label)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSectionResizeMode(stretch_column,
                                                           QHeaderView.ResizeMode.Stretch)
        self._proxy: QSortFilterProxyModel = self.table.model()
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.filter_edit = filter_edit(self, f"{name}Filter", f"Filter {name}", *filter_hint)
        self.filter_edit.textChanged.connect(self._proxy.setFilterFixedString)

        self._title = QLabel(self)
        self._title.setObjectName(f"{name}Title")
        self._banner = ErrorBanner(self)
        self._count = QLabel(self)
        self._count.setObjectName(f"{name}Count")
        self.refresh_action = make_action(self, "&Refresh", f"Reload the {name} from the server",
                                          self.refresh, QKeySequence.StandardKey.Refresh)
        self.more_action = make_action(self, "Load &more", f"Fetch the next page of {name}",
                                       self.load_more)
        self._buttons = QHBoxLayout()       # _add_action puts more buttons before Load more
        self._buttons.addWidget(self._title, 1)
        self._buttons.addWidget(self._tool_button(self.refresh_action, f"{name}Refresh"))
        self._buttons.addWidget(self._tool_button(self.more_action, f"{name}LoadMore"))
        self._buttons.addWidget(self.filter_edit)

        layout = QVBoxLayout(self)
        layout.addLayout(self._buttons)
        layout.addWidget(self._banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._count)
        self._show_title()

    @property
    def loading(self) -> bool:
        """Whether a page or a removal is under way."""
        return self._list_job is not None or self._remove_job is not None

    def set_session(self, session: Session | None) -> None:
        """Use ``session`` (and reload); ``None`` clears the view."""
        self._clear()
        self._session = session
        if session is not None:
            self.refresh()
        self._update_actions()

    def refresh(self) -> None:
        """Reload the first page."""
        if not self._ready():
            self._update_actions()
            return
        self._cancel_listing()
        self._request(None)

    def load_more(self) -> None:
        """Fetch the page after the ones shown."""
        if self._session is not None and self._cursor and self._list_job is None:
            self._request(self._cursor)

    def _add_action(self, text, tip, shortcut, slot, name) -> QAction:
        """An action of this view; its button ``name`` goes before "Load more"."""
        action = make_action(self, text, tip, slot, shortcut)
        self._buttons.insertWidget(self._buttons.count() - 2, self._tool_button(action, name))
        return action

    def _tool_button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setObjectName(name)
        button.setAccessibleName(action.text().replace("&", ""))
        return button

    def _ready(self) -> bool:
        """Whether there is something to list."""
        return self._session is not None

    def _can_remove(self) -> bool:
        """Whether the remove action can start on the selection."""
        selected = bool(self.table.selectionModel().selectedRows())
        return self._ready() and selected and self._remove_job is None

    def _update_actions(self) -> None:
        ready = self._ready()
        self.refresh_action.setEnabled(ready)
        self.more_action.setEnabled(ready and bool(self._cursor) and self._list_job is None)

    def _selected_items(self) -> list[dict]:
        rows = sorted(self._proxy.mapToSource(index).row()
                      for index in self.table.selectionModel().selectedRows())
        return [self.model.row(row) for row in rows]

    def _remove(self, call: Callable[[], tuple[list, list[str]]]) -> None:
        """Run ``call`` (on a worker thread): it removes items and returns ``(ids gone,
        failure sentences)``."""
        self._remove_job = self._runner.call(call, on_done=self._removed,
                                             on_error=self._remove_failed)
        self._update_actions()

    def _request(self, cursor: str | None) -> None:
        self._count.setText("Loading…")
        self._list_job = self._runner.call(
            self._page_call(cursor), on_done=lambda page: self._loaded(page, cursor is None),
            on_error=self._list_failed)
        self._update_actions()

    def _loaded(self, page: dict, first: bool) -> None:
        self._list_job = None
        self._banner.clear_error()
        if first:
            self.model.set_rows(page.get("items", []))
        else:
            self.model.append_rows(page.get("items", []))
        self._cursor = page.get("next_cursor")
        self._show_count()
        self._update_actions()
        self.status_message.emit(self._loaded_message())

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._show_count()
        self._banner.show_error(f"Could not list {self._listing_what()}: {describe(exc)}")
        self._update_actions()

    def _removed(self, outcome: tuple[list, list[str]]) -> None:
        self._remove_job = None
        gone, failures = outcome
        self.model.remove_ids(gone)
        self._show_count()
        if failures:
            self._banner.show_error(f"Could not {self._verbs[0]}: " + "; ".join(failures))
        self.status_message.emit(f"{self._verbs[1]} {len(gone)} "
                                 f"{self._noun}{'s' * (len(gone) != 1)}")
        self._update_actions()

    def _remove_failed(self, exc: BaseException) -> None:
        self._remove_job = None
        self._banner.show_error(f"Could not {self._verbs[0]}: {describe(exc)}")
        self._update_actions()

    def _clear(self) -> None:
        """Stop every call and show nothing."""
        self._cancel_listing()
        if self._remove_job is not None:
            self._remove_job.discard()
            self._remove_job = None
        self._banner.clear_error()
        self.model.set_rows([])
        self._cursor = None
        self._show_count()

    def _cancel_listing(self) -> None:
        if self._list_job is not None:
            self._list_job.discard()
            self._list_job = None

    def _show_title(self) -> None:
        self._title.setText(self._title_text())

    def _show_count(self) -> None:
        more = "; more on the server (Load more)" if self._cursor else ""
        self._count.setText(self._count_text(self.model.rowCount()) + more)


class ToolbarItemsView(QWidget):
    """A toolbar and a filter box over a table of items listed page by page, their count
    and "Load more" under it; the selected item stays selected across reloads.

    A subclass sets ``ID`` (the field ``model.find`` takes), adds its actions with
    ``_action`` (enabling them in ``_update_actions``) and gives ``_page_call``.

    :param noun: one item (``"key"``); ``f"{noun}s"`` prefixes the objectNames.
    :param kind: the item for people (``"Access key"``): names the table and the toolbar.
    :param filter_hint: the filter box's placeholder and tooltip.
    :param side: a panel right of the table, if any.
    :param page_size: items fetched per request.
    """

    status_message = Signal(str)
    ID: str

    def __init__(self, runner: Runner, model_class, parent: QWidget | None, *, noun: str,
                 kind: str, sort_column: int, filter_hint: tuple[str, str], page_size: int,
                 side: QWidget | None = None):
        super().__init__(parent)
        name = f"{noun}s"
        self.setObjectName(f"{name}View")
        self._noun = noun
        self.runner, self.page_size = runner, page_size
        self.session: Session | None = None
        self.next_cursor: str | None = None
        self._list_job: CallJob | None = None

        self.banner = ErrorBanner(self)
        self.banner.setObjectName(f"{name}Error")
        self.model = model_class(self)
        self.table = sorted_table(self.model, sort_column, f"{name}Table", f"{kind}s")
        self.proxy: QSortFilterProxyModel = self.table.model()
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.filter_edit = filter_edit(self, f"{name}Filter", f"Filter {name}", *filter_hint,
                                       min_width=280)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)

        self.toolbar = QToolBar(f"{kind} actions", self)
        self.toolbar.setAccessibleName(f"{kind} actions")
        self.refresh_action = self._action("Refresh", f"refresh{name.capitalize()}Button",
                                           f"Reload the {name}",
                                           QKeySequence.StandardKey.Refresh, self.refresh)
        self.count_label = QLabel(objectName=f"{name}Count")
        for change in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            change.connect(self._show_count)
        self.count_label.setAccessibleName(f"Number of {name} loaded")
        self.load_more_action = make_action(self, "Load more",
                                            f"Fetch the next page of {name} from the server",
                                            self.load_more)
        load_more = QToolButton(objectName=f"loadMore{name.capitalize()}Button")
        load_more.setDefaultAction(self.load_more_action)
        load_more.setAccessibleName(f"Load more {name}")

        body = self.table
        if side is not None:
            body = QSplitter(self)
            body.addWidget(self.table)
            body.addWidget(side)
            body.setStretchFactor(0, 3)
            body.setStretchFactor(1, 2)
        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.filter_edit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(load_more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(body, 1)
        layout.addLayout(bottom)

    def set_session(self, session: Session | None) -> None:
        """Show the items of ``session``'s server (loading them now), or nothing if None."""
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
        """Reload the first page, keeping the selected item selected."""
        if self.session is None:
            return
        self.banner.clear_error()
        self._load(None)

    def load_more(self) -> None:
        """Fetch the next page, if the server has more."""
        if self.session is not None and self.next_cursor and self._list_job is None:
            self._load(self.next_cursor)

    def _action(self, text, name, tip, shortcut, slot) -> QAction:
        """A toolbar action; its button is called ``name`` and read out as ``tip``."""
        action = make_action(self, text, tip, slot, shortcut)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        button.setObjectName(name)
        button.setAccessibleName(tip)
        return action

    def _load(self, cursor: str | None) -> None:
        if self._list_job is not None:
            self._list_job.discard()
        self._list_job = self.runner.call(
            self._page_call(cursor), on_done=lambda page: self._loaded(page, cursor is None),
            on_error=self._list_failed)
        self._update_actions()

    def _loaded(self, page: dict, first: bool) -> None:
        self._list_job = None
        selected = self._selected()
        items = page["items"]
        if first:
            self.model.set_rows(items)
        else:
            self.model.append_rows(items)
        self.next_cursor = page.get("next_cursor")
        if first and selected is not None:
            self._select(selected[self.ID])
        self._page_shown(items, first)
        self._update_actions()
        self._show_count()
        if first:
            self.status_message.emit(f"{self.count_label.text()}.")

    def _show_count(self, *_args) -> None:
        """"12 buckets loaded; more on the server", kept right as rows come and go."""
        if self.session is None:
            self.count_label.clear()
            return
        more = "; more on the server" if self.next_cursor else ""
        count = self.model.rowCount()
        self.count_label.setText(f"{count} {self._noun}{'s' if count != 1 else ''} loaded{more}")

    def _page_shown(self, items: list[dict], first: bool) -> None:
        """A page of ``items`` was just shown."""

    def _list_failed(self, exc: BaseException) -> None:
        self._list_job = None
        self._update_actions()
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_error(describe(exc))

    def _discard_jobs(self) -> None:
        if self._list_job is not None:
            self._list_job.discard()
            self._list_job = None

    def _selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row(self.proxy.mapToSource(rows[0]).row())

    def _select(self, item_id) -> bool:
        i = self.model.find(item_id)
        index = self.proxy.mapFromSource(self.model.index(i, 0)) if i >= 0 else None
        if index is None or not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _selection_changed(self, *_args) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        connected = self.session is not None
        self.refresh_action.setEnabled(connected)
        self.load_more_action.setEnabled(
            connected and bool(self.next_cursor) and self._list_job is None)
