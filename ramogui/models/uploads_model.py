"""A bucket's multipart uploads in progress as a table."""

from PySide6.QtCore import Qt

from ramogui.formatting import human_bytes, local_time
from ramogui.models.rows_model import RowsModel


class UploadsModel(RowsModel):
    """One row per Upload of the management API (a dict; ``row(i)``).

    ``SORT_ROLE`` gives the raw field (ints for parts and size, ISO strings for times);
    ``FILTER_ROLE`` the key and who started the upload, what the filter box matches.
    ``remove_ids`` drops aborted uploads by upload id.
    """

    KEY, INITIATED, INITIATED_BY, PARTS, SIZE = range(5)
    HEADERS = ("Key", "Initiated", "Initiated by", "Parts", "Size")
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_FIELD = "upload_id"
    RIGHT_ALIGNED = (PARTS, SIZE)
    _FIELDS = ("object_key", "initiated_at", "initiated_by", "part_count", "total_size")

    def append_rows(self, rows: list[dict]) -> None:
        """Add a further page; uploads already listed are not repeated."""
        known = {row["upload_id"] for row in self._rows}
        super().append_rows([row for row in rows if row["upload_id"] not in known])

    def display(self, row: dict, column: int):
        value = row.get(self._FIELDS[column])
        if column == self.INITIATED:
            return local_time(value)
        return human_bytes(value or 0) if column == self.SIZE else value

    def sort_value(self, row: dict, column: int):
        value = row.get(self._FIELDS[column])
        return value if value is not None else ""

    def filter_text(self, row: dict) -> str:
        return f"{row.get('object_key', '')}\n{row.get('initiated_by', '')}"

    def tooltip(self, row: dict, column: int) -> str | None:
        if column == self.KEY:
            return f"{row.get('object_key')}\nUpload id: {row.get('upload_id')}"
        if column == self.SIZE:
            return f"{row.get('total_size') or 0:,} bytes"
        return None
