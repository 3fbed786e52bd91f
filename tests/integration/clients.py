"""Helpers shared by the tests that drive third-party S3 clients (rclone, s3cmd, the JS SDK,
``aws s3 sync``): local trees to upload, digests to compare, running a client, scratch buckets.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ramod_process import unique_bucket_name

MiB = 1024 * 1024

# Relative paths of a small tree: nested folders, an empty file, spaces and non-ASCII names.
SMALL_FILES = {
    "top.txt": b"top level\n",
    "empty.bin": b"",
    "docs/readme.md": b"# readme\n" * 50,
    "docs/deep/er/nested file.txt": b"four levels down\n",
    "docs/deep/er/ünïcødé 日本語.txt": "ünïcødé 日本語\n".encode(),
    "data/numbers.csv": b"".join(b"%d,%d\n" % (i, i * i) for i in range(2000)),
}


def require_tool(name):
    """The path of a client program, or skip (fail under CI, where scripts/test installs it)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/setup-env --test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def write_random(path, size):
    """Write ``size`` random bytes to ``path`` (parents created) and return their MD5 hex."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = os.urandom(min(left, MiB))
            md5.update(piece)
            f.write(piece)
            left -= len(piece)
    return md5.hexdigest()


def make_tree(root, files=SMALL_FILES, large=None):
    """Write ``files`` under ``root`` and, if given, ``large = (relpath, size)`` of random bytes.

    :returns: ``{relative posix path: md5 hex}`` of every file written.
    """
    root = Path(root)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    if large:
        write_random(root / large[0], large[1])
    return tree_md5s(root)


def md5_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def tree_md5s(root):
    """``{relative posix path: md5 hex}`` of every regular file under ``root``."""
    root = Path(root)
    return {p.relative_to(root).as_posix(): md5_file(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def multipart_etag(path, part_size):
    """The ETag S3 gives an object uploaded from ``path`` in parts of ``part_size`` bytes."""
    digests = []
    with open(path, "rb") as f:
        while piece := f.read(part_size):
            digests.append(hashlib.md5(piece).digest())
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


def object_md5s(s3, bucket, keys):
    """``{key: md5 hex}`` of the objects' bytes as GetObject returns them (missing: None)."""
    result = {}
    for key in keys:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
                raise
            result[key] = None
            continue
        md5 = hashlib.md5()
        for chunk in iter(lambda: body.read(MiB), b""):
            md5.update(chunk)
        result[key] = md5.hexdigest()
    return result


def bucket_exists(s3, bucket):
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise
    return True


def run_client(argv, *, env, cwd=None, timeout=60, check=True):
    """Run a client program; with ``check``, fail with its output unless it exits 0."""
    result = subprocess.run([str(a) for a in argv], env=env, cwd=cwd, capture_output=True,
                            text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, argv))}\nexited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}")
    return result


def base_env(home):
    """A minimal environment for a client: no proxies, no user configuration from ``$HOME``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "NO_PROXY": "*",
    }


@contextlib.contextmanager
def scratch_buckets(s3, *prefixes):
    """Yield one unused bucket name per prefix; afterwards empty and delete whichever exist."""
    names = [unique_bucket_name(prefix) for prefix in prefixes]
    try:
        yield names
    finally:
        for name in names:
            remove_bucket(s3, name)


def remove_bucket(s3, bucket):
    """Best effort: abort uploads, delete every object, delete the bucket; warn if it stays."""
    try:
        if not bucket_exists(s3, bucket):
            return
        with contextlib.suppress(ClientError):
            for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
                for upload in page.get("Uploads", []):
                    s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                              UploadId=upload["UploadId"])
        with contextlib.suppress(ClientError):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        warnings.warn(f"could not remove bucket {bucket}: {exc}", stacklevel=2)
