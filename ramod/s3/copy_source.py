"""CopyObject and UploadPartCopy: the copy source, its range and conditions, directives
and the result documents.

Pure functions over request headers; the handlers fetch the source object and do
the copying.  Codes and messages are Amazon S3's, as recorded against it:

- ``x-amz-copy-source``: LocalStack's AWS-validated snapshot of
  ``test_s3_copy_object_wrong_format`` (no key: ``InvalidArgument`` "Invalid copy
  source object key"), versitygw's integration tests run against S3 (bad
  percent-encoding: "Invalid copy source encoding"; no or a malformed bucket: "Invalid
  copy source bucket name") and a capture of S3's answers to ``?versionId=`` (empty:
  "Version id cannot be the empty string"; not a version: ``InvalidRequest`` "Invalid
  Request" on CopyObject, ``InvalidArgument`` "Invalid version id specified" on
  UploadPartCopy).  Every one names ``ArgumentName`` ``x-amz-copy-source``.
- ``x-amz-copy-source-range``: LocalStack's AWS-validated ``test_upload_part_copy_range``.
- the ``x-amz-copy-source-if-*`` conditions: LocalStack's AWS-validated
  ``test_s3_copy_object_preconditions``.
- copying an object onto itself: LocalStack's AWS-validated
  ``test_s3_copy_object_in_place*`` tests.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote_to_bytes

from ramod.protocol import xml
from ramod.protocol.conditions import etag_matches
from ramod.protocol.dates import parse_http_date
from ramod.protocol import errors
from ramod.protocol.checksums import ALGORITHMS

__all__ = [
    "CopySource", "check_copy_conditions", "check_copy_onto_itself", "copy_object_result",
    "copy_part_result", "metadata_directive", "parse_copy_range", "parse_copy_source",
    "tagging_directive",
]

HEADER = "x-amz-copy-source"
RANGE_HEADER = "x-amz-copy-source-range"
DIRECTIVES = ("COPY", "REPLACE")

# A bucket any S3 could hold: today's naming rules, plus the upper case and
# underscores of legacy us-east-1 names.  Names Ramo cannot hold get NoSuchBucket later.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
_RANGE_MESSAGE = ("The x-amz-copy-source-range value must be of the form bytes=first-last where "
                  "first and last are the zero-based offsets of the first and last bytes to copy")
#: headers whose presence makes copying an object onto itself legal, besides
#: x-amz-metadata-directive: REPLACE (S3: "without changing the object's metadata,
#: storage class, website redirect location or encryption attributes")
_CHANGES_IN_PLACE = ("x-amz-storage-class", "x-amz-website-redirect-location",
                     "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                     "x-amz-server-side-encryption-customer-algorithm")
_PRECONDITION_MESSAGE = "At least one of the pre-conditions you specified did not hold"


@dataclass(frozen=True)
class CopySource:
    """The object ``x-amz-copy-source`` names."""

    bucket: str
    key: str


# -- x-amz-copy-source ---------------------------------------------------------

def parse_copy_source(value: str, *, part_copy: bool = False) -> CopySource:
    """Read ``x-amz-copy-source``: ``bucket/key`` or ``/bucket/key``, percent-encoded
    UTF-8, optionally followed by ``?versionId=...``.

    Only ``versionId=null`` (the version every object here has) is accepted; other
    query parameters are ignored.  A ``+`` is a plus sign, not a space: SDKs encode
    the key as a path.

    :param part_copy: True for UploadPartCopy, which words a bad version id
        differently from CopyObject.
    :raises InvalidArgument: the source cannot be decoded, names no valid bucket or
        no key, or has an empty version id (or, for UploadPartCopy, another one).
    :raises InvalidRequest: CopyObject with a version id other than ``null``.
    :raises NotImplemented: the source is an access point or Outposts ARN.
    """
    path, _, query = (value[1:] if value.startswith("/") else value).partition("?")
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise _source_error("Invalid copy source encoding", value) from None
    if decoded.startswith("arn:"):
        raise errors.NotImplemented(
            "Copying from an access point or Outposts ARN is not supported; "
            "name the source as bucket/key.")
    bucket, slash, key = decoded.partition("/")
    if not slash and bucket:
        raise _source_error("Invalid copy source object key", HEADER)
    if not _BUCKET.fullmatch(bucket) or _IPV4.fullmatch(bucket):
        raise _source_error("Invalid copy source bucket name", value)
    if not key:
        raise _source_error("Invalid copy source object key", HEADER)
    for name, version in parse_qsl(query, keep_blank_values=True):
        if name != "versionId" or version == "null":
            continue
        if not version:
            raise _source_error("Version id cannot be the empty string", "")
        if part_copy:
            raise _source_error("Invalid version id specified", version)
        raise errors.InvalidRequest("Invalid Request")
    return CopySource(bucket, key)


def _source_error(message: str, argument: str) -> errors.S3Error:
    return errors.InvalidArgument(message, ArgumentName=HEADER, ArgumentValue=argument)


# -- x-amz-copy-source-range ---------------------------------------------------

def parse_copy_range(value: str | None, size: int) -> tuple[int, int] | None:
    """Read UploadPartCopy's ``x-amz-copy-source-range``: ``bytes=first-last``, inclusive.

    Unlike ``Range`` on GET, both ends are required and nothing is clipped to the
    object.

    :param size: the source object's size in bytes.
    :return: ``(first, last)``, or None when there is no header (copy the whole object).
    :raises InvalidArgument: not of the form ``bytes=first-last`` with first <= last,
        or the range ends past the object ("Range specified is not valid for source
        object of size: N").
    :raises InvalidRequest: the range starts past the object's last byte.
    """
    if value is None:
        return None
    m = _RANGE.fullmatch(value)
    if m is None or int(m.group(1)) > int(m.group(2)):
        raise errors.InvalidArgument(_RANGE_MESSAGE, ArgumentName=RANGE_HEADER, ArgumentValue=value)
    first, last = int(m.group(1)), int(m.group(2))
    if first >= size or last >= size:
        # s3-tests and versitygw (checked against AWS) expect 416 InvalidRange here
        raise errors.InvalidRange(f"Range specified is not valid for source object of size: {size}",
                                  ActualObjectSize=str(size), RangeRequested=value)
    return first, last


# -- x-amz-copy-source-if-* ----------------------------------------------------

def check_copy_conditions(headers: dict, etag: str, last_modified: datetime, *,
                          now: datetime | None = None) -> None:
    """Evaluate the ``x-amz-copy-source-if-*`` headers against the source object.

    S3's precedence (CopyObject reference): ``if-match`` true makes
    ``if-unmodified-since`` irrelevant; ``if-none-match`` present makes
    ``if-modified-since`` irrelevant; so ``if-none-match`` false with
    ``if-modified-since`` true fails.  Headers are checked in the order if-match,
    if-unmodified-since, if-none-match, if-modified-since, and the first to fail is the
    ``Condition`` reported.  Every failure is 412, never 304.  An ``if-modified-since``
    in the future is ignored, as S3 ignores it; so are dates that do not parse.

    :param headers: request headers with lower-case names.
    :param etag: the source's ETag, quoted or not.
    :param last_modified: the source's modification time (compared in whole seconds).
    :param now: the current time, for tests.
    :raises PreconditionFailed: with ``Condition`` naming the header as S3 does,
        e.g. ``x-amz-copy-source-If-Match``.
    """
    modified = _whole_seconds(last_modified)
    if_match = headers.get("x-amz-copy-source-if-match")
    if_none_match = headers.get("x-amz-copy-source-if-none-match")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise _failed("If-Match")
    else:
        since = parse_http_date(headers.get("x-amz-copy-source-if-unmodified-since"))
        if since is not None and modified > since:
            raise _failed("If-Unmodified-Since")
    if if_none_match is not None:
        if etag_matches(if_none_match, etag):
            raise _failed("If-None-Match")
    else:
        since = parse_http_date(headers.get("x-amz-copy-source-if-modified-since"))
        now = now or datetime.now(timezone.utc)
        if since is not None and since <= now and modified <= since:
            raise _failed("If-Modified-Since")


def _whole_seconds(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def _failed(condition: str) -> errors.S3Error:
    return errors.PreconditionFailed(_PRECONDITION_MESSAGE,
                                     Condition="x-amz-copy-source-" + condition)


# -- directives ----------------------------------------------------------------

def metadata_directive(headers: dict) -> str:
    """``x-amz-metadata-directive``: ``COPY`` (the default) or ``REPLACE``.

    :raises InvalidArgument: any other value ("Unknown metadata directive.").
    """
    return _directive(headers, "x-amz-metadata-directive", "Unknown metadata directive.")


def tagging_directive(headers: dict) -> str:
    """``x-amz-tagging-directive``: ``COPY`` (the default) or ``REPLACE``.

    :raises InvalidArgument: any other value ("Unknown tag directive.").
    """
    return _directive(headers, "x-amz-tagging-directive", "Unknown tag directive.")


def _directive(headers: dict, name: str, message: str) -> str:
    value = headers.get(name)
    if value is None:
        return "COPY"
    if value not in DIRECTIVES:
        raise errors.InvalidArgument(message, ArgumentName=name, ArgumentValue=value)
    return value


def check_copy_onto_itself(source: CopySource, dest_bucket: str, dest_key: str,
                           headers: dict) -> None:
    """Refuse a CopyObject of an object onto itself that changes nothing.

    S3 allows it only with ``x-amz-metadata-directive: REPLACE``, or when the request
    sets a storage class, a website redirect location or encryption, even to the
    values the object already has.  A new ACL or ``x-amz-tagging-directive: REPLACE``
    alone does not count.

    :raises InvalidArgument: the metadata directive is not COPY or REPLACE.
    :raises InvalidRequest: the copy is onto itself and changes nothing.
    """
    directive = metadata_directive(headers)
    if (source.bucket, source.key) != (dest_bucket, dest_key):
        return
    if directive == "REPLACE" or any(name in headers for name in _CHANGES_IN_PLACE):
        return
    raise errors.InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself "
        "without changing the object's metadata, storage class, website redirect location "
        "or encryption attributes.")


# -- result documents ----------------------------------------------------------

def copy_object_result(etag: str, last_modified: datetime, checksums: dict | None = None,
                       checksum_type: str = "FULL_OBJECT") -> bytes:
    """The ``CopyObjectResult`` reply of CopyObject.

    :param etag: the new object's ETag, quoted.
    :param checksums: algorithm -> base64 value of the new object's checksums,
        written as ``Checksum<ALGORITHM>`` elements followed by ``ChecksumType``.
    """
    spec = [("LastModified", last_modified), ("ETag", etag)] + _checksum_elements(checksums)
    if checksums:
        spec.append(("ChecksumType", checksum_type))
    return xml.build("CopyObjectResult", spec)


def copy_part_result(etag: str, last_modified: datetime, checksums: dict | None = None) -> bytes:
    """The ``CopyPartResult`` reply of UploadPartCopy (the part's checksums, no type)."""
    spec = [("LastModified", last_modified), ("ETag", etag)] + _checksum_elements(checksums)
    return xml.build("CopyPartResult", spec)


def _checksum_elements(values: dict | None) -> list:
    values = values or {}
    return [("Checksum" + algorithm, values[algorithm])
            for algorithm in ALGORITHMS if algorithm in values]
