"""ramogui's own S3 client against a real ramod, with boto3 as the witness."""

import hashlib
import os
import socket
import threading

import pytest
from ramod_process import REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, unique_bucket_name

from ramogui.client.errors import AccessRefused, Cancelled, ConnectionFailed, S3Error
from ramogui.client.s3 import S3Client

KEYS = ["plain.txt", "dir/sub/deep.bin", "spaces and +plus&amp=.txt", "ünïcödé/日本語.txt",
        "percent%2Fslash", "tilde~star*quote'"]


def test_bucket_created_by_the_client_is_listed_and_owned(session, s3):
    name = unique_bucket_name("gui-s3c")
    session.s3.create_bucket(name)
    assert name in [entry.name for entry in session.s3.list_buckets()]
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.delete_bucket(Bucket=name)


def test_existing_bucket_of_another_user_is_an_s3_error(session, gui_ramod, bucket):
    from ramod_process import admin_call
    status, created = admin_call(gui_ramod, "POST", "/credentials", {"user_name": "other-s3c"})
    assert status == 201
    other = S3Client(gui_ramod.endpoint, created["access_key"], created["secret_key"],
                     region=REGION)
    with pytest.raises(S3Error) as caught:
        other.create_bucket(bucket)
    assert caught.value.status == 409 and caught.value.code == "BucketAlreadyExists"


@pytest.mark.parametrize("key", KEYS)
def test_put_head_get_round_trip(session, s3, bucket, key):
    data = os.urandom(700_000)
    moved = []
    etag = session.s3.put_object(bucket, key, data, content_type="application/x-test",
                                 on_progress=moved.append)
    assert sum(moved) == len(data) and len(moved) > 1
    assert etag.strip('"') == hashlib.md5(data).hexdigest()
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    head = session.s3.head_object(bucket, key)
    assert (head.size, head.content_type) == (len(data), "application/x-test")
    with session.s3.open_object(bucket, key) as reader:
        assert reader.head.size == len(data)
        assert b"".join(reader.slices(100_000)) == data
    with session.s3.open_object(bucket, key, byte_range=(10, 19)) as reader:
        assert b"".join(reader.slices()) == data[10:20]
        assert reader.head.size == len(data)


def test_multipart_upload_round_trip(session, s3, bucket):
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    upload_id = session.s3.create_multipart_upload(bucket, "big.bin", "video/mp4")
    etags = [(n, session.s3.upload_part(bucket, "big.bin", upload_id, n, data))
             for n, data in enumerate(parts, 1)]
    session.s3.complete_multipart_upload(bucket, "big.bin", upload_id, etags)
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == b"".join(parts)
    assert got["ContentType"] == "video/mp4"
    assert got["ETag"].endswith('-2"')


def test_abort_multipart_upload(session, s3, bucket):
    upload_id = session.s3.create_multipart_upload(bucket, "gone.bin")
    session.s3.upload_part(bucket, "gone.bin", upload_id, 1, b"x" * 100)
    session.s3.abort_multipart_upload(bucket, "gone.bin", upload_id)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_missing_key_is_no_such_key(session, bucket):
    with pytest.raises(S3Error) as caught:
        session.s3.head_object(bucket, "nothing")
    assert caught.value.status == 404
    with pytest.raises(S3Error) as caught:
        session.s3.open_object(bucket, "nothing")
    assert caught.value.code == "NoSuchKey" and "does not exist" in caught.value.message


def test_wrong_secret_and_unknown_key_are_access_refused(gui_ramod):
    wrong_secret = S3Client(gui_ramod.endpoint, ROOT_ACCESS_KEY, "not-the-secret", region=REGION)
    with pytest.raises(AccessRefused, match="secret key does not belong"):
        wrong_secret.list_buckets()
    unknown = S3Client(gui_ramod.endpoint, "NOSUCHKEY0000000", ROOT_SECRET_KEY, region=REGION)
    with pytest.raises(AccessRefused, match="NOSUCHKEY0000000"):
        unknown.list_buckets()


def test_refused_connection_says_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = S3Client(f"http://127.0.0.1:{port}", ROOT_ACCESS_KEY, ROOT_SECRET_KEY)
    with pytest.raises(ConnectionFailed, match="connection refused"):
        client.list_buckets()


def test_cancel_stops_an_upload_and_stores_nothing(session, s3, bucket):
    cancel = threading.Event()

    def progress(_moved):
        cancel.set()

    with pytest.raises(Cancelled):
        session.s3.put_object(bucket, "cancelled.bin", os.urandom(2_000_000),
                              on_progress=progress, cancel=cancel)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
