"""Tests for ramod.s3.delete_request: the DeleteObjects request document and its reply."""

import botocore.session
import pytest
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from lxml import etree

from ramod.protocol.xml import S3_NS
from ramod.protocol import errors
from ramod.s3.delete_request import MAX_KEYS, delete_result_document, parse_delete

NS = {"s3": S3_NS}
MODEL = botocore.session.get_session().get_service_model("s3")
ODD_KEYS = ["plain", " lead and trail ", "new\nline", "tab\tkey", "ünïcödé/日本語/🎉",
            "a&b<c>d\"e'f", "]]>", "%2F%20", "a" * 1024]


def botocore_body(delete: dict) -> bytes:
    serializer = create_serializer("rest-xml", include_validation=False)
    request = serializer.serialize_to_request({"Bucket": "b", "Delete": delete},
                                              MODEL.operation_model("DeleteObjects"))
    return request["body"]


def delete_body(*objects: str, quiet: str | None = None) -> bytes:
    quiet_element = "" if quiet is None else "<Quiet>%s</Quiet>" % quiet
    return ("<Delete>%s%s</Delete>" % (quiet_element, "".join(objects))).encode()


def parse_reply(body: bytes) -> dict:
    return RestXMLParser().parse({"status_code": 200, "headers": {}, "body": body},
                                 MODEL.operation_model("DeleteObjects").output_shape)


# -- request -------------------------------------------------------------------

def test_botocore_request():
    body = botocore_body({"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "null"}],
                          "Quiet": True})
    assert parse_delete(body) == (True, [("a", None), ("b", "null")])


def test_quiet_defaults_to_false():
    assert parse_delete(botocore_body({"Objects": [{"Key": "a"}]})) == (False, [("a", None)])


@pytest.mark.parametrize("text, quiet", [("true", True), ("false", False), (" TRUE ", True),
                                         ("1", True), ("0", False)])
def test_quiet_values(text, quiet):
    assert parse_delete(delete_body("<Object><Key>k</Key></Object>", quiet=text))[0] is quiet


def test_odd_keys_survive_the_trip_from_botocore():
    body = botocore_body({"Objects": [{"Key": key} for key in ODD_KEYS]})
    assert parse_delete(body) == (False, [(key, None) for key in ODD_KEYS])


def test_raw_carriage_returns_become_line_feeds():
    # botocore writes a carriage return raw; XML turns it into a line feed before anyone
    # reads it, on S3 too ("Replacement must be made for object keys containing special
    # characters (such as carriage returns) when using XML requests", ObjectIdentifier).
    body = botocore_body({"Objects": [{"Key": "carriage\rreturn"}, {"Key": "crlf\r\n"}]})
    assert b"\r" in body
    assert parse_delete(body)[1] == [("carriage\nreturn", None), ("crlf\n", None)]


def test_namespaced_request_and_character_references():
    body = ('<Delete xmlns="%s"><Object><Key>cr&#13;lf&#x0A;&amp;</Key>'
            '<VersionId>v1</VersionId></Object></Delete>' % S3_NS).encode()
    assert parse_delete(body) == (False, [("cr\rlf\n&", "v1")])


def test_empty_version_id_is_kept_for_the_caller():
    assert parse_delete(delete_body("<Object><Key>k</Key><VersionId/></Object>"))[1] == [("k", "")]


def test_a_thousand_keys():
    objects = ["<Object><Key>key-%04d</Key></Object>" % i for i in range(MAX_KEYS)]
    quiet, keys = parse_delete(delete_body(*objects))
    assert len(keys) == MAX_KEYS and keys[-1] == ("key-0999", None)


def test_a_thousand_longest_keys_fit():
    objects = ["<Object><Key>%04d%s</Key></Object>" % (i, "é" * 510) for i in range(MAX_KEYS)]
    body = delete_body(*objects)
    assert len(body) > 1 << 20
    assert len(parse_delete(body)[1]) == MAX_KEYS


@pytest.mark.parametrize("body", [
    delete_body(*["<Object><Key>k%d</Key></Object>" % i for i in range(MAX_KEYS + 1)]),
    delete_body(),                                                     # no object
    delete_body(quiet="true"),
    delete_body("<Object><VersionId>v</VersionId></Object>"),          # no Key
    delete_body("<Object><Key></Key></Object>"),                       # empty Key
    delete_body("<Object><Key>a</Key><Key>b</Key></Object>"),
    delete_body("<Object><Key>a<b/>c</Key></Object>"),
    delete_body("<Object><Key>k</Key><VersionId>a</VersionId><VersionId>b</VersionId></Object>"),
    delete_body("<Object><Key>k</Key></Object>", quiet="yes"),
    delete_body("<Object><Key>k</Key></Object><Quiet>true</Quiet><Quiet>true</Quiet>"),
    b"<Objects><Object><Key>k</Key></Object></Objects>",
    b"<Delete><Object><Key>k</Key></Object>",
    b"",
    b"\xff\xfe<\x00D\x00",
    b"<Delete><Object><Key>bad &#x1; char</Key></Object></Delete>",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<Delete><Object><Key>&x;</Key></Object></Delete>",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b"<Delete><Object><Key>&b;</Key></Object></Delete>",
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 80000 + b"</Delete>",  # > 2 MiB
])
def test_malformed_requests(body):
    with pytest.raises(errors.MalformedXML) as e:
        parse_delete(body)
    assert (e.value.code, e.value.status) == ("MalformedXML", 400)


@pytest.mark.parametrize("condition", ["<ETag>\"abc\"</ETag>",
                                       "<LastModifiedTime>2026-01-01T00:00:00Z</LastModifiedTime>",
                                       "<Size>10</Size>"])
def test_conditional_deletes_are_not_implemented(condition):
    with pytest.raises(errors.NotImplemented):
        parse_delete(delete_body("<Object><Key>k</Key>%s</Object>" % condition))


# -- reply ---------------------------------------------------------------------

def test_result_document():
    body = delete_result_document(
        [("a", None), ("b", "null")],
        [("c", "AccessDenied", "Access Denied"), ("d", "NoSuchVersion", "The specified version "
                                                  "does not exist.", "v1")],
        quiet=False)
    root = etree.fromstring(body)
    assert root.tag == "{%s}DeleteResult" % S3_NS
    assert [etree.QName(child).localname for child in root] == ["Deleted", "Deleted", "Error", "Error"]
    error = root.findall("s3:Error", NS)[1]
    assert [etree.QName(child).localname for child in error] == ["Key", "VersionId", "Code", "Message"]
    parsed = parse_reply(body)
    assert parsed["Deleted"] == [{"Key": "a"}, {"Key": "b", "VersionId": "null"}]
    assert parsed["Errors"] == [
        {"Key": "c", "Code": "AccessDenied", "Message": "Access Denied"},
        {"Key": "d", "VersionId": "v1", "Code": "NoSuchVersion",
         "Message": "The specified version does not exist."}]


def test_quiet_result_lists_only_errors():
    body = delete_result_document([("a", None)], [("c", "AccessDenied", "Access Denied")], quiet=True)
    root = etree.fromstring(body)
    assert root.find("s3:Deleted", NS) is None
    assert root.findtext("s3:Error/s3:Key", namespaces=NS) == "c"


def test_empty_quiet_result():
    body = delete_result_document([("a", None)], [], quiet=True)
    assert body.endswith(b'<DeleteResult xmlns="%s"/>' % S3_NS.encode())
    assert "Deleted" not in parse_reply(body)


def test_odd_keys_round_trip():
    request = botocore_body({"Objects": [{"Key": key} for key in ODD_KEYS]})
    quiet, objects = parse_delete(request)
    assert objects == [(key, None) for key in ODD_KEYS]
    reply = delete_result_document(objects[:5], [(key, "AccessDenied", "Access Denied")
                                                 for key, _ in objects[5:]], quiet)
    parsed = parse_reply(reply)
    assert [d["Key"] for d in parsed["Deleted"]] == ODD_KEYS[:5]
    assert [e["Key"] for e in parsed["Errors"]] == ODD_KEYS[5:]


def test_carriage_return_round_trips_as_a_character_reference():
    body = b"<Delete><Object><Key>cr&#13;key</Key></Object></Delete>"
    quiet, objects = parse_delete(body)
    reply = delete_result_document(objects, [], quiet)
    assert b"<Key>cr&#13;key</Key>" in reply     # lxml escapes it, so XML keeps it
    assert parse_reply(reply)["Deleted"] == [{"Key": "cr\rkey"}]
