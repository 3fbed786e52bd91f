"""Tests for ramod.protocol.xml: the hardened parser and the S3 document builders."""

import re
import socket
from datetime import datetime, timezone

import pytest

from ramod.protocol import xml
from ramod.protocol.xml import (
    S3_NS, build, children, element, error_document, find_text, iso8601_millis,
    list_buckets_document, localname, location_constraint_document,
    parse_create_bucket_configuration, parse_xml, to_bytes,
)
from ramod.protocol.errors import MalformedXML

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
CREATED = datetime(2009, 10, 12, 17, 50, 30, 123456, tzinfo=timezone.utc)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Delete><Object><Key>&lol9;</Key></Object></Delete>"""


def xxe_documents(url: str) -> list[bytes]:
    """Ways of making a parser fetch ``url``: external entity, parameter entity, external DTD."""
    return [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "%s">]>'
        b"<Delete><Object><Key>&x;</Key></Object></Delete>" % url.encode(),
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY %% p SYSTEM "%s"> %%p;]>'
        b"<Delete/>" % url.encode(),
        b'<?xml version="1.0"?><!DOCTYPE Delete SYSTEM "%s"><Delete/>' % url.encode(),
        b'<?xml version="1.0"?><!doctype d [<!entity x SYSTEM "%s">]><Delete>&x;</Delete>'
        % url.encode(),
    ]


@pytest.fixture
def listener():
    """A local TCP listener that records whether anyone connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def assert_no_connection(server):
    with pytest.raises(BlockingIOError):
        server.accept()[0].close()


# -- parser hardening -----------------------------------------------------------

def test_billion_laughs_rejected():
    """A billion-laughs body is MalformedXML, quickly and without expanding entities."""
    with pytest.raises(MalformedXML):
        parse_xml(BILLION_LAUGHS)


def test_xxe_file_rejected(tmp_path):
    """An external entity naming a local file is MalformedXML and the file's content never shows."""
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    for body in xxe_documents(secret.as_uri()) + xxe_documents("file:///etc/passwd"):
        with pytest.raises(MalformedXML) as info:
            parse_xml(body)
        assert "TOP-SECRET" not in info.value.message
        assert "root:" not in info.value.message


def test_xxe_network_rejected(listener):
    """An external entity or DTD naming a URL is MalformedXML and no connection is made."""
    url = "http://127.0.0.1:%d/evil.dtd" % listener.getsockname()[1]
    for body in xxe_documents(url):
        with pytest.raises(MalformedXML):
            parse_xml(body)
    assert_no_connection(listener)


def test_parser_hardened_without_byte_check(monkeypatch, tmp_path, listener):
    """Even when the raw byte check is bypassed, libxml2 loads nothing and the DOCTYPE is refused."""
    monkeypatch.setattr(xml, "_DECLARATIONS", re.compile(rb"(?!)"))
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    url = "http://127.0.0.1:%d/evil.dtd" % listener.getsockname()[1]
    for body in [BILLION_LAUGHS] + xxe_documents(secret.as_uri()) + xxe_documents(url):
        with pytest.raises(MalformedXML) as info:
            parse_xml(body)
        assert "TOP-SECRET" not in info.value.message
    assert_no_connection(listener)


def test_utf16_doctype_rejected():
    """A DOCTYPE hidden in a UTF-16 document is still refused (bodies are read as UTF-8)."""
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x "y">]><D>&x;</D>'
    with pytest.raises(MalformedXML):
        parse_xml(body.encode("utf-16"))


@pytest.mark.parametrize("body", [
    b"", b"   \n", b"not xml", b"<Delete>", b"<a></b>", b"<a/><b/>", b"\xff\xfe<a/>",
    b"<a>\xc3</a>", b"<a>&undefined;</a>",
])
def test_malformed_rejected(body):
    """Empty, unbalanced, non-UTF-8 or otherwise broken documents are MalformedXML."""
    with pytest.raises(MalformedXML):
        parse_xml(body)


def test_size_cap():
    """A document larger than max_size is MalformedXML before parsing; one at the cap is fine."""
    body = b"<a>" + b"x" * 93 + b"</a>"
    assert len(body) == 100
    assert parse_xml(body, max_size=100).text == "x" * 93
    with pytest.raises(MalformedXML) as info:
        parse_xml(body, max_size=99)
    assert "99" in info.value.message


def test_default_size_cap():
    """The default cap is 1 MiB."""
    with pytest.raises(MalformedXML):
        parse_xml(b"<a>" + b"x" * (1 << 20) + b"</a>")


def test_comments_and_declaration_allowed():
    """An XML declaration, comments and processing instructions are harmless and accepted."""
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- hi --><a><?pi x?><b>1</b></a>')
    assert [localname(child) for child in root] == ["b"]


def test_character_references_kept():
    """Predefined entities and character references still decode."""
    root = parse_xml(b"<a><Key>a&amp;b&lt;&#233;&#x263A;</Key></a>")
    assert find_text(root, "Key") == "a&b<\u00e9\u263a"


# -- namespace-blind lookup -------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key>"
    b"<VersionId>v</VersionId></Object></Delete>",
    b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>'
    b"<Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object></Delete>",
    b'<s:Delete xmlns:s="urn:other"><s:Quiet>true</s:Quiet><s:Object><s:Key>a</s:Key></s:Object>'
    b"<s:Object><s:Key>b</s:Key><s:VersionId>v</s:VersionId></s:Object></s:Delete>",
])
def test_lookup_ignores_namespaces(body):
    """children() and find_text() match local names whatever namespace the client used."""
    root = parse_xml(body)
    assert localname(root) == "Delete"
    assert find_text(root, "Quiet") == "true"
    objects = children(root, "Object")
    assert [find_text(o, "Key") for o in objects] == ["a", "b"]
    assert [find_text(o, "VersionId") for o in objects] == [None, "v"]


def test_find_text_empty_and_default():
    """An empty element gives "", a missing one the default; only direct children count."""
    root = parse_xml(b"<a><b/><c><d>deep</d></c></a>")
    assert find_text(root, "b") == ""
    assert find_text(root, "x") is None
    assert find_text(root, "x", "dflt") == "dflt"
    assert find_text(root, "d") is None
    assert children(root, "d") == []


# -- builders -----------------------------------------------------------------------

def test_build_round_trip():
    """A built document parses back with the same structure and values."""
    body = build("ListBucketResult", [
        ("Name", "bkt"),
        ("Prefix", ""),
        ("Marker", None),
        ("MaxKeys", 1000),
        ("IsTruncated", False),
        ("Contents", {"Key": "a & <b>", "LastModified": CREATED, "Size": 3}),
        ("Contents", {"Key": "caf\u00e9 \u263a", "LastModified": CREATED, "Size": 0}),
        ("CommonPrefixes", [("Prefix", "dir/")]),
    ])
    assert body.startswith(DECLARATION)
    root = parse_xml(body)
    assert root.tag == "{%s}ListBucketResult" % S3_NS
    assert find_text(root, "Name") == "bkt"
    assert find_text(root, "Prefix") == ""
    assert find_text(root, "Marker") is None
    assert find_text(root, "MaxKeys") == "1000"
    assert find_text(root, "IsTruncated") == "false"
    contents = children(root, "Contents")
    assert [find_text(c, "Key") for c in contents] == ["a & <b>", "caf\u00e9 \u263a"]
    assert find_text(contents[0], "LastModified") == "2009-10-12T17:50:30.123Z"
    assert find_text(children(root, "CommonPrefixes")[0], "Prefix") == "dir/"


def test_build_is_utf8_without_prefixes():
    """Documents are UTF-8 (not character references) and use a default namespace, no prefixes."""
    body = build("R", {"K": "\u00e9"})
    assert "\u00e9".encode() in body
    assert b'<R xmlns="%s">' % S3_NS.encode() in body
    assert b"ns0:" not in body


def test_build_without_namespace_and_scalar_root():
    """namespace=None gives bare tags; a scalar spec becomes the root's text."""
    assert build("Status", "Enabled", namespace=None) == DECLARATION + b"<Status>Enabled</Status>"


def test_build_replaces_characters_xml_cannot_carry():
    """Control characters and lone surrogates become U+FFFD instead of failing the reply."""
    root = parse_xml(build("R", {"Key": "a\x01b\udcff"}))
    assert find_text(root, "Key") == "a\ufffdb\ufffd"


def test_element_and_to_bytes_compose():
    """element() builds a tree that can be extended before to_bytes() serializes it."""
    root = element("CompleteMultipartUploadResult", {"Bucket": "b"})
    root.append(element("Key", "k"))
    parsed = parse_xml(to_bytes(root))
    assert (find_text(parsed, "Bucket"), find_text(parsed, "Key")) == ("b", "k")


def test_error_document():
    """The error body has Code, Message, extra elements, Resource and RequestId, without namespace."""
    body = error_document("NoSuchKey", "The specified key does not exist.", "/bkt/a&b",
                          "4442587FB7D0A2F9", {"Key": "a&b", "BucketName": "bkt"})
    assert body == (
        DECLARATION + b"<Error><Code>NoSuchKey</Code>"
        b"<Message>The specified key does not exist.</Message>"
        b"<Key>a&amp;b</Key><BucketName>bkt</BucketName>"
        b"<Resource>/bkt/a&amp;b</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>")
    root = parse_xml(body)
    assert root.tag == "Error"
    assert find_text(root, "Key") == "a&b"


def test_error_document_without_extra():
    """Without extras the error body has exactly the four standard elements."""
    root = parse_xml(error_document("InvalidRange", "nope", "", "id"))
    assert [localname(c) for c in root] == ["Code", "Message", "Resource", "RequestId"]


def test_list_buckets_document():
    """ListAllMyBucketsResult lists the owner and each bucket with its creation date."""
    later = datetime(2021, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    root = parse_xml(list_buckets_document("owner-id", "owner", [("a", CREATED), ("b", later)]))
    assert root.tag == "{%s}ListAllMyBucketsResult" % S3_NS
    owner = children(root, "Owner")[0]
    assert (find_text(owner, "ID"), find_text(owner, "DisplayName")) == ("owner-id", "owner")
    buckets = children(children(root, "Buckets")[0], "Bucket")
    assert [(find_text(b, "Name"), find_text(b, "CreationDate")) for b in buckets] == [
        ("a", "2009-10-12T17:50:30.123Z"), ("b", "2021-01-02T03:04:05.000Z")]


def test_list_buckets_document_empty():
    """With no buckets the Buckets element is present and empty."""
    root = parse_xml(list_buckets_document("id", "me", []))
    assert len(children(root, "Buckets")) == 1
    assert len(children(root, "Buckets")[0]) == 0


@pytest.mark.parametrize("region, text", [("us-east-1", None), ("", None), ("eu-west-1", "eu-west-1")])
def test_location_constraint_document(region, text):
    """GetBucketLocation is empty for us-east-1 and names any other region."""
    body = location_constraint_document(region)
    root = parse_xml(body)
    assert root.tag == "{%s}LocationConstraint" % S3_NS
    assert root.text == text
    if text is None:
        assert body == DECLARATION + b'<LocationConstraint xmlns="%s"/>' % S3_NS.encode()


@pytest.mark.parametrize("body, expected", [
    (b"", None),
    (b"  \r\n", None),
    (b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
     b"</CreateBucketConfiguration>", "eu-west-1"),
    (b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
     b"<LocationConstraint>ap-south-1</LocationConstraint></CreateBucketConfiguration>",
     "ap-south-1"),
    (b"<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>", None),
    (b"<CreateBucketConfiguration/>", None),
    (b"<CreateBucketConfiguration><LocationConstraint> us-west-2 </LocationConstraint>"
     b"</CreateBucketConfiguration>", "us-west-2"),
])
def test_parse_create_bucket_configuration(body, expected):
    """The requested LocationConstraint is returned, or None when there is none."""
    assert parse_create_bucket_configuration(body) == expected


@pytest.mark.parametrize("body", [
    b"<CreateBucketConfiguration>", b"<Other><LocationConstraint>x</LocationConstraint></Other>",
    b"<!DOCTYPE x><CreateBucketConfiguration/>",
])
def test_parse_create_bucket_configuration_malformed(body):
    """A broken or foreign document is MalformedXML."""
    with pytest.raises(MalformedXML):
        parse_create_bucket_configuration(body)


def test_iso8601_reexported():
    """xml.iso8601_millis is the dates helper, in S3's millisecond form."""
    assert iso8601_millis(CREATED) == "2009-10-12T17:50:30.123Z"
