"""The dashboard: its figures are the server's ``/stats``, its chart the buckets' storage;
and the bar chart on its own (no server)."""

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAccessible, QColor, QHelpEvent, QPalette
from PySide6.QtWidgets import QLabel, QPushButton

from ramogui.client.session import Session

from ramogui.views.bar_chart import BarChart
from ramogui.views.common import human_bytes
from ramogui.views.dashboard_view import FIGURES, DashboardView, load_overview

# -- the chart, no server ---------------------------------------------------------------


def loaded_dashboard(qtbot, runner, session, size=None, shown=True):
    """A ``DashboardView`` on ``session`` (shown, at ``size`` if given) once it has loaded."""
    view = DashboardView(runner)
    qtbot.addWidget(view)
    if size:
        view.resize(*size)
    if shown:
        view.show()
    view.set_session(session)
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    return view


@pytest.mark.parametrize("count", [0, 1, 13, 100])
def test_chart_paints_any_number_of_bars(qtbot, count):
    """Painting works for none, one, just enough and many items, and shows at most 12 + 1."""
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data((f"bucket-{i:03}", i * 1000) for i in range(count))
    chart.resize(chart.sizeHint())
    assert not chart.grab().isNull()
    assert len(chart.bars()) == min(count, 13)
    assert chart.sizeHint().height() >= len(chart.bars()) * chart.fontMetrics().height()


def test_chart_groups_the_rest_biggest_first(qtbot):
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data([(f"b{i:03}", i) for i in range(100)])
    bars = chart.bars()
    assert [label for label, _ in bars[:3]] == ["b099", "b098", "b097"]
    assert bars[-1] == ("88 other buckets", sum(range(88)))
    assert len(chart.items()) == 100


def test_chart_huge_zero_and_negative_sizes(qtbot):
    """Exabytes, zeros and nonsense negatives all paint; negatives count as zero."""
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data([("huge", 2**70), ("big", 2**63 - 1), ("zero", 0), ("bad", -5)])
    chart.resize(300, chart.sizeHint().height())
    assert not chart.grab().isNull()
    assert chart.bars()[-2:] == [("bad", 0), ("zero", 0)]
    chart.set_data([("a", 0), ("b", 0)])               # nothing to scale against
    assert not chart.grab().isNull()


def test_chart_describes_itself_for_screen_readers(qtbot):
    chart = BarChart()
    qtbot.addWidget(chart)
    assert chart.accessibleDescription() == "No buckets."
    chart.set_data([("photos", 1_500_000), ("logs", 2_000)])
    interface = QAccessible.queryAccessibleInterface(chart)
    assert interface.text(QAccessible.Text.Name) == "Storage per bucket"
    assert interface.text(QAccessible.Text.Description) == (
        "2 buckets, 1.5 MB in all, biggest first. photos: 1.5 MB; logs: 2.0 kB.")


def test_chart_bar_under_the_pointer(qtbot):
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data([("a", 10), ("b", 5)])
    chart.resize(chart.sizeHint())
    row = chart.fontMetrics().height() + 10
    assert chart.bar_at(8 + row // 2) == 0
    assert chart.bar_at(8 + row + row // 2) == 1
    assert chart.bar_at(2) is None and chart.bar_at(8 + 3 * row) is None


def test_chart_uses_the_palette(qtbot):
    """Bars are drawn in the palette's highlight colour, so a dark palette gets dark-theme
    colours."""
    chart = BarChart()
    qtbot.addWidget(chart)
    palette = chart.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#3a7bd5"))
    chart.setPalette(palette)
    chart.setAutoFillBackground(True)
    chart.set_data([("only", 100)])
    chart.resize(400, chart.sizeHint().height())
    image = chart.grab().toImage()
    colours = {image.pixelColor(x, image.height() // 2).name() for x in range(image.width())}
    assert "#3a7bd5" in colours and "#202020" in colours


# -- the dashboard on a real server -----------------------------------------------------


def _shown(view: DashboardView) -> dict:
    return {key: view.figure(key) for key, _ in FIGURES}


def _expected(stats: dict) -> dict:
    return {key: human_bytes(stats[key]) if key == "total_storage" else f"{stats[key]:,}"
            for key, _ in FIGURES}


def _load(qtbot, view):
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)


def test_dashboard_shows_stats_and_follows_changes(qtbot, runner, session, s3, bucket,
                                                   screenshot):
    view = loaded_dashboard(qtbot, runner, session, size=(900, 640))
    assert _shown(view) == _expected(session.admin.stats())
    assert view.findChild(QLabel, "figure_buckets").accessibleName().startswith("Buckets: ")
    before = session.admin.stats()

    s3.put_object(Bucket=bucket, Key="dash.bin", Body=b"d" * 12_345)
    with qtbot.waitSignal(view.status_message, timeout=10_000) as said:
        view.refresh()
    assert said.args == ["Dashboard updated"]
    after = session.admin.stats()
    assert after["objects"] == before["objects"] + 1
    assert after["total_storage"] == before["total_storage"] + 12_345
    assert _shown(view) == _expected(after)

    view.set_session(None)
    assert set(_shown(view).values()) == {"–"} and view.chart.items() == []


@pytest.fixture
def more_buckets(s3, bucket):
    """Three more buckets next to ``bucket``, of 30, 20 and 10 kB."""
    names = [f"{bucket}-{n}" for n in (1, 2, 3)]
    for size, name in zip((30_000, 20_000, 10_000), names):
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key="x", Body=b"x" * size)
    yield names
    for name in names:
        s3.delete_object(Bucket=name, Key="x")
        s3.delete_bucket(Bucket=name)


def test_dashboard_chart_has_a_bar_per_bucket(qtbot, runner, session, s3, bucket,
                                              more_buckets, screenshot):
    s3.put_object(Bucket=bucket, Key="a", Body=b"a" * 1000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=1,
                   Body=b"p" * 700)
    view = loaded_dashboard(qtbot, runner, session, size=(900, 520))
    expected = {b["name"]: b["total_size"] + b["multipart_size"]
                for b in session.admin.iter_buckets()}
    assert dict(view.chart.items()) == expected
    assert expected[bucket] == 1700                    # objects + parts of the upload
    assert [expected[name] for name in more_buckets] == [30_000, 20_000, 10_000]
    ours = more_buckets + [bucket]
    assert [name for name, _ in view.chart.items() if name in ours] == ours   # biggest first
    if len(expected) <= 13:                            # every bucket has a bar of its own
        assert f"{bucket}: 1.7 kB" in view.chart.accessibleDescription()
    screenshot(view, "dashboard")


def test_dashboard_bounds_the_buckets_it_fetches(session, s3, bucket):
    """Past ``max_buckets`` the overview stops and says there are more."""
    other = bucket + "-2"
    s3.create_bucket(Bucket=other)
    try:
        total = session.admin.stats()["buckets"]
        overview = load_overview(session.admin, max_buckets=total - 1)
        assert len(overview["buckets"]) == total - 1 and overview["more"] is True
        overview = load_overview(session.admin, max_buckets=total)
        assert len(overview["buckets"]) == total and overview["more"] is False
    finally:
        s3.delete_bucket(Bucket=other)


def test_dashboard_says_when_the_server_is_unreachable(qtbot, runner, profile, secrets):
    profile.admin_url = "http://127.0.0.1:9"            # discard port: nothing listens
    view = loaded_dashboard(qtbot, runner, Session(profile, secrets, timeout=5), shown=False)
    banner = [label for label in view.findChildren(QLabel) if label.accessibleName()
              == "Error message"][0]
    assert "Could not load the dashboard" in banner.text()
    assert view.figure("objects") == "–"


def test_dashboard_refreshes_on_f5(qtbot, runner, session):
    view = loaded_dashboard(qtbot, runner, session)
    button = view.findChild(QPushButton, "dashboardRefresh")
    button.setFocus()
    with qtbot.waitSignal(view.status_message, timeout=10_000):
        qtbot.keyClick(button, Qt.Key.Key_F5)


def test_chart_tooltip_of_a_bar(qtbot):
    """A tooltip event over a bar is taken (not passed on)."""
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data([("a", 10)])
    chart.resize(chart.sizeHint())
    chart.show()
    event = QHelpEvent(QEvent.Type.ToolTip, QPoint(50, 12), chart.mapToGlobal(QPoint(50, 12)))
    assert chart.event(event) is True
