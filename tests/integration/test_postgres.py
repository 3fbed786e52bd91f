"""ramod on PostgreSQL: a throwaway cluster (initdb/pg_ctl) and a real twistd ramod."""

import concurrent.futures
import hashlib
import json
import os
import urllib.request

import pytest
from botocore.exceptions import ClientError

from postgres_cluster import PostgresCluster
from ramod_process import RamodProcess, unique_bucket_name

pytestmark = pytest.mark.skipif(not PostgresCluster.available(), reason="initdb/pg_ctl not found")


@pytest.fixture(scope="module")
def pg_ramod(postgres, tmp_path_factory):
    server = RamodProcess(tmp_path_factory.mktemp("pg-ramod"), extra_args=["--db", postgres.url])
    server.start()
    yield server
    server.stop()


def test_objects_round_trip_on_postgres(pg_ramod, s3_factory):
    """Buckets and objects work with PostgreSQL metadata: put, overwrite, get, delete."""
    s3 = s3_factory(pg_ramod)
    bucket = unique_bucket_name("pg")
    s3.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.put_object(Bucket=bucket, Key="ключ/é", Body=b"first", Metadata={"a": "1"})
    s3.put_object(Bucket=bucket, Key="ключ/é", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="ключ/é")
    assert got["Body"].read() == b"second" and got["Metadata"] == {}
    s3.delete_object(Bucket=bucket, Key="ключ/é")
    s3.delete_bucket(Bucket=bucket)


def test_racing_first_writes_of_one_key_all_succeed(pg_ramod, s3_factory):
    """Concurrent first PUTs of the same new key all get 200 and one whole version wins."""
    s3 = s3_factory(pg_ramod, max_pool_connections=16)
    bucket = unique_bucket_name("pgrace")
    s3.create_bucket(Bucket=bucket)
    bodies = {os.urandom(8).hex().encode() * 1000 for _ in range(12)}

    def put(index_body):
        index, body = index_body
        return s3.put_object(Bucket=bucket, Key=f"race-{index // 12}", Body=body)["ETag"]

    work = [(i, b) for i in range(36) for b in [sorted(bodies)[i % 12]]]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        etags = list(pool.map(put, work))
    assert len(etags) == 36
    md5s = {f'"{hashlib.md5(b).hexdigest()}"' for b in bodies}
    for k in range(3):
        body = s3.get_object(Bucket=bucket, Key=f"race-{k}")["Body"].read()
        assert f'"{hashlib.md5(body).hexdigest()}"' in md5s


def test_objects_survive_a_restart_on_postgres(postgres, tmp_path, s3_factory):
    """A ramod restarted on the same PostgreSQL database and data dir serves its objects."""
    server = RamodProcess(tmp_path, extra_args=["--db", postgres.url])
    with server:
        s3 = s3_factory(server)
        bucket = unique_bucket_name("pgrestart")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="kept", Body=b"durable")
    with server:
        assert s3_factory(server).get_object(Bucket=bucket, Key="kept")["Body"].read() == b"durable"


def test_keys_are_collated_by_bytes(postgres, pg_ramod):
    """The test cluster's locale is C, so listing order alone could not tell: the key
    columns themselves must carry COLLATE "C" (a cluster made with en_US would sort
    'a' before 'B')."""
    import psycopg2
    with psycopg2.connect(postgres.url) as con, con.cursor() as cur:
        cur.execute("SELECT table_name, collation_name FROM information_schema.columns "
                    "WHERE column_name = 'key' ORDER BY table_name")
        assert cur.fetchall() == [("object", "C"), ("upload", "C")]


def test_listing_multipart_and_copy_on_postgres(pg_ramod, s3_factory):
    """Keys list in UTF-8 byte order (COLLATE "C", not the cluster's locale), multipart
    objects are served from their parts and copies share them, on PostgreSQL too."""
    s3 = s3_factory(pg_ramod)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    keys = ["B", "a", "a/b", "_x", "é", "\U0001f600", "Z"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=n,
                            Body=data)["ETag"] for n, data in enumerate(parts, 1)]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    s3.copy_object(Bucket=bucket, Key="mp-copy", CopySource={"Bucket": bucket, "Key": "mp"})
    s3.delete_object(Bucket=bucket, Key="mp")
    assert s3.get_object(Bucket=bucket, Key="mp-copy")["Body"].read() == b"".join(parts)


def test_quota_holds_across_two_nodes(postgres, pg_ramod, tmp_path, s3_factory):
    """Two ramod processes on one database racing PUTs into a bucket with a quota: the
    quota check in the commit transaction keeps the total within it (neither process sees
    the other's uploads in flight)."""
    second = RamodProcess(tmp_path, extra_args=["--db", postgres.url])
    with second:
        bucket = unique_bucket_name("pgquota")
        s3_factory(pg_ramod).create_bucket(Bucket=bucket)
        request = urllib.request.Request(
            f"{pg_ramod.admin_url}/api/v1/buckets/{bucket}", method="PATCH",
            data=json.dumps({"quota_bytes": 10 * 100_000 + 50_000}).encode(),
            headers={"Authorization": f"Bearer {pg_ramod.admin_key}"})
        urllib.request.urlopen(request).close()
        clients = [s3_factory(pg_ramod, max_pool_connections=8),
                   s3_factory(second, max_pool_connections=8)]

        def put(n):
            try:
                clients[n % 2].put_object(Bucket=bucket, Key=f"k{n}", Body=os.urandom(100_000))
                return "ok"
            except ClientError as e:
                return e.response["Error"]["Code"]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(put, range(32)))
        assert set(outcomes) <= {"ok", "QuotaExceeded"}
        assert outcomes.count("ok") == 10
        listed = clients[0].list_objects_v2(Bucket=bucket)["Contents"]
        assert sum(o["Size"] for o in listed) == 10 * 100_000
        request = urllib.request.Request(f"{pg_ramod.admin_url}/api/v1/buckets/{bucket}",
                                         headers={"Authorization": f"Bearer {pg_ramod.admin_key}"})
        with urllib.request.urlopen(request) as answer:
            info = json.load(answer)
        assert (info["object_count"], info["total_size"]) == (10, 10 * 100_000)
