"""Tests for ramod.s3.listing: listing parameters, paging cost and correctness, documents."""

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote, unquote_plus

import botocore.session
import pytest
from botocore import handlers
from botocore.parsers import create_parser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ramod.protocol import errors
from ramod.s3.listing import (
    ListRequest, Page, decode_token, encode_token, list_objects_v1_document,
    list_objects_v2_document, list_versions_document, paginate, parse_list_request, successor,
    url_encode,
)

NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
MODIFIED = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc)
OWNER = ("0123abcd", "alice")


@dataclass(frozen=True)
class Entry:
    key: str
    size: int = 3
    etag: str = '"900150983cd24fb0d6963f7d28e17f72"'
    last_modified: datetime = MODIFIED
    storage_class: str = "STANDARD"
    checksums: dict = field(default_factory=dict)


class MemorySeek:
    """The seek contract over a sorted list, counting calls and rows handed out."""

    def __init__(self, keys):
        self.keys = sorted(set(keys))
        self.calls = 0
        self.rows = 0

    def __call__(self, lower, inclusive, upper, limit):
        assert 1 <= limit <= 1000
        lo = (bisect.bisect_left if inclusive else bisect.bisect_right)(self.keys, lower)
        hi = len(self.keys) if upper is None else bisect.bisect_left(self.keys, upper)
        found = self.keys[lo:max(lo, min(hi, lo + limit))]
        self.calls += 1
        self.rows += len(found)
        return [Entry(k) for k in found]


def listing(keys, prefix="", delimiter=None, after="", max_keys=1000):
    """One page as (keys, common prefixes, truncated, next marker)."""
    page = paginate(MemorySeek(keys), prefix, delimiter, after, max_keys)
    return [e.key for e in page.contents], page.common_prefixes, page.truncated, page.next_marker


def reference(keys, prefix, delimiter, after):
    """Everything a listing shows after ``after``, the obvious way."""
    items = []
    for key in sorted(set(keys)):
        if not key.startswith(prefix):
            continue
        i = key.find(delimiter, len(prefix)) if delimiter else -1
        item = key if i < 0 else key[:i + len(delimiter)]
        if item > after and (not items or items[-1] != item):
            items.append(item)
    return items


def follow(keys, prefix, delimiter, after, max_keys):
    """All pages of a listing, following next_marker; each page's items and truncation."""
    seek, pages = MemorySeek(keys), []
    while True:
        page = paginate(seek, prefix, delimiter, after, max_keys)
        items = [e.key for e in page.contents] + page.common_prefixes
        pages.append((sorted(items), page.truncated))
        if not page.truncated:
            return pages
        assert page.next_marker == max(items)
        after = page.next_marker
        assert len(pages) <= len(keys) + 1


# -- parameters ----------------------------------------------------------------

def test_defaults():
    """Absent parameters give the whole bucket, 1000 keys at a time, unencoded."""
    req = parse_list_request("v1", {})
    assert req == ListRequest(kind="v1", prefix="", delimiter=None, max_keys=1000,
                              url_encoded=False, after="")


@pytest.mark.parametrize("kind, query, after", [
    ("v1", {"marker": "m"}, "m"),
    ("v2", {"start-after": "s"}, "s"),
    ("v2", {"start-after": "s", "continuation-token": encode_token("t/")}, "t/"),
    ("versions", {"key-marker": "k"}, "k"),
    ("versions", {"key-marker": "k", "version-id-marker": "null"}, "k"),
])
def test_after(kind, query, after):
    """The lower bound comes from the marker the operation uses; a token beats start-after."""
    assert parse_list_request(kind, query).after == after


def test_echoed_values():
    """Raw values are kept for the response; an empty delimiter counts as none."""
    token = encode_token("x")
    req = parse_list_request("v2", {"prefix": "p/", "delimiter": "", "max-keys": "5000",
                                    "encoding-type": "url", "start-after": "a",
                                    "continuation-token": token, "fetch-owner": "true"})
    assert (req.prefix, req.delimiter, req.max_keys, req.url_encoded) == ("p/", None, 1000, True)
    assert (req.start_after, req.continuation_token, req.fetch_owner) == ("a", token, True)
    assert parse_list_request("versions", {"key-marker": "k", "version-id-marker": "null"}
                              ).version_id_marker == "null"


@pytest.mark.parametrize("kind, query, name", [
    ("v1", {"max-keys": "-1"}, "max-keys"),
    ("v2", {"max-keys": "blah"}, "max-keys"),
    ("versions", {"max-keys": "1.5"}, "max-keys"),
    ("v1", {"max-keys": "\u0663"}, "max-keys"),
    ("v1", {"encoding-type": "URL"}, "encoding-type"),
    ("v2", {"encoding-type": "base64"}, "encoding-type"),
    ("v2", {"continuation-token": "!!!"}, "continuation-token"),
    ("v2", {"continuation-token": "Y"}, "continuation-token"),
    ("v2", {"continuation-token": "_w"}, "continuation-token"),
    ("versions", {"version-id-marker": "null"}, "version-id-marker"),
    ("versions", {"key-marker": "k", "version-id-marker": "3HL4kqtJlcpXroDTDmJ"}, "version-id-marker"),
])
def test_invalid_arguments(kind, query, name):
    """Malformed values are InvalidArgument naming the parameter and its value."""
    with pytest.raises(errors.InvalidArgument) as caught:
        parse_list_request(kind, query)
    assert caught.value.extra == {"ArgumentName": name, "ArgumentValue": query[name]}


def test_error_messages():
    """The messages are S3's."""
    cases = [({"encoding-type": "x"}, "Invalid Encoding Method specified in Request"),
             ({"version-id-marker": "v"}, "A version-id marker cannot be specified without a key marker."),
             ({"key-marker": "k", "version-id-marker": "v"}, "Invalid version id specified")]
    for query, message in cases:
        with pytest.raises(errors.InvalidArgument, match=message):
            parse_list_request("versions", query)
    with pytest.raises(errors.InvalidArgument, match="The continuation token provided is incorrect"):
        parse_list_request("v2", {"continuation-token": "%%"})


@pytest.mark.parametrize("start", ["a", "dir/", "ab", "abc/déjà vu 😀", "+/=", "\x00\n"])
def test_token_round_trip(start):
    """Tokens carry any start point, are URL-safe and need no padding."""
    token = encode_token(start)
    assert decode_token(token) == start
    assert decode_token(token + "=" * (-len(token) % 4)) == start
    assert not set(token) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# -- successor -----------------------------------------------------------------

@pytest.mark.parametrize("prefix, expected", [
    ("", None),
    ("a", "b"),
    ("dir/", "dir0"),
    ("a\ud7ff", "a\ue000"),
    ("a\uffff", "a\U00010000"),
    ("a\U0010ffff", "b"),
    ("a\U0010ffff\U0010ffff", "b"),
    ("\U0010ffff", None),
    ("😀", "😁"),
])
def test_successor(prefix, expected):
    """The next string after all those starting with prefix, skipping surrogates."""
    assert successor(prefix) == expected


@given(st.text(min_size=1), st.text())
def test_successor_bounds_the_prefix(prefix, tail):
    """Everything starting with the prefix sorts below its successor, in UTF-8 order too."""
    tail = tail.encode("utf-8", "replace").decode("utf-8")
    nxt = successor(prefix)
    if nxt is not None:
        assert prefix + tail < nxt
        assert (prefix + tail).encode("utf-8", "surrogatepass") < nxt.encode("utf-8")


# -- paging: targeted cases ----------------------------------------------------

KEYS = ["a", "b/1", "b/2", "b/3", "c", "d/x/1", "d/y", "e/", "f"]


def test_flat_listing():
    """Without a delimiter every key is listed in order."""
    assert listing(KEYS) == (sorted(KEYS), [], False, None)


def test_delimiter_rolls_up():
    """Keys with the delimiter after the prefix become common prefixes, a key ending in it too."""
    assert listing(KEYS, delimiter="/") == (["a", "c", "f"], ["b/", "d/", "e/"], False, None)


def test_prefix_and_delimiter():
    """Only keys under the prefix are listed; the delimiter counts from the prefix's end."""
    assert listing(KEYS, prefix="d/", delimiter="/") == (["d/y"], ["d/x/"], False, None)
    assert listing(KEYS, prefix="d", delimiter="/") == ([], ["d/"], False, None)
    assert listing(KEYS, prefix="b/", delimiter="/") == (["b/1", "b/2", "b/3"], [], False, None)


def test_key_equal_to_prefix():
    """A key that is the prefix itself, ending in the delimiter, is a key, not a group."""
    assert listing(["e/", "e/a/b"], prefix="e/", delimiter="/") == (["e/"], ["e/a/"], False, None)


def test_max_keys_counts_keys_and_prefixes():
    """MaxKeys covers both; the next marker is the last item, key or prefix."""
    assert listing(KEYS, delimiter="/", max_keys=2) == (["a"], ["b/"], True, "b/")
    assert listing(KEYS, delimiter="/", max_keys=3) == (["a", "c"], ["b/"], True, "c")


def test_max_keys_one():
    """Pages of one item walk the listing one by one."""
    pages = follow(KEYS, "", "/", "", 1)
    assert pages == [([x], True) for x in ["a", "b/", "c", "d/", "e/"]] + [(["f"], False)]


def test_max_keys_zero():
    """max-keys=0 lists nothing and is not truncated."""
    assert listing(KEYS, max_keys=0) == ([], [], False, None)


def test_exact_fit_is_not_truncated():
    """A page that holds the rest exactly says so."""
    assert listing(KEYS, delimiter="/", max_keys=6) == (["a", "c", "f"], ["b/", "d/", "e/"], False, None)
    assert listing(KEYS, delimiter="/", after="c", max_keys=3) == (["f"], ["d/", "e/"], False, None)


def test_marker_equal_to_common_prefix():
    """A marker that is a common prefix does not repeat it nor its keys."""
    assert listing(KEYS, delimiter="/", after="b/") == (["c", "f"], ["d/", "e/"], False, None)


def test_marker_inside_a_group():
    """A marker inside a group skips the rest of that group."""
    assert listing(KEYS, delimiter="/", after="b/1") == (["c", "f"], ["d/", "e/"], False, None)
    assert listing(KEYS, delimiter="/", after="b/3") == (["c", "f"], ["d/", "e/"], False, None)


def test_marker_before_a_group():
    """A marker just below a group's prefix still shows the group."""
    assert listing(KEYS, delimiter="/", after="b") == (["c", "f"], ["b/", "d/", "e/"], False, None)


def test_marker_below_and_above_the_prefix():
    """A marker below the prefix changes nothing; one past it lists nothing."""
    assert listing(KEYS, prefix="b/", after="a") == (["b/1", "b/2", "b/3"], [], False, None)
    assert listing(KEYS, prefix="b/", after="b/2") == (["b/3"], [], False, None)
    assert listing(KEYS, prefix="b/", after="c") == ([], [], False, None)


def test_multi_character_delimiter():
    """A delimiter may be several characters; a partial match does not count."""
    keys = ["a--b", "a-b", "a--", "c---d", "e"]
    assert listing(keys, delimiter="--") == (["a-b", "e"], ["a--", "c--"], False, None)
    assert listing(keys, prefix="c-", delimiter="--") == ([], ["c---"], False, None)


def test_unicode_keys():
    """Keys sort by code point (UTF-8 order), astral characters after the BMP."""
    keys = ["\uffff", "😀/a", "😀/b", "é", "z", "\ue000/x", "日本/語"]
    assert listing(keys) == (sorted(keys), [], False, None)
    assert listing(keys, delimiter="/") == (["z", "é", "\uffff"], ["日本/", "\ue000/", "😀/"], False, None)
    assert listing(keys, prefix="😀", delimiter="/", max_keys=1) == ([], ["😀/"], False, None)


def test_delimiter_is_astral():
    """An astral-plane delimiter groups like any other."""
    keys = ["a😀b", "a😀c", "b", "😀"]
    assert listing(keys, delimiter="😀") == (["b"], ["a😀", "😀"], False, None)


def test_prefix_of_max_code_points():
    """A prefix of U+10FFFF characters has no successor and is listed to the end."""
    keys = ["\U0010ffff", "\U0010ffffa", "\U0010ffff\U0010ffff/x", "a"]
    assert listing(keys, prefix="\U0010ffff", delimiter="/") == (
        ["\U0010ffff", "\U0010ffffa"], ["\U0010ffff\U0010ffff/"], False, None)
    assert listing(keys, delimiter="\U0010ffff") == (["a"], ["\U0010ffff"], False, None)


# -- paging: against a brute-force reference -----------------------------------

ALPHABET = "ab/ç😀"
keys_strategy = st.lists(st.text(ALPHABET, min_size=1, max_size=6), max_size=40)
short = st.text(ALPHABET, max_size=3)


@settings(max_examples=400, deadline=None)
@given(keys_strategy, short, st.sampled_from([None, "/", "a", "//", "ç😀", "😀"]),
       short, st.sampled_from([1, 2, 3, 7, 1000]))
def test_pages_match_reference(keys, prefix, delimiter, after, max_keys):
    """Following next_marker yields exactly the reference listing, truncated until the last page."""
    pages = follow(keys, prefix, delimiter, after, max_keys)
    items = [item for page_items, _ in pages for item in page_items]
    assert items == reference(keys, prefix, delimiter, after)
    assert all(truncated for _, truncated in pages[:-1]) and not pages[-1][1]
    assert all(len(page_items) == max_keys for page_items, _ in pages[:-1])


# -- paging: cost --------------------------------------------------------------

@pytest.fixture(scope="module")
def million():
    """1,000,000 keys in three folders."""
    return MemorySeek(f"{folder}/{i:07d}" for folder in "abc" for i in range(333_334))


def test_cost_of_folders(million):
    """Three folders of a million keys cost a few small seeks, not a million rows."""
    million.calls = million.rows = 0
    page = paginate(million, "", "/", "", 1000)
    assert (page.common_prefixes, page.contents, page.truncated) == (["a/", "b/", "c/"], [], False)
    assert (million.rows, million.calls) == (24, 4)


def test_cost_of_a_truncated_folder_page(million):
    """A page of two prefixes proves the third exists with a seek of one row."""
    million.calls = million.rows = 0
    page = paginate(million, "", "/", "", 2)
    assert (page.common_prefixes, page.truncated, page.next_marker) == (["a/", "b/"], True, "b/")
    assert (million.rows, million.calls) == (3 + 2 + 1, 3)
    million.calls = million.rows = 0
    page = paginate(million, "", "/", "b/", 2)
    assert (page.common_prefixes, page.truncated) == (["c/"], False)
    assert (million.rows, million.calls) == (3, 2)  # starts past b/, never reading it


def test_cost_of_a_flat_page(million):
    """A flat page of 1000 reads 1001 rows: the page and the one that proves truncation."""
    million.calls = million.rows = 0
    page = paginate(million, "", None, "b/0100000", 1000)
    assert len(page.contents) == 1000 and page.truncated
    assert page.next_marker == "b/0101000"
    assert (million.rows, million.calls) == (1001, 2)


def test_cost_of_a_flat_page_with_delimiter(million):
    """With a delimiter but no groups the batches grow, reading 1001 rows in a few seeks."""
    million.calls = million.rows = 0
    page = paginate(million, "a/", "/", "", 1000)
    assert len(page.contents) == 1000 and page.truncated
    assert (million.rows, million.calls) == (1001, 7)


def test_cost_of_many_folders():
    """Many folders cost a bounded number of rows and one seek per folder at most."""
    seek = MemorySeek(f"{i:05d}/{j:03d}" for i in range(3000) for j in range(100))
    page = paginate(seek, "", "/", "", 1000)
    assert len(page.common_prefixes) == 1000 and page.truncated
    assert seek.calls <= 1001 and seek.rows <= 8 * 1001


def test_cost_of_small_folders():
    """Folders smaller than a batch are skipped within the batch, not re-read."""
    seek = MemorySeek(f"{i:05d}/x" for i in range(5000))
    page = paginate(seek, "", "/", "", 1000)
    assert len(page.common_prefixes) == 1000 and page.truncated
    assert seek.rows == 1001 and seek.calls == 126


# -- documents -----------------------------------------------------------------

def parse(doc):
    root = etree.fromstring(doc)
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return root


def text(root, path):
    return root.findtext(path, namespaces=NS)


def texts(root, path):
    return [e.text or "" for e in root.findall(path, namespaces=NS)]


def request(kind, **query):
    return parse_list_request(kind, {k.replace("_", "-"): v for k, v in query.items()})


ENTRIES = [Entry("a b", checksums={"CRC32": "AAAAAA==", "SHA256": "x"}), Entry("c+d")]


def test_v1_document():
    """ListBucketResult (V1) carries the request echo, entries with owners and prefixes."""
    req = request("v1", prefix="", delimiter="/", marker="a", max_keys="2")
    page = Page(ENTRIES, ["e/"], True, "e/")
    root = parse(list_objects_v1_document(req, "bkt", page, OWNER))
    assert root.tag == "{%s}ListBucketResult" % NS["s3"]
    assert [text(root, "s3:" + n) for n in ["Name", "Prefix", "Marker", "NextMarker", "MaxKeys",
                                            "Delimiter", "IsTruncated"]] == [
        "bkt", "", "a", "e/", "2", "/", "true"]
    assert root.find("s3:EncodingType", NS) is None
    first = root.find("s3:Contents", NS)
    assert [etree.QName(e).localname for e in first] == [
        "Key", "LastModified", "ETag", "ChecksumAlgorithm", "ChecksumAlgorithm", "Size",
        "StorageClass", "Owner"]
    assert texts(first, "s3:ChecksumAlgorithm") == ["CRC32", "SHA256"]
    assert [text(first, "s3:" + n) for n in ["Key", "LastModified", "ETag", "Size", "StorageClass",
                                             "Owner/s3:ID", "Owner/s3:DisplayName"]] == [
        "a b", "2024-05-06T07:08:09.123Z", ENTRIES[0].etag, "3", "STANDARD", "0123abcd", "alice"]
    assert texts(root, "s3:Contents/s3:Key") == ["a b", "c+d"]
    assert root.findall("s3:Contents", NS)[1].find("s3:ChecksumAlgorithm", NS) is None
    assert texts(root, "s3:CommonPrefixes/s3:Prefix") == ["e/"]


def test_v1_next_marker_needs_a_delimiter():
    """Without a delimiter S3 leaves NextMarker out; clients use the last Key."""
    req = request("v1", max_keys="1")
    root = parse(list_objects_v1_document(req, "bkt", Page(ENTRIES[:1], [], True, "a b"), OWNER))
    assert root.find("s3:NextMarker", NS) is None and text(root, "s3:Marker") == ""
    assert root.find("s3:Delimiter", NS) is None


def test_v2_document():
    """ListObjectsV2 counts keys and prefixes, echoes tokens and hides owners by default."""
    token = encode_token("a")
    req = request("v2", prefix="", continuation_token=token, start_after="0", delimiter="/")
    root = parse(list_objects_v2_document(req, "bkt", Page(ENTRIES, ["e/"], True, "e/"), OWNER))
    assert [text(root, "s3:" + n) for n in ["Name", "Prefix", "Delimiter", "MaxKeys", "KeyCount",
                                            "ContinuationToken", "StartAfter", "IsTruncated"]] == [
        "bkt", "", "/", "1000", "3", token, "0", "true"]
    assert decode_token(text(root, "s3:NextContinuationToken")) == "e/"
    assert root.find("s3:Contents/s3:Owner", NS) is None
    assert texts(root, "s3:CommonPrefixes/s3:Prefix") == ["e/"]


def test_v2_document_minimal():
    """A complete first page has no tokens or StartAfter; fetch-owner=true shows owners."""
    req = request("v2", fetch_owner="true")
    root = parse(list_objects_v2_document(req, "bkt", Page(ENTRIES, []), OWNER))
    for name in ["ContinuationToken", "NextContinuationToken", "StartAfter", "Delimiter"]:
        assert root.find("s3:" + name, NS) is None
    assert (text(root, "s3:KeyCount"), text(root, "s3:IsTruncated")) == ("2", "false")
    assert texts(root, "s3:Contents/s3:Owner/s3:ID") == ["0123abcd", "0123abcd"]


def test_versions_document():
    """ListVersionsResult shows each key as its latest null version."""
    req = request("versions", key_marker="a", version_id_marker="null", max_keys="2")
    root = parse(list_versions_document(req, "bkt", Page(ENTRIES, [], True, "c+d"), OWNER))
    assert root.tag == "{%s}ListVersionsResult" % NS["s3"]
    assert [text(root, "s3:" + n) for n in ["KeyMarker", "VersionIdMarker", "NextKeyMarker",
                                            "NextVersionIdMarker", "MaxKeys", "IsTruncated"]] == [
        "a", "null", "c+d", "null", "2", "true"]
    version = root.find("s3:Version", NS)
    assert [etree.QName(e).localname for e in version][:5] == [
        "Key", "VersionId", "IsLatest", "LastModified", "ETag"]
    assert (text(version, "s3:VersionId"), text(version, "s3:IsLatest")) == ("null", "true")
    assert text(version, "s3:Owner/s3:DisplayName") == "alice"


def test_versions_document_untruncated():
    """A last page has empty markers and no next markers."""
    root = parse(list_versions_document(request("versions"), "bkt", Page([], ["p/"]), OWNER))
    assert (text(root, "s3:KeyMarker"), text(root, "s3:VersionIdMarker")) == ("", "")
    assert root.find("s3:NextKeyMarker", NS) is None and root.find("s3:NextVersionIdMarker", NS) is None
    assert texts(root, "s3:CommonPrefixes/s3:Prefix") == ["p/"]


def test_unencoded_control_characters():
    """Without encoding-type, characters XML cannot carry are replaced, not fatal."""
    root = parse(list_objects_v1_document(request("v1"), "bkt", Page([Entry("a\x01b")], []), OWNER))
    assert text(root, "s3:Contents/s3:Key") == "a\ufffdb"


# -- encoding-type=url ---------------------------------------------------------

HOSTILE = ["quux ab/thud", "foo+1/bar", "100%.csv", "a%2Bb", "한글/x.txt", "test_file(3).png",
           "ctl\x00\x01\n\r\t\x7f", "😀 + ~-._!*'();:@&=$,?#[]", "a/b//c/"]


def test_url_encoding_matches_s3():
    """Unreserved characters and '/' stay; the rest is %XX of UTF-8, space as %20, '+' as %2B."""
    assert url_encode("quux ab/") == "quux%20ab/"
    assert url_encode("foo+1/") == "foo%2B1/"
    assert url_encode("asdf+b") == "asdf%2Bb"
    assert url_encode("test_file(3).png") == "test_file%283%29.png"
    assert url_encode("한글/x~-_.") == "%ED%95%9C%EA%B8%80/x~-_."
    assert url_encode("\x00\n😀") == "%00%0A%F0%9F%98%80"


@pytest.mark.parametrize("key", HOSTILE)
def test_url_encoding_round_trips(key):
    """Both unquote_plus (botocore) and plain unquote give the key back."""
    assert unquote_plus(url_encode(key)) == key == unquote(url_encode(key))


def test_encoded_v1_document():
    """encoding-type=url encodes keys, common prefixes, delimiter and markers; V1 echoes its
    Prefix as sent."""
    req = request("v1", prefix="p q", delimiter="+", marker="p q+0", encoding_type="url")
    page = Page([Entry("p q1")], ["p q+"], True, "p q+")
    root = parse(list_objects_v1_document(req, "bkt", page, OWNER))
    assert [text(root, "s3:" + n) for n in ["Prefix", "Marker", "NextMarker", "Delimiter",
                                            "EncodingType", "Contents/s3:Key",
                                            "CommonPrefixes/s3:Prefix"]] == [
        "p q", "p%20q%2B0", "p%20q%2B", "%2B", "url", "p%20q1", "p%20q%2B"]


def test_encoded_v2_and_versions_documents():
    """StartAfter, KeyMarker and NextKeyMarker are encoded too; tokens stay as they are."""
    token = encode_token("x y")
    req = request("v2", start_after="a b", continuation_token=token, encoding_type="url")
    root = parse(list_objects_v2_document(req, "bkt", Page([Entry("x y+")], [], True, "x y+"), OWNER))
    assert text(root, "s3:StartAfter") == "a%20b" and text(root, "s3:ContinuationToken") == token
    assert decode_token(text(root, "s3:NextContinuationToken")) == "x y+"
    req = request("versions", key_marker="k k", encoding_type="url")
    root = parse(list_versions_document(req, "bkt", Page([Entry("k l")], [], True, "k l"), OWNER))
    assert texts(root, "s3:*")[2:5] == ["k%20k", "", "k%20l"]
    assert text(root, "s3:Version/s3:Key") == "k%20l"


@pytest.fixture(scope="module")
def s3_model():
    return botocore.session.get_session().get_service_model("s3")


def botocore_parse(model, operation, doc, decode):
    """Parse ``doc`` as boto3 does when it set EncodingType=url itself."""
    response = {"body": doc, "headers": {}, "status_code": 200}
    parsed = create_parser("rest-xml").parse(response, model.operation_model(operation).output_shape)
    decode(parsed, context={"encoding_type_auto_set": True})
    return parsed


def test_boto3_round_trip(s3_model):
    """boto3 reads back every hostile key, prefix and marker exactly."""
    keys = sorted(HOSTILE)
    seek = MemorySeek(keys)
    for kind, operation, decode, render, items in [
        ("v1", "ListObjects", handlers.decode_list_object, list_objects_v1_document, "Contents"),
        ("v2", "ListObjectsV2", handlers.decode_list_object_v2, list_objects_v2_document, "Contents"),
        ("versions", "ListObjectVersions", handlers.decode_list_object_versions,
         list_versions_document, "Versions"),
    ]:
        req = request(kind, delimiter="/", encoding_type="url", max_keys="3")
        page = paginate(seek, req.prefix, req.delimiter, req.after, req.max_keys)
        parsed = botocore_parse(s3_model, operation, render(req, "bkt", page, OWNER), decode)
        shown = [c["Key"] for c in parsed.get(items, [])] + [
            p["Prefix"] for p in parsed.get("CommonPrefixes", [])]
        assert shown == [e.key for e in page.contents] + page.common_prefixes
        assert parsed["Delimiter"] == "/" and parsed["IsTruncated"] is True
    flat = paginate(seek, "", None, "", 1000)
    parsed = botocore_parse(s3_model, "ListObjectsV2", list_objects_v2_document(
        request("v2", encoding_type="url"), "bkt", flat, OWNER), handlers.decode_list_object_v2)
    assert [c["Key"] for c in parsed["Contents"]] == keys
