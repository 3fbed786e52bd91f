"""rclone (the Debian package) against the session ramod, configured only by environment variables.

rclone's S3 backend with ``provider = Other`` exercises listing, multipart uploads above
``--s3-upload-cutoff``, CopyObject onto itself with ``MetadataDirective: REPLACE`` (to change
an object's modification time) and server-side copies between buckets.
"""

import datetime
import json
import os

import pytest

from clients import (
    MiB, SMALL_FILES, base_env, bucket_exists, make_tree, multipart_etag, object_md5s,
    require_tool, run_client, scratch_buckets, tree_md5s)
from ramod_process import REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY

LARGE = ("media/large video.bin", 12 * MiB)  # above the 5 MiB upload cutoff: 3 parts
PART = 5 * MiB


@pytest.fixture
def rclone(ramod, tmp_path):
    """Run ``rclone`` with the remote ``ramo:`` pointing at the session server."""
    binary = require_tool("rclone")
    env = base_env(tmp_path) | {
        "RCLONE_CONFIG_RAMO_TYPE": "s3",
        "RCLONE_CONFIG_RAMO_PROVIDER": "Other",
        "RCLONE_CONFIG_RAMO_ENDPOINT": ramod.endpoint,
        "RCLONE_CONFIG_RAMO_ACCESS_KEY_ID": ROOT_ACCESS_KEY,
        "RCLONE_CONFIG_RAMO_SECRET_ACCESS_KEY": ROOT_SECRET_KEY,
        "RCLONE_CONFIG_RAMO_REGION": REGION,
        "RCLONE_CONFIG_RAMO_FORCE_PATH_STYLE": "true",
    }
    common = ["--config", "", "--retries", "1", "--low-level-retries", "1",
              "--contimeout", "10s", "--timeout", "30s",
              "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"]

    def run(*args, check=True, timeout=60):
        return run_client([binary, *args, *common], env=env, cwd=tmp_path,
                          timeout=timeout, check=check)

    return run


def lsjson(rclone, target):
    """``{path: entry}`` of every file under ``target``, with MD5 hashes."""
    entries = json.loads(rclone("lsjson", "-R", "--files-only", "--hash", target).stdout)
    return {entry["Path"]: entry for entry in entries}


def assert_check_clean(rclone, source, target, count):
    """``rclone check`` (sizes and MD5s) finds no difference and ``count`` matching files."""
    result = rclone("check", source, target)
    assert "0 differences found" in result.stderr, result.stderr
    assert f"{count} matching files" in result.stderr, result.stderr
    assert "could not be checked" not in result.stderr, result.stderr  # every MD5 was compared


def test_copy_tree_check_and_lsjson(rclone, s3, tmp_path):
    """A tree with an empty file, non-ASCII names and a multipart file uploads byte for byte."""
    local = tmp_path / "tree"
    md5s = make_tree(local, large=LARGE)
    with scratch_buckets(s3, "rc") as (bucket,):
        rclone("mkdir", f"ramo:{bucket}")
        assert bucket_exists(s3, bucket)
        rclone("copy", local, f"ramo:{bucket}")

        assert object_md5s(s3, bucket, md5s) == md5s
        head = s3.head_object(Bucket=bucket, Key=LARGE[0])
        assert head["ContentLength"] == LARGE[1]
        assert head["ETag"] == multipart_etag(local / LARGE[0], PART)  # "...-3"
        assert_check_clean(rclone, local, f"ramo:{bucket}", len(md5s))

        listed = lsjson(rclone, f"ramo:{bucket}")
        assert {path: (entry["Size"], entry["Hashes"]["md5"]) for path, entry in listed.items()} \
            == {rel: ((local / rel).stat().st_size, md5) for rel, md5 in md5s.items()}
        for rel, entry in listed.items():  # rclone keeps the local mtime in X-Amz-Meta-Mtime
            local_mtime = datetime.datetime.fromtimestamp(
                (local / rel).stat().st_mtime, datetime.timezone.utc)
            remote_mtime = datetime.datetime.fromisoformat(entry["ModTime"].replace("Z", "+00:00"))
            assert abs((remote_mtime - local_mtime).total_seconds()) < 0.01, rel


def test_sync_deletes_and_updates(rclone, s3, tmp_path):
    """``rclone sync`` removes objects whose files are gone and replaces changed ones."""
    local = tmp_path / "tree"
    make_tree(local)
    with scratch_buckets(s3, "rc") as (bucket,):
        rclone("mkdir", f"ramo:{bucket}")
        rclone("copy", local, f"ramo:{bucket}")
        (local / "docs/readme.md").unlink()
        (local / "data/numbers.csv").write_bytes(b"changed\n")
        (local / "docs/deep/new file.txt").write_bytes(b"new\n")
        rclone("sync", local, f"ramo:{bucket}")

        md5s = tree_md5s(local)
        assert set(lsjson(rclone, f"ramo:{bucket}")) == set(md5s)
        assert object_md5s(s3, bucket, [*md5s, "docs/readme.md"]) == md5s | {"docs/readme.md": None}
        assert_check_clean(rclone, local, f"ramo:{bucket}", len(md5s))


def test_touch_existing_object_keeps_bytes(rclone, s3, tmp_path):
    """Changing the mtime of an object (a CopyObject onto itself) keeps its bytes."""
    local = tmp_path / "tree"
    md5s = make_tree(local)
    key = "docs/deep/er/ünïcødé 日本語.txt"
    with scratch_buckets(s3, "rc") as (bucket,):
        rclone("mkdir", f"ramo:{bucket}")
        rclone("copy", local, f"ramo:{bucket}")
        rclone("touch", "--no-create", "-t", "2001-02-03T04:05:06", f"ramo:{bucket}/{key}")

        assert lsjson(rclone, f"ramo:{bucket}")[key]["ModTime"].startswith("2001-02-03T04:05:06")
        head = s3.head_object(Bucket=bucket, Key=key)
        stamp = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc).timestamp()
        assert float(head["Metadata"]["mtime"]) == stamp
        assert head["ContentLength"] == len(SMALL_FILES[key])
        assert object_md5s(s3, bucket, md5s) == md5s


def test_server_side_copy_between_buckets(rclone, s3, tmp_path):
    """``rclone copy ramo:b1 ramo:b2`` copies every object on the server (CopyObject)."""
    local = tmp_path / "tree"
    md5s = make_tree(local, large=("big.bin", 6 * MiB))
    with scratch_buckets(s3, "rc", "rc2") as (first, second):
        rclone("mkdir", f"ramo:{first}")
        rclone("mkdir", f"ramo:{second}")
        rclone("copy", local, f"ramo:{first}")
        result = rclone("copy", "-v", f"ramo:{first}", f"ramo:{second}")
        assert result.stderr.count("Copied (server-side copy)") == len(md5s), result.stderr

        assert object_md5s(s3, second, md5s) == md5s
        assert_check_clean(rclone, f"ramo:{first}", f"ramo:{second}", len(md5s))
        assert_check_clean(rclone, local, f"ramo:{second}", len(md5s))


def test_purge_removes_objects_and_bucket(rclone, s3, tmp_path):
    """``rclone purge`` deletes every object and then the bucket itself."""
    local = tmp_path / "tree"
    md5s = make_tree(local)
    with scratch_buckets(s3, "rc") as (bucket,):
        rclone("mkdir", f"ramo:{bucket}")
        rclone("copy", local, f"ramo:{bucket}")
        assert object_md5s(s3, bucket, md5s) == md5s
        rclone("purge", f"ramo:{bucket}")
        assert not bucket_exists(s3, bucket)


def test_download_copy(rclone, s3, tmp_path):
    """``rclone copy`` from the server to a local folder gives back the same files."""
    local, back = tmp_path / "tree", tmp_path / "back"
    md5s = make_tree(local)
    with scratch_buckets(s3, "rc") as (bucket,):
        rclone("mkdir", f"ramo:{bucket}")
        for rel in md5s:  # uploaded with boto3, so only the download goes through rclone
            s3.put_object(Bucket=bucket, Key=rel, Body=(local / rel).read_bytes())
        rclone("copy", f"ramo:{bucket}", back)
        assert tree_md5s(back) == md5s
        assert os.path.getsize(back / "empty.bin") == 0
