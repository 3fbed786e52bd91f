"""The AWS SDK for JavaScript v3 (tests/clients/js, pinned by its package-lock.json) against
the session ramod: each test runs one Node script that prints a JSON report to assert on.

Each test runs twice: with the SDK's default checksum behaviour (``WHEN_SUPPORTED``: CRC32 on
every upload, ``x-amz-checksum-algorithm: CRC32`` on CreateMultipartUpload and a CRC32 per part)
and with ``requestChecksumCalculation: WHEN_REQUIRED``.
"""

import base64
import hashlib
import json
import zlib

import pytest

from clients import (
    MiB, base_env, bucket_exists, multipart_etag, require_tool, run_client, scratch_buckets,
    write_random)
from ramod_process import REGION, REPO_ROOT, ROOT_ACCESS_KEY, ROOT_SECRET_KEY

JS_DIR = REPO_ROOT / "tests" / "clients" / "js"
PART = 5 * MiB

# What objects.mjs writes: one text object and 25 small ones whose body is their key.
KEY = "hello/wörld & friends.txt"
BODY = b"Hello from the AWS SDK for JavaScript v3\n" * 100
LISTED = [f"list/{i % 3}/obj-{i:02d}" for i in range(25)]


@pytest.fixture(params=["default", "WHEN_REQUIRED"], ids=["checksums-default", "when-required"])
def node_script(request, ramod, tmp_path):
    """Run ``node tests/clients/js/<script>`` and return its JSON report (``ok`` or the error)."""
    node = require_tool("node")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "lib-storage").is_dir():
        require_tool("npm")
        pytest.fail(f"{JS_DIR}/node_modules is missing: run scripts/setup-env --test")
    env = base_env(tmp_path) | {
        "RAMO_ENDPOINT": ramod.endpoint,
        "RAMO_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ROOT_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET_KEY,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if request.param == "WHEN_REQUIRED":
        env["RAMO_CHECKSUMS"] = "WHEN_REQUIRED"

    def run(script, *args):
        result = run_client([node, JS_DIR / script, *args], env=env, cwd=JS_DIR, timeout=120,
                            check=False)
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise AssertionError(f"{script} printed no report (exit {result.returncode})\n"
                                 f"stdout: {result.stdout}\nstderr: {result.stderr}") from None
        if not report["ok"]:
            raise AssertionError(f"{script}: step {report['step']} failed: {report['error']}\n"
                                 f"requests: {json.dumps(report['requests'][-3:], indent=1)}")
        assert result.returncode == 0, result.stderr
        return report

    run.checksums = request.param
    return run


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def composite_crc32(path, part_size):
    """S3's COMPOSITE multipart checksum: CRC32 of the parts' CRC32s, then ``-<parts>``."""
    crcs = []
    with open(path, "rb") as f:
        while piece := f.read(part_size):
            crcs.append(zlib.crc32(piece).to_bytes(4, "big"))
    return f"{crc32_b64(b''.join(crcs))}-{len(crcs)}"


def sent_headers(report, command):
    """The notable headers of every request the script sent for ``command``."""
    return [r["headers"] for r in report["requests"] if r["command"] == command]


def test_objects_list_copy_delete(node_script, s3):
    """PutObject/GetObject, ListObjectsV2 in pages of 10, CopyObject and DeleteObjects."""
    with scratch_buckets(s3, "js") as (bucket,):
        report = node_script("objects.mjs", bucket)
        results = report["results"]
        assert results["createBucket"] == 200
        assert results["putObject"]["ETag"] == '"%s"' % hashlib.md5(BODY).hexdigest()
        got = results["getObject"]
        assert got["sha256"] == hashlib.sha256(BODY).hexdigest() and got["length"] == len(BODY)
        assert got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "sdk-js"}

        pages = results["listPaginated"]
        assert [page["KeyCount"] for page in pages] == [10, 10, 5]
        assert [page["IsTruncated"] for page in pages] == [True, True, False]
        assert [key for page in pages for key in page["keys"]] == sorted(LISTED)
        assert results["listDelimited"] == {"keys": [], "prefixes": ["hello/", "list/"]}

        copy = results["copyObject"]
        assert copy["ETag"] == results["putObject"]["ETag"]
        assert copy["sha256"] == hashlib.sha256(BODY).hexdigest()
        assert copy["Metadata"] == {"origin": "sdk-js"}  # the default directive is COPY

        assert results["deleteObjects"] == {
            "deleted": sorted([KEY, "copies/copy of wörld.txt", *LISTED]), "errors": []}
        assert results["listAfterDelete"] == 0
        assert results["deleteBucket"] == 204
        assert not bucket_exists(s3, bucket)

        put_headers = sent_headers(report, "PutObjectCommand")[0]
        if node_script.checksums == "default":
            assert put_headers.get("x-amz-checksum-crc32") == crc32_b64(BODY), put_headers
            assert results["headWithChecksum"]["ChecksumCRC32"] == crc32_b64(BODY)
        else:
            assert not any(name.startswith("x-amz-checksum-") for name in put_headers), put_headers
        # DeleteObjects requires an integrity header: the SDK sends a CRC32 even WHEN_REQUIRED.
        delete_headers = sent_headers(report, "DeleteObjectsCommand")[0]
        assert any(name.startswith("x-amz-checksum-") or name == "content-md5"
                   for name in delete_headers), delete_headers


def test_lib_storage_multipart_upload(node_script, s3, tmp_path):
    """lib-storage's Upload sends a 20 MiB stream as 4 parts of 5 MiB, several at once."""
    source = tmp_path / "stream.bin"
    write_random(source, 20 * MiB)
    with scratch_buckets(s3, "js") as (bucket,):
        report = node_script("upload.mjs", bucket, "big/stream.bin", source)
        results = report["results"]
        etag = multipart_etag(source, PART)
        assert etag.endswith('-4"')
        assert results["upload"]["ETag"] == etag
        head = results["headObject"]
        assert head["ETag"] == etag and head["ContentLength"] == 20 * MiB
        assert head["ContentType"] == "application/x-test"
        with open(source, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        assert results["getObject"] == {"sha256": digest, "length": 20 * MiB, "ETag": etag}

        parts = [r for r in report["requests"] if r["command"] == "UploadPartCommand"]
        assert len(parts) == 4 and all(r["status"] == 200 for r in parts)
        assert report["maxInFlight"]["UploadPartCommand"] >= 2  # queueSize 4: concurrent parts

        create = sent_headers(report, "CreateMultipartUploadCommand")[0]
        if node_script.checksums == "default":
            assert create.get("x-amz-checksum-algorithm") == "CRC32", create
            assert head["ChecksumCRC32"] == composite_crc32(source, PART)
            assert head["ChecksumType"] == "COMPOSITE"
        else:
            assert "x-amz-checksum-algorithm" not in create, create
            assert all(not any(name.startswith("x-amz-checksum-") for name in r["headers"])
                       for r in parts)
