"""The access keys (credentials) of the server, as the management API lists them."""

from PySide6.QtCore import Qt

from ramogui.formatting import local_time
from ramogui.models.rows_model import RowsModel


class CredentialsModel(RowsModel):
    """One row per credential dict (``id``, ``user_name``, ``access_key``, ``is_active``,
    ``is_root``, ``rate_limit``, ``created_at``); never holds a secret key.

    ``SORT_ROLE`` gives raw values (ints, floats, ISO times) for a ``QSortFilterProxyModel``;
    ``FILTER_ROLE`` gives the user name and access key, what the filter box matches.
    ``find`` and ``remove_row`` take a credential id.
    """

    ID, USER, ACCESS_KEY, STATUS, ROOT, RATE_LIMIT, CREATED = range(7)
    HEADERS = ("ID", "User", "Access key", "Status", "Root", "Rate limit", "Created")
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_FIELD = "id"
    RIGHT_ALIGNED = (ID, RATE_LIMIT)

    def display(self, row: dict, column: int) -> str:
        return (str(row["id"]), row["user_name"], row["access_key"],
                "Enabled" if row["is_active"] else "Disabled", "Yes" if row["is_root"] else "",
                rate_limit_text(row["rate_limit"]), local_time(row["created_at"]))[column]

    def sort_value(self, row: dict, column: int):
        rate = row["rate_limit"]
        return (row["id"], row["user_name"], row["access_key"], int(row["is_active"]),
                int(row["is_root"]), float("inf") if rate is None else float(rate),
                row["created_at"])[column]

    def filter_text(self, row: dict) -> str:
        return f"{row['user_name']}\n{row['access_key']}"

    def tooltip(self, row: dict, column: int) -> str | None:
        return row["created_at"] if column == self.CREATED else None

    def replace_row(self, credential: dict) -> None:
        """Show the credential's new state (after a change) in place of the old one."""
        i = self.find(credential["id"])
        if i >= 0:
            self._rows[i] = credential
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))


def rate_limit_text(rate_limit: float | None) -> str:
    """``None`` -> ``"Unlimited"``, ``2.5`` -> ``"2.5/s"``."""
    return "Unlimited" if rate_limit is None else f"{rate_limit:g}/s"
