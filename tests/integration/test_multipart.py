"""Multipart uploads with boto3 against a real ramod: S3's rules, parts served in place,
part GETs, checksums, listings, and races between Complete, Abort and part uploads."""

import base64
import hashlib
import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from ramod_process import admin_call, blob_files

MiB = 1024 * 1024


def error_of(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def multipart_etag(parts: list) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def upload_parts(s3, bucket, key, upload_id, parts, workers=4) -> list:
    """Upload ``parts`` concurrently, last first; return the Complete list in order."""
    def one(number):
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                  PartNumber=number, Body=parts[number - 1])
        return {"PartNumber": number, "ETag": response["ETag"]}
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(one, reversed(range(1, len(parts) + 1))))
    return sorted(done, key=lambda p: p["PartNumber"])


def test_parts_out_of_order_and_concurrent_make_the_object(s3, bucket, ramod):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(MiB + 7)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", ContentType="video/mp4",
                                        Metadata={"who": "test"})
    listing = upload_parts(s3, bucket, "big", upload["UploadId"], parts)
    files_before = blob_files(ramod)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": listing})
    assert done["ETag"] == multipart_etag(parts)
    assert blob_files(ramod) == files_before            # served in place: no data copied
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == b"".join(parts)
    assert (got["ETag"], got["ContentType"], got["Metadata"]) == (done["ETag"], "video/mp4",
                                                                  {"who": "test"})
    ranged = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MiB - 3}-{5 * MiB + 2}")
    assert ranged["Body"].read() == b"".join(parts)[5 * MiB - 3:5 * MiB + 3]
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket=bucket, Key="big", UploadId=upload["UploadId"])
    assert error_of(caught) == ("NoSuchUpload", 404)


def test_get_and_head_by_part_number(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")
    listing = upload_parts(s3, bucket, "k", upload["UploadId"], parts)
    etag = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": listing})["ETag"]
    for number, data in enumerate(parts, 1):
        head = s3.head_object(Bucket=bucket, Key="k", PartNumber=number)
        assert (head["PartsCount"], head["ContentLength"], head["ETag"]) == (2, len(data), etag)
        got = s3.get_object(Bucket=bucket, Key="k", PartNumber=number)
        assert got["Body"].read() == data
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=3)
    assert error_of(caught) == ("InvalidPart", 400)
    s3.put_object(Bucket=bucket, Key="simple", Body=b"body")
    assert s3.get_object(Bucket=bucket, Key="simple", PartNumber=1)["Body"].read() == b"body"


def test_s3_rules_on_complete(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = [os.urandom(100), os.urandom(100)]
    listing = upload_parts(s3, bucket, "k", upload_id, small)
    cases = [
        (listing, "EntityTooSmall"),
        ([listing[1], listing[0]], "InvalidPartOrder"),
        ([{"PartNumber": 1, "ETag": '"%s"' % ("0" * 32)}], "InvalidPart"),
        ([{"PartNumber": 7, "ETag": listing[0]["ETag"]}], "InvalidPart"),
    ]
    for parts, code in cases:
        with pytest.raises(ClientError) as caught:
            s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
        assert error_of(caught) == (code, 400), parts
    # a single small part is the last part: allowed; the upload is still there after the errors
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": listing[:1]})
    assert done["ETag"] == multipart_etag(small[:1])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == small[0]
    for number in (0, 10001):
        with pytest.raises(ClientError) as caught:
            s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"x")
        assert error_of(caught)[1] in (400, 404)
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"x")
    assert error_of(caught) == ("NoSuchUpload", 404)


def test_reuploading_a_part_replaces_it(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"old")
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1,
                          Body=b"new!")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, etag, 4)]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new!"


def test_list_parts_and_uploads_paginate(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for number in range(1, 6):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"p")
    pages = list(s3.get_paginator("list_parts").paginate(
        Bucket=bucket, Key="k", UploadId=upload_id, PaginationConfig={"PageSize": 2}))
    assert [[p["PartNumber"] for p in page["Parts"]] for page in pages] == [[1, 2], [3, 4], [5]]
    keys = ["a/1", "a/2", "b", "c/x/y", "c/z"]
    ids = {k: s3.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"] for k in keys}
    found = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in found["Uploads"]] == ["b", "k"]
    assert [p["Prefix"] for p in found["CommonPrefixes"]] == ["a/", "c/"]
    found = s3.list_multipart_uploads(Bucket=bucket, Prefix="c/", Delimiter="/")
    assert [u["Key"] for u in found["Uploads"]] == ["c/z"]
    assert [p["Prefix"] for p in found["CommonPrefixes"]] == ["c/x/"]
    pages = list(s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}))
    listed = [(u["Key"], u["UploadId"]) for page in pages for u in page.get("Uploads", [])]
    assert listed == sorted([(k, v) for k, v in ids.items()] + [("k", upload_id)])


def test_abort_frees_the_parts(s3, bucket, ramod):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    before = blob_files(ramod)
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x" * 1000)
    assert blob_files(ramod) == before + 1
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    # the part's file is queued as garbage and kept for --garbage-grace (a GET elsewhere
    # may be reading it); the sweep's removal after it: tests/unit/test_cluster_state.py
    assert blob_files(ramod) == before + 1
    assert admin_call(ramod, "GET", f"/buckets/{bucket}")[1]["multipart_size"] == 0
    with pytest.raises(ClientError) as caught:
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error_of(caught) == ("NoSuchUpload", 404)


def test_composite_and_full_object_checksums(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(300)]
    crcs = [zlib.crc32(p).to_bytes(4, "big") for p in parts]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k",
                                           ChecksumAlgorithm="CRC32")["UploadId"]
    listing = []
    for number, data in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number,
                           Body=data, ChecksumAlgorithm="CRC32")
        assert r["ChecksumCRC32"] == base64.b64encode(crcs[number - 1]).decode()
        listing.append({"PartNumber": number, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": listing})
    composite = base64.b64encode(zlib.crc32(b"".join(crcs)).to_bytes(4, "big")).decode() + "-2"
    assert done["ChecksumCRC32"] == composite
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == composite
    # FULL_OBJECT: the CRC of the whole object, combined from the parts' CRCs
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="full", ChecksumAlgorithm="CRC32",
                                           ChecksumType="FULL_OBJECT")["UploadId"]
    listing = upload_parts(s3, bucket, "full", upload_id, parts)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=upload_id,
                                        MultipartUpload={"Parts": listing})
    whole = base64.b64encode(zlib.crc32(b"".join(parts)).to_bytes(4, "big")).decode()
    assert done["ChecksumCRC32"] == whole


def test_upload_part_copy_with_ranges(s3, bucket):
    source = os.urandom(6 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    whole = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"})
    ranged = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "src"},
                                 CopySourceRange="bytes=10-1033")
    assert ranged["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(source[10:1034]).hexdigest()
    s3.delete_object(Bucket=bucket, Key="src")       # the shared part must survive this
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source + source[10:1034]
    with pytest.raises(ClientError) as caught:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "dst"}, CopySourceRange="bytes=0-1")
    assert error_of(caught) == ("NoSuchUpload", 404)


def test_transfer_manager_uploads_and_downloads(s3, bucket, tmp_path):
    """boto3's own multipart upload (default checksums, concurrent parts) and ranged download."""
    data = os.urandom(21 * MiB)
    (tmp_path / "in").write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                            max_concurrency=4)
    s3.upload_file(str(tmp_path / "in"), bucket, "managed", Config=config)
    assert s3.head_object(Bucket=bucket, Key="managed")["ETag"].endswith('-5"')
    s3.download_file(bucket, "managed", str(tmp_path / "out"), Config=config)
    assert (tmp_path / "out").read_bytes() == data


def race(*calls):
    """Run the calls at the same moment; return each one's result or ClientError code."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("rival", ["complete", "abort", "upload_part"])
def test_racing_a_complete_never_loses_or_corrupts_data(s3_factory, bucket, rival):
    clients = [s3_factory(), s3_factory()]
    for attempt in range(5):
        key = f"race-{rival}-{attempt}"
        parts = [os.urandom(5 * MiB), os.urandom(1000)]
        upload_id = clients[0].create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        listing = upload_parts(clients[0], bucket, key, upload_id, parts)

        def complete(client):
            return lambda: client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listing})
        rivals = {
            "complete": complete(clients[1]),
            "abort": lambda: clients[1].abort_multipart_upload(Bucket=bucket, Key=key,
                                                                 UploadId=upload_id),
            "upload_part": lambda: clients[1].upload_part(Bucket=bucket, Key=key,
                                                          UploadId=upload_id, PartNumber=2,
                                                          Body=b"late"),
        }
        first, second = race(complete(clients[0]), rivals[rival])
        if rival == "abort":
            assert sorted([first, second]) == ["NoSuchUpload", "ok"]
        elif rival == "complete":  # the later Complete is refused, or answered as a retry
            assert sorted([first, second]) in (["NoSuchUpload", "ok"], ["ok", "ok"])
        completed = first == "ok" or (rival == "complete" and second == "ok")
        if completed:
            # the object is exactly what the Complete listed, whatever the rival did
            assert s3_factory().get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)
        else:
            assert first in ("NoSuchUpload", "InvalidPart")
            with pytest.raises(ClientError):
                s3_factory().head_object(Bucket=bucket, Key=key)
