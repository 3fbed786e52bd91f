"""Tests for ramod.s3.parts: S3's multipart rules, query parameters and response documents."""

import base64
import hashlib
import re
import zlib
from datetime import datetime, timezone
from types import SimpleNamespace
from urllib.parse import quote

import botocore.session
import pytest
from botocore.parsers import RestXMLParser
from lxml import etree

from ramod.protocol import errors
from ramod.protocol.router import parse_part_number
from ramod.protocol.checksums import Checksum, composite_b64
from ramod.s3.listing import url_encode
from ramod.s3.parts import (
    MIN_PART_SIZE, ListUploadsParams, RequestedPart, StoredPart, UploadRow, check_parts,
    complete_document, initiate_document, list_parts_document, list_uploads_document,
    multipart_etag, new_upload_id, object_checksum, parse_checksum_type, parse_complete,
    parse_list_parts, parse_list_uploads,
)

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
MiB = 1024 * 1024
WHEN = datetime(2009, 10, 12, 17, 50, 30, 123456, tzinfo=timezone.utc)
S3_MODEL = botocore.session.get_session().get_service_model("s3")


def md5_etag(data: bytes) -> str:
    return '"%s"' % hashlib.md5(data).hexdigest()


def b64(algorithm: str, data: bytes) -> str:
    checksum = Checksum(algorithm)
    checksum.update(data)
    return checksum.b64digest()


def complete_body(*parts_xml: str, namespace: bool = True) -> bytes:
    ns = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' if namespace else ""
    return ("<CompleteMultipartUpload%s>%s</CompleteMultipartUpload>"
            % (ns, "".join(parts_xml))).encode()


def part_xml(number, etag, **extra) -> str:
    children = "" if number is None else f"<PartNumber>{number}</PartNumber>"
    children += "" if etag is None else f"<ETag>{etag}</ETag>"
    children += "".join(f"<{name}>{value}</{name}>" for name, value in extra.items())
    return f"<Part>{children}</Part>"


def children_of(elem) -> list[str]:
    return [etree.QName(child).localname for child in elem]


def parse(doc: bytes):
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = etree.fromstring(doc)
    assert root.nsmap == {None: NS[1:-1]}
    return root


def text(elem, path: str) -> str | None:
    found = elem.find("/".join(NS + p for p in path.split("/")))
    return None if found is None else (found.text or "")


def boto_parse(operation: str, doc: bytes) -> dict:
    """``doc`` read as boto3 reads the operation's response."""
    shape = S3_MODEL.operation_model(operation).output_shape
    return RestXMLParser().parse({"body": doc, "headers": {}, "status_code": 200}, shape)


# -- upload ids and part numbers ------------------------------------------------

def test_upload_ids_are_unguessable_and_need_no_escaping():
    """Upload IDs are long, random, distinct and made of URL- and XML-safe characters only."""
    ids = {new_upload_id() for _ in range(1000)}
    assert len(ids) == 1000
    for upload_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", upload_id)
        assert quote(upload_id, safe="") == upload_id


@pytest.mark.parametrize("value, number", [("1", 1), ("10000", 10000), ("42", 42), ("007", 7)])
def test_part_numbers_accepted(value, number):
    """Part numbers 1 to 10000 are accepted."""
    assert parse_part_number(value) == number


@pytest.mark.parametrize("value", ["0", "10001", "-1", "", "abc", "1.5", " 1", "+1", "١", "99999999999",
                                   "1" * 5000])
def test_part_numbers_refused(value):
    """Anything but an integer from 1 to 10000 is InvalidArgument naming partNumber, as S3 says it."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_part_number(value)
    assert caught.value.message == "Part number must be an integer between 1 and 10000, inclusive"
    assert caught.value.extra == {"ArgumentName": "partNumber", "ArgumentValue": value}


# -- checksum type ----------------------------------------------------------------

@pytest.mark.parametrize("value, algorithm, expected", [
    (None, None, None),
    ("", None, None),
    (None, "CRC32", "COMPOSITE"),
    (None, "CRC32C", "COMPOSITE"),
    (None, "SHA1", "COMPOSITE"),
    (None, "SHA256", "COMPOSITE"),
    (None, "CRC64NVME", "FULL_OBJECT"),
    ("COMPOSITE", "SHA256", "COMPOSITE"),
    ("FULL_OBJECT", "CRC32", "FULL_OBJECT"),
    ("FULL_OBJECT", "CRC32C", "FULL_OBJECT"),
    ("FULL_OBJECT", "CRC64NVME", "FULL_OBJECT"),
    ("full_object", "CRC32", "FULL_OBJECT"),
])
def test_checksum_types_accepted(value, algorithm, expected):
    """The type defaults by algorithm: FULL_OBJECT for CRC64NVME, COMPOSITE otherwise."""
    assert parse_checksum_type(value, algorithm) == expected


@pytest.mark.parametrize("value, algorithm, message", [
    ("FULL_OBJECT", "SHA256",
     "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."),
    ("FULL_OBJECT", "SHA1",
     "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."),
    ("COMPOSITE", "CRC64NVME",
     "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."),
    ("COMPOSITE", None,
     "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."),
    ("PARTIAL", "CRC32", "Value for x-amz-checksum-type header is invalid."),
])
def test_checksum_types_refused(value, algorithm, message):
    """Impossible combinations are InvalidRequest, in S3's words."""
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_checksum_type(value, algorithm)
    assert caught.value.message == message


# -- parse_complete -------------------------------------------------------------

@pytest.mark.parametrize("namespace", [True, False])
def test_complete_body_read_with_or_without_namespace(namespace):
    """Parts are read in order, with their ETags unquoted and their checksums."""
    crc = b64("CRC32", b"x")
    body = complete_body(part_xml(1, '"aa"', ChecksumCRC32=crc), part_xml(3, "bb"),
                         namespace=namespace)
    assert parse_complete(body) == [RequestedPart(1, "aa", {"CRC32": crc}), RequestedPart(3, "bb")]


@pytest.mark.parametrize("etag", ['"abc"', "abc", "&quot;abc&quot;", "&#34;abc&#34;",
                                  "&amp;quot;abc&amp;quot;", '  "abc"\n  '])
def test_complete_etag_forms(etag):
    """ETags quoted, bare, entity-quoted, double-escaped or padded all come out bare."""
    assert parse_complete(complete_body(part_xml(1, etag)))[0].etag == "abc"


def test_complete_ignores_unknown_elements_and_empty_checksums():
    """Elements S3 may add and empty checksum elements do not disturb the parts."""
    body = complete_body(part_xml(2, "e", ChecksumCRC32="", ChecksumSHA512="zzz", Other="x"))
    assert parse_complete(body) == [RequestedPart(2, "e")]


@pytest.mark.parametrize("body, fragment", [
    (b"<Delete><Object><Key>k</Key></Object></Delete>", "CompleteMultipartUpload"),
    (complete_body(), "at least one Part"),
    (complete_body(part_xml(None, "e")), "no PartNumber"),
    (complete_body(part_xml(1, "e"), part_xml(2, None)), "Part 2 of the request has no ETag"),
    (complete_body(part_xml("x", "e")), "not an integer"),
    (complete_body(part_xml("1.0", "e")), "not an integer"),
    (complete_body(part_xml("", "e")), "not an integer"),
    (complete_body(part_xml("99999999999", "e")), "not an integer"),
    (complete_body(part_xml("1" * 5000, "e")), "not an integer"),
    (b"<CompleteMultipartUpload><Part>", "not well-formed"),
    (b"", "empty"),
])
def test_complete_malformed(body, fragment):
    """A wrong root, no parts, a part without PartNumber or ETag, or a non-integer
    PartNumber is MalformedXML, with a message saying what is wrong."""
    with pytest.raises(errors.MalformedXML) as caught:
        parse_complete(body)
    assert fragment in caught.value.message


def test_complete_malformed_before_order():
    """The document is checked whole before its order: a later malformed part wins."""
    with pytest.raises(errors.MalformedXML):
        parse_complete(complete_body(part_xml(2, "a"), part_xml(1, "b"), part_xml("x", "c")))


HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x "boom">]>'
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&x;</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&x;</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b'<?xml version="1.0"?><!DOCTYPE CompleteMultipartUpload SYSTEM "http://127.0.0.1:9/x.dtd">'
    b"<CompleteMultipartUpload/>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol3;</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&undefined;</ETag></Part>"
    b"</CompleteMultipartUpload>",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_complete_hostile_xml(body):
    """A DOCTYPE, entities (internal, external, nested) or an unknown entity are MalformedXML."""
    with pytest.raises(errors.MalformedXML) as caught:
        parse_complete(body)
    assert "root:" not in caught.value.message


def test_complete_oversized_body():
    """A body over the parser's cap is MalformedXML."""
    body = complete_body(*[part_xml(n, "e" * 32) for n in range(1, 30000)])
    assert len(body) > 1 << 20
    with pytest.raises(errors.MalformedXML):
        parse_complete(body)


def test_a_part_listed_twice_in_a_row_counts_once_as_its_later_entry():
    """A client that re-sent a part lists both answers; the later one is the part kept."""
    body = complete_body(part_xml(1, "a" * 32), part_xml(1, "b" * 32), part_xml(2, "c" * 32))
    assert [(p.number, p.etag) for p in parse_complete(body)] == [(1, "b" * 32), (2, "c" * 32)]


@pytest.mark.parametrize("numbers", [[2, 1], [1, 3, 2], [5, 6, 6, 5]])
def test_complete_part_order(numbers):
    """Part numbers that go down are InvalidPartOrder, naming the upload."""
    body = complete_body(*[part_xml(n, "e") for n in numbers])
    with pytest.raises(errors.InvalidPartOrder) as caught:
        parse_complete(body, upload_id="UP")
    assert caught.value.message == ("The list of parts was not in ascending order. "
                                    "Parts must be ordered by part number.")
    assert caught.value.extra == {"UploadId": "UP"}
    with pytest.raises(errors.InvalidPartOrder) as caught:
        parse_complete(body)
    assert caught.value.extra == {}


@pytest.mark.parametrize("number", [0, -1])
def test_complete_part_number_below_one(number):
    """A PartNumber below 1 is InvalidArgument naming PartNumber."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_complete(complete_body(part_xml(number, "e")))
    assert caught.value.message == "PartNumber must be >= 1"
    assert caught.value.extra == {"ArgumentName": "PartNumber", "ArgumentValue": str(number)}


@pytest.mark.parametrize("checksums, argument", [
    ({"ChecksumCRC32": "!!!"}, "CRC32:!!!;"),
    ({"ChecksumCRC32": base64.b64encode(b"12345").decode()}, "CRC32:MTIzNDU=;"),
    ({"ChecksumSHA256": base64.b64encode(b"1234").decode()}, "SHA256:MTIzNA==;"),
    ({"ChecksumCRC32": "AAAAAA==", "ChecksumSHA1": "A" * 27 + "="},
     "CRC32:AAAAAA==;SHA1:" + "A" * 27 + "=;"),
])
def test_complete_part_checksums_refused(checksums, argument):
    """A checksum that is not base64 of the right size, or two checksums on one part,
    is InvalidArgument naming Checksum, with S3's ArgumentValue format."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_complete(complete_body(part_xml(1, "e", **checksums)))
    assert caught.value.message == "Invalid Base64 or multiple checksums present in request"
    assert caught.value.extra == {"ArgumentName": "Checksum", "ArgumentValue": argument}


# -- check_parts ------------------------------------------------------------------

def stored_parts(*sizes, checksums=None) -> dict:
    out = {}
    for number, size in enumerate(sizes, 1):
        data = bytes([number]) * size
        sums = {name: b64(name, data) for name in checksums or ()}
        out[number] = StoredPart(number, md5_etag(data), size, sums)
    return out


def request_for(stored: dict, numbers=None, checksums=()) -> list:
    numbers = numbers or sorted(stored)
    return [RequestedPart(n, stored[n].md5_hex, {a: stored[n].checksums[a] for a in checksums})
            for n in numbers]


def test_check_parts_returns_stored_parts_in_order():
    """Matching parts come back as the stored parts, in the request's order."""
    stored = stored_parts(MIN_PART_SIZE, MIN_PART_SIZE, 3)
    assert check_parts(request_for(stored), stored) == [stored[1], stored[2], stored[3]]


def test_check_parts_ignores_parts_left_out():
    """Uploaded parts not in the request are not checked, however small."""
    stored = stored_parts(MIN_PART_SIZE, 10, MIN_PART_SIZE, 10)
    assert check_parts(request_for(stored, [1, 3, 4]), stored) == [stored[1], stored[3], stored[4]]


@pytest.mark.parametrize("sizes", [[1], [0], [MIN_PART_SIZE, 1], [MIN_PART_SIZE, MIN_PART_SIZE + 1, 0]])
def test_last_part_may_be_small(sizes):
    """The last part of the request, alone or not, may be of any size."""
    stored = stored_parts(*sizes)
    assert len(check_parts(request_for(stored), stored)) == len(sizes)


def test_entity_too_small():
    """A part other than the last below the minimum is EntityTooSmall with S3's elements."""
    stored = stored_parts(MIN_PART_SIZE, MIN_PART_SIZE - 1, 1)
    with pytest.raises(errors.EntityTooSmall) as caught:
        check_parts(request_for(stored), stored)
    assert caught.value.message == "Your proposed upload is smaller than the minimum allowed size"
    assert caught.value.extra == {"ProposedSize": str(MIN_PART_SIZE - 1),
                                  "MinSizeAllowed": str(MIN_PART_SIZE), "PartNumber": "2",
                                  "ETag": stored[2].md5_hex}
    assert caught.value.status == 400


def test_min_part_size_is_a_parameter():
    """The minimum can be lowered (tests) or raised."""
    stored = stored_parts(100, 100, 1)
    assert len(check_parts(request_for(stored), stored, min_part_size=100)) == 3
    with pytest.raises(errors.EntityTooSmall) as caught:
        check_parts(request_for(stored), stored, min_part_size=101)
    assert caught.value.extra["MinSizeAllowed"] == "101"


@pytest.mark.parametrize("number, etag", [(7, None), (1, "0" * 32), (1, "")])
def test_invalid_part(number, etag):
    """A part never uploaded, or with another ETag, is InvalidPart naming it (and the upload)."""
    stored = stored_parts(MIN_PART_SIZE, 1)
    want = RequestedPart(number, etag if etag is not None else stored[1].md5_hex)
    with pytest.raises(errors.InvalidPart) as caught:
        check_parts([want], stored, upload_id="UP")
    assert caught.value.message == (
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.")
    assert caught.value.extra == {"UploadId": "UP", "PartNumber": str(number), "ETag": want.etag}
    with pytest.raises(errors.InvalidPart) as caught:
        check_parts([want], stored)
    assert "UploadId" not in caught.value.extra


def test_parts_checked_in_request_order():
    """Each part is checked whole before the next: a small first part is reported before a
    missing second one."""
    stored = stored_parts(1)
    with pytest.raises(errors.EntityTooSmall):
        check_parts([RequestedPart(1, stored[1].md5_hex), RequestedPart(2, "e" * 32)], stored)


def test_matching_checksums_accepted():
    """Part checksums the request repeats correctly are accepted, the upload's algorithm or not."""
    stored = stored_parts(MIN_PART_SIZE, 5, checksums=("CRC32", "SHA256"))
    for given in (["CRC32"], ["SHA256"], []):
        requested = request_for(stored, checksums=given)
        assert check_parts(requested, stored) == [stored[1], stored[2]]
    requested = request_for(stored, checksums=["CRC32"])
    assert len(check_parts(requested, stored, algorithm="CRC32", checksum_type="COMPOSITE")) == 2


@pytest.mark.parametrize("algorithm", [None, "CRC32"])
def test_mismatching_checksum_is_invalid_part(algorithm):
    """A checksum of the upload's algorithm that differs from the part's is InvalidPart,
    with S3's message, which does not mention checksums."""
    stored = stored_parts(MIN_PART_SIZE, 5, checksums=("CRC32",))
    requested = request_for(stored, checksums=["CRC32"])
    requested[1] = RequestedPart(2, requested[1].etag, {"CRC32": b64("CRC32", b"other")})
    with pytest.raises(errors.InvalidPart) as caught:
        check_parts(requested, stored, upload_id="UP", algorithm=algorithm)
    assert caught.value.extra == {"UploadId": "UP", "PartNumber": "2", "ETag": requested[1].etag}


def test_checksum_the_part_does_not_have_is_invalid_part():
    """A checksum for a part stored without one is InvalidPart (the upload had no algorithm)."""
    stored = stored_parts(5)
    requested = [RequestedPart(1, stored[1].md5_hex, {"SHA1": b64("SHA1", b"x")})]
    with pytest.raises(errors.InvalidPart):
        check_parts(requested, stored)


def test_checksum_of_another_algorithm_is_bad_digest():
    """Knowing the upload's algorithm, a mismatching checksum of another one is BadDigest."""
    stored = stored_parts(5, checksums=("CRC32",))
    requested = [RequestedPart(1, stored[1].md5_hex, {"SHA256": b64("SHA256", b"x")})]
    with pytest.raises(errors.BadDigest) as caught:
        check_parts(requested, stored, algorithm="CRC32", checksum_type="COMPOSITE")
    assert caught.value.message == "The sha256 you specified for part 1 did not match what we received."


def test_composite_upload_needs_every_part_checksum():
    """A composite upload's Complete must give each part's checksum; a full-object one need not."""
    stored = stored_parts(MIN_PART_SIZE, 5, checksums=("CRC32C",))
    requested = request_for(stored, checksums=["CRC32C"])
    requested[1] = RequestedPart(2, requested[1].etag)
    with pytest.raises(errors.InvalidRequest) as caught:
        check_parts(requested, stored, algorithm="CRC32C", checksum_type="COMPOSITE")
    assert caught.value.message == (
        "The upload was created using a crc32c checksum. The complete request must include the "
        "checksum for each part. It was missing for part 2 in the request.")
    assert len(check_parts(requested, stored, algorithm="CRC32C", checksum_type="FULL_OBJECT")) == 2
    assert len(check_parts(requested, stored)) == 2


# -- ETag and object checksum ---------------------------------------------------

def test_multipart_etag():
    """The ETag is the MD5 of the parts' binary MD5s, then the part count, quoted."""
    data = [b"one", b"two" * 1000, b""]
    expected = hashlib.md5(b"".join(hashlib.md5(d).digest() for d in data)).hexdigest()
    assert multipart_etag([md5_etag(d) for d in data]) == f'"{expected}-3"'
    assert multipart_etag([md5_etag(d).strip('"') for d in data]) == f'"{expected}-3"'


@pytest.mark.parametrize("etag", ['"abc"', '"%s-2"' % ("a" * 32), "z" * 32])
def test_multipart_etag_refuses_what_is_not_an_md5(etag):
    """A part ETag that is not a hex MD5 is a programming error: ValueError."""
    with pytest.raises(ValueError):
        multipart_etag([etag])


def test_composite_checksum():
    """COMPOSITE: the checksum of the concatenated part digests, then -N."""
    data = [b"a" * 100, b"b" * 50]
    stored = [StoredPart(n, md5_etag(d), len(d), {"CRC32": b64("CRC32", d), "SHA256": b64("SHA256", d)})
              for n, d in enumerate(data, 1)]
    crcs = b"".join(zlib.crc32(d).to_bytes(4, "big") for d in data)
    expected = base64.b64encode(zlib.crc32(crcs).to_bytes(4, "big")).decode() + "-2"
    assert object_checksum("CRC32", "COMPOSITE", stored) == expected
    assert object_checksum("CRC32", None, stored) == expected
    assert object_checksum("SHA256", "COMPOSITE", stored) == composite_b64(
        "SHA256", [p.checksums["SHA256"] for p in stored])


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksum(algorithm):
    """FULL_OBJECT: the CRC of the whole object, from the parts' CRCs and sizes; no -N."""
    data = [bytes(range(256)) * 40, b"", b"tail", b"x" * 7777]
    stored = [StoredPart(n, md5_etag(d), len(d), {algorithm: b64(algorithm, d)})
              for n, d in enumerate(data, 1)]
    assert object_checksum(algorithm, "FULL_OBJECT", stored) == b64(algorithm, b"".join(data))
    if algorithm == "CRC64NVME":
        assert object_checksum(algorithm, None, stored) == b64(algorithm, b"".join(data))


def test_object_checksum_missing_or_impossible():
    """A part without the algorithm's checksum gives None; FULL_OBJECT SHA is a ValueError."""
    stored = [StoredPart(1, md5_etag(b"a"), 1, {"CRC32": b64("CRC32", b"a")}),
              StoredPart(2, md5_etag(b"b"), 1, {})]
    assert object_checksum("CRC32", "COMPOSITE", stored) is None
    assert object_checksum("CRC32", "FULL_OBJECT", stored) is None
    assert object_checksum("SHA1", "COMPOSITE", stored[:1]) is None
    with pytest.raises(ValueError):
        object_checksum("SHA256", "FULL_OBJECT", [StoredPart(1, md5_etag(b"a"), 1,
                                                            {"SHA256": b64("SHA256", b"a")})])


# -- listing parameters ---------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ({}, (1000, 0)),
    ({"max-parts": "5"}, (5, 0)),
    ({"max-parts": "0"}, (0, 0)),
    ({"max-parts": "2000"}, (1000, 0)),
    ({"max-parts": "2147483647"}, (1000, 0)),
    ({"max-parts": ""}, (1000, 0)),
    ({"max-parts": "007"}, (7, 0)),
    ({"max-parts": "0" * 5000 + "5", "part-number-marker": "-0"}, (5, 0)),
    ({"part-number-marker": "3"}, (1000, 3)),
    ({"part-number-marker": "20000", "max-parts": "2"}, (2, 20000)),
])
def test_list_parts_parameters(query, expected):
    """max-parts defaults to and is capped at 1000; part-number-marker defaults to 0."""
    assert parse_list_parts(query) == expected


@pytest.mark.parametrize("name", ["max-parts", "part-number-marker"])
@pytest.mark.parametrize("value, message, argument", [
    ("abc", "Provided {} not an integer or within integer range", "abc"),
    ("1.5", "Provided {} not an integer or within integer range", "1.5"),
    (" 5", "Provided {} not an integer or within integer range", " 5"),
    ("+5", "Provided {} not an integer or within integer range", "+5"),
    ("2147483648", "Provided {} not an integer or within integer range", "2147483648"),
    ("-2147483649", "Provided {} not an integer or within integer range", "-2147483649"),
    ("9" * 5000, "Provided {} not an integer or within integer range", "9" * 5000),
    ("-1", "Argument {} must be an integer between 0 and 2147483647", "-1"),
    ("-01", "Argument {} must be an integer between 0 and 2147483647", "-1"),
    ("-2147483648", "Argument {} must be an integer between 0 and 2147483647", "-2147483648"),
])
def test_list_parts_parameters_refused(name, value, message, argument):
    """Non-integers and negative values are InvalidArgument, in S3's two wordings."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_list_parts({name: value})
    assert caught.value.message == message.format(name)
    assert caught.value.extra == {"ArgumentName": name, "ArgumentValue": argument}


def test_list_uploads_defaults():
    """No parameters: everything, 1000 at a time, not encoded."""
    params = parse_list_uploads({})
    assert params == ListUploadsParams()
    assert (params.prefix, params.delimiter, params.max_uploads, params.key_marker,
            params.upload_id_marker, params.encoding_url) == ("", "", 1000, "", "", False)


def test_list_uploads_parameters():
    """Each parameter is read; max-uploads is capped at 1000."""
    params = parse_list_uploads({"prefix": "a/", "delimiter": "/", "max-uploads": "5000",
                                 "key-marker": "a/b", "upload-id-marker": "XYZ",
                                 "encoding-type": "url"})
    assert params == ListUploadsParams("a/", "/", 1000, "a/b", "XYZ", "url")
    assert params.encoding_url
    assert parse_list_uploads({"max-uploads": "0"}).max_uploads == 0
    assert parse_list_uploads({"encoding-type": "URL"}).encoding_url


def test_upload_id_marker_ignored_without_key_marker():
    """S3 ignores upload-id-marker when no key-marker is given."""
    assert parse_list_uploads({"upload-id-marker": "XYZ"}).upload_id_marker == ""


@pytest.mark.parametrize("query, message, name, value", [
    ({"max-uploads": "x"}, "Provided max-uploads not an integer or within integer range",
     "max-uploads", "x"),
    ({"max-uploads": "-3"}, "Argument max-uploads must be an integer between 0 and 2147483647",
     "max-uploads", "-3"),
    ({"encoding-type": "base64"}, "Invalid Encoding Method specified in Request",
     "encoding-type", "base64"),
    ({"encoding-type": ""}, "Invalid Encoding Method specified in Request", "encoding-type", ""),
])
def test_list_uploads_parameters_refused(query, message, name, value):
    """Bad max-uploads and encoding-type values are InvalidArgument naming them."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_list_uploads(query)
    assert caught.value.message == message
    assert caught.value.extra == {"ArgumentName": name, "ArgumentValue": value}


# -- documents --------------------------------------------------------------------

def test_initiate_document():
    """InitiateMultipartUploadResult holds Bucket, Key and UploadId, escaped."""
    doc = initiate_document("bkt", 'a&b<c>"d', "UP-1")
    root = parse(doc)
    assert etree.QName(root).localname == "InitiateMultipartUploadResult"
    assert children_of(root) == ["Bucket", "Key", "UploadId"]
    assert [c.text for c in root] == ["bkt", 'a&b<c>"d', "UP-1"]
    assert boto_parse("CreateMultipartUpload", doc)["Key"] == 'a&b<c>"d'


def test_complete_document():
    """CompleteMultipartUploadResult: Location, Bucket, Key, ETag, the checksums, ChecksumType."""
    doc = complete_document("/bkt/k", "bkt", "k", '"abc-2"',
                            {"SHA256": "s=-2", "CRC32": "c=-2"}, "COMPOSITE")
    root = parse(doc)
    assert children_of(root) == ["Location", "Bucket", "Key", "ETag", "ChecksumCRC32",
                                 "ChecksumSHA256", "ChecksumType"]
    assert text(root, "ETag") == '"abc-2"'
    parsed = boto_parse("CompleteMultipartUpload", doc)
    assert (parsed["ETag"], parsed["ChecksumCRC32"], parsed["ChecksumType"]) == \
        ('"abc-2"', "c=-2", "COMPOSITE")


def test_complete_document_without_checksums():
    """No checksums and no type: neither appears."""
    root = parse(complete_document("/b/k", "b", "k", '"e-1"', {}, None))
    assert children_of(root) == ["Location", "Bucket", "Key", "ETag"]


def part_row(number, size=5, checksums=None):
    return SimpleNamespace(number=number, last_modified=WHEN, etag=md5_etag(b"%d" % number),
                           size=size, checksums=checksums or {})


def test_list_parts_document():
    """ListPartsResult in S3's element order, each Part with its number, date, ETag, size
    and checksums, then the upload's checksum algorithm and type."""
    rows = [part_row(2, checksums={"CRC32": "AAAAAA=="}), part_row(3, 7)]
    doc = list_parts_document("bkt", "k&y", "UP", ("init-id", "alice"), ("own-id", "bob"),
                              "STANDARD", 1, 3, 2, True, rows, "CRC32", "COMPOSITE")
    root = parse(doc)
    assert children_of(root) == [
        "Bucket", "Key", "UploadId", "Initiator", "Owner", "StorageClass", "PartNumberMarker",
        "NextPartNumberMarker", "MaxParts", "IsTruncated", "Part", "Part", "ChecksumAlgorithm",
        "ChecksumType"]
    assert children_of(root.find(NS + "Initiator")) == ["ID", "DisplayName"]
    assert (text(root, "Initiator/ID"), text(root, "Owner/DisplayName")) == ("init-id", "bob")
    first = root.find(NS + "Part")
    assert children_of(first) == ["PartNumber", "LastModified", "ETag", "Size", "ChecksumCRC32"]
    assert [c.text for c in first] == ["2", "2009-10-12T17:50:30.123Z", md5_etag(b"2"), "5",
                                       "AAAAAA=="]
    assert (text(root, "IsTruncated"), text(root, "NextPartNumberMarker")) == ("true", "3")
    parsed = boto_parse("ListParts", doc)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in parsed["Parts"]] == \
        [(2, 5, md5_etag(b"2")), (3, 7, md5_etag(b"3"))]
    assert parsed["Parts"][0]["LastModified"] == WHEN.replace(microsecond=123000)
    assert (parsed["Key"], parsed["IsTruncated"], parsed["NextPartNumberMarker"],
            parsed["MaxParts"], parsed["ChecksumAlgorithm"], parsed["ChecksumType"]) == \
        ("k&y", True, 3, 2, "CRC32", "COMPOSITE")


def test_list_parts_document_empty():
    """No parts: no NextPartNumberMarker, no checksum elements without an algorithm."""
    root = parse(list_parts_document("b", "k", "UP", ("i", "n"), ("o", "n"), "STANDARD", 0,
                                     None, 1000, False, [], None, None))
    assert children_of(root) == ["Bucket", "Key", "UploadId", "Initiator", "Owner",
                                 "StorageClass", "PartNumberMarker", "MaxParts", "IsTruncated"]
    assert (text(root, "PartNumberMarker"), text(root, "IsTruncated")) == ("0", "false")


def upload_row(key, upload_id="UP", algorithm=None):
    return UploadRow(key, upload_id, ("init-id", "alice"), ("own-id", "bob"), "STANDARD", WHEN,
                     algorithm)


def test_list_uploads_document():
    """ListMultipartUploadsResult: markers always present, Delimiter and Prefix when given,
    the uploads, then the common prefixes."""
    params = parse_list_uploads({"prefix": "p/", "delimiter": "/", "max-uploads": "3"})
    doc = list_uploads_document("bkt", params, [upload_row("p/a", "U1", "SHA256"),
                                                upload_row("p/b", "U2")],
                                ["p/c/"], True, "p/c/", None)
    root = parse(doc)
    assert children_of(root) == [
        "Bucket", "KeyMarker", "UploadIdMarker", "NextKeyMarker", "NextUploadIdMarker",
        "Delimiter", "Prefix", "MaxUploads", "IsTruncated", "Upload", "Upload", "CommonPrefixes"]
    first = root.find(NS + "Upload")
    assert children_of(first) == ["Key", "UploadId", "Initiator", "Owner", "StorageClass",
                                  "Initiated", "ChecksumAlgorithm"]
    assert text(root, "Upload/Initiated") == "2009-10-12T17:50:30.123Z"
    assert (text(root, "KeyMarker"), text(root, "NextKeyMarker"),
            text(root, "NextUploadIdMarker")) == ("", "p/c/", "")
    parsed = boto_parse("ListMultipartUploads", doc)
    assert [(u["Key"], u["UploadId"]) for u in parsed["Uploads"]] == [("p/a", "U1"), ("p/b", "U2")]
    assert parsed["Uploads"][0]["Initiator"] == {"ID": "init-id", "DisplayName": "alice"}
    assert parsed["Uploads"][0]["Owner"] == {"ID": "own-id", "DisplayName": "bob"}
    assert parsed["CommonPrefixes"] == [{"Prefix": "p/c/"}]
    assert (parsed["MaxUploads"], parsed["IsTruncated"], parsed["Delimiter"]) == (3, True, "/")


def test_list_uploads_document_without_prefix_or_delimiter():
    """Without prefix and delimiter neither element appears; nor does EncodingType."""
    root = parse(list_uploads_document("bkt", parse_list_uploads({}), [], [], False))
    assert children_of(root) == ["Bucket", "KeyMarker", "UploadIdMarker", "NextKeyMarker",
                                 "NextUploadIdMarker", "MaxUploads", "IsTruncated"]


def test_list_uploads_document_url_encoding():
    """Under encoding-type=url keys, prefixes, the delimiter and key markers are encoded,
    upload IDs are not, and EncodingType echoes the request."""
    hostile = 'a b+&<é\x01"/'
    params = parse_list_uploads({"prefix": hostile, "delimiter": "+", "key-marker": hostile,
                                 "upload-id-marker": "U0", "encoding-type": "url"})
    doc = list_uploads_document("bkt", params, [upload_row(hostile + "k", "U1")], [hostile + "+"],
                                True, hostile + "k", "U1")
    root = parse(doc)
    enc = url_encode
    assert text(root, "Prefix") == enc(hostile)
    assert "\x01" not in doc.decode() and "é" not in doc.decode()
    assert (text(root, "Delimiter"), text(root, "KeyMarker"), text(root, "UploadIdMarker")) == \
        (enc("+"), enc(hostile), "U0")
    assert (text(root, "NextKeyMarker"), text(root, "NextUploadIdMarker")) == (enc(hostile + "k"), "U1")
    assert text(root, "Upload/Key") == enc(hostile + "k")
    assert text(root, "CommonPrefixes/Prefix") == enc(hostile + "+")
    assert text(root, "EncodingType") == "url"
    assert children_of(root)[8:10] == ["EncodingType", "IsTruncated"]


def test_list_uploads_document_encoding_argument_overrides_params():
    """An explicit encoding_url wins over the parameters."""
    params = parse_list_uploads({"prefix": "a b"})
    root = parse(list_uploads_document("bkt", params, [], [], False, encoding_url=True))
    assert (text(root, "Prefix"), text(root, "EncodingType")) == ("a%20b", "url")
