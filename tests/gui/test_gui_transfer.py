"""The transfer engine (``ramogui.client.transfer``) against a real ramod, boto3 the witness."""

import hashlib
import os
import threading
from pathlib import Path

import pytest
from ramod_process import unique_bucket_name

from ramogui.client.errors import Cancelled, S3Error, describe
from ramogui.client.transfer import (MiB, TransferError, choose_part_size, download_object,
                                     key_problem, plan_downloads, plan_uploads, upload_file)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uploads_left(s3, bucket) -> list:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def object_exists(s3, bucket, key) -> bool:
    return s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) > 0


# -- planning uploads --------------------------------------------------------------------------

def test_plan_keeps_the_folder_name_under_the_prefix_and_skips_empty_folders(tmp_path):
    photos = tmp_path / "photos"
    write(photos / "x.jpg", b"x")
    write(photos / "2024" / "summer" / "beach.jpg", b"beach")
    write(photos / "2024" / "notes.txt", b"")
    (photos / "empty" / "deeper").mkdir(parents=True)
    single = write(tmp_path / "single.txt", b"12345")

    items = plan_uploads([str(photos), str(single)], "a/")
    assert [(item.key, item.size, item.problem) for item in items] == [
        ("a/photos/x.jpg", 1, ""),
        ("a/photos/2024/notes.txt", 0, ""),
        ("a/photos/2024/summer/beach.jpg", 5, ""),
        ("a/single.txt", 5, ""),
    ]
    assert items[0].path == str(photos / "x.jpg")
    assert [item.key for item in plan_uploads([str(single)], "")] == ["single.txt"]
    assert [item.key for item in plan_uploads([str(single)], "no/slash")] == ["no/slash/single.txt"]


def test_plan_does_not_follow_links_to_folders_and_reports_odd_entries(tmp_path):
    root = tmp_path / "root"
    write(root / "sub" / "file.txt", b"data")
    (root / "sub" / "loop").symlink_to(root)                 # a loop back to the top
    (root / "to-file").symlink_to(root / "sub" / "file.txt")  # links to files are followed
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(root / "pipe")

    items = {item.key: item for item in plan_uploads([str(root)], "")}
    assert set(items) == {"root/dangling", "root/pipe", "root/to-file", "root/sub/file.txt",
                          "root/sub/loop"}
    assert items["root/to-file"].size == 4 and not items["root/to-file"].problem
    assert "link to a folder" in items["root/sub/loop"].problem
    assert "No such file" in items["root/dangling"].problem
    assert "not a file" in items["root/pipe"].problem


def test_plan_of_an_unreadable_folder_reports_it(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = tmp_path / "top" / "locked"
    write(locked / "secret.txt", b"s")
    locked.chmod(0)
    try:
        items = plan_uploads([str(tmp_path / "top")], "")
    finally:
        locked.chmod(0o755)
    assert [item.key for item in items] == ["top/locked/"]
    assert "Permission denied" in items[0].problem


def test_plan_stops_when_cancelled(tmp_path):
    write(tmp_path / "d" / "f", b"f")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        plan_uploads([str(tmp_path / "d")], "", cancel)


def test_part_size_grows_so_there_are_at_most_10000_parts():
    assert choose_part_size(40 * MiB, 5 * MiB) == 5 * MiB
    assert choose_part_size(40 * MiB, 1 * MiB) == 5 * MiB          # S3's minimum
    huge = 200 * 1024 * MiB                                          # 200 GiB
    size = choose_part_size(huge, 8 * MiB)
    assert -(-huge // size) <= 10_000 and size % MiB == 0


# -- uploading ---------------------------------------------------------------------------------

def test_small_file_is_one_put_with_a_guessed_type(session, s3, bucket, tmp_path):
    data = os.urandom(300_000)
    path = write(tmp_path / "page.html", data)
    moved = []
    etag = upload_file(session.s3, str(path), bucket, "site/page.html", on_progress=moved.append)
    got = s3.get_object(Bucket=bucket, Key="site/page.html")
    assert got["Body"].read() == data
    assert got["ContentType"] == "text/html"
    assert etag.strip('"') == hashlib.md5(data).hexdigest()
    assert sum(moved) == len(data)


def test_big_file_is_a_parallel_multipart_upload(session, s3, bucket, tmp_path):
    data = os.urandom(40 * MiB)
    path = write(tmp_path / "big.bin", data)
    moved, threads = [], set()

    def progress(n):
        moved.append(n)
        threads.add(threading.current_thread().name)

    etag = upload_file(session.s3, str(path), bucket, "big.bin", on_progress=progress,
                       part_size=5 * MiB, parallel=4)
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert sha256(got["Body"].read()) == sha256(data)
    assert got["ETag"].endswith('-8"') and etag == got["ETag"]
    assert sum(moved) == len(data)
    assert len(threads) > 1, "parts were not sent in parallel"
    assert uploads_left(s3, bucket) == []


def test_cancel_midway_aborts_the_multipart_upload(session, s3, bucket, tmp_path):
    path = write(tmp_path / "big.bin", os.urandom(40 * MiB))
    cancel, moved = threading.Event(), []

    def progress(n):
        moved.append(n)
        if sum(moved) > 12 * MiB:
            cancel.set()

    with pytest.raises(Cancelled):
        upload_file(session.s3, str(path), bucket, "big.bin", on_progress=progress,
                    cancel=cancel, part_size=5 * MiB, parallel=4)
    assert sum(moved) < 40 * MiB
    assert not object_exists(s3, bucket, "big.bin")
    assert uploads_left(s3, bucket) == []


def test_cancel_before_start_sends_nothing(session, s3, bucket, tmp_path):
    path = write(tmp_path / "f.txt", b"hello")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        upload_file(session.s3, str(path), bucket, "f.txt", cancel=cancel)
    assert not object_exists(s3, bucket, "f.txt")


def test_file_growing_during_the_upload_fails_clearly(session, s3, bucket, tmp_path):
    path = write(tmp_path / "log.bin", os.urandom(20 * MiB))
    grown = []

    def progress(n):
        if not grown:
            grown.append(True)
            with open(path, "ab") as file:
                file.write(b"more")

    with pytest.raises(TransferError) as caught:
        upload_file(session.s3, str(path), bucket, "log.bin", on_progress=progress,
                    part_size=5 * MiB)
    assert "changed while it was being uploaded" in describe(caught.value)
    assert not object_exists(s3, bucket, "log.bin")
    assert uploads_left(s3, bucket) == []


def test_upload_into_a_missing_bucket_says_why_and_retry_succeeds(session, s3, tmp_path):
    name = unique_bucket_name("gui-xfer-missing")
    small = write(tmp_path / "small.txt", b"small")
    big = write(tmp_path / "big.bin", os.urandom(6 * MiB))
    for path in (small, big):
        with pytest.raises(S3Error) as caught:
            upload_file(session.s3, str(path), name, path.name, multipart_threshold=5 * MiB,
                        part_size=5 * MiB)
        assert caught.value.code == "NoSuchBucket"
        assert "bucket does not exist" in describe(caught.value).lower()
    s3.create_bucket(Bucket=name)
    try:
        for path in (small, big):
            upload_file(session.s3, str(path), name, path.name, multipart_threshold=5 * MiB,
                        part_size=5 * MiB)
            assert s3.get_object(Bucket=name, Key=path.name)["Body"].read() == path.read_bytes()
    finally:
        s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "small.txt"},
                                                            {"Key": "big.bin"}]})
        s3.delete_bucket(Bucket=name)


def test_uploading_a_folder_or_pipe_is_refused(session, bucket, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    for path in (tmp_path, tmp_path / "pipe"):
        with pytest.raises(TransferError, match="not a file"):
            upload_file(session.s3, str(path), bucket, "x")


# -- downloading -------------------------------------------------------------------------------

def put_tree(s3, bucket, objects: dict[str, bytes]) -> None:
    for key, data in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)


def download_all(session, items, **kwargs) -> list[str]:
    return [download_object(session.s3, item.bucket, item.key, item.path, **kwargs)
            for item in items]


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def test_download_of_a_folder_reproduces_the_tree(session, s3, bucket, tmp_path):
    objects = {"docs/readme.txt": b"read me", "docs/img/logo.png": os.urandom(3 * MiB),
               "docs/img/deep/er/x.bin": os.urandom(1000), "docs/empty.txt": b"",
               "docs/marker/": b"", "other.txt": b"not in the folder"}
    put_tree(s3, bucket, objects)
    dest = tmp_path / "dest"
    items = plan_downloads(session.admin, bucket, [], ["docs/"], str(dest))
    assert all(not item.problem for item in items)
    assert sum(item.size for item in items) == sum(len(v) for k, v in objects.items()
                                                   if k.startswith("docs/"))
    moved = []
    paths = download_all(session, items, on_progress=moved.append)
    expected = {key: data for key, data in objects.items()
                if key.startswith("docs/") and not key.endswith("/")}
    assert files_under(dest) == expected
    assert sorted(paths) == sorted(str(dest / key) for key in expected)
    assert sum(moved) == sum(len(data) for data in expected.values())


def test_download_of_keys_never_overwrites(session, s3, bucket, tmp_path):
    put_tree(s3, bucket, {"a/report.pdf": b"first", "b/report.pdf": b"second",
                          "photos/p.jpg": b"p"})
    dest = tmp_path / "dest"
    write(dest / "report.pdf", b"mine")
    (dest / "photos").mkdir()
    items = plan_downloads(session.admin, bucket, ["a/report.pdf", "b/report.pdf"],
                           ["photos/"], str(dest))
    assert [Path(item.path).name for item in items] == ["report (1).pdf", "report (2).pdf",
                                                        "p.jpg"]
    assert Path(items[2].path).parent.name == "photos (1)"
    download_all(session, items)
    assert files_under(dest) == {"report.pdf": b"mine", "report (1).pdf": b"first",
                                 "report (2).pdf": b"second", "photos (1)/p.jpg": b"p"}
    # A name taken between planning and saving is not overwritten either.
    assert download_object(session.s3, bucket, "a/report.pdf", str(dest / "report.pdf")) \
        == str(dest / "report (3).pdf")
    assert (dest / "report.pdf").read_bytes() == b"mine"


def test_missing_object_is_reported_when_planning(session, bucket, tmp_path):
    items = plan_downloads(session.admin, bucket, ["nothing.txt"], [], str(tmp_path))
    assert "no longer in the bucket" in items[0].problem


@pytest.mark.parametrize("key", ["../evil", "docs/../../evil", "docs/a/../../../evil", "..",
                                 "docs/..", "./x"])
def test_traversal_keys_are_refused(session, s3, bucket, tmp_path, key):
    s3.put_object(Bucket=bucket, Key=key, Body=b"evil")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    dest = tmp_path / "dest"
    dest.mkdir()
    prefix = "docs/" if key.startswith("docs/") else ""
    items = plan_downloads(session.admin, bucket, [key], [prefix], str(dest))
    assert len(items) == 2
    for item in items:
        assert item.problem.startswith("Refused") and not item.path
    assert files_under(tmp_path) == {}


@pytest.mark.parametrize("key", ["/abs", "/etc/passwd", "a/\0/b", "nul\0", "a/", ".", ""])
def test_unsafe_key_names(key):
    assert key_problem(key).startswith("Refused")


@pytest.mark.parametrize("key", ["a", "a/b.txt", "a//b", "..x/y..", "dir/.hidden"])
def test_safe_key_names(key):
    assert key_problem(key) == ""


def test_cancelled_download_leaves_nothing(session, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="big.bin", Body=os.urandom(8 * MiB))
    cancel, moved = threading.Event(), []

    def progress(n):
        moved.append(n)
        cancel.set()

    with pytest.raises(Cancelled):
        download_object(session.s3, bucket, "big.bin", str(tmp_path / "big.bin"),
                        on_progress=progress, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_failed_download_leaves_nothing(session, bucket, tmp_path):
    with pytest.raises(S3Error) as caught:
        download_object(session.s3, bucket, "missing", str(tmp_path / "sub" / "missing"))
    assert caught.value.status == 404
    assert files_under(tmp_path) == {}


def test_an_existing_part_file_is_left_alone(session, s3, bucket, tmp_path):
    data = os.urandom(2 * MiB)
    s3.put_object(Bucket=bucket, Key="f.bin", Body=data)
    write(tmp_path / "f.bin.part", b"someone else's")
    assert download_object(session.s3, bucket, "f.bin", str(tmp_path / "f.bin")) \
        == str(tmp_path / "f.bin")
    assert files_under(tmp_path) == {"f.bin": data, "f.bin.part": b"someone else's"}


def test_a_finished_download_never_replaces_a_file_that_appeared_meanwhile(tmp_path):
    from ramogui.client.transfer import _place
    part, dest = tmp_path / "report.pdf.part", tmp_path / "report.pdf"
    part.write_bytes(b"downloaded")
    dest.write_bytes(b"made by the user meanwhile")
    (tmp_path / "report (1).pdf").write_bytes(b"an older copy")
    assert _place(str(part), str(dest), overwrite=False) == str(tmp_path / "report (2).pdf")
    assert dest.read_bytes() == b"made by the user meanwhile"
    assert (tmp_path / "report (1).pdf").read_bytes() == b"an older copy"
    assert (tmp_path / "report (2).pdf").read_bytes() == b"downloaded"
    assert not part.exists()
