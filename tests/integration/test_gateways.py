"""Three ramod gateways on one PostgreSQL database and one data directory (gw0 runs two
worker processes, gw1 and gw2 one each), driven through a round robin of the gateways:
every boto3 call goes to the next gateway, each aws CLI command to the next
``--endpoint-url``, each management API call to the next gateway's.

The existing suites that make sense across gateways run here unchanged, with the
round-robin client standing in for their ``s3`` (``RoundRobin``) and the gateways for
their server (``RotatingServer``): objects, multipart, copies, listings, tenancy, quotas,
presigned URLs, the aws CLI.  Then tests of what only several gateways can get wrong:
read-after-write/delete and list-after-write between every pair, an upload whose parts
go to different gateways, a key disabled or a URL revoked through one gateway's
management API, quota room held by an upload in flight on another gateway, a key's rate
limit for the cluster, and a GET reading a multipart object on one gateway while another
overwrites it and a third process's garbage sweep runs (``--garbage-grace``).  Last, what
these tests found in ramod, each pinned down on its own: the node lock checked from
another thread, transactions aborted as deadlock victims, the root credential made
twice by gateways starting together.
"""

import hashlib
import http.client
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

import test_awscli
import test_boto3_objects
import test_tenancy
from gateways import Gateways, RoundRobin
from postgres_cluster import PostgresCluster
from ramod.metadata.db import Transactions, open_database
from ramod.metadata.migrations import migrate
from ramod.metadata.node_lock import CHECK_SECONDS, NodeIdInUse, NodeLock
from ramod.metadata.store import MetadataStore
from ramod_process import (ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, admin_call,
                           refusal, signed_headers, unique_bucket_name, xml_text)
from ramod.startup import generate_keys
from test_limits import raw_put_head, read_response

# -- the suites run again across the gateways (their fixtures are overridden below) ---------
from test_awscli import cli_bucket, test_rm  # noqa: F401
from test_boto3_objects import (  # noqa: F401
    test_bucket_lifecycle, test_conditional_get, test_content_headers,
    test_delete_non_empty_bucket, test_delete_object, test_five_mib_random_object,
    test_overwrite_replaces_object, test_range_requests, test_user_metadata,
    test_zero_byte_object)
from test_copy_delete import (  # noqa: F401
    test_copy_across_buckets_shares_the_data, test_copy_source_is_url_encoded_and_conditional,
    test_delete_objects_quiet_and_reporting, test_metadata_directive_and_copy_onto_itself,
    test_object_tagging)
from test_limits import (  # noqa: F401
    quota_bucket, test_concurrent_mixed_writes_never_exceed_quota,
    test_concurrent_puts_never_exceed_quota, test_multipart_and_copies_respect_quota)
from test_list_objects import (  # noqa: F401
    filled, test_prefix_delimiter_start_after_and_fetch_owner,
    test_url_encoding_round_trips_awkward_keys, test_v1_with_delimiter_pages_keys_and_prefixes,
    test_v2_pages_through_everything_in_byte_order, test_versions_of_an_unversioned_bucket_are_null)
from test_multipart import (  # noqa: F401
    MiB, multipart_etag, test_abort_frees_the_parts, test_get_and_head_by_part_number,
    test_list_parts_and_uploads_paginate, test_parts_out_of_order_and_concurrent_make_the_object,
    test_racing_a_complete_never_loses_or_corrupts_data, test_reuploading_a_part_replaces_it,
    test_s3_rules_on_complete, test_upload_part_copy_with_ranges)
from test_presigned import (  # noqa: F401
    test_presigned_get, test_presigned_put, test_presigned_url_for_hostile_key,
    test_sigv4_presigned_with_signed_x_id, test_tampered_presigned_url)
from test_tenancy import (  # noqa: F401
    tenants, test_alice_data_untouched, test_disabled_key_is_refused_at_once,
    test_list_buckets_shows_own_buckets_only, test_management_presigned_urls_work_and_revoke,
    test_other_user_head_is_denied_without_body, test_other_user_is_denied,
    test_other_users_presigned_url_is_denied, test_root_reaches_other_users_buckets,
    test_taken_bucket_name_is_already_exists)

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")

#: worker processes of gw0, gw1, gw2
WORKERS = (2, 1, 1)
#: --garbage-grace of the gateways of the garbage test (the sweep runs every 5 s)
GRACE = 8


@pytest.fixture(scope="module")
def gateways(postgres, tmp_path_factory):
    cluster = Gateways(tmp_path_factory.mktemp("gateways"), postgres.create_database("ramo"),
                       WORKERS).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def ramod(gateways):
    """The reused tests' server (and the aws_cli fixture's): the gateways in turn."""
    return gateways.rotating()


@pytest.fixture(scope="module")
def server(ramod):
    """test_limits' server."""
    return ramod


@pytest.fixture(scope="module")
def root(gateways):
    """test_limits' root client: many threads share it."""
    return gateways.client(max_pool_connections=32)


@pytest.fixture
def s3_factory(gateways):
    """Round-robin clients over every gateway (over ``server`` alone if one is named)."""
    def make(server=None, *, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY, **options):
        targets = [server] if isinstance(server, RamodProcess) else list(gateways)
        return RoundRobin(targets, access_key, secret_key, **options)
    return make


@pytest.fixture(scope="module", autouse=True)
def tenants_round_robin(gateways):
    """test_tenancy makes its users' clients with its module's ``s3_client``: round-robin
    ones here, for the whole module (its ``tenants`` fixture is module-scoped)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(test_tenancy, "s3_client",
                      lambda _server, access_key, secret_key: RoundRobin(gateways, access_key,
                                                                         secret_key))
        yield


def test_every_gateway_and_worker_serves(gateways, s3):
    """The round robin reaches every gateway; gw0's two workers both serve."""
    bucket = unique_bucket_name("spread")
    s3.create_bucket(Bucket=bucket)
    for _ in range(30):
        s3.list_objects_v2(Bucket=bucket)
    assert sorted(s3.calls) == [0, 1, 2] and min(s3.calls.values()) >= 10, s3.calls
    assert len(gateways[0].wait_for_workers()) == 2
    s3.delete_bucket(Bucket=bucket)


HOSTILE_KEYS = test_boto3_objects.HOSTILE_KEYS


@pytest.mark.parametrize("key", HOSTILE_KEYS[::3], ids=range(0, len(HOSTILE_KEYS), 3))
def test_hostile_keys_across_gateways(s3, bucket, key):
    """test_boto3_objects' hostile keys, path-style only (the gateways have no --domain)."""
    test_boto3_objects.test_hostile_keys_round_trip(s3, s3, bucket, key)


def test_aws_cli_cp_across_gateways(aws_cli, s3, cli_bucket, tmp_path):  # noqa: F811
    """``aws s3 mb`` on one gateway, ``cp`` up on the next, HEAD and ``cp`` down on others
    (test_awscli's small object)."""
    test_awscli.test_cp_up_and_down(aws_cli, s3, cli_bucket, tmp_path, 1234)


# -- consistency between every pair of gateways ----------------------------------------------

def test_read_after_write_delete_and_list_across_gateways(gateways):
    """For each ordered pair of gateways (A, B): what A wrote, B reads and lists at once;
    what A overwrote, B reads new; what A deleted, B neither reads nor lists."""
    s3 = gateways.client()
    bucket = unique_bucket_name("raw")
    s3.on(0).create_bucket(Bucket=bucket)
    for a in range(len(gateways)):
        for b in range(len(gateways)):
            if a == b:
                continue
            key = f"from-{a}/to-{b}"
            writer, reader = s3.on(a), s3.on(b)
            first, second = os.urandom(1000 + a), os.urandom(70_000 + b)
            writer.put_object(Bucket=bucket, Key=key, Body=first)
            assert reader.get_object(Bucket=bucket, Key=key)["Body"].read() == first
            listed = reader.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
            assert [(o["Key"], o["Size"]) for o in listed] == [(key, len(first))]
            writer.put_object(Bucket=bucket, Key=key, Body=second)
            got = reader.get_object(Bucket=bucket, Key=key)
            assert got["Body"].read() == second
            assert got["ETag"] == '"%s"' % hashlib.md5(second).hexdigest()
            assert reader.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(second)
            writer.delete_object(Bucket=bucket, Key=key)
            assert refusal(lambda: reader.get_object(Bucket=bucket, Key=key))[:2] == (
                "NoSuchKey", 404)
            assert reader.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0
    s3.on(2).delete_bucket(Bucket=bucket)
    assert refusal(lambda: s3.on(1).head_bucket(Bucket=bucket))[1] == 404


def test_multipart_parts_on_other_gateways_and_retried_completes(gateways):
    """An upload created on gw0 gets its parts from gw1 and gw2 and is completed on gw0;
    every gateway lists its parts first and reads the object after; a Complete retried on
    gw1 and on gw2 (whose first answer the client "lost") answers the same object."""
    s3 = gateways.client()
    a, b, c = (s3.on(i) for i in range(3))
    bucket = unique_bucket_name("mpx")
    a.create_bucket(Bucket=bucket)
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(12_345)]
    upload_id = a.create_multipart_upload(Bucket=bucket, Key="mp", Metadata={"by": "gw0"})[
        "UploadId"]
    listing = []
    for number, (data, client) in enumerate(zip(parts, (b, c, b)), 1):
        etag = client.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id,
                                  PartNumber=number, Body=data)["ETag"]
        listing.append({"PartNumber": number, "ETag": etag})
    for client in (a, b, c):
        listed = client.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["Size"]) for p in listed] == [
            (n, len(d)) for n, d in enumerate(parts, 1)]
        uploads = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
        assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload_id)]
    done = a.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id,
                                       MultipartUpload={"Parts": listing})
    assert done["ETag"] == multipart_etag(parts)
    for client in (b, c):
        again = client.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id,
                                                 MultipartUpload={"Parts": listing})
        assert (again["ETag"], again["Key"]) == (done["ETag"], "mp")
    for client in (a, b, c):
        got = client.get_object(Bucket=bucket, Key="mp")
        assert (got["ETag"], got["Metadata"]) == (done["ETag"], {"by": "gw0"})
        assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(b"".join(parts)).digest()
        assert client.get_object(Bucket=bucket, Key="mp", PartNumber=2)["Body"].read() == parts[1]
        assert "Uploads" not in client.list_multipart_uploads(Bucket=bucket)
    # an upload aborted on one gateway is gone for the others
    other = c.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    a.upload_part(Bucket=bucket, Key="gone", UploadId=other, PartNumber=1, Body=b"x")
    b.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=other)
    assert refusal(lambda: c.upload_part(Bucket=bucket, Key="gone", UploadId=other,
                                         PartNumber=2, Body=b"y"))[:2] == ("NoSuchUpload", 404)
    assert refusal(lambda: a.complete_multipart_upload(
        Bucket=bucket, Key="gone", UploadId=other, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": '"%s"' % hashlib.md5(b"x").hexdigest()}]}))[:2] == (
        "NoSuchUpload", 404)


def test_copy_of_a_multipart_object_across_gateways(gateways):
    """A multipart object written on gw2 is copied on gw1 (into another bucket) and read on
    gw0; the source deleted on gw2, the copy still reads whole everywhere."""
    s3 = gateways.client()
    a, b, c = (s3.on(i) for i in range(3))
    source, target = unique_bucket_name("cpsrc"), unique_bucket_name("cpdst")
    c.create_bucket(Bucket=source)
    a.create_bucket(Bucket=target)
    parts = [os.urandom(5 * MiB), os.urandom(777)]
    upload_id = c.create_multipart_upload(Bucket=source, Key="src")["UploadId"]
    listing = [{"PartNumber": n, "ETag": c.upload_part(
        Bucket=source, Key="src", UploadId=upload_id, PartNumber=n, Body=d)["ETag"]}
        for n, d in enumerate(parts, 1)]
    c.complete_multipart_upload(Bucket=source, Key="src", UploadId=upload_id,
                                MultipartUpload={"Parts": listing})
    b.copy_object(Bucket=target, Key="copy", CopySource={"Bucket": source, "Key": "src"})
    assert a.get_object(Bucket=target, Key="copy")["Body"].read() == b"".join(parts)
    c.delete_object(Bucket=source, Key="src")
    for client in (a, b, c):
        assert client.get_object(Bucket=target, Key="copy")["Body"].read() == b"".join(parts)
        assert refusal(lambda: client.head_object(Bucket=source, Key="src"))[1] == 404


# -- credentials, links, quotas and rate limits: one cluster, not one process --------------

def _new_key(gateway, user, **fields):
    status, key = admin_call(gateway, "POST", "/credentials", {"user_name": user, **fields})
    assert status == 201, key
    return key


def _fresh_client_calls(gateway, key, count):
    """``count`` ListBuckets of ``key`` on ``gateway``, each on a connection of its own, so
    that a gateway's several workers all get some: the error codes (None: 200)."""
    codes = []
    for _ in range(count):
        headers, _, _ = signed_headers("GET", f"{gateway.endpoint}/",
                                       access_key=key["access_key"], secret_key=key["secret_key"])
        conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
        try:
            conn.request("GET", "/", headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        codes.append(None if response.status == 200 else xml_text(body, "Code"))
    return codes


def test_a_key_disabled_through_one_gateway_is_refused_by_every_gateway(gateways):
    """A key made through gw0's management API works everywhere; disabled through gw1's,
    the very next request to every gateway (every worker of gw0 too) is InvalidAccessKeyId;
    enabled again through gw2's, it works everywhere again."""
    key = _new_key(gateways[0], f"dis-{uuid.uuid4().hex[:6]}")
    for gateway in gateways:
        assert _fresh_client_calls(gateway, key, 2) == [None, None]
    status, view = admin_call(gateways[1], "PATCH", f"/credentials/{key['id']}",
                              {"is_active": False})
    assert status == 200 and view["is_active"] is False
    for gateway in gateways:
        count = 6 if gateway.workers > 1 else 2
        assert _fresh_client_calls(gateway, key, count) == ["InvalidAccessKeyId"] * count
    assert admin_call(gateways[2], "PATCH", f"/credentials/{key['id']}",
                      {"is_active": True})[0] == 200
    for gateway in gateways:
        assert _fresh_client_calls(gateway, key, 2) == [None, None]


def _fetch_on(gateway, url, method="GET", body=None):
    """Send ``url`` (made for whichever gateway) to ``gateway``, with the Host it was
    signed for: ``(status, body)``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        conn.request(method, f"{parts.path}?{parts.query}", body=body,
                     headers={"Host": parts.netloc})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_url_revoked_through_one_gateway_is_refused_by_every_gateway(gateways):
    """A presigned GET made by gw2's management API downloads from every gateway until
    gw0's management API revokes it: then every gateway refuses it, saying so, while a
    link to the same object made by gw1 still works everywhere."""
    s3 = gateways.client()
    bucket = unique_bucket_name("links")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="shared", Body=b"shared bytes")

    def link(gateway):
        status, made = admin_call(gateway, "POST", "/presigned-urls",
                                  {"bucket_name": bucket, "object_key": "shared",
                                   "expires_in": 600})
        assert status == 201, made
        return made
    revoked, kept = link(gateways[2]), link(gateways[1])
    for gateway in gateways:
        assert _fetch_on(gateway, revoked["url"]) == (200, b"shared bytes")
    assert admin_call(gateways[0], "DELETE", f"/presigned-urls/{revoked['id']}")[0] == 204
    for gateway in gateways:
        for _ in range(4 if gateway.workers > 1 else 1):
            status, body = _fetch_on(gateway, revoked["url"])
            assert (status, xml_text(body, "Code")) == (403, "AccessDenied"), body
            assert "revoked" in xml_text(body, "Message").lower()
        assert _fetch_on(gateway, kept["url"]) == (200, b"shared bytes")


def reserved(cluster) -> int:
    """Bytes held by quota reservations (uploads in flight), on every gateway."""
    return int(cluster.sql("SELECT COALESCE(SUM(size), 0) FROM quotareservation")[0][0])


def test_quota_room_held_by_an_upload_in_flight_on_one_gateway_counts_on_every_other(gateways):
    """An upload admitted by gw0 (told 100 Continue, its body not sent yet) holds 600 kB of
    a 1 MB quota: gw1, gw2 and gw0 itself refuse a 500 kB one before its body, admit a
    400 kB one; once the first is stored, the bucket holds it and the room left is exact."""
    s3 = gateways.client()
    bucket = unique_bucket_name("inflight")
    s3.create_bucket(Bucket=bucket)
    assert admin_call(gateways[1], "PATCH", f"/buckets/{bucket}",
                      {"quota_bytes": 1_000_000})[0] == 200
    expect = {"Expect": "100-continue"}
    first = raw_put_head(gateways[0], bucket, "first", 600_000, expect)
    try:
        assert read_response(first)[0] == "HTTP/1.1 100 Continue"
        for gateway in (gateways[1], gateways[2], gateways[0]):
            sock = raw_put_head(gateway, bucket, "second", 500_000, expect)
            try:
                status, _, body = read_response(sock)
            finally:
                sock.close()
            assert status.startswith("HTTP/1.1 403 "), (gateway.node_id, status, body)
            assert xml_text(body, "Code") == "QuotaExceeded" and b"600000" in body, body
            sock = raw_put_head(gateway, bucket, "fits", 400_000, expect)
            try:
                assert read_response(sock)[0] == "HTTP/1.1 100 Continue", gateway.node_id
            finally:
                sock.close()  # an upload cut off: its room is given back
            assert _wait(lambda: reserved(gateways) == 600_000, 10), reserved(gateways)
        data = os.urandom(600_000)
        first.sendall(data)
        status, _, body = read_response(first)
        assert status.startswith("HTTP/1.1 200 "), (status, body)
    finally:
        first.close()
    assert s3.get_object(Bucket=bucket, Key="first")["Body"].read() == data
    assert _wait(lambda: reserved(gateways) == 0, 10), reserved(gateways)
    s3.put_object(Bucket=bucket, Key="rest", Body=os.urandom(400_000))
    for _ in range(3):
        assert refusal(lambda: s3.put_object(Bucket=bucket, Key="over", Body=b"!"))[:2] == (
            "QuotaExceeded", 403)
    status, view = admin_call(gateways[2], "GET", f"/buckets/{bucket}")
    assert (view["object_count"], view["total_size"]) == (2, 1_000_000), view


def test_a_keys_rate_limit_holds_for_the_cluster(gateways):
    """A key limited to 5 requests/s, hammered for 2 s by six threads through the round
    robin (all three gateways, both of gw0's workers): together they admit what one
    process would, the burst plus the rate times the time (the README's tolerance is the
    gateways' clock skew, nil on one host), every gateway refusing some with SlowDown."""
    rate = 5
    key = _new_key(gateways[1], f"rate-{uuid.uuid4().hex[:6]}", rate_limit=rate)
    s3 = RoundRobin(gateways, key["access_key"], key["secret_key"])
    outcomes, lock = [], threading.Lock()
    started = time.monotonic()

    def hammer():
        while time.monotonic() - started < 2.0:
            index, client = s3.pick()
            try:
                client.list_buckets()
                outcome = "ok"
            except ClientError as e:
                assert e.response["ResponseMetadata"]["HTTPHeaders"].get("retry-after"), e.response
                outcome = e.response["Error"]["Code"]
            with lock:
                outcomes.append((index, outcome))
    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - started
    admitted = sum(o == "ok" for _, o in outcomes)
    assert {o for _, o in outcomes} <= {"ok", "SlowDown"}
    assert rate <= admitted <= rate + rate * elapsed + 1, (admitted, elapsed, len(outcomes))
    for index in range(len(gateways)):
        assert (index, "SlowDown") in outcomes, f"gw{index} never refused"
    print(f"\nrate limit {rate}/s: {admitted} of {len(outcomes)} requests admitted in "
          f"{elapsed:.2f} s across {len(gateways)} gateways")


# -- a GET in progress on one gateway, the garbage sweep on another ------------------------

@pytest.fixture(scope="module")
def graced(postgres, tmp_path_factory):
    """Two more gateways (on a database and data directory of their own) that keep
    garbage for GRACE seconds only: gw0 with two workers, gw1 single."""
    cluster = Gateways(tmp_path_factory.mktemp("graced"), postgres.create_database("graced"),
                       (2, 1), extra_args=["--garbage-grace", str(GRACE)]).start()
    yield cluster
    cluster.stop()


def _object_blobs(cluster, bucket, key) -> list:
    """The blob ids an object's bytes are read from, in order."""
    rows = cluster.sql(
        "SELECT COALESCE(p.blob_id, o.blob_id) FROM object o JOIN bucket b ON b.id = o.bucket_id "
        "LEFT JOIN objectpart p ON p.object_id = o.id WHERE b.name = %s AND o.key = %s "
        "ORDER BY p.part_number", (bucket, key))
    return [r[0] for r in rows]


def _open_blobs(gateway) -> set:
    """Blob ids whose files a gateway's processes (supervisor and workers) have open."""
    found = set()
    for pid in [gateway.pid, *gateway.worker_pids().values()]:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if "/blobs/" in target:
                found.add(os.path.basename(target))
    return found


def _wait(predicate, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def test_a_get_in_progress_outlives_an_overwrite_and_the_sweep_on_another_gateway(graced):
    """A 20 MiB multipart object is being read on one gateway, slowly (its later parts not
    opened yet), when the other gateway overwrites it and the sweep, run by a process of
    that other gateway, removes older garbage: the GET still completes with the old
    bytes, since the old parts are kept for --garbage-grace.  After the grace the sweep
    removes exactly the old parts' files and forgets them; nothing referenced goes."""
    # the first sweep (which takes the lease) runs 5 s after start
    assert _wait(graced.sweep_holder, 10), "no process holds the sweep's lease"
    holder = graced.sweep_holder()
    sweeper_node = holder.split("/")[0]
    writer = next(g for g in graced if g.node_id == sweeper_node)
    reader = next(g for g in graced if g.node_id != sweeper_node)
    s3 = RoundRobin(graced)
    w = s3.on(graced.gateways.index(writer))
    bucket = unique_bucket_name("grace")
    w.create_bucket(Bucket=bucket)
    old_parts = [os.urandom(5 * MiB) for _ in range(4)] + [os.urandom(1000)]
    old = b"".join(old_parts)
    upload_id = w.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    listing = [{"PartNumber": n, "ETag": s3.upload_part(
        Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=n, Body=d)["ETag"]}
        for n, d in enumerate(old_parts, 1)]
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload_id,
                                 MultipartUpload={"Parts": listing})
    old_blobs = _object_blobs(graced, bucket, "big")
    assert len(old_blobs) == 5
    s3.put_object(Bucket=bucket, Key="keeper", Body=b"referenced all along")
    s3.put_object(Bucket=bucket, Key="sacrifice", Body=b"garbage the sweep will take")
    [sacrificed] = _object_blobs(graced, bucket, "sacrifice")
    s3.delete_object(Bucket=bucket, Key="sacrifice")

    # the GET, on a connection with a small receive window, stops after 256 KiB
    url = f"{reader.endpoint}/{bucket}/big"
    headers, _, _ = signed_headers("GET", url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", reader.port))
    try:
        sock.sendall((f"GET /{bucket}/big HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200 and int(response.getheader("Content-Length")) == len(old)
        received = hashlib.md5(response.read(256 * 1024))
        time.sleep(0.3)
        opened = _open_blobs(reader)
        assert old_blobs[0] in opened and old_blobs[-1] not in opened, (opened, old_blobs)

        overwritten_at = time.time()
        new = os.urandom(3 * MiB)
        w.put_object(Bucket=bucket, Key="big", Body=new)
        assert s3.on(graced.gateways.index(reader)).get_object(
            Bucket=bucket, Key="big")["Body"].read() == new
        # the sweep (another process, another gateway) runs while the GET waits: it takes
        # the older garbage (made older here) and must leave the parts being read
        graced.sql("UPDATE garbageblob SET garbage_at = garbage_at - 3600 WHERE blob_id = %s",
                   (sacrificed,))
        assert _wait(lambda: sacrificed not in graced.census().files, 12), "no sweep ran"
        swept_after = time.time() - overwritten_at
        assert swept_after < GRACE, f"the sweep came {swept_after:.1f} s late: raise GRACE"
        during = graced.census()
        assert set(old_blobs) <= during.files and set(old_blobs) <= during.garbage, during
        assert old_blobs[-1] not in _open_blobs(reader), "the GET opened its last part early"

        for chunk in iter(lambda: response.read(MiB), b""):
            received.update(chunk)
        assert received.hexdigest() == hashlib.md5(old).hexdigest(), "the GET was cut short"
    finally:
        sock.close()

    # after the grace: the old parts' files go, once, and nothing else does
    assert _wait(lambda: not set(old_blobs) & graced.census().files,
                 overwritten_at + GRACE + 12 - time.time()), "old parts kept past the grace"
    after = graced.census()
    assert not after.problems(), after.problems()
    assert during.files - after.files == set(old_blobs), (during.files - after.files, old_blobs)
    assert not set(old_blobs) & after.garbage, "removed files are still queued"
    assert _object_blobs(graced, bucket, "keeper")[0] in after.files
    assert graced.sweep_holder() == holder, "the sweep changed hands"
    time.sleep(1)
    assert not set(old_blobs) & graced.census().files  # nothing brings them back
    for gateway in range(len(graced)):
        assert s3.on(gateway).get_object(Bucket=bucket, Key="big")["Body"].read() == new
        assert s3.on(gateway).get_object(Bucket=bucket, Key="keeper")["Body"].read() == \
            b"referenced all along"
    print(f"\nsweep by {holder} during the GET on {reader.node_id}, {swept_after:.1f} s after "
          f"the overwrite; old parts removed after the {GRACE} s grace")


# -- what running several gateways found in ramod (fixed; kept as regression tests) ------

def test_the_node_lock_holds_whichever_thread_checks_it(postgres):
    """A gateway takes its node lock, checks it every CHECK_SECONDS and releases it from
    its I/O pool, each time on whichever thread is free: every check must find the lock
    held (it once opened a session per thread, which could not take the lock the first
    session held, so every gateway on PostgreSQL stopped 10 s after its start, saying
    another gateway had taken its node id)."""
    def on_a_thread(call):
        result = []
        thread = threading.Thread(target=lambda: result.append(call()))
        thread.start()
        thread.join(30)
        return result[0]
    lock = NodeLock(postgres.url, "lock-probe")
    on_a_thread(lock.acquire)
    try:
        assert [on_a_thread(lock.check) for _ in range(3)] == [True] * 3
        with pytest.raises(NodeIdInUse):
            NodeLock(postgres.url, "lock-probe").acquire()
    finally:
        on_a_thread(lock.release)
    other = NodeLock(postgres.url, "lock-probe")
    other.acquire()  # released means released, whichever thread did it
    other.release()


def test_a_transaction_aborted_as_a_deadlocks_victim_runs_again(postgres):
    """Two transactions locking two rows in opposite orders: PostgreSQL aborts one
    (deadlock detected) and ``Transactions`` runs it again, so both succeed, each once.
    (Concurrent part copies, copies and PUTs into one bucket on several gateways lock a
    bucket's row and a blob's in opposite orders: test_concurrent_mixed_writes_never_
    exceed_quota here answered some of them 500 InternalError.)"""
    db = open_database(postgres.create_database("deadlock"))
    try:
        db.execute_sql("CREATE TABLE pair (id integer PRIMARY KEY, n integer)")
        db.execute_sql("INSERT INTO pair VALUES (1, 0), (2, 0)")
        db.close()
        transactions, calls, barrier = Transactions(db), [], threading.Barrier(2)

        def lock_both(first, second):
            calls.append(first)
            db.execute_sql("UPDATE pair SET n = n + 1 WHERE id = %s", (first,))
            if len(calls) <= 2:
                barrier.wait(10)  # the first tries meet here, each holding its first row
            db.execute_sql("UPDATE pair SET n = n + 1 WHERE id = %s", (second,))
            return first
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(transactions.run, lock_both, rows) for rows in ((1, 2), (2, 1))]
            assert [run.result(30) for run in runs] == [1, 2]
        assert len(calls) == 3                     # one of them ran twice
        assert db.execute_sql("SELECT id, n FROM pair ORDER BY id").fetchall() == [(1, 2), (2, 2)]
    finally:
        db.close_all()


def test_gateways_starting_together_make_one_root_credential(postgres):
    """Gateways starting at once on a new database each look for the root credential and
    make it if there is none: exactly one must be made (they used to make one each, or,
    given RAMO_ROOT_ACCESS_KEY, all but one failed to start on the unique key)."""
    db = open_database(postgres.create_database("roots"))
    try:
        migrate(db)
        store, transactions = MetadataStore(db, None), Transactions(db)
        threads = 6
        with ThreadPoolExecutor(threads) as pool:  # one connection (session) per thread
            for keys in [(None, None)] * 4 + [("RACEROOTKEY", "secret")] * 2:
                transactions.run(lambda: db.execute_sql("DELETE FROM credential"))
                barrier = threading.Barrier(threads)

                def start(_):
                    barrier.wait(10)
                    return transactions.run(store._ensure_root, (*keys, generate_keys))
                made = list(pool.map(start, range(threads)))  # a unique-key error would raise
                roots = transactions.run(lambda: db.execute_sql(
                    "SELECT access_key FROM credential WHERE is_root").fetchall())
                assert len(roots) == 1 and [m[1] for m in made].count(True) == 1, (made, roots)
                assert {m[0].access_key for m in made} == {roots[0][0]}
    finally:
        db.close_all()


def test_gateways_keep_their_node_ids_past_the_lock_checks(gateways):
    """(last: by now the gateways have run their node lock checks) every gateway still
    runs, and none believed another had taken its node id."""
    time.sleep(max(0.0, gateways.started_at + CHECK_SECONDS + 1 - time.monotonic()))
    for gateway in gateways:
        assert gateway.running, gateway.log_tail()
        assert "another gateway took node id" not in gateway.log_file.read_text()
