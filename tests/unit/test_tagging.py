"""Tests for ramod.s3.tagging: the x-amz-tagging header, Tagging documents, S3's limits."""

import botocore.session
import pytest
from botocore.serialize import create_serializer
from lxml import etree

from ramod.protocol.xml import S3_NS
from ramod.protocol import errors
from ramod.s3.tagging import (
    BUCKET_TAG_LIMIT, OBJECT_TAG_LIMIT, parse_tagging_document, parse_tagging_header, tag_count,
    tagging_document, validate_tags,
)

NS = {"s3": S3_NS}
HEADER_MESSAGE = ("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                  "URL query parameters without tag name duplicates.")


def botocore_body(operation: str, **params) -> bytes:
    """The body botocore would send for ``operation`` (no network, no validation)."""
    model = botocore.session.get_session().get_service_model("s3")
    serializer = create_serializer("rest-xml", include_validation=False)
    return serializer.serialize_to_request(params, model.operation_model(operation))["body"]


def tags_body(pairs, namespace=True) -> bytes:
    ns = ' xmlns="%s"' % S3_NS if namespace else ""
    tags = "".join("<Tag><Key>%s</Key><Value>%s</Value></Tag>" % pair for pair in pairs)
    return ("<Tagging%s><TagSet>%s</TagSet></Tagging>" % (ns, tags)).encode()


# -- header --------------------------------------------------------------------

@pytest.mark.parametrize("header, tags", [
    ("", {}),
    ("k1=v1&k2=v2", {"k1": "v1", "k2": "v2"}),
    ("foo=bar&bar", {"foo": "bar", "bar": ""}),      # s3-tests test_put_obj_with_tags
    ("k=", {"k": ""}),
    ("a%20b=c+d", {"a b": "c d"}),                   # %20 and + are both spaces
    ("k=a%2Bb", {"k": "a+b"}),                       # an encoded plus stays a plus
    ("k=1%3D2", {"k": "1=2"}),                       # '=' is allowed once encoded
    ("caf%C3%A9=%E6%97%A5%E6%9C%AC", {"café": "日本"}),
    ("k=v&&j=w&", {"k": "v", "j": "w"}),
])
def test_header_parses(header, tags):
    assert parse_tagging_header(header) == tags


def test_header_keeps_order():
    assert list(parse_tagging_header("z=1&a=2&m=3")) == ["z", "a", "m"]


def test_header_raw_utf8_bytes_are_decoded():
    # Header values arrive as latin-1 text, one character per byte.
    raw = "k=" + "日本".encode().decode("latin-1")
    assert parse_tagging_header(raw) == {"k": "日本"}


@pytest.mark.parametrize("header", [
    "key1=val1&key1=val2",            # LocalStack snapshot put-obj-duplicate-tagging
    "key1=val1,key2=val2",            # put-obj-wrong-format: two '=' in one pair
    "TagSet=[{Key=string,Value=string}]",  # aws-cli #2841
    "k=%FF",                          # not UTF-8
    "%C3%=v",
])
def test_header_form_errors_are_invalid_argument(header):
    with pytest.raises(errors.InvalidArgument) as e:
        parse_tagging_header(header)
    assert e.value.code == "InvalidArgument"
    assert e.value.message == HEADER_MESSAGE
    assert e.value.extra == {"ArgumentName": "x-amz-tagging", "ArgumentValue": header}


def test_header_bad_characters_are_invalid_tag():
    # aws-cli #2841: an encoded header decoding to a key with [ { , } ] in it
    header = "TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D"
    with pytest.raises(errors.InvalidTag) as e:
        parse_tagging_header(header)
    assert e.value.message == "The TagKey you have provided is invalid"


def test_header_more_than_ten_tags_is_bad_request():
    parse_tagging_header("&".join("k%d=v" % i for i in range(10)))
    with pytest.raises(errors.BadRequest) as e:
        parse_tagging_header("&".join("k%d=v" % i for i in range(11)))
    assert (e.value.code, e.value.status) == ("BadRequest", 400)
    assert e.value.message == "Object tags cannot be greater than 10"


def test_header_aws_prefix():
    with pytest.raises(errors.InvalidTag, match="Your TagKey cannot be prefixed with aws:"):
        parse_tagging_header("aws:key=v")


# -- document ------------------------------------------------------------------

def test_document_with_and_without_namespace():
    for namespace in (True, False):
        body = tags_body([("k1", "v1"), ("k2", "")], namespace)
        assert parse_tagging_document(body) == {"k1": "v1", "k2": ""}


def test_document_from_botocore():
    body = botocore_body("PutObjectTagging", Bucket="b", Key="k", Tagging={"TagSet": [
        {"Key": "tag1", "Value": "tag1"}, {"Key": "tag2", "Value": ""},
        {"Key": "ünï cödé", "Value": "a&b<c>"}]})
    assert parse_tagging_document(body) == {"tag1": "tag1", "tag2": "", "ünï cödé": "a&b<c>"}


@pytest.mark.parametrize("tagging", [{"TagSet": None}, {"TagSet": []}])
def test_empty_and_missing_tag_set_are_no_tags(tagging):
    # LocalStack test_put_*_tagging_none_value: S3 accepts <Tagging/> and removes the tags.
    body = botocore_body("PutBucketTagging", Bucket="b", Tagging=tagging)
    assert parse_tagging_document(body) == {}


def test_document_keeps_white_space():
    body = b"<Tagging><TagSet><Tag><Key> k </Key><Value>\tv\n</Value></Tag></TagSet></Tagging>"
    assert parse_tagging_document(body) == {" k ": "\tv\n"}


@pytest.mark.parametrize("body", [
    b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",   # none-key
    b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",       # none-value
    b"<Tagging><TagSet><Tag><Key>k</Key><Key>j</Key><Value>v</Value></Tag></TagSet></Tagging>",
    b"<Tagging><TagSet><Tag><Key>k<b/></Key><Value>v</Value></Tag></TagSet></Tagging>",
    b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value><X/></Tag></TagSet></Tagging>",
    b"<Tagging><TagSet><Other/></TagSet></Tagging>",
    b"<Tagging><TagSet/><TagSet/></Tagging>",
    b"<Tags><TagSet/></Tags>",
    b"<Tagging><TagSet>",
    b"",
    b"not xml",
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<Tagging><TagSet><Tag><Key>&x;</Key><Value>v</Value></Tag></TagSet></Tagging>",
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>",
])
def test_malformed_documents(body):
    with pytest.raises(errors.MalformedXML):
        parse_tagging_document(body)


def test_document_duplicate_keys():
    with pytest.raises(errors.InvalidTag) as e:
        parse_tagging_document(tags_body([("Key1", "Val1"), ("Key1", "Val1")]))
    assert e.value.message == "Cannot provide multiple Tags with the same key"
    assert e.value.extra == {"TagKey": "Key1"}


# -- rules ---------------------------------------------------------------------

def test_limits():
    validate_tags({"k%d" % i: "v" for i in range(10)}, OBJECT_TAG_LIMIT)
    validate_tags({"k%d" % i: "v" for i in range(50)}, BUCKET_TAG_LIMIT)
    with pytest.raises(errors.BadRequest) as e:
        validate_tags({"k%d" % i: "v" for i in range(51)}, BUCKET_TAG_LIMIT)
    assert (e.value.code, e.value.message) == ("BadRequest", "Bucket tag count cannot be greater than 50")
    with pytest.raises(ValueError):
        validate_tags({}, 20)


def test_aws_prefix_wording_depends_on_the_resource():
    with pytest.raises(errors.InvalidTag) as e:
        validate_tags({"aws:prefixed": "v"}, OBJECT_TAG_LIMIT)
    assert (e.value.message, e.value.extra) == (
        "Your TagKey cannot be prefixed with aws:", {"TagKey": "aws:prefixed"})
    with pytest.raises(errors.InvalidTag) as e:
        validate_tags({"aws:prefixed": "v"}, BUCKET_TAG_LIMIT)
    assert e.value.message == "System tags cannot be added/updated by requester"
    validate_tags({"AWS:upper": "v", "x-aws:": "v"}, OBJECT_TAG_LIMIT)


def test_lengths_count_utf16_units():
    validate_tags({"k" * 128: "v" * 256}, OBJECT_TAG_LIMIT)
    validate_tags({"é" * 128: "日" * 256}, OBJECT_TAG_LIMIT)          # one unit each
    validate_tags({"\U00010400" * 64: "\U00010400" * 128}, OBJECT_TAG_LIMIT)  # two units each
    with pytest.raises(errors.InvalidTag, match="TagKey"):
        validate_tags({"\U00010400" * 65: ""}, OBJECT_TAG_LIMIT)
    with pytest.raises(errors.InvalidTag, match="TagKey"):
        validate_tags({"k" * 129: "v"}, OBJECT_TAG_LIMIT)
    with pytest.raises(errors.InvalidTag) as e:
        validate_tags({"k": "v" * 257}, OBJECT_TAG_LIMIT)
    assert e.value.message == "The TagValue you have provided is invalid"
    assert e.value.extra == {"TagKey": "k", "TagValue": "v" * 257}


def test_empty_key_is_invalid_and_empty_value_is_not():
    validate_tags({"k": ""}, OBJECT_TAG_LIMIT)
    with pytest.raises(errors.InvalidTag, match="The TagKey you have provided is invalid"):
        validate_tags({"": "v"}, OBJECT_TAG_LIMIT)


@pytest.mark.parametrize("text", ["plain", "with space", "a+b-c=d.e_f:g/h@i", "日本語", "Ωμέγα",
                                  "٣٤", "non\u00a0breaking"])
def test_allowed_characters(text):
    validate_tags({text: text}, OBJECT_TAG_LIMIT)


@pytest.mark.parametrize("text", ["Key1,Key2", "a*b", "tab\there", "new\nline", "quote\"", "a#b",
                                  "emoji\U0001F600", "semi;colon", "[x]", "{y}", "caf\u0301e"])
def test_refused_characters(text):
    with pytest.raises(errors.InvalidTag, match="The TagKey you have provided is invalid"):
        validate_tags({text: "v"}, OBJECT_TAG_LIMIT)
    with pytest.raises(errors.InvalidTag, match="The TagValue you have provided is invalid"):
        validate_tags({"k": text}, OBJECT_TAG_LIMIT)


def test_pairs_catch_duplicates_first():
    with pytest.raises(errors.InvalidTag, match="multiple Tags"):
        validate_tags([("Key1", "v"), ("Key1", "bad,value")], BUCKET_TAG_LIMIT)


# -- responses -----------------------------------------------------------------

def test_tagging_document_round_trips():
    tags = {"z": "last", "a": "", "ünï": "x&y<z>", "sp ace": " v "}
    body = tagging_document(tags)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = etree.fromstring(body)
    assert root.tag == "{%s}Tagging" % S3_NS
    keys = [k.text for k in root.findall("s3:TagSet/s3:Tag/s3:Key", NS)]
    assert keys == sorted(tags)
    assert parse_tagging_document(body) == tags


def test_empty_tagging_document():
    body = tagging_document({})
    assert body.endswith(b"<TagSet/></Tagging>")
    assert parse_tagging_document(body) == {}


def test_tag_count():
    assert tag_count({}) is None
    assert tag_count({"a": "1", "b": ""}) == "2"
