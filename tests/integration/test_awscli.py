"""The aws CLI (v1) against the session ramod: ``aws s3`` and ``aws s3api`` commands."""

import hashlib
import json
import os
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ramod_process import unique_bucket_name


def write_random(path, size):
    """Write ``size`` random bytes to ``path`` in 1 MiB pieces and return their MD5."""
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = os.urandom(min(left, 1024 * 1024))
            md5.update(piece)
            f.write(piece)
            left -= len(piece)
    return md5.hexdigest()


def md5_of(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


@pytest.fixture
def cli_bucket(aws_cli, s3):
    """A bucket made with ``aws s3 mb``."""
    name = unique_bucket_name("cli")
    result = aws_cli("s3", "mb", f"s3://{name}")
    assert f"make_bucket: {name}" in result.stdout
    return name


def test_mb_creates_bucket(aws_cli, s3, cli_bucket):
    """``aws s3 mb`` creates a bucket that boto3 and ``aws s3 ls`` can see."""
    assert s3.head_bucket(Bucket=cli_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert cli_bucket in aws_cli("s3", "ls").stdout


@pytest.mark.parametrize("size", [0, 1234, 20 * 1024 * 1024], ids=["empty", "small", "20MiB"])
def test_cp_up_and_down(aws_cli, s3, cli_bucket, tmp_path, size):
    """``aws s3 cp`` uploads with a single PUT and downloads the same bytes."""
    source = tmp_path / "source.bin"
    digest = write_random(source, size)
    aws_cli("s3", "cp", source, f"s3://{cli_bucket}/dir/file name é.bin")
    head = s3.head_object(Bucket=cli_bucket, Key="dir/file name é.bin")
    assert head["ContentLength"] == size
    assert head["ETag"] == f'"{digest}"'  # a multipart upload would have a "-N" ETag
    target = tmp_path / "target.bin"
    aws_cli("s3", "cp", f"s3://{cli_bucket}/dir/file name é.bin", target)
    assert target.stat().st_size == size and md5_of(target) == digest


def test_rm(aws_cli, s3, cli_bucket, tmp_path):
    """``aws s3 rm`` deletes the object."""
    source = tmp_path / "x.txt"
    source.write_text("remove me")
    aws_cli("s3", "cp", source, f"s3://{cli_bucket}/x.txt")
    result = aws_cli("s3", "rm", f"s3://{cli_bucket}/x.txt")
    assert f"delete: s3://{cli_bucket}/x.txt" in result.stdout
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=cli_bucket, Key="x.txt")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_s3api_put_head_get(aws_cli, cli_bucket, tmp_path):
    """``aws s3api`` put-object, head-object and get-object round-trip body and metadata."""
    source = tmp_path / "in.json"
    source.write_bytes(b'{"hello": "world"}')
    put = json.loads(aws_cli(
        "s3api", "put-object", "--bucket", cli_bucket, "--key", "a+b c.json", "--body", source,
        "--content-type", "application/json", "--metadata", "owner=ramo,kind=test").stdout)
    assert put["ETag"] == '"%s"' % md5_of(source)
    head = json.loads(aws_cli(
        "s3api", "head-object", "--bucket", cli_bucket, "--key", "a+b c.json").stdout)
    assert head["ContentLength"] == source.stat().st_size
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"owner": "ramo", "kind": "test"}
    out = tmp_path / "out.json"
    get = json.loads(aws_cli(
        "s3api", "get-object", "--bucket", cli_bucket, "--key", "a+b c.json", out).stdout)
    assert get["ETag"] == put["ETag"]
    assert out.read_bytes() == source.read_bytes()


def test_s3api_errors(aws_cli, cli_bucket):
    """A missing key makes ``aws s3api get-object`` fail with NoSuchKey."""
    result = aws_cli("s3api", "get-object", "--bucket", cli_bucket, "--key", "missing",
                     "/dev/null", check=False)
    assert result.returncode != 0
    assert "NoSuchKey" in result.stderr


def test_presign_fetched_with_urllib(aws_cli, s3, cli_bucket):
    """A URL from ``aws s3 presign`` downloads the object with plain urllib."""
    data = os.urandom(10_000)
    s3.put_object(Bucket=cli_bucket, Key="shared/ü.bin", Body=data)
    url = aws_cli("s3", "presign", f"s3://{cli_bucket}/shared/ü.bin",
                  "--expires-in", "300").stdout.strip()
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        assert response.read() == data


def test_rb_removes_empty_bucket(aws_cli, s3):
    """``aws s3 rb`` deletes an empty bucket."""
    name = unique_bucket_name("cli")
    aws_cli("s3", "mb", f"s3://{name}")
    aws_cli("s3", "rb", f"s3://{name}")
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
