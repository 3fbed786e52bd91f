"""ListObjects V1/V2 and ListObjectVersions with boto3 against a real ramod: prefixes,
delimiters, paging, URL encoding of awkward keys, byte order."""

import pytest
from botocore.exceptions import ClientError

from test_multipart import error_of

KEYS = ["a", "a/b/c", "a/b/d", "a/e", "b", "b+c", "b c", "c%d", "é/x", "zz/\U0001f600", "~"]


@pytest.fixture
def filled(s3, bucket):
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_v2_pages_through_everything_in_byte_order(s3, filled, page_size):
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=filled, PaginationConfig={"PageSize": page_size}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == utf8_sorted(KEYS)
    assert all(p["KeyCount"] == len(p.get("Contents", [])) for p in pages)
    first = pages[0]["Contents"][0]
    assert first["Size"] == 1 and first["ETag"].startswith('"') and "Owner" not in first


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_v1_with_delimiter_pages_keys_and_prefixes(s3, filled, page_size):
    pages = list(s3.get_paginator("list_objects").paginate(
        Bucket=filled, Delimiter="/", PaginationConfig={"PageSize": page_size}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    assert keys == utf8_sorted(["a", "b", "b+c", "b c", "c%d", "~"])
    assert prefixes == ["a/", "zz/", "é/"]
    for page in pages:
        assert len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])) <= page_size
        if page["IsTruncated"]:
            last = max([o["Key"] for o in page.get("Contents", [])]
                       + [c["Prefix"] for c in page.get("CommonPrefixes", [])],
                       key=lambda k: k.encode())
            assert page["NextMarker"] == last
    assert pages[0]["Contents"][0]["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]


def test_prefix_delimiter_start_after_and_fetch_owner(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/", FetchOwner=True)
    assert [o["Key"] for o in r["Contents"]] == ["a/e"]
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["a/b/"]
    assert "Owner" in r["Contents"][0]
    r = s3.list_objects_v2(Bucket=filled, StartAfter="b+c")
    assert [o["Key"] for o in r["Contents"]][0] == "c%d"
    r = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert r["KeyCount"] == 0 and not r["IsTruncated"]
    with pytest.raises(ClientError) as caught:
        s3.list_objects(Bucket=filled, MaxKeys=-1)
    assert error_of(caught) == ("InvalidArgument", 400)


def test_url_encoding_round_trips_awkward_keys(s3, bucket):
    keys = ["sp ace", "plus+sign", "per%cent", "new\nline", "tab\there", "amp&lt", "\x01ctl", "q?=#"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    listed = s3.list_objects_v2(Bucket=bucket)              # botocore asks for EncodingType=url
    assert [o["Key"] for o in listed["Contents"]] == utf8_sorted(keys)
    listed = s3.list_objects(Bucket=bucket, Prefix="sp ")
    assert [o["Key"] for o in listed["Contents"]] == ["sp ace"]
    assert listed["Prefix"] == "sp "       # V1's Prefix is not encoded (nor decoded by botocore)


def test_versions_of_an_unversioned_bucket_are_null(s3, filled):
    pages = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 4}))
    versions = [v for p in pages for v in p.get("Versions", [])]
    assert [v["Key"] for v in versions] == utf8_sorted(KEYS)
    assert {(v["VersionId"], v["IsLatest"]) for v in versions} == {("null", True)}
    head = s3.head_object(Bucket=filled, Key="a", VersionId="null")
    assert "VersionId" not in head
    s3.delete_object(Bucket=filled, Key="a", VersionId="null")
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=filled, Key="a")
    assert error_of(caught)[1] == 404
