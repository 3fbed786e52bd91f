"""The active share links (presigned URLs) as a table."""

from PySide6.QtCore import Qt

from ramogui.formatting import local_time
from ramogui.models.rows_model import RowsModel


class LinksModel(RowsModel):
    """One row per PresignedUrl of the management API (a dict; ``row(i)``).

    ``SORT_ROLE`` gives the raw field (ISO times sort in time order); ``FILTER_ROLE`` the
    object key and bucket, what the filter box matches.  ``remove_ids`` drops revoked links.
    """

    OBJECT, BUCKET, METHOD, CREATED, EXPIRES, ACCESS_KEY = range(6)
    HEADERS = ("Object", "Bucket", "Method", "Created", "Expires", "Access key")
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_FIELD = "id"
    _FIELDS = ("object_key", "bucket_name", "method", "created_at", "expires_at", "access_key")

    def append_rows(self, rows: list[dict]) -> None:
        """Add a further page; links already listed are not repeated."""
        known = {row["id"] for row in self._rows}
        super().append_rows([row for row in rows if row["id"] not in known])

    def display(self, row: dict, column: int):
        value = row.get(self._FIELDS[column])
        return local_time(value) if column in (self.CREATED, self.EXPIRES) else value

    def sort_value(self, row: dict, column: int):
        return row.get(self._FIELDS[column]) or ""

    def filter_text(self, row: dict) -> str:
        return f"{row.get('object_key', '')}\n{row.get('bucket_name', '')}"

    def tooltip(self, row: dict, column: int) -> str | None:
        return row.get("url") if column == self.OBJECT else (row.get(self._FIELDS[column]) or None)
