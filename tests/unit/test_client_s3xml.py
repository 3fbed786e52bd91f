"""ramoclient's S3 XML: answers read by local name, hostile documents refused, and request
documents ramod's own parser reads."""

import pytest

from ramoclient.s3xml import MalformedXML, build, children, find_text, parse_xml
from ramod.protocol import xml as server_xml

LIST_BUCKETS = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b'<Buckets><Bucket><Name>b1</Name><CreationDate>2026-11-22T10:04:05.000Z'
                b'</CreationDate></Bucket><Bucket><Name>caf\xc3\xa9</Name><CreationDate/></Bucket>'
                b'</Buckets></ListAllMyBucketsResult>')


def test_reads_by_local_name_with_or_without_namespace():
    """Lookups ignore the S3 namespace; empty elements read as "", absent ones as the default."""
    root = parse_xml(LIST_BUCKETS)
    buckets = [b for holder in children(root, "Buckets") for b in children(holder, "Bucket")]
    assert [find_text(b, "Name") for b in buckets] == ["b1", "café"]
    assert find_text(buckets[1], "CreationDate") == "" and find_text(buckets[1], "X", "-") == "-"
    error = parse_xml(b"<Error><Code>NoSuchKey</Code><Message>a &amp; b &#233;</Message></Error>")
    assert (find_text(error, "Code"), find_text(error, "Message")) == ("NoSuchKey", "a & b é")


HOSTILE = {
    "internal entity": b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                      b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
    "external entity": b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
    "external DTD": b'<!DOCTYPE a SYSTEM "http://127.0.0.1:1/x.dtd"><a/>',
    "lower-case doctype": b"<!doctype a><a/>",
    "UTF-16 without BOM": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16-be"),
    "UTF-16 with BOM": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16"),
    "undeclared entity": b"<a>&e;</a>",
    "not UTF-8": b"<a>\xe9</a>",
    "empty": b"  \n",
    "not well-formed": b"<a><b></a>",
    "not XML": b"<html>oops",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_refuses_hostile_and_broken_documents(body):
    """No DOCTYPE or entity reaches expat, under any encoding; bad documents raise one error."""
    with pytest.raises(MalformedXML):
        parse_xml(body)


def test_declared_encoding_does_not_change_how_it_reads():
    """The bytes are UTF-8 whatever the declaration claims."""
    root = parse_xml(b'<?xml version="1.0" encoding="ISO-8859-1"?><a>caf\xc3\xa9</a>')
    assert root.text == "café"


def test_size_cap():
    body = b"<a>" + b"x" * 100 + b"</a>"
    assert parse_xml(body, max_size=len(body)).text == "x" * 100
    with pytest.raises(MalformedXML, match="at most"):
        parse_xml(body, max_size=len(body) - 1)


def test_built_documents_are_what_ramod_reads():
    """Request documents are in the S3 namespace, escaped, and parse on the server."""
    body = build("CompleteMultipartUpload",
                 [("Part", {"PartNumber": 1, "ETag": '"a&b<c>"'}), ("Part", {"PartNumber": 2, "ETag": "e"})])
    root = server_xml.parse_xml(body)
    assert server_xml.localname(root) == "CompleteMultipartUpload"
    assert root.nsmap[None] == server_xml.S3_NS
    parts = server_xml.children(root, "Part")
    assert [(server_xml.find_text(p, "PartNumber"), server_xml.find_text(p, "ETag")) for p in parts] \
        == [("1", '"a&b<c>"'), ("2", "e")]
    config = build("CreateBucketConfiguration", {"LocationConstraint": "eu-west-1"})
    assert server_xml.parse_create_bucket_configuration(config) == "eu-west-1"
