"""Tests for ramod.s3.copy_source: x-amz-copy-source, its range, conditions, directives, results."""

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import botocore.session
import pytest
from botocore.parsers import RestXMLParser
from lxml import etree

from ramod.protocol.dates import http_date
from ramod.protocol.xml import S3_NS
from ramod.protocol import errors
from ramod.s3.copy_source import (
    CopySource, check_copy_conditions, check_copy_onto_itself, copy_object_result, copy_part_result,
    metadata_directive, parse_copy_range, parse_copy_source, tagging_directive,
)

NS = {"s3": S3_NS}
MODEL = botocore.session.get_session().get_service_model("s3")
ETAG = '"8d777f385d3dfec8815d20f7496026dc"'
MODIFIED = datetime(2026, 2, 23, 11, 37, 0, 600000, tzinfo=timezone.utc)
NOW = MODIFIED + timedelta(minutes=5)
RANGE_MESSAGE = ("The x-amz-copy-source-range value must be of the form bytes=first-last where "
                 "first and last are the zero-based offsets of the first and last bytes to copy")


# -- x-amz-copy-source ---------------------------------------------------------

@pytest.mark.parametrize("value, bucket, key", [
    ("bucket/key", "bucket", "key"),
    ("/bucket/key", "bucket", "key"),
    ("bucket/dir/sub/file.txt", "bucket", "dir/sub/file.txt"),
    ("bucket/a%20b%2Bc+d", "bucket", "a b+c+d"),             # '+' is a plus sign
    ("bucket/" + quote("ünïcödé/日本 ?&#%.txt", safe="/~"), "bucket", "ünïcödé/日本 ?&#%.txt"),
    ("bucket/%0D%0Anew%0Aline", "bucket", "\r\nnew\nline"),
    ("bucket//double", "bucket", "/double"),
    ("bucket/key?versionId=null", "bucket", "key"),
    ("bucket/key?other=1", "bucket", "key"),
    ("my.bucket-1/k", "my.bucket-1", "k"),
    ("Legacy_Bucket/k", "Legacy_Bucket", "k"),
])
def test_parse_copy_source(value, bucket, key):
    assert parse_copy_source(value) == CopySource(bucket, key)


def test_botocore_copy_source_encoding_round_trips():
    # botocore's handlers quote CopySource as a path with safe='/~' (handlers.py
    # _quote_source_header); the result must read back as the original key.
    try:
        from botocore.handlers import _quote_source_header
    except ImportError:  # a private helper: fall back to what it does
        def _quote_source_header(value):
            return quote(value, safe="/~")
    for key in ["plain", "spa ce", "plus+sign", "pct%25", "q?uery", "ü/日本", "tilde~x", "a\nb"]:
        header = _quote_source_header("bucket/" + key)
        assert parse_copy_source(header) == CopySource("bucket", key)


@pytest.mark.parametrize("value, message, argument", [
    # LocalStack snapshot copy-object-wrong-copy-source (AWS-validated)
    ("wrongformat", "Invalid copy source object key", "x-amz-copy-source"),
    ("bucket/", "Invalid copy source object key", "x-amz-copy-source"),
    # versitygw #1388/#1389 and its integration tests against S3
    ("", "Invalid copy source bucket name", ""),
    ("/", "Invalid copy source bucket name", "/"),
    ("/key-only-after-slash", "Invalid copy source object key", "x-amz-copy-source"),
    ("my-buc@k&()t/obj", "Invalid copy source bucket name", "my-buc@k&()t/obj"),
    ("192.168.1.1/foo", "Invalid copy source bucket name", "192.168.1.1/foo"),
    ("2001:0db8:85a3::7334/something", "Invalid copy source bucket name",
     "2001:0db8:85a3::7334/something"),
    ("bucket/%C3%", "Invalid copy source encoding", "bucket/%C3%"),
    ("bucket/%FF%FE", "Invalid copy source encoding", "bucket/%FF%FE"),
    # the capture of S3's answers to versionId
    ("bucket/key?versionId=", "Version id cannot be the empty string", ""),
])
def test_invalid_copy_sources(value, message, argument):
    with pytest.raises(errors.InvalidArgument) as e:
        parse_copy_source(value)
    assert e.value.message == message
    assert e.value.extra == {"ArgumentName": "x-amz-copy-source", "ArgumentValue": argument}


def test_other_version_ids():
    # S3 answers CopyObject and UploadPartCopy differently
    with pytest.raises(errors.InvalidRequest) as e:
        parse_copy_source("bucket/key?versionId=abc")
    assert (e.value.message, e.value.extra) == ("Invalid Request", {})
    with pytest.raises(errors.InvalidArgument) as e:
        parse_copy_source("bucket/key?versionId=abc", part_copy=True)
    assert e.value.message == "Invalid version id specified"
    assert e.value.extra == {"ArgumentName": "x-amz-copy-source", "ArgumentValue": "abc"}
    with pytest.raises(errors.InvalidArgument, match="empty string"):
        parse_copy_source("bucket/key?versionId=", part_copy=True)


@pytest.mark.parametrize("value", [
    "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/reports/january.pdf",
    "arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aaccesspoint%2Fap%2Fobject%2Fk",
    "/arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-01/object/k",
])
def test_arns_are_not_implemented(value):
    with pytest.raises(errors.NotImplemented):
        parse_copy_source(value)


def test_copy_source_is_frozen():
    source = CopySource("b", "k")
    with pytest.raises(AttributeError):
        source.key = "other"


# -- x-amz-copy-source-range ---------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (None, None), ("bytes=0-8", (0, 8)), ("bytes=1-1", (1, 1)), ("bytes=0-0", (0, 0)),
    ("bytes=9-9", (9, 9)), ("bytes=0-9", (0, 9)), ("bytes=003-004", (3, 4)),
])
def test_copy_range(value, expected):
    assert parse_copy_range(value, 10) == expected


# LocalStack test_upload_part_copy_range, AWS-validated, on a 10-byte source
@pytest.mark.parametrize("value", ["0-8", "bytes=1-0", "bytes=-1-", "bytes=0--1", "bytes=0-1,3-4,7-9",
                                   "bytes=-", "bytes=-0", "bytes=1-", "bytes=-2", "bytes=-15", "",
                                   "bytes = 0-1", "Bytes=0-1", "bytes=0x1-2", "bytes=+1-2"])
def test_malformed_copy_range(value):
    with pytest.raises(errors.InvalidArgument) as e:
        parse_copy_range(value, 10)
    assert e.value.message == RANGE_MESSAGE
    assert e.value.extra == {"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": value}


def test_copy_range_past_the_end():
    """A range reaching past the source is 416 InvalidRange (what s3-tests expects of S3)."""
    for value in ("bytes=0-100", "bytes=100-200", "bytes=10-12"):
        with pytest.raises(errors.InvalidRange) as e:
            parse_copy_range(value, 10)
        assert e.value.status == 416
        assert e.value.message == "Range specified is not valid for source object of size: 10"
    with pytest.raises(errors.InvalidRange):
        parse_copy_range("bytes=0-0", 0)


# -- conditions ------------------------------------------------------------------

def cond(**headers) -> dict:
    return {"x-amz-copy-source-" + name.replace("_", "-"): value for name, value in headers.items()}


def condition_of(headers: dict) -> str:
    with pytest.raises(errors.PreconditionFailed) as e:
        check_copy_conditions(headers, ETAG, MODIFIED, now=NOW)
    assert e.value.status == 412
    assert e.value.message == "At least one of the pre-conditions you specified did not hold"
    return e.value.extra["Condition"]


EARLIER = http_date(MODIFIED - timedelta(days=1))
LATER = http_date(MODIFIED + timedelta(minutes=1))
SAME = http_date(MODIFIED)   # whole seconds: not modified since its own second
FUTURE = http_date(NOW + timedelta(days=1))


def test_conditions_that_hold():
    for headers in [{}, cond(if_match=ETAG), cond(if_match=ETAG.strip('"')), cond(if_match="*"),
                    cond(if_none_match='"other"'), cond(if_modified_since=EARLIER),
                    cond(if_unmodified_since=LATER), cond(if_unmodified_since=SAME),
                    # LocalStack copy-success: all four at once
                    cond(if_match=ETAG.strip('"'), if_none_match="etag123",
                         if_modified_since=EARLIER, if_unmodified_since=LATER)]:
        check_copy_conditions(headers, ETAG, MODIFIED, now=NOW)


def test_precedence_as_s3_documents():
    # if-match true and if-unmodified-since false: the copy goes ahead
    check_copy_conditions(cond(if_match=ETAG, if_unmodified_since=EARLIER), ETAG, MODIFIED, now=NOW)
    # if-none-match true and if-modified-since false: goes ahead too
    check_copy_conditions(cond(if_none_match='"x"', if_modified_since=LATER), ETAG, MODIFIED, now=NOW)
    # if-none-match false and if-modified-since true: 412
    assert condition_of(cond(if_none_match=ETAG, if_modified_since=EARLIER)) == \
        "x-amz-copy-source-If-None-Match"
    # if-none-match true and if-unmodified-since false: 412
    assert condition_of(cond(if_none_match='"x"', if_unmodified_since=EARLIER)) == \
        "x-amz-copy-source-If-Unmodified-Since"


def test_first_failing_condition_is_reported():
    # LocalStack test_s3_copy_object_preconditions, removing one header at a time
    all_four = cond(if_modified_since=SAME, if_unmodified_since=EARLIER, if_match='"etag123"',
                    if_none_match=ETAG)
    assert condition_of(all_four) == "x-amz-copy-source-If-Match"
    del all_four["x-amz-copy-source-if-match"]
    assert condition_of(all_four) == "x-amz-copy-source-If-Unmodified-Since"
    del all_four["x-amz-copy-source-if-unmodified-since"]
    assert condition_of(all_four) == "x-amz-copy-source-If-None-Match"
    del all_four["x-amz-copy-source-if-none-match"]
    assert condition_of(all_four) == "x-amz-copy-source-If-Modified-Since"
    # S3 ignores the missing quotes: still a match, still 412
    assert condition_of(cond(if_none_match=ETAG.strip('"'))) == "x-amz-copy-source-If-None-Match"


def test_future_and_unparseable_dates_are_ignored():
    check_copy_conditions(cond(if_modified_since=FUTURE), ETAG, MODIFIED, now=NOW)
    check_copy_conditions(cond(if_modified_since="yesterday"), ETAG, MODIFIED, now=NOW)
    check_copy_conditions(cond(if_unmodified_since="garbage"), ETAG, MODIFIED, now=NOW)


def test_never_not_modified():
    with pytest.raises(errors.PreconditionFailed):
        check_copy_conditions(cond(if_none_match="*"), ETAG, MODIFIED, now=NOW)


def test_naive_times_are_utc():
    check_copy_conditions(cond(if_unmodified_since=SAME), ETAG, MODIFIED.replace(tzinfo=None), now=NOW)


# -- directives ----------------------------------------------------------------

def test_directives():
    assert metadata_directive({}) == "COPY"
    assert metadata_directive({"x-amz-metadata-directive": "REPLACE"}) == "REPLACE"
    assert tagging_directive({}) == "COPY"
    assert tagging_directive({"x-amz-tagging-directive": "COPY"}) == "COPY"
    with pytest.raises(errors.InvalidArgument) as e:
        metadata_directive({"x-amz-metadata-directive": "replace"})
    assert e.value.message == "Unknown metadata directive."
    assert e.value.extra == {"ArgumentName": "x-amz-metadata-directive", "ArgumentValue": "replace"}
    with pytest.raises(errors.InvalidArgument) as e:
        tagging_directive({"x-amz-tagging-directive": "MERGE"})
    assert e.value.message == "Unknown tag directive."
    assert e.value.extra == {"ArgumentName": "x-amz-tagging-directive", "ArgumentValue": "MERGE"}


ONTO_ITSELF = ("This copy request is illegal because it is trying to copy an object to itself "
               "without changing the object's metadata, storage class, website redirect location "
               "or encryption attributes.")


@pytest.mark.parametrize("headers", [
    {},
    {"x-amz-metadata-directive": "COPY"},
    {"x-amz-meta-key": "value"},                       # metadata without REPLACE is ignored
    {"x-amz-acl": "public-read"},                      # LocalStack copy-object-in-place-with-acl
    {"x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "a=b"},
])
def test_copy_onto_itself_without_change(headers):
    with pytest.raises(errors.InvalidRequest) as e:
        check_copy_onto_itself(CopySource("b", "k"), "b", "k", headers)
    assert e.value.message == ONTO_ITSELF


@pytest.mark.parametrize("headers", [
    {"x-amz-metadata-directive": "REPLACE"},
    {"x-amz-storage-class": "STANDARD"},               # even the same class
    {"x-amz-website-redirect-location": "/test/direct"},
    {"x-amz-server-side-encryption": "AES256"},
])
def test_copy_onto_itself_with_change(headers):
    check_copy_onto_itself(CopySource("b", "k"), "b", "k", headers)


def test_copy_elsewhere_is_always_legal():
    check_copy_onto_itself(CopySource("b", "k"), "b", "k2", {})
    check_copy_onto_itself(CopySource("b", "k"), "c", "k", {})
    with pytest.raises(errors.InvalidArgument):
        check_copy_onto_itself(CopySource("b", "k"), "c", "k", {"x-amz-metadata-directive": "X"})


# -- result documents ----------------------------------------------------------

def parse_result(operation: str, body: bytes) -> dict:
    return RestXMLParser().parse({"status_code": 200, "headers": {}, "body": body},
                                 MODEL.operation_model(operation).output_shape)


def test_copy_object_result():
    body = copy_object_result(ETAG, MODIFIED, {"SHA256": "c2hh", "CRC32": "rfPzYw=="})
    root = etree.fromstring(body)
    assert root.tag == "{%s}CopyObjectResult" % S3_NS
    assert [etree.QName(child).localname for child in root] == [
        "LastModified", "ETag", "ChecksumCRC32", "ChecksumSHA256", "ChecksumType"]
    assert root.findtext("s3:LastModified", namespaces=NS) == "2026-02-23T11:37:00.600Z"
    parsed = parse_result("CopyObject", body)["CopyObjectResult"]
    assert parsed["ETag"] == ETAG
    assert parsed["LastModified"] == MODIFIED
    assert (parsed["ChecksumCRC32"], parsed["ChecksumSHA256"]) == ("rfPzYw==", "c2hh")
    assert parsed["ChecksumType"] == "FULL_OBJECT"


def test_copy_object_result_without_checksums():
    root = etree.fromstring(copy_object_result(ETAG, MODIFIED))
    assert [etree.QName(child).localname for child in root] == ["LastModified", "ETag"]


def test_copy_part_result():
    body = copy_part_result(ETAG, MODIFIED, {"CRC32C": "AAAAAA=="})
    root = etree.fromstring(body)
    assert root.tag == "{%s}CopyPartResult" % S3_NS
    assert [etree.QName(child).localname for child in root] == ["LastModified", "ETag", "ChecksumCRC32C"]
    parsed = parse_result("UploadPartCopy", body)["CopyPartResult"]
    assert (parsed["ETag"], parsed["ChecksumCRC32C"]) == (ETAG, "AAAAAA==")
