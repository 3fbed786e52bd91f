"""Facts about the Qt binding the app relies on, checked on the installed PySide6."""

import sys

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from ramogui.models.uploads_model import UploadsModel
from ramogui.views.common import sorted_table


class _Emitter(QObject):
    number = Signal("qint64")


def test_emitting_signals_does_not_leak_references_to_true(qtbot):
    """PySide6 6.12.0 drops a reference to ``True`` on every emit(); on Python 3.11 the
    interpreter then aborts (bool_dealloc) after a few hundred signals. That release must
    not come back."""
    emitter = _Emitter()
    received = []
    emitter.number.connect(received.append)
    before = sys.getrefcount(True)
    for value in range(1000):
        emitter.number.emit(value)
    assert abs(sys.getrefcount(True) - before) < 100      # 6.12.0: -1000
    assert len(received) == 1000


def test_64_bit_signal_arguments_arrive_whole(qtbot):
    emitter = _Emitter()
    received = []
    emitter.number.connect(received.append)
    emitter.number.emit(5 * 1024 ** 3)
    assert received == [5 * 1024 ** 3]


def test_tables_sort_sizes_above_and_below_2_gib_as_numbers(qtbot):
    holder = QWidget()              # owns model, proxy and table: Qt deletes them in order
    qtbot.addWidget(holder)
    model = UploadsModel(holder)
    sizes = [5, 2 ** 31 + 1, 2 ** 40, 3000, 2 ** 31 - 1]
    model.set_rows([{"upload_id": str(n), "object_key": f"k{n}", "initiated_by": "u",
                     "initiated_at": "2026-11-22T10:00:00Z", "part_count": 1, "total_size": size,
                     "total_size_human": ""} for n, size in enumerate(sizes)])
    table = sorted_table(model, UploadsModel.SIZE, "t", "t")
    table.setParent(holder)
    table.sortByColumn(UploadsModel.SIZE, Qt.SortOrder.AscendingOrder)
    proxy = table.model()
    shown = [model.row(proxy.mapToSource(proxy.index(r, 0)).row())["total_size"]
             for r in range(proxy.rowCount())]
    assert shown == sorted(sizes)


def test_tooltips_that_look_like_html_are_escaped():
    from ramogui.models.rows_model import as_plain_tooltip
    assert as_plain_tooltip("photos/cat.jpg") == "photos/cat.jpg"
    assert as_plain_tooltip("https://h/b/k?X-Amz-A=1&b=2") == "https://h/b/k?X-Amz-A=1&b=2"
    shown = as_plain_tooltip("a/<img src=x>.txt")
    assert "<img" not in shown and "&lt;img src=x&gt;.txt" in shown
    assert as_plain_tooltip(None) is None
