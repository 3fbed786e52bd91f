"""Conditional requests: ``If-Match``, ``If-None-Match``, ``If-Modified-Since``, ``If-Unmodified-Since``.

The order is RFC 7232 section 6, which gives S3's documented precedence:

1. ``If-Match`` false -> 412.  When ``If-Match`` is present (and true),
   ``If-Unmodified-Since`` is not looked at: S3 proceeds when If-Match is true
   and If-Unmodified-Since is false.
2. Otherwise ``If-Unmodified-Since`` false -> 412.
3. ``If-None-Match`` false -> 304 on GET/HEAD, 412 otherwise.  When
   ``If-None-Match`` is present, ``If-Modified-Since`` is not looked at: S3
   answers 304 when If-None-Match is false and If-Modified-Since is true.
4. Otherwise ``If-Modified-Since`` false -> 304 (GET/HEAD only).

CopyObject and UploadPartCopy evaluate the same four headers with the
``x-amz-copy-source-`` prefix against the source object; there every failure
is 412.  Unparseable dates are ignored, as HTTP requires.
"""

from collections.abc import Mapping
from datetime import datetime, timezone

from ramod.protocol.dates import parse_http_date
from ramod.protocol.errors import NotModified, PreconditionFailed

COPY_SOURCE_PREFIX = "x-amz-copy-source-"


def check_conditions(headers: Mapping[str, str], etag: str, last_modified: datetime,
                     *, prefix: str = "", method: str = "GET") -> None:
    """Raise when the request's preconditions do not hold for this object.

    :param headers: request headers with lower-case names.
    :param etag: the object's ETag, quoted or not.
    :param last_modified: the object's modification time (compared in whole seconds).
    :param prefix: ``""`` for the plain headers, :data:`COPY_SOURCE_PREFIX` for
        the copy-source variants of CopyObject / UploadPartCopy.
    :param method: the HTTP method; a failed If-None-Match / If-Modified-Since
        is 304 only for GET and HEAD (and never for copy sources), 412 otherwise.
    :raises PreconditionFailed: If-Match or If-Unmodified-Since failed (or, for
        writes and copy sources, If-None-Match or If-Modified-Since).
    :raises NotModified: GET/HEAD with a failed If-None-Match or If-Modified-Since.
    """
    if_match = headers.get(prefix + "if-match")
    if_none_match = headers.get(prefix + "if-none-match")
    modified = _whole_seconds(last_modified)

    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise _failed(prefix + "If-Match")
    else:
        since = parse_http_date(headers.get(prefix + "if-unmodified-since"))
        if since is not None and modified > since:
            raise _failed(prefix + "If-Unmodified-Since")

    read = method.upper() in ("GET", "HEAD") and not prefix
    if if_none_match is not None:
        if etag_matches(if_none_match, etag):
            raise NotModified() if read else _failed(prefix + "If-None-Match")
    else:
        since = parse_http_date(headers.get(prefix + "if-modified-since"))
        if since is not None and modified <= since:
            raise NotModified() if read else _failed(prefix + "If-Modified-Since")


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match value names ``etag``.

    ``*`` matches any existing object; otherwise the value is a comma-separated
    list whose entries may be quoted or not, and may carry a weak ``W/`` prefix.
    """
    wanted = _normalize(etag)
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or (candidate and _normalize(candidate) == wanted):
            return True
    return False


def _normalize(etag: str) -> str:
    etag = etag.strip()
    if etag[:2] in ("W/", "w/"):
        etag = etag[2:]
    return etag.strip('"')


def _whole_seconds(dt: datetime) -> datetime:
    # HTTP dates have one-second resolution; an object written at 12:00:00.7 was
    # not modified since "12:00:00 GMT".
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def _failed(header: str) -> PreconditionFailed:
    name = "-".join(part.capitalize() for part in header.split("-"))
    return PreconditionFailed(
        "At least one of the preconditions you specified did not hold (%s)." % name,
        Condition=name)
