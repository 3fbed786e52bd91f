"""The rows of the transfers panel (``views/transfers_panel.py``): one per upload or download,
fed by ``workers/transfer_queue.py`` on the GUI thread.

A row is a dict: ``id``, ``direction`` (``"upload"``/``"download"``), ``name``, ``bucket``,
``key``, ``path`` (the local file), ``size``, ``done`` (bytes moved), ``state`` (one of
``STATES``), ``reason`` (why it failed), ``speed`` (bytes/s, a moving average) and the
progress samples the speed comes from.
"""

import collections
import math
import time

from PySide6.QtCore import Qt

from ramoclient.human import human_bytes
from ramogui.models.rows_model import RowsModel

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ENDED = (DONE, FAILED, CANCELLED)
UPLOAD, DOWNLOAD = "upload", "download"

SPEED_WINDOW = 5.0          # seconds of samples the speed is averaged over
_MIN_SPAN = 0.5             # no speed shown before this many seconds of samples

SORT_ROLE = Qt.ItemDataRole.UserRole
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1     # the fraction done, a float 0..1
ID_ROLE = Qt.ItemDataRole.UserRole + 2           # the transfer id

_ARROWS = {UPLOAD: "↑", DOWNLOAD: "↓"}
_STATE_TEXT = {QUEUED: "Queued", RUNNING: "Running", DONE: "Done", FAILED: "Failed",
               CANCELLED: "Cancelled"}


def speed_text(bytes_per_second: float | None) -> str:
    """``1234567`` -> ``"1.2 MB/s"``; ``""`` when unknown."""
    if bytes_per_second is None or bytes_per_second < 0 or math.isnan(bytes_per_second):
        return ""
    return human_bytes(int(bytes_per_second)) + "/s"


def duration_text(seconds: float | None) -> str:
    """``200`` -> ``"3 min 20 s"``, ``7500`` -> ``"2 h 5 min"``; ``""`` when unknown."""
    if seconds is None or seconds < 0 or not math.isfinite(seconds):
        return ""
    seconds = math.ceil(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        minutes = rest // 60
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return f"{days} d {hours} h" if hours else f"{days} d"


def remaining_seconds(size: int, done: int, bytes_per_second: float | None) -> float | None:
    """Seconds until ``size`` bytes are done at this speed; ``None`` when unknown."""
    if not bytes_per_second or bytes_per_second <= 0 or size <= 0:
        return None
    return max(size - done, 0) / bytes_per_second


def moving_speed(samples) -> float | None:
    """Bytes per second over ``samples`` of ``(time, bytes done)``, oldest first; ``None``
    until they span half a second."""
    if len(samples) < 2:
        return None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    if t1 - t0 < _MIN_SPAN:
        return None
    return max(d1 - d0, 0) / (t1 - t0)


class TransfersModel(RowsModel):
    """Transfers in the order they were added."""

    NAME, DIRECTION, LOCATION, SIZE, PROGRESS, SPEED, REMAINING, STATE, REASON = range(9)
    HEADERS = ("Name", "", "Bucket / key", "Size", "Progress", "Speed", "Remaining", "State",
               "Reason")
    RIGHT_ALIGNED = (SIZE, SPEED, REMAINING)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._index: dict[int, int] = {}          # transfer id -> row number

    # -- reading -------------------------------------------------------------------------

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if (orientation == Qt.Orientation.Horizontal and section == self.DIRECTION
                and role == Qt.ItemDataRole.ToolTipRole):
            return "Upload (↑) or download (↓)"
        return super().headerData(section, orientation, role)

    def role_data(self, row: dict, column: int, role: int):
        if role == PROGRESS_ROLE:
            return self.fraction(row)
        if role == ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == self.DIRECTION:
                return row["direction"].capitalize()
            return self.display(row, column)
        return None

    def display(self, row: dict, column: int) -> str:
        if column == self.NAME:
            return row["name"]
        if column == self.DIRECTION:
            return _ARROWS[row["direction"]]
        if column == self.LOCATION:
            return f"{row['bucket']}/{row['key']}"
        if column == self.SIZE:
            return human_bytes(row["size"])
        if column == self.PROGRESS:
            return progress_text(row)
        if column == self.SPEED:
            return speed_text(row["speed"]) if row["state"] == RUNNING else ""
        if column == self.REMAINING:
            return duration_text(self.remaining(row)) if row["state"] == RUNNING else ""
        if column == self.STATE:
            return _STATE_TEXT[row["state"]]
        return row["reason"]

    def sort_value(self, row: dict, column: int):
        if column == self.SIZE:
            return row["size"]
        if column == self.PROGRESS:
            return self.fraction(row)
        if column == self.SPEED:
            return row["speed"] or 0.0
        if column == self.REMAINING:
            return self.remaining(row) or 0.0
        if column == self.STATE:
            return STATES.index(row["state"])
        return self.display(row, column)

    def tooltip(self, row: dict, column: int) -> str:
        lines = [f"{row['direction'].capitalize()} of {row['path'] or row['name']}",
                 f"{'to' if row['direction'] == UPLOAD else 'from'} {row['bucket']}/{row['key']}"]
        if row["reason"]:
            lines.append(f"{_STATE_TEXT[row['state']]}: {row['reason']}")
        return "\n".join(lines)

    @staticmethod
    def fraction(row: dict) -> float:
        """How much of the transfer is done, 0..1 (0 once it failed or was cancelled: an
        aborted transfer leaves nothing behind)."""
        if row["state"] == DONE:
            return 1.0
        if row["size"] <= 0 or row["state"] in (FAILED, CANCELLED):
            return 0.0
        return min(row["done"] / row["size"], 1.0)

    @staticmethod
    def remaining(row: dict) -> float | None:
        return remaining_seconds(row["size"], row["done"], row["speed"])

    def row_of(self, transfer_id: int) -> int:
        """The row number of a transfer; -1 if it is not here."""
        return self._index.get(transfer_id, -1)

    def get(self, transfer_id: int) -> dict | None:
        i = self._index.get(transfer_id)
        return None if i is None else self._rows[i]

    def counts(self) -> dict[str, int]:
        """How many transfers are in each state."""
        counts = dict.fromkeys(STATES, 0)
        for row in self._rows:
            counts[row["state"]] += 1
        return counts

    def total_speed(self) -> float:
        return sum(row["speed"] or 0.0 for row in self._rows if row["state"] == RUNNING)

    # -- writing (the queue, on the GUI thread) -------------------------------------------

    def set_rows(self, rows: list[dict]) -> None:
        """Replace every row (rows made by ``new_row``)."""
        self._index = {row["id"]: i for i, row in enumerate(rows)}
        super().set_rows(rows)

    def append_rows(self, rows: list[dict]) -> None:
        """Append rows (made by ``new_row``)."""
        for i, row in enumerate(rows, len(self._rows)):
            self._index[row["id"]] = i
        super().append_rows(rows)

    def add(self, rows: list[dict]) -> None:
        """Append rows (made by ``new_row``); the queue's name for ``append_rows``."""
        self.append_rows(rows)

    def remove(self, transfer_ids) -> None:
        """Drop these transfers' rows."""
        gone = set(transfer_ids)
        if gone & self._index.keys():
            self.set_rows([row for row in self._rows if row["id"] not in gone])

    def set_state(self, transfer_id: int, state: str, reason: str = "") -> None:
        row = self.get(transfer_id)
        if row is None:
            return
        row["state"], row["reason"] = state, reason
        if state in (QUEUED, RUNNING):
            row["samples"].clear()
            row["speed"] = None
        if state == QUEUED:
            row["done"] = 0
        self._changed(transfer_id)

    def set_progress(self, transfer_id: int, done: int, size: int | None = None,
                     now: float | None = None) -> None:
        """``done`` bytes moved (and the size, if it turned out different) at ``now``
        (``time.monotonic()``)."""
        row = self.get(transfer_id)
        if row is None:
            return
        row["done"] = done
        if size is not None:
            row["size"] = size
        self._sample(row, time.monotonic() if now is None else now)
        self._changed(transfer_id)

    def tick(self, now: float | None = None) -> None:
        """Add a sample to every running transfer, so a stalled one's speed falls."""
        now = time.monotonic() if now is None else now
        for row in self._rows:
            if row["state"] == RUNNING:
                self._sample(row, now)
                self._changed(row["id"], (self.SPEED, self.REMAINING))

    def _sample(self, row: dict, now: float) -> None:
        samples = row["samples"]
        samples.append((now, row["done"]))
        while len(samples) > 2 and now - samples[1][0] >= SPEED_WINDOW:
            samples.popleft()
        row["speed"] = moving_speed(samples)

    def _changed(self, transfer_id: int, columns=None) -> None:
        i = self._index[transfer_id]
        first, last = (self.NAME, self.REASON) if columns is None else (min(columns),
                                                                        max(columns))
        self.dataChanged.emit(self.index(i, first), self.index(i, last))


def new_row(id: int, direction: str, name: str, bucket: str, key: str, path: str, size: int,
            state: str = QUEUED, reason: str = "", done: int = 0) -> dict:
    """A row as the model keeps it."""
    return {"id": id, "direction": direction, "name": name, "bucket": bucket, "key": key,
            "path": path, "size": size, "done": done, "state": state, "reason": reason,
            "speed": None, "samples": collections.deque()}


def progress_text(row: dict) -> str:
    """The text on the progress bar: ``"30 % · 12.0 MB of 40.0 MB"``, ``"100 %"`` once done,
    ``"Cancelled at 30 %"``, ``"Failed"`` (the reason has a column of its own)."""
    if row["state"] == DONE:
        return "100 %"
    if row["state"] == FAILED:
        return "Failed"
    percent = int(min(row["done"] / row["size"], 1.0) * 100) if row["size"] > 0 else 0
    if row["state"] == CANCELLED:
        return f"Cancelled at {percent} %"
    return f"{percent} % · {human_bytes(row['done'])} of {human_bytes(row['size'])}"
