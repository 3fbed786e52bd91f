"""``aws s3`` high-level commands (sync, recursive cp/mv/rm, ls, rb --force) against the session
ramod, with multipart uploads and copies enabled: above 8 MB the CLI uploads in 5 MiB parts
and copies between buckets with UploadPartCopy.
"""

import re

import pytest

from clients import (
    MiB, bucket_exists, make_tree, multipart_etag, object_md5s, scratch_buckets, tree_md5s)

LARGE = ("video/big file 20MiB.bin", 20 * MiB)
PART = 5 * MiB


@pytest.fixture
def aws(aws_cli):
    """The ``aws_cli`` runner with its temporary config set to multipart above 8 MB."""
    aws_cli("configure", "set", "default.s3.multipart_threshold", "8MB")
    aws_cli("configure", "set", "default.s3.multipart_chunksize", "5MB")
    return aws_cli


def output_lines(result, verb):
    """The ``<verb>: ...`` lines of an ``aws s3`` command's output.

    The CLI pads a result line with spaces when it overwrites a progress line (which
    depends on timing), so trailing blanks are dropped."""
    return [line.rstrip() for line in result.stdout.splitlines() if line.startswith(f"{verb}: ")]


def ls_recursive(aws, url):
    """``{key: size}`` from ``aws s3 ls --recursive``."""
    entries = {}
    for line in aws("s3", "ls", "--recursive", url).stdout.splitlines():
        match = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(\d+) (.*)$", line)
        assert match, line
        entries[match.group(2)] = int(match.group(1))
    return entries


def upload_with_boto3(s3, bucket, root, md5s):
    """Put every file of ``root`` with one PutObject each (no multipart, no listing)."""
    s3.create_bucket(Bucket=bucket)
    for rel in md5s:
        with open(root / rel, "rb") as f:
            s3.put_object(Bucket=bucket, Key=rel, Body=f)


def test_sync_up_again_and_delete(aws, s3, tmp_path):
    """sync uploads a tree (20 MiB in 4 parts), a second sync uploads nothing, --delete deletes."""
    local = tmp_path / "tree"
    md5s = make_tree(local, large=LARGE)
    with scratch_buckets(s3, "sync") as (bucket,):
        aws("s3", "mb", f"s3://{bucket}")
        first = aws("s3", "sync", local, f"s3://{bucket}")
        assert len(output_lines(first, "upload")) == len(md5s), first.stdout
        assert object_md5s(s3, bucket, md5s) == md5s
        head = s3.head_object(Bucket=bucket, Key=LARGE[0])
        assert head["ETag"] == multipart_etag(local / LARGE[0], PART)  # "...-4"
        assert head["ContentLength"] == LARGE[1]

        again = aws("s3", "sync", local, f"s3://{bucket}")
        assert again.stdout.strip() == "", again.stdout

        (local / "docs/readme.md").unlink()
        (local / "docs/deep/er/ünïcødé 日本語.txt").write_bytes(b"changed, and longer than before\n")
        third = aws("s3", "sync", "--delete", local, f"s3://{bucket}")
        assert output_lines(third, "delete") == [f"delete: s3://{bucket}/docs/readme.md"]
        assert len(output_lines(third, "upload")) == 1, third.stdout
        md5s = tree_md5s(local)
        assert object_md5s(s3, bucket, [*md5s, "docs/readme.md"]) == md5s | {"docs/readme.md": None}
        assert ls_recursive(aws, f"s3://{bucket}") == {
            rel: (local / rel).stat().st_size for rel in md5s}


def test_copy_between_buckets_ls_mv_and_download(aws, s3, tmp_path):
    """cp --recursive s3->s3 copies on the server (the 20 MiB object with UploadPartCopy)."""
    local = tmp_path / "tree"
    md5s = make_tree(local, large=LARGE)
    with scratch_buckets(s3, "src", "dst") as (source, target):
        upload_with_boto3(s3, source, local, md5s)
        aws("s3", "mb", f"s3://{target}")
        copied = aws("s3", "cp", "--recursive", f"s3://{source}", f"s3://{target}")
        assert sorted(output_lines(copied, "copy")) == sorted(
            f"copy: s3://{source}/{rel} to s3://{target}/{rel}" for rel in md5s)
        assert object_md5s(s3, target, md5s) == md5s
        assert s3.head_object(Bucket=target, Key=LARGE[0])["ETag"] == \
            multipart_etag(local / LARGE[0], PART)
        sizes = {rel: (local / rel).stat().st_size for rel in md5s}
        assert ls_recursive(aws, f"s3://{target}") == sizes

        moved = aws("s3", "mv", f"s3://{target}/top.txt", f"s3://{target}/moved here/top.txt")
        assert output_lines(moved, "move") == [
            f"move: s3://{target}/top.txt to s3://{target}/moved here/top.txt"]
        md5s["moved here/top.txt"] = md5s.pop("top.txt")
        assert object_md5s(s3, target, ["top.txt", "moved here/top.txt"]) == {
            "top.txt": None, "moved here/top.txt": md5s["moved here/top.txt"]}

        back = tmp_path / "back"
        downloaded = aws("s3", "sync", f"s3://{target}", back)
        assert len(output_lines(downloaded, "download")) == len(md5s), downloaded.stdout
        assert tree_md5s(back) == md5s


def test_rm_recursive_and_rb_force(aws, s3, tmp_path):
    """rm --recursive empties a bucket (rb then works); rb --force deletes a full bucket."""
    local = tmp_path / "tree"
    md5s = make_tree(local)
    with scratch_buckets(s3, "rm", "rbf") as (emptied, forced):
        for bucket in (emptied, forced):
            upload_with_boto3(s3, bucket, local, md5s)

        removed = aws("s3", "rm", "--recursive", f"s3://{emptied}")
        assert sorted(output_lines(removed, "delete")) == sorted(
            f"delete: s3://{emptied}/{rel}" for rel in md5s)
        assert object_md5s(s3, emptied, md5s) == dict.fromkeys(md5s)
        assert s3.list_objects_v2(Bucket=emptied)["KeyCount"] == 0
        assert f"remove_bucket: {emptied}" in aws("s3", "rb", f"s3://{emptied}").stdout
        assert not bucket_exists(s3, emptied)

        refused = aws("s3", "rb", f"s3://{forced}", check=False)
        assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr, refused.stderr
        aws("s3", "rb", "--force", f"s3://{forced}")
        assert not bucket_exists(s3, forced)
