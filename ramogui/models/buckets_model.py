"""Buckets with their object counts and sizes, as the management API lists them."""

from PySide6.QtCore import Qt

from ramogui.formatting import human_bytes, local_time
from ramogui.models.rows_model import RowsModel


class BucketsModel(RowsModel):
    """One row per bucket dict (``name``, ``owner_name``, ``object_count``, ``total_size``,
    ``multipart_size``, ``quota_bytes``, ``created_at``).  Rows may lack some fields (the
    ``buckets`` of a credential have only name, count and size): those cells stay empty.

    ``SORT_ROLE`` gives raw values (bytes as ints, ISO times; no quota sorts as infinite);
    ``FILTER_ROLE`` gives the name and owner, what the filter box matches.  ``find`` and
    ``remove_row`` take a bucket name.
    """

    NAME, OWNER, OBJECTS, SIZE, UPLOADS, QUOTA, CREATED = range(7)
    HEADERS = ("Name", "Owner", "Objects", "Size", "Uploads in progress", "Quota", "Created")
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_FIELD = "name"
    RIGHT_ALIGNED = (OBJECTS, SIZE, UPLOADS, QUOTA)
    _FIELDS = ("name", "owner_name", "object_count", "total_size", "multipart_size",
               "quota_bytes", "created_at")

    def display(self, row: dict, column: int) -> str:
        field = self._FIELDS[column]
        if field not in row:
            return ""
        if column == self.QUOTA:
            return _quota_text(row)
        value = row[field]
        if column in (self.SIZE, self.UPLOADS):
            return human_bytes(value)
        if column == self.OBJECTS:
            return f"{value:,}"
        if column == self.CREATED:
            return local_time(value)
        return value

    def sort_value(self, row: dict, column: int):
        value = row.get(self._FIELDS[column])
        return float("inf") if column == self.QUOTA and value is None else value

    def filter_text(self, row: dict) -> str:
        return f"{row['name']}\n{row.get('owner_name', '')}"

    def tooltip(self, row: dict, column: int) -> str | None:
        field = self._FIELDS[column]
        if column in (self.SIZE, self.UPLOADS) and field in row:
            return f"{row[field]:,} bytes"
        return None


def _quota_text(row: dict) -> str:
    """``"None"``, or the quota and how much of it is used, e.g. ``"10.0 MB (45% used)"``."""
    quota = row["quota_bytes"]
    if quota is None:
        return "None"
    used = row.get("total_size", 0) + row.get("multipart_size", 0)
    share = f"{100 * used / quota:.0f}% used" if quota else "no room for writes"
    return f"{human_bytes(quota)} ({share})"
