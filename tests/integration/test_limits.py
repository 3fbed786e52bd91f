"""Bucket quotas and per-key rate limits on a real ramod of this module's own, under
concurrent load: quota refusals come before the body is read and nothing refused is
stored; a rate-limited key gets 503 SlowDown with Retry-After while other keys don't."""

import functools
import http.client
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from ramod_process import (RamodProcess, blob_files, no_retry_client, refusal, signed_headers,
                           unique_bucket_name, xml_text)
from ramod_process import admin_call as admin

MiB = 1024 * 1024
#: many threads share one client in the concurrency tests
s3_client = functools.partial(no_retry_client, max_pool_connections=32)

# -- helpers -------------------------------------------------------------------------------


def usage(server, bucket):
    """The management API's view of ``bucket`` (object_count, total_size, multipart_size...)."""
    status, view = admin(server, "GET", f"/buckets/{bucket}")
    assert status == 200, view
    return view


def listed_bytes(s3, bucket):
    """{key: size} of ``bucket`` according to ListObjectsV2."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def staging_files(server):
    return sum(len(files) for _, _, files in os.walk(server.data_dir / "staging"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A ramod of this module's own, so rate limits and quotas disturb no other test."""
    process = RamodProcess(tmp_path_factory.mktemp("ramod-limits"))
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def root(server):
    return s3_client(server)


@pytest.fixture
def quota_bucket(server, root):
    """``make(quota_bytes)``: a fresh root bucket with that quota."""
    def make(quota):
        name = unique_bucket_name("quota")
        root.create_bucket(Bucket=name)
        status, view = admin(server, "PATCH", f"/buckets/{name}", {"quota_bytes": quota})
        assert status == 200 and view["quota_bytes"] == quota, view
        return name
    return make


# -- quotas --------------------------------------------------------------------------------

def raw_put_head(server, bucket, key, length, extra=None):
    """Open a connection and send only the signed head of a PUT declaring ``length`` bytes."""
    url = f"{server.endpoint}/{bucket}/{key}"
    headers, _, _ = signed_headers("PUT", url, headers={"Content-Length": str(length),
                                                        **(extra or {})})
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    lines = [f"PUT /{bucket}/{key} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_response(sock):
    """Read one HTTP response off ``sock``: ``(status line, {header: value}, body)``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def test_put_over_quota_is_refused_before_its_body(server, root, quota_bucket):
    """A PUT that does not fit gets 403 QuotaExceeded before its body is sent (with and
    without Expect: 100-continue), and nothing of it is stored."""
    bucket = quota_bucket(MiB)
    root.put_object(Bucket=bucket, Key="small", Body=b"s" * 1000)
    blobs = blob_files(server)

    sock = raw_put_head(server, bucket, "big", 8 * MiB, {"Expect": "100-continue"})
    try:
        status, headers, body = read_response(sock)  # no byte of the body was sent
    finally:
        sock.close()
    assert status.startswith("HTTP/1.1 403 "), (status, body)
    assert xml_text(body, "Code") == "QuotaExceeded"

    sock = raw_put_head(server, bucket, "big", 64 * MiB)
    try:
        sock.sendall(os.urandom(64 * 1024))  # a sliver of the 64 MiB declared
        status, headers, body = read_response(sock)
    finally:
        sock.close()
    assert status.startswith("HTTP/1.1 403 "), (status, body)
    assert xml_text(body, "Code") == "QuotaExceeded"

    code, http_status, message = refusal(lambda: root.put_object(
        Bucket=bucket, Key="big", Body=os.urandom(MiB)))
    assert (code, http_status) == ("QuotaExceeded", 403)
    assert bucket in message and str(MiB) in message and "quota" in message.lower()

    assert listed_bytes(root, bucket) == {"small": 1000}
    view = usage(server, bucket)
    assert (view["object_count"], view["total_size"], view["multipart_size"]) == (1, 1000, 0)
    assert blob_files(server) == blobs
    assert staging_files(server) == 0


def test_overwrite_in_full_bucket(server, root, quota_bucket):
    """In a bucket filled to its quota, an object can be replaced by one of the same (or a
    smaller) size, while a new byte is refused."""
    bucket = quota_bucket(3000)
    root.put_object(Bucket=bucket, Key="a", Body=b"a" * 1000)
    root.put_object(Bucket=bucket, Key="b", Body=b"b" * 2000)
    root.put_object(Bucket=bucket, Key="b", Body=b"B" * 2000)
    root.put_object(Bucket=bucket, Key="a", Body=b"A" * 1000)
    assert refusal(lambda: root.put_object(Bucket=bucket, Key="c", Body=b"c"))[:2] == (
        "QuotaExceeded", 403)
    assert refusal(lambda: root.put_object(Bucket=bucket, Key="a", Body=b"A" * 1001))[:2] == (
        "QuotaExceeded", 403)
    root.put_object(Bucket=bucket, Key="a", Body=b"x" * 10)
    root.put_object(Bucket=bucket, Key="c", Body=b"c" * 990)
    assert root.get_object(Bucket=bucket, Key="b")["Body"].read() == b"B" * 2000
    assert listed_bytes(root, bucket) == {"a": 10, "b": 2000, "c": 990}
    assert usage(server, bucket)["total_size"] == 3000


def fill_check(s3, bucket, room):
    """PUT 1 MiB objects one by one until refused: exactly ``room`` of them must fit (no
    reservation of an earlier request is left holding quota)."""
    fitted = 0
    while True:
        try:
            s3.put_object(Bucket=bucket, Key=f"fill-{fitted}", Body=os.urandom(MiB))
        except ClientError as e:
            assert e.response["Error"]["Code"] == "QuotaExceeded"
            break
        fitted += 1
        assert fitted <= room, "the bucket took more than its quota"
    assert fitted == room


def eventually(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_concurrent_puts_never_exceed_quota(server, root, quota_bucket):
    """Twenty concurrent 1 MiB PUTs into a 5.5 MiB bucket: at most five succeed, exactly
    the ones that succeeded are stored, the rest are QuotaExceeded, and no quota is left
    reserved afterwards."""
    quota = 5 * MiB + MiB // 2
    bucket = quota_bucket(quota)
    bodies = {f"obj-{i:02d}": os.urandom(MiB) for i in range(20)}
    start = threading.Barrier(20)

    def put(key):
        start.wait()
        try:
            root.put_object(Bucket=bucket, Key=key, Body=bodies[key])
            return key, None
        except ClientError as e:
            return key, (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])

    with ThreadPoolExecutor(20) as pool:
        results = dict(pool.map(put, bodies))
    stored = {key for key, error in results.items() if error is None}
    assert {error for error in results.values() if error} == {("QuotaExceeded", 403)}
    assert 1 <= len(stored) <= 5, results
    listed = listed_bytes(root, bucket)
    assert set(listed) == stored
    assert sum(listed.values()) == len(stored) * MiB <= quota
    view = usage(server, bucket)
    assert (view["object_count"], view["total_size"], view["multipart_size"]) == (
        len(stored), len(stored) * MiB, 0)
    for key in stored:
        assert root.get_object(Bucket=bucket, Key=key)["Body"].read() == bodies[key]
    assert eventually(lambda: staging_files(server) == 0)
    fill_check(root, bucket, 5 - len(stored))


def test_concurrent_mixed_writes_never_exceed_quota(server, root, quota_bucket):
    """Concurrent PUTs, whole and ranged UploadPartCopy and CopyObject of 1 MiB each into
    a 5.5 MiB bucket never store more than the quota, store exactly what succeeded, and
    leave no refused data behind."""
    quota = 5 * MiB + MiB // 2
    bucket = quota_bucket(quota)
    source_bucket = unique_bucket_name("source")
    root.create_bucket(Bucket=source_bucket)
    root.put_object(Bucket=source_bucket, Key="one", Body=os.urandom(MiB))
    root.put_object(Bucket=source_bucket, Key="two", Body=os.urandom(2 * MiB))
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    blobs = blob_files(server)

    def put(n):
        root.put_object(Bucket=bucket, Key=f"put-{n}", Body=os.urandom(MiB))

    def part_copy(n):
        root.upload_part_copy(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n,
                              CopySource={"Bucket": source_bucket, "Key": "one"})

    def ranged_part_copy(n):
        root.upload_part_copy(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n,
                              CopySource={"Bucket": source_bucket, "Key": "two"},
                              CopySourceRange=f"bytes={MiB}-{2 * MiB - 1}")

    def copy(n):
        root.copy_object(Bucket=bucket, Key=f"copy-{n}",
                         CopySource={"Bucket": source_bucket, "Key": "one"})

    jobs = [(kind, n) for n in range(1, 7) for kind in (put, part_copy, ranged_part_copy, copy)]
    start = threading.Barrier(len(jobs))

    def run(job):
        kind, n = job
        start.wait()
        try:
            kind(n + 100 * (kind is ranged_part_copy))
            return None
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(len(jobs)) as pool:
        outcomes = list(pool.map(run, jobs))
    assert set(outcomes) <= {None, "QuotaExceeded"}, outcomes
    succeeded = outcomes.count(None)
    assert 1 <= succeeded <= 5, outcomes
    objects = listed_bytes(root, bucket)
    parts = root.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", [])
    assert len(objects) + len(parts) == succeeded
    assert sum(objects.values()) + sum(p["Size"] for p in parts) == succeeded * MiB <= quota
    view = usage(server, bucket)
    assert (view["object_count"], view["total_size"], view["multipart_size"]) == (
        len(objects), sum(objects.values()), sum(p["Size"] for p in parts))
    # new blobs: one per stored PUT and ranged part copy (whole copies share the source's)
    made = sum(1 for (kind, _), o in zip(jobs, outcomes)
               if o is None and kind in (put, ranged_part_copy))
    assert eventually(lambda: blob_files(server) == blobs + made), (blob_files(server), blobs, made)
    assert eventually(lambda: staging_files(server) == 0)
    fill_check(root, bucket, 5 - succeeded)
    root.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)


def test_concurrent_overwrites_and_new_keys_in_full_bucket(server, root, quota_bucket):
    """Concurrent same-size overwrites of a full bucket all succeed while concurrent
    new keys are all refused; the usage stays exactly at the quota."""
    bucket = quota_bucket(4 * MiB)
    for i in range(4):
        root.put_object(Bucket=bucket, Key=f"k{i}", Body=os.urandom(MiB))
    jobs = [(f"k{i % 4}", True) for i in range(8)] + [(f"new{i}", False) for i in range(8)]
    start = threading.Barrier(len(jobs))

    def put(job):
        key, _ = job
        start.wait()
        try:
            root.put_object(Bucket=bucket, Key=key, Body=os.urandom(MiB))
            return None
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(len(jobs)) as pool:
        outcomes = list(pool.map(put, jobs))
    assert [o for (_, overwrite), o in zip(jobs, outcomes) if overwrite] == [None] * 8
    assert [o for (_, overwrite), o in zip(jobs, outcomes) if not overwrite] == ["QuotaExceeded"] * 8
    assert listed_bytes(root, bucket) == {f"k{i}": MiB for i in range(4)}
    assert usage(server, bucket)["total_size"] == 4 * MiB


def test_multipart_and_copies_respect_quota(server, root, quota_bucket):
    """UploadPart, UploadPartCopy (whole and ranged), CopyObject and PutObject past the
    quota are QuotaExceeded; parts count toward it; Complete of counted parts succeeds;
    deleting frees room."""
    bucket = quota_bucket(12 * MiB)
    source_bucket = unique_bucket_name("source")
    root.create_bucket(Bucket=source_bucket)
    source = os.urandom(5 * MiB)
    root.put_object(Bucket=source_bucket, Key="src", Body=source)
    copy_source = {"Bucket": source_bucket, "Key": "src"}
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB)]
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [root.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n,
                              Body=body)["ETag"] for n, body in enumerate(parts, 1)]
    assert usage(server, bucket)["multipart_size"] == 10 * MiB

    over = {
        "UploadPart": lambda: root.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id,
                                               PartNumber=3, Body=os.urandom(5 * MiB)),
        "UploadPartCopy": lambda: root.upload_part_copy(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=3, CopySource=copy_source),
        "UploadPartCopyRange": lambda: root.upload_part_copy(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=3, CopySource=copy_source,
            CopySourceRange=f"bytes=0-{3 * MiB - 1}"),
        "CopyObject": lambda: root.copy_object(Bucket=bucket, Key="copy", CopySource=copy_source),
        "PutObject": lambda: root.put_object(Bucket=bucket, Key="put", Body=os.urandom(3 * MiB)),
    }
    blobs = blob_files(server)
    for name, call in over.items():
        assert refusal(call)[:2] == ("QuotaExceeded", 403), name
    assert blob_files(server) == blobs
    listed_parts = root.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed_parts] == [(1, etags[0]), (2, etags[1])]
    view = usage(server, bucket)
    assert (view["object_count"], view["total_size"], view["multipart_size"]) == (0, 0, 10 * MiB)

    root.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    view = usage(server, bucket)
    assert (view["object_count"], view["total_size"], view["multipart_size"]) == (1, 10 * MiB, 0)
    assert root.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(parts)
    assert refusal(over["CopyObject"])[:2] == ("QuotaExceeded", 403)

    root.delete_object(Bucket=bucket, Key="mp")
    assert usage(server, bucket)["total_size"] == 0
    root.copy_object(Bucket=bucket, Key="copy", CopySource=copy_source)
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="mp2")["UploadId"]
    root.upload_part_copy(Bucket=bucket, Key="mp2", UploadId=upload_id, PartNumber=1,
                          CopySource=copy_source)
    assert refusal(lambda: root.put_object(Bucket=bucket, Key="put", Body=os.urandom(3 * MiB)))[:2] == (
        "QuotaExceeded", 403)
    root.abort_multipart_upload(Bucket=bucket, Key="mp2", UploadId=upload_id)
    root.put_object(Bucket=bucket, Key="put", Body=os.urandom(3 * MiB))
    assert listed_bytes(root, bucket) == {"copy": 5 * MiB, "put": 3 * MiB}
    view = usage(server, bucket)
    assert (view["total_size"], view["multipart_size"]) == (8 * MiB, 0)


def test_replacing_a_part_in_full_bucket(server, root, quota_bucket):
    """Re-uploading a part with one of the same size does not grow the bucket, so a full
    bucket accepts it (as it accepts a same-size object overwrite)."""
    bucket = quota_bucket(10 * MiB)
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    for number in (1, 2):
        root.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number,
                         Body=os.urandom(5 * MiB))
    try:
        root.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=2,
                         Body=os.urandom(5 * MiB))
        assert usage(server, bucket)["multipart_size"] == 10 * MiB
    finally:
        root.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)


def test_lifting_a_quota(server, root, quota_bucket):
    """Setting quota_bytes to null lets a refused write through."""
    bucket = quota_bucket(0)
    assert refusal(lambda: root.put_object(Bucket=bucket, Key="k", Body=b"x"))[:2] == (
        "QuotaExceeded", 403)
    root.put_object(Bucket=bucket, Key="empty", Body=b"")
    status, view = admin(server, "PATCH", f"/buckets/{bucket}", {"quota_bytes": None})
    assert status == 200 and view["quota_bytes"] is None
    root.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert listed_bytes(root, bucket) == {"empty": 0, "k": 1}


# -- rate limits ---------------------------------------------------------------------------

def create_key(server, user_name, **fields):
    status, made = admin(server, "POST", "/credentials", {"user_name": user_name, **fields})
    assert status == 201, made
    return made


def raw_list(server, bucket, key):
    """A signed ListObjectsV2 over a fresh connection: ``(status, Retry-After, code)``."""
    url = f"{server.endpoint}/{bucket}?list-type=2"
    headers, _, _ = signed_headers("GET", url, access_key=key["access_key"],
                                   secret_key=key["secret_key"])
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", f"/{bucket}?list-type=2", headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, response.getheader("Retry-After"), xml_text(body, "Code")
    finally:
        conn.close()


def concurrent_calls(call, count):
    """Run ``call`` from ``count`` threads at once; the ClientError responses (None: success)."""
    start = threading.Barrier(count)

    def one(_):
        start.wait()
        try:
            call()
        except ClientError as e:
            return e.response
        return None

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def limited(server):
    """A user with a key limited to 5 requests/s, an unlimited second key and a bucket
    (made through the management API, so no request of the limited key is spent)."""
    user = f"limited-{uuid.uuid4().hex[:8]}"
    slow = create_key(server, user, rate_limit=5)
    fast = create_key(server, user)
    assert (slow["rate_limit"], fast["rate_limit"]) == (5, None)
    bucket = unique_bucket_name("rate")
    status, view = admin(server, "POST", "/buckets", {"name": bucket, "owner_id": slow["id"]})
    assert status == 201, view
    return slow, fast, bucket


def test_rate_limit_under_concurrent_load(server, limited):
    """Six threads hammering a 5 requests/s key for ~2 s get at most the rate plus the
    burst; the rest are 503 SlowDown with Retry-After >= 1, while an unlimited key of the
    same user is never slowed down."""
    slow, fast, bucket = limited
    results, fast_results = [], []

    def hammer():
        for _ in range(10):
            results.append(raw_list(server, bucket, slow))
            time.sleep(0.2)

    def unlimited():
        for _ in range(30):
            fast_results.append(raw_list(server, bucket, fast)[0])
            time.sleep(0.05)

    threads = [threading.Thread(target=hammer) for _ in range(6)] + [threading.Thread(target=unlimited)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    assert len(results) == 60
    ok = [r for r in results if r[0] == 200]
    slowed = [r for r in results if r[0] != 200]
    assert {(status, code) for status, _, code in slowed} == {(503, "SlowDown")}
    assert all(int(retry_after) >= 1 for _, retry_after, _ in slowed)
    assert 5 <= len(ok) <= 5 * elapsed + 5 + 2, (len(ok), elapsed)
    assert len(slowed) >= 60 - (5 * elapsed + 5 + 2)
    assert fast_results == [200] * 30


def test_rate_limit_recovers_and_lifts(server, limited):
    """boto3 sees SlowDown once the burst is spent; after Retry-After the key works again;
    a rate_limit of null lifts the limit."""
    slow, _, bucket = limited
    s3 = s3_client(server, slow["access_key"], slow["secret_key"])
    errors = []
    for _ in range(3):  # concurrent rounds: however slow each call, 16 at once beat 5/s
        errors = [e for e in concurrent_calls(lambda: s3.list_objects_v2(Bucket=bucket), 16)
                  if e is not None]
        if errors:
            break
    assert errors, "48 concurrent requests of a 5 requests/s key were all accepted"
    assert {(e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]) for e in errors} == {
        ("SlowDown", 503)}
    error = errors[0]
    retry_after = int(error["ResponseMetadata"]["HTTPHeaders"]["retry-after"])
    assert retry_after >= 1
    time.sleep(retry_after)
    assert [raw_list(server, bucket, slow)[0] for _ in range(3)] == [200] * 3

    status, view = admin(server, "PATCH", f"/credentials/{slow['id']}", {"rate_limit": None})
    assert status == 200 and view["rate_limit"] is None
    assert [raw_list(server, bucket, slow)[0] for _ in range(40)] == [200] * 40
    s3.list_objects_v2(Bucket=bucket)
