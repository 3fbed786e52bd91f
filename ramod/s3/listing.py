"""Object listings, the pure half: ListObjects (V1), ListObjectsV2 and ListObjectVersions.

This module parses the listing parameters (:func:`parse_list_request`), pages
through a bucket's keys with a ``seek`` callable supplied by the metadata
store (:func:`paginate`) and renders the three response documents.  It does no
I/O itself; buckets are unversioned, so every object is its own ``null`` version.

Paging reads O(page size) rows and makes O(page size) seeks whatever the bucket
holds: keys that roll up into a common prefix are skipped by seeking past the
whole group (:func:`successor`) instead of reading them.
"""

import base64
import binascii
import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from ramod.protocol import xml
from ramod.metadata.records import successor
from ramod.protocol import errors

__all__ = [
    "DEFAULT_MAX_KEYS", "ListRequest", "Page", "Seek", "decode_token", "encode_token",
    "list_objects_v1_document", "list_objects_v2_document", "list_versions_document",
    "paginate", "parse_list_request", "successor", "url_encode",
]

DEFAULT_MAX_KEYS = 1000
#: the most rows asked of one seek
MAX_BATCH = 1000
#: rows asked of the seek that follows a common prefix; doubled while none turns up
SMALL_BATCH = 8

#: ``seek(lower, inclusive, upper, limit)``: at most ``limit`` entries whose ``.key``
#: is above ``lower`` (or equal, when ``inclusive``) and below ``upper`` (None: no
#: bound), in key order
Seek = Callable[[str, bool, str | None, int], list]

_KINDS = ("v1", "v2", "versions")


# -- parameters ----------------------------------------------------------------

@dataclass(frozen=True)
class ListRequest:
    """The parameters of one listing request, checked."""

    kind: str
    prefix: str
    delimiter: str | None
    max_keys: int
    url_encoded: bool
    #: exclusive lower bound of the keys to list; "" for none
    after: str
    # raw values, echoed in the response (None when absent)
    marker: str | None = None
    start_after: str | None = None
    continuation_token: str | None = None
    fetch_owner: bool = False
    key_marker: str | None = None
    version_id_marker: str | None = None


def parse_list_request(kind: str, query: dict[str, str]) -> ListRequest:
    """Read a listing's query parameters.

    :param kind: ``"v1"``, ``"v2"`` or ``"versions"``.
    :param query: decoded query parameter names and values.
    :raises errors.InvalidArgument: a malformed ``max-keys``, ``encoding-type``,
        ``continuation-token`` or ``version-id-marker``.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown listing kind {kind!r}")
    common = dict(kind=kind, prefix=query.get("prefix") or "",
                  delimiter=query.get("delimiter") or None,
                  max_keys=_max_keys(query.get("max-keys")),
                  url_encoded=_encoding_type(query.get("encoding-type")))
    if kind == "v1":
        marker = query.get("marker")
        return ListRequest(after=marker or "", marker=marker, **common)
    if kind == "v2":
        # an empty token is echoed back (as S3 does) but starts from the beginning
        token, start_after = query.get("continuation-token"), query.get("start-after")
        after = decode_token(token) if token else start_after or ""
        return ListRequest(after=after, start_after=start_after, continuation_token=token,
                           fetch_owner=(query.get("fetch-owner") or "").lower() == "true", **common)
    key_marker = query.get("key-marker")
    version_id_marker = _version_id_marker(key_marker, query.get("version-id-marker"))
    return ListRequest(after=key_marker or "", key_marker=key_marker,
                       version_id_marker=version_id_marker, **common)


def _max_keys(value: str | None) -> int:
    if value is None:
        return DEFAULT_MAX_KEYS
    if not (value.isascii() and value.isdigit()):
        raise errors.InvalidArgument("Provided max-keys not an integer or within integer range",
                                     ArgumentName="max-keys", ArgumentValue=value)
    return min(int(value), DEFAULT_MAX_KEYS)


def _encoding_type(value: str | None) -> bool:
    if value is not None and value != "url":
        raise errors.InvalidArgument("Invalid Encoding Method specified in Request",
                                     ArgumentName="encoding-type", ArgumentValue=value)
    return value == "url"


def _version_id_marker(key_marker: str | None, value: str | None) -> str | None:
    if not value:
        return None
    if not key_marker:
        raise errors.InvalidArgument("A version-id marker cannot be specified without a key marker.",
                                     ArgumentName="version-id-marker", ArgumentValue=value)
    if value != "null":  # an unversioned bucket holds null versions only
        raise errors.InvalidArgument("Invalid version id specified",
                                     ArgumentName="version-id-marker", ArgumentValue=value)
    return value


def encode_token(start: str) -> str:
    """The V2 continuation token for a page starting after ``start`` (a key or common
    prefix): URL-safe base64 of its UTF-8, without padding."""
    return base64.urlsafe_b64encode(start.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(token: str) -> str:
    """The start point inside a token made by :func:`encode_token`.

    :raises errors.InvalidArgument: ``token`` is not one of ours.
    """
    try:
        start = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        start = None
    # b64decode skips stray characters: accept only the canonical spelling
    if start is None or encode_token(start) != token.rstrip("="):
        raise errors.InvalidArgument("The continuation token provided is incorrect",
                                     ArgumentName="continuation-token", ArgumentValue=token)
    return start


# -- paging --------------------------------------------------------------------

@dataclass
class Page:
    """One page of a listing."""

    contents: list
    common_prefixes: list
    truncated: bool = False
    #: when truncated: the last key or common prefix on the page
    next_marker: str | None = None


def paginate(seek: Seek, prefix: str, delimiter: str | None, after: str, max_keys: int) -> Page:
    """List one page: keys under ``prefix`` after ``after``, rolled up at ``delimiter``.

    :param seek: reads the bucket's entries (see :data:`Seek`).
    :param after: exclusive lower bound ("" for the start); a common prefix at or
        before it is not repeated.
    :param max_keys: the most keys plus common prefixes on the page.
    """
    page = Page([], [])
    if max_keys <= 0:
        return page
    last = None
    for n, item in enumerate(_scan(seek, prefix, delimiter or None, after, max_keys + 1)):
        if n == max_keys:  # the one extra item proves there is a next page
            page.truncated, page.next_marker = True, last
            break
        if isinstance(item, str):
            page.common_prefixes.append(item)
            last = item
        else:
            page.contents.append(item)
            last = item.key
    return page


def _scan(seek: Seek, prefix: str, delimiter: str | None, after: str,
          budget: int) -> Iterator:
    """Yield up to ``budget`` entries and common prefixes (str) above ``after``, in order.

    Rows are read in batches; a common prefix sends the scan past its whole group,
    within the batch when it ends there, else with a new seek.  Batches start small
    after a group (groups are often close together) and double while none appears.
    """
    lower, inclusive = _start(prefix, delimiter, after)
    if lower is None:
        return
    upper = successor(prefix)
    batch = SMALL_BATCH if delimiter else MAX_BATCH
    while budget > 0:
        limit = min(budget, batch)
        rows = seek(lower, inclusive, upper, limit)
        i, grouped = 0, False
        while i < len(rows) and budget > 0:
            group = common_prefix(rows[i].key, prefix, delimiter)
            if group is None:
                yield rows[i]
                budget -= 1
                lower, inclusive, i = rows[i].key, False, i + 1
                continue
            grouped = True
            if group > after:  # else an earlier page ended inside or at this group
                yield group
                budget -= 1
            lower, inclusive = successor(group), True
            if lower is None:
                return
            i = bisect.bisect_left(rows, lower, lo=i + 1, key=_key)
        if len(rows) < limit:
            return
        batch = SMALL_BATCH if grouped else min(2 * batch, MAX_BATCH)


def _start(prefix: str, delimiter: str | None, after: str) -> tuple[str | None, bool]:
    """Where a scan starts: ``(lower, inclusive)``; lower is None when nothing can follow."""
    if after < prefix:
        return prefix, True
    group = common_prefix(after, prefix, delimiter) if after.startswith(prefix) else None
    if group is not None:  # the rest of after's own group was listed with it
        return successor(group), True
    return after, False


def common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix ``key`` rolls up into, or None."""
    if not delimiter:
        return None
    i = key.find(delimiter, len(prefix))
    return None if i < 0 else key[:i + len(delimiter)]


def _key(entry) -> str:
    return entry.key


# -- documents -----------------------------------------------------------------

# encoding-type=url: S3 percent-encodes the UTF-8 bytes of every character except the
# RFC 3986 unreserved ones (A-Z a-z 0-9 - . _ ~) and "/".  ceph s3-tests
# (test_bucket_list_encoding_basic) expects "quux ab/" -> "quux%20ab/", "foo+1/" -> "foo%2B1/"
# and Delimiter "/" as is; the AWS SDK docs give "test_file(3).png" -> "test_file%283%29.png".
# (Some reports say S3 writes a space as "+"; both decode the same in botocore.)  botocore
# decodes with compat.unquote_str, which is urllib's unquote_plus, so a literal "+" must never
# be sent: with "+" as %2B and space as %20, unquote_plus and plain unquote (other SDKs) both
# give back any key, "%", control and astral characters included.  Tokens stay verbatim.
def url_encode(text: str) -> str:
    """``text`` as S3 writes it under ``encoding-type=url``."""
    return quote(text, safe="/")


def _enc(req: ListRequest, text: str | None) -> str | None:
    return url_encode(text) if req.url_encoded and text is not None else text


def _owner(owner: tuple[str, str]) -> list:
    return [("ID", owner[0]), ("DisplayName", owner[1])]


def _entry_spec(req: ListRequest, entry, owner: tuple[str, str] | None, version: bool = False) -> list:
    """The children of a ``Contents`` or ``Version`` element."""
    spec = [("Key", _enc(req, entry.key))]
    if version:
        spec += [("VersionId", "null"), ("IsLatest", True)]
    spec += [("LastModified", entry.last_modified), ("ETag", entry.etag)]
    spec += [("ChecksumAlgorithm", algorithm) for algorithm in (entry.checksums or {})]
    spec += [("Size", entry.size), ("StorageClass", entry.storage_class)]
    return spec + [("Owner", None if owner is None else _owner(owner))]


def _prefixes(req: ListRequest, page: Page) -> list:
    return [("CommonPrefixes", [("Prefix", _enc(req, p))]) for p in page.common_prefixes]


def _head(req: ListRequest) -> list:
    """MaxKeys, Delimiter and EncodingType, common to the three documents."""
    return [("MaxKeys", req.max_keys), ("Delimiter", _enc(req, req.delimiter)),
            ("EncodingType", "url" if req.url_encoded else None)]


def list_objects_v1_document(req: ListRequest, bucket_name: str, page: Page,
                             owner: tuple[str, str]) -> bytes:
    """The ``ListBucketResult`` of ListObjects (V1).

    :param owner: ``(id, display_name)`` of the objects' owner.
    """
    # S3 sends NextMarker only with a delimiter; clients otherwise use the last Key
    next_marker = page.next_marker if page.truncated and req.delimiter else None
    # V1's Prefix is echoed as sent, even with encoding-type=url (botocore does not decode
    # it, and s3-tests expects a prefix of "\n" back verbatim)
    return xml.build("ListBucketResult", [
        ("Name", bucket_name), ("Prefix", req.prefix),
        ("Marker", _enc(req, req.marker or "")), ("NextMarker", _enc(req, next_marker)),
        *_head(req), ("IsTruncated", page.truncated),
        *[("Contents", _entry_spec(req, e, owner)) for e in page.contents],
        *_prefixes(req, page),
    ])


def list_objects_v2_document(req: ListRequest, bucket_name: str, page: Page,
                             owner: tuple[str, str]) -> bytes:
    """The ``ListBucketResult`` of ListObjectsV2; Owner only with ``fetch-owner=true``."""
    shown_owner = owner if req.fetch_owner else None
    next_token = encode_token(page.next_marker) if page.truncated else None
    return xml.build("ListBucketResult", [
        ("Name", bucket_name), ("Prefix", _enc(req, req.prefix)), *_head(req),
        ("KeyCount", len(page.contents) + len(page.common_prefixes)),
        ("ContinuationToken", req.continuation_token), ("NextContinuationToken", next_token),
        ("StartAfter", _enc(req, req.start_after)), ("IsTruncated", page.truncated),
        *[("Contents", _entry_spec(req, e, shown_owner)) for e in page.contents],
        *_prefixes(req, page),
    ])


def list_versions_document(req: ListRequest, bucket_name: str, page: Page,
                           owner: tuple[str, str]) -> bytes:
    """The ``ListVersionsResult`` of ListObjectVersions: one null version per key."""
    truncated = page.truncated
    return xml.build("ListVersionsResult", [
        ("Name", bucket_name), ("Prefix", _enc(req, req.prefix)),
        ("KeyMarker", _enc(req, req.key_marker or "")),
        ("VersionIdMarker", req.version_id_marker or ""),
        ("NextKeyMarker", _enc(req, page.next_marker) if truncated else None),
        ("NextVersionIdMarker", "null" if truncated else None),
        *_head(req), ("IsTruncated", truncated),
        *[("Version", _entry_spec(req, e, owner, version=True)) for e in page.contents],
        *_prefixes(req, page),
    ])
