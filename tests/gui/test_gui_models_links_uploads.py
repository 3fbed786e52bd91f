"""The share-link and upload table models, with no window and no server."""

from PySide6.QtCore import QSortFilterProxyModel, Qt

from ramogui.models.links_model import LinksModel
from ramogui.models.uploads_model import UploadsModel
from ramogui.formatting import local_time


def _link(link_id: int, key: str = "k", created: str = "2026-11-22T10:04:05Z") -> dict:
    return {"id": link_id, "url": f"http://s3/{key}?sig={link_id}", "bucket_name": "b",
            "object_key": key, "method": "GET", "access_key": "AK", "created_at": created,
            "expires_at": "2026-11-23T10:04:05Z", "revoked_at": None, "is_active": True}


def _upload(upload_id: str, key: str, parts: int, size: int,
            initiated: str = "2026-11-22T10:04:05Z") -> dict:
    return {"upload_id": upload_id, "object_key": key, "initiated_by": "root",
            "content_type": None, "initiated_at": initiated, "part_count": parts,
            "total_size": size, "total_size_human": ""}


def _column(model, column, role=Qt.ItemDataRole.DisplayRole) -> list:
    return [model.index(row, column).data(role) for row in range(model.rowCount())]


def test_links_model_columns_and_roles(qtmodeltester):
    model = LinksModel()
    model.set_rows([_link(1, "a.txt")])
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(model.columnCount())] == list(LinksModel.HEADERS)
    assert _column(model, LinksModel.OBJECT) == ["a.txt"]
    assert _column(model, LinksModel.BUCKET) == ["b"]
    assert _column(model, LinksModel.ACCESS_KEY) == ["AK"]
    assert _column(model, LinksModel.CREATED) == [local_time("2026-11-22T10:04:05Z")]
    assert _column(model, LinksModel.CREATED, LinksModel.SORT_ROLE) == ["2026-11-22T10:04:05Z"]
    assert _column(model, LinksModel.OBJECT, Qt.ItemDataRole.ToolTipRole) == [
        "http://s3/a.txt?sig=1"]
    assert model.row(0)["id"] == 1


def test_links_model_append_and_remove():
    model = LinksModel()
    model.set_rows([_link(1), _link(2)])
    model.append_rows([_link(2), _link(3), _link(4)])      # 2 again: not repeated
    assert [model.row(r)["id"] for r in range(model.rowCount())] == [1, 2, 3, 4]
    model.remove_ids([2, 4, 99])
    assert [model.row(r)["id"] for r in range(model.rowCount())] == [1, 3]
    model.set_rows([])
    assert model.rowCount() == 0


def test_links_model_sorts_by_time():
    model = LinksModel()
    model.set_rows([_link(1, "old", "2026-01-02T00:00:00Z"),
                    _link(2, "new", "2026-11-01T00:00:00Z"),
                    _link(3, "mid", "2026-05-01T00:00:00Z")])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(LinksModel.SORT_ROLE)
    proxy.sort(LinksModel.CREATED, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, LinksModel.OBJECT) == ["new", "mid", "old"]


def test_uploads_model_columns_and_roles(qtmodeltester):
    model = UploadsModel()
    model.set_rows([_upload("u1", "big.iso", 3, 15_000_000)])
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(model.columnCount())] == list(UploadsModel.HEADERS)
    assert _column(model, UploadsModel.KEY) == ["big.iso"]
    assert _column(model, UploadsModel.INITIATED_BY) == ["root"]
    assert _column(model, UploadsModel.PARTS) == [3]
    assert _column(model, UploadsModel.SIZE) == ["15.0 MB"]
    assert _column(model, UploadsModel.SIZE, UploadsModel.SORT_ROLE) == [15_000_000]
    assert _column(model, UploadsModel.SIZE, Qt.ItemDataRole.ToolTipRole) == ["15,000,000 bytes"]
    assert "u1" in _column(model, UploadsModel.KEY, Qt.ItemDataRole.ToolTipRole)[0]


def test_uploads_model_sorts_sizes_as_numbers():
    """9 kB < 10 kB < 100 B would be the order of the display text; the sort role is bytes."""
    model = UploadsModel()
    model.set_rows([_upload("a", "a", 1, 9_000), _upload("b", "b", 1, 100),
                    _upload("c", "c", 1, 10_000), _upload("d", "d", 1, 5 * 2**40)])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(UploadsModel.SORT_ROLE)
    proxy.sort(UploadsModel.SIZE)
    assert _column(proxy, UploadsModel.KEY) == ["b", "a", "c", "d"]


def test_uploads_model_append_and_remove():
    model = UploadsModel()
    model.set_rows([_upload("a", "a", 1, 1)])
    model.append_rows([_upload("a", "a", 1, 1), _upload("b", "b", 2, 2)])
    assert [model.row(r)["upload_id"] for r in range(model.rowCount())] == ["a", "b"]
    model.remove_ids(["a"])
    assert [model.row(r)["upload_id"] for r in range(model.rowCount())] == ["b"]
