"""s3cmd (from PyPI) against the session ramod, path-style, with SigV4 and with SigV2.

s3cmd lists with ListObjects V1 (``?delimiter=/``, ``?prefix=``), copies with CopyObject
(``x-amz-metadata-directive: COPY``) followed by GET/PUT ``?acl``, deletes recursively with
DeleteObjects, and stores its own ``x-amz-meta-s3cmd-attrs`` (holding the file's MD5).
"""

import re
import sys
from pathlib import Path

import pytest

from clients import (
    MiB, base_env, bucket_exists, make_tree, md5_file, multipart_etag, object_md5s,
    run_client, scratch_buckets, tree_md5s, write_random)
from ramod_process import REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY


@pytest.fixture(params=["sigv4", "sigv2"])
def s3cmd(request, ramod, tmp_path):
    """Run s3cmd with a config file for the session server; SigV4 or SigV2 by parameter."""
    binary = Path(sys.executable).parent / "s3cmd"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: requirements-test.txt installs s3cmd")
    config = tmp_path / "s3cfg"
    config.write_text(
        "[default]\n"
        f"access_key = {ROOT_ACCESS_KEY}\n"
        f"secret_key = {ROOT_SECRET_KEY}\n"
        f"host_base = 127.0.0.1:{ramod.port}\n"
        f"host_bucket = 127.0.0.1:{ramod.port}\n"  # no %(bucket)s: path-style
        f"bucket_location = {REGION}\n"
        "use_https = False\n"
        f"signature_v2 = {request.param == 'sigv2'}\n"
        "max_retries = 1\n"
        "socket_timeout = 30\n"
        "progress_meter = False\n")
    env = base_env(tmp_path)

    def run(*args, check=True, timeout=60):
        return run_client([sys.executable, binary, "-c", config, *args], env=env, cwd=tmp_path,
                          timeout=timeout, check=check)

    return run


def ls_entries(output):
    """``{s3 url: size}`` of the object lines of ``s3cmd ls``/``la`` output (``DIR`` lines: -1)."""
    entries = {}
    for line in output.splitlines():
        if match := re.match(r"^\s*(?:\d{4}-\d\d-\d\d \d\d:\d\d)?\s+(DIR|\d+)\s+(s3://.*)$", line):
            entries[match.group(2)] = -1 if match.group(1) == "DIR" else int(match.group(1))
    return entries


def test_put_ls_get_info(s3cmd, s3, tmp_path):
    """mb, put (single and multipart), ls, la, get and info agree with the bytes uploaded."""
    small, big = tmp_path / "small é.txt", tmp_path / "big.bin"
    small.write_bytes(b"small file for s3cmd\n" * 10)
    write_random(big, 12 * MiB)
    with scratch_buckets(s3, "s3cmd") as (bucket,):
        assert f"Bucket 's3://{bucket}/' created" in s3cmd("mb", f"s3://{bucket}").stdout
        assert bucket_exists(s3, bucket)
        s3cmd("put", small, f"s3://{bucket}/dir/small é.txt")
        s3cmd("put", "--multipart-chunk-size-mb=5", big, f"s3://{bucket}/big file.bin")

        assert object_md5s(s3, bucket, ["dir/small é.txt", "big file.bin"]) == {
            "dir/small é.txt": md5_file(small), "big file.bin": md5_file(big)}
        head = s3.head_object(Bucket=bucket, Key="big file.bin")
        assert head["ETag"] == multipart_etag(big, 5 * MiB)  # 3 parts
        assert f"md5:{md5_file(big)}" in head["Metadata"]["s3cmd-attrs"]

        assert ls_entries(s3cmd("ls", f"s3://{bucket}").stdout) == {
            f"s3://{bucket}/dir/": -1, f"s3://{bucket}/big file.bin": 12 * MiB}
        assert ls_entries(s3cmd("ls", "--recursive", f"s3://{bucket}").stdout) == {
            f"s3://{bucket}/dir/small é.txt": small.stat().st_size,
            f"s3://{bucket}/big file.bin": 12 * MiB}
        everything = ls_entries(s3cmd("la").stdout)
        assert everything[f"s3://{bucket}/big file.bin"] == 12 * MiB
        assert everything[f"s3://{bucket}/dir/"] == -1

        for key, source in (("dir/small é.txt", small), ("big file.bin", big)):
            target = tmp_path / "download" / source.name
            target.parent.mkdir(exist_ok=True)
            s3cmd("get", f"s3://{bucket}/{key}", target)
            assert target.read_bytes() == source.read_bytes()

        info = s3cmd("info", f"s3://{bucket}/dir/small é.txt").stdout
        assert re.search(rf"File size:\s+{small.stat().st_size}\n", info), info
        assert re.search(rf"MD5 sum:\s+{md5_file(small)}\n", info), info
        info = s3cmd("info", f"s3://{bucket}/big file.bin").stdout
        assert re.search(rf"MD5 sum:\s+{md5_file(big)}\n", info), info  # from s3cmd-attrs


def test_cp_mv_del(s3cmd, s3, tmp_path):
    """cp copies on the server, mv copies then deletes the source, del removes the object."""
    source = tmp_path / "source.txt"
    source.write_bytes(b"copy me " * 1000)
    with scratch_buckets(s3, "s3cmd") as (bucket,):
        s3cmd("mb", f"s3://{bucket}")
        s3cmd("put", source, f"s3://{bucket}/a/source.txt")
        s3cmd("cp", f"s3://{bucket}/a/source.txt", f"s3://{bucket}/b/copy ü.txt")
        s3cmd("mv", f"s3://{bucket}/b/copy ü.txt", f"s3://{bucket}/c/moved.txt")
        assert object_md5s(s3, bucket, ["a/source.txt", "b/copy ü.txt", "c/moved.txt"]) == {
            "a/source.txt": md5_file(source), "b/copy ü.txt": None,
            "c/moved.txt": md5_file(source)}
        # CopyObject with the COPY directive keeps the source's metadata (s3cmd's attributes).
        assert s3.head_object(Bucket=bucket, Key="c/moved.txt")["Metadata"] == \
            s3.head_object(Bucket=bucket, Key="a/source.txt")["Metadata"]

        result = s3cmd("del", f"s3://{bucket}/a/source.txt")
        assert f"delete: 's3://{bucket}/a/source.txt'" in result.stdout
        assert object_md5s(s3, bucket, ["a/source.txt"]) == {"a/source.txt": None}
        assert ls_entries(s3cmd("ls", "--recursive", f"s3://{bucket}").stdout) == {
            f"s3://{bucket}/c/moved.txt": source.stat().st_size}


def test_sync_folder_and_rb(s3cmd, s3, tmp_path):
    """sync uploads a tree, a second sync uploads nothing, --delete-removed deletes; rb."""
    local = tmp_path / "tree"
    md5s = make_tree(local)
    with scratch_buckets(s3, "s3cmd") as (bucket,):
        s3cmd("mb", f"s3://{bucket}")
        result = s3cmd("sync", f"{local}/", f"s3://{bucket}/backup/")
        assert result.stdout.count("upload: ") == len(md5s), result.stdout
        remote = {f"backup/{rel}": md5 for rel, md5 in md5s.items()}
        assert object_md5s(s3, bucket, remote) == remote

        again = s3cmd("sync", f"{local}/", f"s3://{bucket}/backup/")
        assert "upload: " not in again.stdout, again.stdout

        (local / "docs/readme.md").unlink()
        (local / "top.txt").write_bytes(b"top level, changed\n")
        s3cmd("sync", "--delete-removed", f"{local}/", f"s3://{bucket}/backup/")
        remote = {f"backup/{rel}": md5 for rel, md5 in tree_md5s(local).items()}
        assert object_md5s(s3, bucket, [*remote, "backup/docs/readme.md"]) == \
            remote | {"backup/docs/readme.md": None}

        back = tmp_path / "back"
        s3cmd("sync", f"s3://{bucket}/backup/", f"{back}/")
        assert tree_md5s(back) == tree_md5s(local)

        refused = s3cmd("rb", f"s3://{bucket}", check=False)
        assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr, refused.stderr
        s3cmd("del", "--recursive", "--force", f"s3://{bucket}")
        assert f"Bucket 's3://{bucket}/' removed" in s3cmd("rb", f"s3://{bucket}").stdout
        assert not bucket_exists(s3, bucket)
