"""The ``Range`` request header of GetObject / HeadObject, parsed the way Amazon S3 does.

S3 serves at most one byte range.  A header it cannot read, or one asking for
several ranges, is ignored and the whole object is sent with 200.  A readable
range that starts at or past the end of the object is refused with 416
``InvalidRange``; one that only runs past the end is cut short.
"""

import re

from ramod.protocol.errors import InvalidRange

# Optional whitespace around the numbers is tolerated; anything else is not a range.
_SINGLE = re.compile(r"bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Turn a ``Range`` header into the inclusive byte positions to send.

    :param header: the raw header value, or None when the request had none.
    :param size: the object size in bytes.
    :return: ``(first, last)`` inclusive, to send with 206; or None to send the
        whole object with 200 (no header, a syntactically invalid one, or a
        multi-range one).
    :raises InvalidRange: the range is well formed but not satisfiable: it starts
        at or past the end, it is the empty suffix ``bytes=-0``, or the object is
        empty.
    """
    if header is None:
        return None
    m = _SINGLE.fullmatch(header.strip())
    if m is None:
        return None  # unreadable or several ranges: S3 ignores the header
    start, end = m.groups()
    if start:
        first = int(start)
        if end and int(end) < first:
            return None  # "bytes=5-3" is invalid syntax (RFC 7233), hence ignored
        if first >= size:
            raise _unsatisfiable(header, size)
        return first, min(int(end), size - 1) if end else size - 1
    if not end:
        return None  # "bytes=-"
    suffix = int(end)
    if suffix == 0 or size == 0:
        raise _unsatisfiable(header, size)
    # A suffix longer than the object means the whole object, still as a 206.
    return max(size - suffix, 0), size - 1


def content_range(first: int, last: int, size: int) -> str:
    """Format the ``Content-Range`` header of a 206 reply, e.g. ``bytes 4-10/11``."""
    return "bytes %d-%d/%d" % (first, last, size)


def _unsatisfiable(header: str, size: int) -> InvalidRange:
    return InvalidRange(
        "The requested range %r cannot be satisfied: the object is %d bytes long."
        % (header, size),
        ActualObjectSize=str(size), RangeRequested=header)
