"""Multi-user tenancy on a real ramod: keys made through the management API, each user
confined to their own buckets over S3, disabled keys and revocable presigned URLs."""

import http.client
import os
import uuid
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest

from ramod_process import ROOT_ACCESS_KEY, ROOT_SECRET_KEY, refusal, unique_bucket_name, xml_text
from ramod_process import admin_call as admin
from ramod_process import no_retry_client as s3_client

# -- helpers -------------------------------------------------------------------------------


def create_key(server, user_name):
    """A new access key for ``user_name`` (the 201 answer, with its secret)."""
    status, made = admin(server, "POST", "/credentials", {"user_name": user_name})
    assert status == 201, made
    return made


def set_key(server, credential, **fields):
    status, answer = admin(server, "PATCH", f"/credentials/{credential['id']}", fields)
    assert status == 200, answer
    return answer


def fetch(url, method="GET", body=None, headers=None):
    """Send one request to ``url`` as given; return ``(status, headers, body)``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                     body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def snapshot(s3, bucket):
    """Everything a tenant could have spoiled in ``bucket``: objects (with data and tags),
    uploads (with parts), bucket tags."""
    objects = {}
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        key = obj["Key"]
        objects[key] = (obj["ETag"], s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
                        s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"])
    uploads = {}
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        parts = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        uploads[upload["UploadId"]] = (upload["Key"], [
            (p["PartNumber"], p["ETag"], p["Size"]) for p in parts.get("Parts", [])])
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    return objects, uploads, tags


def drop_tenant(server, credential, buckets):
    for name in buckets:
        admin(server, "DELETE", f"/buckets/{name}?force=true")
    admin(server, "DELETE", f"/credentials/{credential['id']}")


MiB = 1024 * 1024


@pytest.fixture(scope="module")
def tenants(ramod):
    """Alice with a bucket full of things (objects, tags, an upload in progress) and Bob
    with a bucket and an upload of his own."""
    suffix = uuid.uuid4().hex[:8]
    alice_key = create_key(ramod, f"alice-{suffix}")
    bob_key = create_key(ramod, f"bob.{suffix}@example")
    alice = s3_client(ramod, alice_key["access_key"], alice_key["secret_key"])
    bob = s3_client(ramod, bob_key["access_key"], bob_key["secret_key"])
    root = s3_client(ramod, ROOT_ACCESS_KEY, ROOT_SECRET_KEY)

    a_bucket, b_bucket = unique_bucket_name("alice"), unique_bucket_name("bob")
    alice.create_bucket(Bucket=a_bucket)
    alice.put_bucket_tagging(Bucket=a_bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    alice.put_object(Bucket=a_bucket, Key="secret.txt", Body=b"alice's secret",
                     Tagging="level=high")
    alice.put_object(Bucket=a_bucket, Key="dir/data.bin", Body=os.urandom(6 * MiB))
    upload = alice.create_multipart_upload(Bucket=a_bucket, Key="in-progress")
    part = alice.upload_part(Bucket=a_bucket, Key="in-progress", UploadId=upload["UploadId"],
                             PartNumber=1, Body=os.urandom(5 * MiB))

    bob.create_bucket(Bucket=b_bucket)
    bob.put_object(Bucket=b_bucket, Key="mine.txt", Body=b"bob's own")
    bob_upload = bob.create_multipart_upload(Bucket=b_bucket, Key="bob-upload")

    world = SimpleNamespace(
        alice=alice, bob=bob, root=root, alice_key=alice_key, bob_key=bob_key,
        a_bucket=a_bucket, b_bucket=b_bucket, upload_id=upload["UploadId"],
        part_etag=part["ETag"], bob_upload_id=bob_upload["UploadId"])
    world.before = snapshot(alice, a_bucket)
    yield world
    drop_tenant(ramod, alice_key, [a_bucket])
    drop_tenant(ramod, bob_key, [b_bucket])


# -- Bob against Alice's bucket: every operation is AccessDenied ---------------------------

def _presigned_get(w):
    url = w.bob.generate_presigned_url("get_object", Params={"Bucket": w.a_bucket,
                                                             "Key": "secret.txt"}, ExpiresIn=300)
    status, _, body = fetch(url)
    return status, xml_text(body, "Code")


def _presigned_put(w):
    url = w.bob.generate_presigned_url("put_object", Params={"Bucket": w.a_bucket,
                                                             "Key": "secret.txt"}, ExpiresIn=300)
    status, _, body = fetch(url, "PUT", b"overwritten by bob")
    return status, xml_text(body, "Code")


def _tagset():
    return {"TagSet": [{"Key": "by", "Value": "bob"}]}


BOB_OPERATIONS = {
    "GetBucketLocation": lambda w: w.bob.get_bucket_location(Bucket=w.a_bucket),
    "ListObjects": lambda w: w.bob.list_objects(Bucket=w.a_bucket),
    "ListObjectsV2": lambda w: w.bob.list_objects_v2(Bucket=w.a_bucket, FetchOwner=True),
    "ListObjectVersions": lambda w: w.bob.list_object_versions(Bucket=w.a_bucket),
    "ListMultipartUploads": lambda w: w.bob.list_multipart_uploads(Bucket=w.a_bucket),
    "GetBucketAcl": lambda w: w.bob.get_bucket_acl(Bucket=w.a_bucket),
    "PutBucketAcl": lambda w: w.bob.put_bucket_acl(Bucket=w.a_bucket, ACL="private"),
    "GetBucketTagging": lambda w: w.bob.get_bucket_tagging(Bucket=w.a_bucket),
    "PutBucketTagging": lambda w: w.bob.put_bucket_tagging(Bucket=w.a_bucket, Tagging=_tagset()),
    "DeleteBucketTagging": lambda w: w.bob.delete_bucket_tagging(Bucket=w.a_bucket),
    "GetBucketVersioning": lambda w: w.bob.get_bucket_versioning(Bucket=w.a_bucket),
    "DeleteBucket": lambda w: w.bob.delete_bucket(Bucket=w.a_bucket),
    "PutObject": lambda w: w.bob.put_object(Bucket=w.a_bucket, Key="secret.txt", Body=b"bob"),
    "PutObjectNewKey": lambda w: w.bob.put_object(Bucket=w.a_bucket, Key="new", Body=b"bob"),
    "GetObject": lambda w: w.bob.get_object(Bucket=w.a_bucket, Key="secret.txt"),
    "GetObjectMissingKey": lambda w: w.bob.get_object(Bucket=w.a_bucket, Key="no-such-key"),
    "GetObjectRange": lambda w: w.bob.get_object(Bucket=w.a_bucket, Key="secret.txt",
                                                 Range="bytes=0-3"),
    "DeleteObject": lambda w: w.bob.delete_object(Bucket=w.a_bucket, Key="secret.txt"),
    "DeleteObjects": lambda w: w.bob.delete_objects(
        Bucket=w.a_bucket, Delete={"Objects": [{"Key": "secret.txt"}, {"Key": "dir/data.bin"}]}),
    "CopyObjectOutOfAlices": lambda w: w.bob.copy_object(
        Bucket=w.b_bucket, Key="stolen", CopySource={"Bucket": w.a_bucket, "Key": "secret.txt"}),
    "CopyObjectIntoAlices": lambda w: w.bob.copy_object(
        Bucket=w.a_bucket, Key="secret.txt", CopySource={"Bucket": w.b_bucket, "Key": "mine.txt"}),
    "GetObjectAcl": lambda w: w.bob.get_object_acl(Bucket=w.a_bucket, Key="secret.txt"),
    "PutObjectAcl": lambda w: w.bob.put_object_acl(Bucket=w.a_bucket, Key="secret.txt",
                                                   ACL="private"),
    "GetObjectTagging": lambda w: w.bob.get_object_tagging(Bucket=w.a_bucket, Key="secret.txt"),
    "PutObjectTagging": lambda w: w.bob.put_object_tagging(Bucket=w.a_bucket, Key="secret.txt",
                                                           Tagging=_tagset()),
    "DeleteObjectTagging": lambda w: w.bob.delete_object_tagging(Bucket=w.a_bucket,
                                                                 Key="secret.txt"),
    "CreateMultipartUpload": lambda w: w.bob.create_multipart_upload(Bucket=w.a_bucket, Key="mp"),
    "UploadPart": lambda w: w.bob.upload_part(Bucket=w.a_bucket, Key="in-progress",
                                              UploadId=w.upload_id, PartNumber=2, Body=b"x" * 100),
    "UploadPartReplace": lambda w: w.bob.upload_part(Bucket=w.a_bucket, Key="in-progress",
                                                     UploadId=w.upload_id, PartNumber=1,
                                                     Body=b"x" * 100),
    "ListParts": lambda w: w.bob.list_parts(Bucket=w.a_bucket, Key="in-progress",
                                            UploadId=w.upload_id),
    "AbortMultipartUpload": lambda w: w.bob.abort_multipart_upload(
        Bucket=w.a_bucket, Key="in-progress", UploadId=w.upload_id),
    "CompleteMultipartUpload": lambda w: w.bob.complete_multipart_upload(
        Bucket=w.a_bucket, Key="in-progress", UploadId=w.upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": w.part_etag}]}),
    "UploadPartCopyOutOfAlices": lambda w: w.bob.upload_part_copy(
        Bucket=w.b_bucket, Key="bob-upload", UploadId=w.bob_upload_id, PartNumber=1,
        CopySource={"Bucket": w.a_bucket, "Key": "dir/data.bin"}),
    "UploadPartCopyRangeOutOfAlices": lambda w: w.bob.upload_part_copy(
        Bucket=w.b_bucket, Key="bob-upload", UploadId=w.bob_upload_id, PartNumber=2,
        CopySource={"Bucket": w.a_bucket, "Key": "dir/data.bin"},
        CopySourceRange="bytes=0-1023"),
}


@pytest.mark.parametrize("operation", sorted(BOB_OPERATIONS))
def test_other_user_is_denied(tenants, operation):
    """Bob's key gets 403 AccessDenied for this operation on Alice's bucket or objects."""
    code, status, _ = refusal(lambda: BOB_OPERATIONS[operation](tenants))
    assert (code, status) == ("AccessDenied", 403)


@pytest.mark.parametrize("method", ["head_bucket", "head_object"])
def test_other_user_head_is_denied_without_body(tenants, method):
    """HeadBucket and HeadObject on Alice's bucket answer Bob 403 with no body."""
    params = {"Bucket": tenants.a_bucket}
    if method == "head_object":
        params["Key"] = "secret.txt"
    code, status, _ = refusal(lambda: getattr(tenants.bob, method)(**params))
    assert (code, status) == ("403", 403)
    url = tenants.bob.generate_presigned_url(method, Params=params, ExpiresIn=300)
    status, headers, body = fetch(url, "HEAD")
    assert (status, body) == (403, b"")


@pytest.mark.parametrize("make", [_presigned_get, _presigned_put], ids=["GET", "PUT"])
def test_other_users_presigned_url_is_denied(tenants, make):
    """A presigned URL signed with Bob's key for Alice's object is refused with AccessDenied."""
    assert make(tenants) == (403, "AccessDenied")


def test_alice_data_untouched(tenants):
    """After all of Bob's attempts, Alice's objects, tags, upload and parts are as they were,
    and nothing of hers leaked into Bob's bucket."""
    w = tenants
    assert snapshot(w.alice, w.a_bucket) == w.before
    assert [o["Key"] for o in w.bob.list_objects_v2(Bucket=w.b_bucket)["Contents"]] == ["mine.txt"]
    assert w.bob.list_parts(Bucket=w.b_bucket, Key="bob-upload",
                            UploadId=w.bob_upload_id).get("Parts", []) == []


# -- what each user sees -------------------------------------------------------------------

def test_list_buckets_shows_own_buckets_only(tenants):
    """ListBuckets shows Bob only his bucket, Alice only hers, and root both."""
    w = tenants
    assert [b["Name"] for b in w.bob.list_buckets()["Buckets"]] == [w.b_bucket]
    assert [b["Name"] for b in w.alice.list_buckets()["Buckets"]] == [w.a_bucket]
    names = {b["Name"] for b in w.root.list_buckets()["Buckets"]}
    assert {w.a_bucket, w.b_bucket} <= names


def test_credential_view_lists_the_users_buckets(ramod, tenants):
    """GET /credentials/{id} lists the buckets of the key's user only."""
    status, view = admin(ramod, "GET", f"/credentials/{tenants.alice_key['id']}")
    assert status == 200
    assert view["bucket_count"] == 1
    assert [b["name"] for b in view["buckets"]] == [tenants.a_bucket]
    assert view["buckets"][0]["object_count"] == 2


def owners_seen(s3, bucket):
    """Every (ID, DisplayName) ``s3``'s caller is shown for ``bucket``'s owner."""
    seen = set()
    v1 = s3.list_objects(Bucket=bucket)
    seen |= {(o["Owner"]["ID"], o["Owner"].get("DisplayName")) for o in v1["Contents"]}
    v2 = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)
    seen |= {(o["Owner"]["ID"], o["Owner"].get("DisplayName")) for o in v2["Contents"]}
    acl = s3.get_bucket_acl(Bucket=bucket)
    seen.add((acl["Owner"]["ID"], acl["Owner"].get("DisplayName")))
    seen |= {(g["Grantee"]["ID"], g["Grantee"].get("DisplayName")) for g in acl["Grants"]}
    key = v1["Contents"][0]["Key"]
    object_acl = s3.get_object_acl(Bucket=bucket, Key=key)
    seen.add((object_acl["Owner"]["ID"], object_acl["Owner"].get("DisplayName")))
    return seen


def test_owner_ids_are_consistent_per_user(tenants):
    """Each user has one Owner ID across ListBuckets, listings and ACLs; the IDs differ."""
    w = tenants
    ids = {}
    for who, s3, bucket, key in [("alice", w.alice, w.a_bucket, w.alice_key),
                                 ("bob", w.bob, w.b_bucket, w.bob_key)]:
        listing_owner = s3.list_buckets()["Owner"]
        owner = (listing_owner["ID"], listing_owner.get("DisplayName"))
        assert owner[1] == key["user_name"]
        assert owners_seen(s3, bucket) == {owner}
        ids[who] = owner
    assert ids["alice"][0] != ids["bob"][0]
    root_owner = w.root.list_buckets()["Owner"]["ID"]
    assert root_owner not in (ids["alice"][0], ids["bob"][0])
    # root looking into Alice's bucket sees Alice as its owner
    assert owners_seen(w.root, w.a_bucket) == {ids["alice"]}


def test_root_reaches_other_users_buckets(tenants):
    """Root can list, read and write Alice's bucket."""
    w = tenants
    keys = [o["Key"] for o in w.root.list_objects_v2(Bucket=w.a_bucket)["Contents"]]
    assert keys == ["dir/data.bin", "secret.txt"]
    assert w.root.get_object(Bucket=w.a_bucket, Key="secret.txt")["Body"].read() == b"alice's secret"
    w.root.put_object(Bucket=w.a_bucket, Key="from-root", Body=b"hello alice")
    assert w.alice.get_object(Bucket=w.a_bucket, Key="from-root")["Body"].read() == b"hello alice"
    w.root.delete_object(Bucket=w.a_bucket, Key="from-root")
    code, status, _ = refusal(lambda: w.alice.head_object(Bucket=w.a_bucket, Key="from-root"))
    assert status == 404


def test_taken_bucket_name_is_already_exists(tenants):
    """Bob (and root) creating a bucket named like Alice's get 409 BucketAlreadyExists;
    Alice re-creating her own gets no such error."""
    w = tenants
    assert refusal(lambda: w.bob.create_bucket(Bucket=w.a_bucket))[:2] == ("BucketAlreadyExists", 409)
    assert refusal(lambda: w.root.create_bucket(Bucket=w.a_bucket))[:2] == ("BucketAlreadyExists", 409)
    w.alice.create_bucket(Bucket=w.a_bucket)  # us-east-1: re-creating your own bucket is a 200


@pytest.fixture
def alice_second_key(ramod, tenants):
    """A second access key for Alice's user (a boto3 client), deleted afterwards."""
    other = create_key(ramod, tenants.alice_key["user_name"])
    yield s3_client(ramod, other["access_key"], other["secret_key"])
    admin(ramod, "DELETE", f"/credentials/{other['id']}")


def test_second_key_of_same_user_shares_buckets(tenants, alice_second_key):
    """A second key of Alice's user reads her bucket and lists it as its own."""
    s3 = alice_second_key
    assert s3.get_object(Bucket=tenants.a_bucket, Key="secret.txt")["Body"].read() == b"alice's secret"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [tenants.a_bucket]


def test_second_key_of_same_user_recreates_own_bucket(tenants, alice_second_key):
    """Re-creating Alice's bucket with another key of hers answers as for her first key
    (200 in us-east-1), not 409 BucketAlreadyExists: buckets belong to users, not keys."""
    alice_second_key.create_bucket(Bucket=tenants.a_bucket)


# -- disabled keys -------------------------------------------------------------------------

def test_disabled_key_is_refused_at_once(ramod):
    """Disabling a key refuses its requests and its earlier presigned URLs with 403
    InvalidAccessKeyId; enabling it again restores both."""
    key = create_key(ramod, f"carol-{uuid.uuid4().hex[:8]}")
    bucket = unique_bucket_name("carol")
    try:
        s3 = s3_client(ramod, key["access_key"], key["secret_key"])
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"carol's")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"},
                                        ExpiresIn=600)
        assert fetch(url)[::2] == (200, b"carol's")

        assert set_key(ramod, key, is_active=False)["is_active"] is False
        assert refusal(lambda: s3.list_objects_v2(Bucket=bucket))[:2] == ("InvalidAccessKeyId", 403)
        assert refusal(lambda: s3.put_object(Bucket=bucket, Key="k2", Body=b"x"))[:2] == (
            "InvalidAccessKeyId", 403)
        assert refusal(lambda: s3.list_buckets())[:2] == ("InvalidAccessKeyId", 403)
        status, _, body = fetch(url)
        assert (status, xml_text(body, "Code")) == (403, "InvalidAccessKeyId")

        assert set_key(ramod, key, is_active=True)["is_active"] is True
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
        assert fetch(url)[::2] == (200, b"carol's")
    finally:
        drop_tenant(ramod, key, [bucket])


# -- presigned URLs made and revoked through the management API ----------------------------

def presign(server, bucket, key, method="GET"):
    status, made = admin(server, "POST", "/presigned-urls", {
        "bucket_name": bucket, "object_key": key, "method": method, "expires_in": 600})
    assert status == 201, made
    return made


def test_management_presigned_urls_work_and_revoke(ramod, tenants):
    """Presigned URLs from the management API GET and PUT, are listed, and once revoked
    get 403 AccessDenied saying so, while a boto3-made URL for the same object still works."""
    w = tenants
    bucket = unique_bucket_name("share")
    w.alice.create_bucket(Bucket=bucket)
    try:
        w.alice.put_object(Bucket=bucket, Key="shared file.txt", Body=b"shared data")
        get = presign(ramod, bucket, "shared file.txt")
        assert (get["method"], get["access_key"], get["is_active"]) == (
            "GET", w.alice_key["access_key"], True)
        assert get["revoked_at"] is None
        assert fetch(get["url"])[::2] == (200, b"shared data")

        put = presign(ramod, bucket, "uploaded.bin", "PUT")
        status, _, body = fetch(put["url"], "PUT", b"put through a shared link")
        assert status == 200, body
        got = w.alice.get_object(Bucket=bucket, Key="uploaded.bin")["Body"].read()
        assert got == b"put through a shared link"

        status, listed = admin(ramod, "GET", f"/presigned-urls?bucket_name={quote(bucket)}")
        assert status == 200
        assert {get["id"], put["id"]} <= {u["id"] for u in listed["items"]}

        assert admin(ramod, "DELETE", f"/presigned-urls/{get['id']}") == (204, None)
        status, _, body = fetch(get["url"])
        assert (status, xml_text(body, "Code")) == (403, "AccessDenied")
        assert "revoked" in xml_text(body, "Message").lower()

        status, listed = admin(ramod, "GET", f"/presigned-urls?bucket_name={quote(bucket)}")
        assert {u["id"] for u in listed["items"]} == {put["id"]}
        status, shown = admin(ramod, "GET", f"/presigned-urls/{get['id']}")
        assert status == 200
        assert shown["is_active"] is False and shown["revoked_at"] is not None
        assert admin(ramod, "DELETE", f"/presigned-urls/{get['id']}") == (204, None)

        # another expiry than the revoked link's: signed in the same second with the same
        # expiry, it would be that very URL
        own = w.alice.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "shared file.txt"}, ExpiresIn=900)
        assert fetch(own)[::2] == (200, b"shared data")
        # the PUT link was not revoked with the GET one
        assert fetch(put["url"], "PUT", b"again")[0] == 200
    finally:
        admin(ramod, "DELETE", f"/buckets/{bucket}?force=true")
