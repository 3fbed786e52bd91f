"""Uploads that would replace objects: which keys exist (found cheaply), the question, and
each answer — replace, skip existing, cancel — against a real ramod, boto3 the witness."""

import threading

import pytest
from ramoclient.admin import AdminClient
from ramogui.client.conflicts import existing_keys
from ramogui.client.errors import Cancelled
from ramogui.views.browser_view import BrowserView
from ramogui.workers.transfer_queue import REPLACE, SKIP


class CountingAdmin(AdminClient):
    """The real management API client, counting the listings it makes."""

    def __init__(self, admin: AdminClient):
        super().__init__(admin.base_url, admin.api_key)
        self.listings = 0
        self._lock = threading.Lock()

    def list_objects(self, *args, **kwargs):
        with self._lock:
            self.listings += 1
        return super().list_objects(*args, **kwargs)


def put(s3, bucket, keys, body=b"old"):
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def contents(s3, bucket) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


# -- existing_keys ------------------------------------------------------------------------------


def test_a_folder_that_holds_nothing_costs_one_listing(session, s3, bucket):
    put(s3, bucket, ["top.txt", "kept/10.txt"])
    admin = CountingAdmin(session.admin)
    fresh = [f"fresh/{n:03d}.bin" for n in range(150)] + [f"fresh/sub/{n}.bin" for n in range(50)]
    keys = fresh + ["top.txt", "new.txt", "kept/1.txt", "kept/10.txt"]
    assert existing_keys(admin, bucket, keys) == ["kept/10.txt", "top.txt"]
    # fresh/ and fresh/sub/: one listing each; kept/ holds something: its 2 keys looked up;
    # the top level is never listed whole: its 2 keys looked up.
    assert admin.listings == 2 + 1 + 2 + 2


def test_a_key_that_is_only_a_prefix_of_another_does_not_exist(session, s3, bucket):
    put(s3, bucket, ["a/10.txt", "a/1.txt/inner"])
    assert existing_keys(session.admin, bucket, ["a/1.txt", "a/10.txt"]) == ["a/10.txt"]


def test_checking_stops_when_cancelled(session, bucket):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        existing_keys(session.admin, bucket, ["x", "y/z", "y/w"], cancel)


# -- the queue ----------------------------------------------------------------------------------


def files(tmp_path, names):
    paths = []
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"new " + name.encode())
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("answer, expected", [
    (REPLACE, {"d/a.txt": b"new a.txt", "d/b.txt": b"new b.txt"}),
    (SKIP, {"d/a.txt": b"old", "d/b.txt": b"new b.txt"}),
    (None, {"d/a.txt": b"old"}),
])
def test_each_answer(qtbot, transfers, s3, bucket, tmp_path, answer, expected):
    put(s3, bucket, ["d/a.txt"])
    asked = []

    def ask(existing, total):
        asked.append((existing, total))
        return answer

    with qtbot.waitSignal(transfers.idle, timeout=30_000):
        transfers.add_uploads(files(tmp_path, ["a.txt", "b.txt"]), bucket, "d/", ask_replace=ask)
    assert asked == [(["d/a.txt"], 2)]
    assert contents(s3, bucket) == expected
    assert transfers.model.rowCount() == {REPLACE: 2, SKIP: 1, None: 0}[answer]


def test_nothing_existing_asks_nothing(qtbot, transfers, s3, bucket, tmp_path):
    asked = []
    with qtbot.waitSignal(transfers.idle, timeout=30_000):
        files(tmp_path, ["album/1.jpg", "album/2.jpg"])
        transfers.add_uploads([str(tmp_path / "album")], bucket, "",
                          ask_replace=lambda *args: asked.append(args))
    assert asked == [] and set(contents(s3, bucket)) == {"album/1.jpg", "album/2.jpg"}


def test_without_a_question_existing_objects_are_replaced_as_s3_does(qtbot, transfers, s3, bucket,
                                                                      tmp_path):
    put(s3, bucket, ["a.txt"])
    with qtbot.waitSignal(transfers.idle, timeout=30_000):
        transfers.add_uploads(files(tmp_path, ["a.txt"]), bucket)
    assert contents(s3, bucket) == {"a.txt": b"new a.txt"}


# -- the browser's question -----------------------------------------------------------------------


def test_the_browser_asks_and_skip_is_the_default(qtbot, runner, transfers, session, s3, bucket,
                                                  tmp_path, answer_dialog):
    put(s3, bucket, ["d/a.txt", "d/<b>.txt"])
    view = BrowserView(runner, transfers)
    qtbot.addWidget(view)
    view.show()
    view.set_session(session)
    with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
        view.open_bucket(bucket)
    with qtbot.waitSignal(view.listing_loaded, timeout=20_000):
        view.set_prefix("d/")
    seen = answer_dialog("Skip existing", attempts=400)
    with qtbot.waitSignal(transfers.idle, timeout=30_000):
        view.upload_paths(files(tmp_path, ["a.txt", "<b>.txt", "c.txt"]))
    assert seen and seen[0][0] == (
        f"2 of the 3 files already exist in {bucket}/d/:\n  <b>.txt\n  a.txt\n\n"
        "Replace them with the local files, or upload only the others?")
    assert contents(s3, bucket) == {"d/a.txt": b"old", "d/<b>.txt": b"old",
                                    "d/c.txt": b"new c.txt"}
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=10_000)

    seen = answer_dialog(None, attempts=400)                   # the default button
    with qtbot.waitSignal(transfers.idle, timeout=30_000):
        view.upload_paths(files(tmp_path / "again", ["a.txt"]))
    assert [clicked for _text, clicked in seen] == ["Skip existing"]  # Enter replaces nothing
    assert contents(s3, bucket)["d/a.txt"] == b"old"
