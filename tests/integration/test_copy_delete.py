"""CopyObject, DeleteObjects, tagging, ACLs and the configuration probes clients make,
with boto3 against a real ramod."""

import os
import time

import pytest
from botocore.exceptions import ClientError
from ramod_process import blob_files
from test_multipart import MiB, error_of


def test_copy_across_buckets_shares_the_data(s3, bucket, ramod):
    other = bucket + "-b"
    s3.create_bucket(Bucket=other)
    data = os.urandom(8 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="a/b", Metadata={"m": "1"})
    before = blob_files(ramod)
    started = time.monotonic()
    result = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert blob_files(ramod) == before                 # shared, not copied
    assert time.monotonic() - started < 5
    copy = s3.get_object(Bucket=other, Key="dst")
    assert (copy["ContentType"], copy["Metadata"], copy["ETag"]) == (
        "a/b", {"m": "1"}, result["CopyObjectResult"]["ETag"])
    s3.delete_object(Bucket=bucket, Key="src")
    assert s3.get_object(Bucket=other, Key="dst")["Body"].read() == data
    s3.delete_object(Bucket=other, Key="dst")
    s3.delete_bucket(Bucket=other)


def test_metadata_directive_and_copy_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"old": "1"})
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})
    assert error_of(caught) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k", MetadataDirective="REPLACE",
                   Metadata={"new": "2"}, ContentType="text/x")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["Metadata"], head["ContentType"]) == ({"new": "2"}, "text/x")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_copy_source_is_url_encoded_and_conditional(s3, bucket):
    key = "dir/ünï cödé+%.txt"
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"data")["ETag"]
    s3.copy_object(Bucket=bucket, Key="c1", CopySource={"Bucket": bucket, "Key": key},
                   CopySourceIfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="c1")["Body"].read() == b"data"
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": key},
                       CopySourceIfNoneMatch=etag)
    assert error_of(caught) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="c3", CopySource={"Bucket": bucket, "Key": "missing"})
    assert error_of(caught) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="c4", CopySource={"Bucket": bucket + "-none", "Key": "k"})
    assert error_of(caught) == ("NoSuchBucket", 404)
    s3.copy_object(Bucket=bucket, Key="c5", CopySource=f"{bucket}/{key}?versionId=null")


def test_delete_objects_quiet_and_reporting(s3, bucket):
    keys = [f"k{i}" for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:3]]
                                                      + [{"Key": "never-existed"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted(keys[:3] + ["never-existed"])
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[3:]],
                                                     "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    with pytest.raises(ClientError) as caught:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert error_of(caught) == ("MalformedXML", 400)


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two words")]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "c", "Value": "3"}]
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    with pytest.raises(ClientError) as caught:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [
            {"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    assert error_of(caught)[0] in ("InvalidTag", "BadRequest")


def test_acls_answer_the_owner_with_full_control(s3, bucket):
    owner = s3.list_buckets()["Owner"]
    for acl in (s3.get_bucket_acl(Bucket=bucket),):
        assert acl["Owner"]["ID"] == owner["ID"]
        assert [(g["Grantee"]["ID"], g["Grantee"]["Type"], g["Permission"]) for g in acl["Grants"]] \
            == [(owner["ID"], "CanonicalUser", "FULL_CONTROL")]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")
    with pytest.raises(ClientError) as caught:
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert error_of(caught) == ("NotImplemented", 501)


@pytest.mark.parametrize("call, code", [
    ("get_bucket_cors", "NoSuchCORSConfiguration"),
    ("get_bucket_policy", "NoSuchBucketPolicy"),
    ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
    ("get_bucket_tagging", "NoSuchTagSet"),
    ("get_bucket_website", "NoSuchWebsiteConfiguration"),
    ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
    ("get_bucket_ownership_controls", "OwnershipControlsNotFoundError"),
    ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
    ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
])
def test_configurations_a_bucket_does_not_have(s3, bucket, call, code):
    with pytest.raises(ClientError) as caught:
        getattr(s3, call)(Bucket=bucket)
    assert error_of(caught) == (code, 404)


def test_probes_that_answer_empty(s3, bucket):
    versioning = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in versioning and versioning["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "ramo"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "ramo"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert error_of(caught) == ("NotImplemented", 501)
