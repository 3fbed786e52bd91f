"""CredentialsModel and BucketsModel with no window: cells, sort role, filter role, paging,
changes in place; and the bucket naming rules of the new-bucket dialog."""

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt

from ramogui.models.rows_model import ValueSortProxy
from ramogui.models.buckets_model import BucketsModel
from ramogui.models.credentials_model import CredentialsModel, rate_limit_text
from ramogui.views.buckets_view import bucket_name_problem

DISPLAY, SORT = Qt.ItemDataRole.DisplayRole, CredentialsModel.SORT_ROLE


def credential(id_, user, access, *, active=True, root=False, rate=None,
               created="2026-01-02T03:04:05Z"):
    return {"id": id_, "user_name": user, "access_key": access, "is_active": active,
            "is_root": root, "rate_limit": rate, "created_at": created}


def bucket(name, owner="alice", count=0, size=0, uploads=0, quota=None,
           created="2026-01-02T03:04:05Z"):
    return {"name": name, "owner_id": 2, "owner_name": owner, "object_count": count,
            "total_size": size, "multipart_size": uploads, "quota_bytes": quota,
            "created_at": created, "region": "us-east-1"}


def cell(model, row, column, role=DISPLAY):
    return model.data(model.index(row, column), role)


def sorted_column(model, column, key_column, order=Qt.SortOrder.AscendingOrder):
    """The ``key_column`` texts after sorting the app's proxy of ``model`` by ``column``."""
    proxy = ValueSortProxy()
    proxy.setSourceModel(model)
    proxy.setSortRole(model.SORT_ROLE)
    proxy.sort(column, order)
    return [proxy.index(i, key_column).data() for i in range(proxy.rowCount())]


@pytest.fixture
def keys(qtmodeltester):
    model = CredentialsModel()
    model.set_rows([
        credential(1, "root", "ROOTKEY0000000000", root=True),
        credential(7, "bob", "BOBKEY00000000000", active=False, rate=2.5),
        credential(12, "alice", "ALICEKEY000000000", rate=100),
    ])
    qtmodeltester.check(model)
    return model


@pytest.fixture
def buckets(qtmodeltester):
    model = BucketsModel()
    model.set_rows([
        bucket("alpha", count=3, size=900),
        bucket("beta", owner="bob", count=20, size=5_000_000_000, uploads=1500,
               quota=10_000_000_000),
        bucket("gamma", count=1_000_000, size=5_000, quota=0),
    ])
    qtmodeltester.check(model)
    return model


def test_credential_cells_are_for_people(keys):
    assert keys.rowCount() == 3 and keys.columnCount() == 7
    assert keys.headerData(CredentialsModel.ACCESS_KEY, Qt.Orientation.Horizontal) == \
        "Access key"
    assert [cell(keys, 1, c) for c in range(6)] == \
        ["7", "bob", "BOBKEY00000000000", "Disabled", "", "2.5/s"]
    assert cell(keys, 0, CredentialsModel.ROOT) == "Yes"
    assert cell(keys, 0, CredentialsModel.STATUS) == "Enabled"
    assert cell(keys, 0, CredentialsModel.RATE_LIMIT) == "Unlimited"
    assert cell(keys, 2, CredentialsModel.RATE_LIMIT) == "100/s"
    assert cell(keys, 0, CredentialsModel.CREATED).startswith("2026-01-0")
    assert cell(keys, 0, CredentialsModel.CREATED, Qt.ItemDataRole.ToolTipRole) == \
        "2026-01-02T03:04:05Z"
    assert rate_limit_text(None) == "Unlimited"


def test_credentials_sort_by_raw_values(keys):
    # ids as numbers (12 after 7), unlimited rate limits last
    assert sorted_column(keys, CredentialsModel.ID, CredentialsModel.ID) == ["1", "7", "12"]
    assert sorted_column(keys, CredentialsModel.RATE_LIMIT, CredentialsModel.USER) == \
        ["bob", "alice", "root"]
    assert sorted_column(keys, CredentialsModel.STATUS, CredentialsModel.USER)[0] == "bob"
    assert cell(keys, 1, CredentialsModel.RATE_LIMIT, SORT) == 2.5


def test_credentials_filter_matches_user_and_access_key(keys):
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(keys)
    proxy.setFilterRole(CredentialsModel.FILTER_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterFixedString("ALICE")
    assert [proxy.index(i, CredentialsModel.ID).data() for i in range(proxy.rowCount())] == ["12"]
    proxy.setFilterFixedString("bobkey")
    assert proxy.rowCount() == 1
    proxy.setFilterFixedString("Enabled")       # other columns are not searched
    assert proxy.rowCount() == 0


def test_credentials_pages_changes_and_removal(keys, qtbot):
    keys.append_rows([credential(13, "carol", "CAROLKEY000000000")])
    keys.append_rows([])
    assert keys.rowCount() == 4 and keys.row(3)["user_name"] == "carol"
    assert keys.find(13) == 3 and keys.find(99) == -1
    with qtbot.waitSignal(keys.dataChanged):
        keys.replace_row(credential(7, "robert", "BOBKEY00000000000"))
    assert cell(keys, 1, CredentialsModel.USER) == "robert"
    assert cell(keys, 1, CredentialsModel.STATUS) == "Enabled"
    keys.remove_row(7)
    keys.remove_row(99)
    assert [keys.row(i)["id"] for i in range(keys.rowCount())] == [1, 12, 13]
    keys.set_rows([])
    assert keys.rowCount() == 0


def test_bucket_cells_are_for_people(buckets):
    assert buckets.columnCount() == 7
    assert [cell(buckets, 1, c) for c in range(6)] == \
        ["beta", "bob", "20", "5.0 GB", "1.5 kB", "10.0 GB (50% used)"]
    assert cell(buckets, 0, BucketsModel.SIZE) == "900 B"
    assert cell(buckets, 0, BucketsModel.QUOTA) == "None"
    assert cell(buckets, 2, BucketsModel.OBJECTS) == "1,000,000"
    assert cell(buckets, 2, BucketsModel.QUOTA) == "0 B (no room for writes)"
    assert cell(buckets, 1, BucketsModel.SIZE, Qt.ItemDataRole.ToolTipRole) == \
        "5,000,000,000 bytes"
    assert cell(buckets, 0, BucketsModel.CREATED).startswith("2026-01-0")
    assert cell(buckets, 1, BucketsModel.SIZE, Qt.ItemDataRole.TextAlignmentRole) is not None


def test_buckets_sort_by_bytes_not_text(buckets):
    # "900 B" < "5.0 kB" < "5.0 GB" although the text sorts the other way; 5 GB > 2**31
    assert sorted_column(buckets, BucketsModel.SIZE, BucketsModel.NAME) == \
        ["alpha", "gamma", "beta"]
    assert sorted_column(buckets, BucketsModel.OBJECTS, BucketsModel.NAME,
                         Qt.SortOrder.DescendingOrder) == ["gamma", "beta", "alpha"]
    # no quota counts as unlimited: after every quota
    assert sorted_column(buckets, BucketsModel.QUOTA, BucketsModel.NAME) == \
        ["gamma", "beta", "alpha"]
    assert cell(buckets, 1, BucketsModel.SIZE, BucketsModel.SORT_ROLE) == 5_000_000_000


def test_buckets_partial_rows_and_paging(qtmodeltester):
    """The buckets of a credential have only name, count and size."""
    model = BucketsModel()
    model.set_rows([{"name": "only", "object_count": 2, "total_size": 10,
                     "total_size_human": "10 B"}])
    model.append_rows([bucket("more")])
    qtmodeltester.check(model)
    assert [cell(model, 0, c) for c in range(7)] == ["only", "", "2", "10 B", "", "", ""]
    assert model.find("more") == 1
    model.remove_row("only")
    assert model.rowCount() == 1 and model.row(0)["name"] == "more"


@pytest.mark.parametrize("name, rule", [
    ("ab", "between 3 and 63"), ("a" * 64, "between 3 and 63"), ("Photos", "lowercase"),
    ("my_bucket", "lowercase"), ("-abc", "begin and end"), ("abc.", "begin and end"),
    ("a..b", "two adjacent periods"), ("a.-b", "period next to a hyphen"),
    ("192.168.1.10", "IP address"), ("xn--abc", "must not start with"),
    ("abc-s3alias", "reserved suffix"),
])
def test_bucket_names_refused(name, rule):
    assert rule in bucket_name_problem(name)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "photos-2026", "my.site.example", "1.2.3"])
def test_bucket_names_accepted(name):
    assert bucket_name_problem(name) == ""
