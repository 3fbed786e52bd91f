"""Tests for ramod.protocol.ranges: Range parsing as Amazon S3 does it."""

import pytest

from ramod.protocol.ranges import content_range, parse_range
from ramod.protocol.errors import InvalidRange

# (header, object size, expected (first, last) or None for a 200 with the whole object)
SATISFIABLE = [
    (None, 11, None),
    # ceph/s3-tests: test_ranged_request_response_code and friends, "testcontent"
    ("bytes=4-7", 11, (4, 7)),
    ("bytes=4-", 11, (4, 10)),
    ("bytes=-7", 11, (4, 10)),
    # test_ranged_big_request_response_code: 8 MiB object
    ("bytes=3145728-5242880", 8 * 1024 * 1024, (3145728, 5242880)),
    ("bytes=0-0", 11, (0, 0)),
    ("bytes=10-10", 11, (10, 10)),
    ("bytes=0-", 11, (0, 10)),
    ("bytes=4-100", 11, (4, 10)),  # end past the object is clamped
    ("bytes=-11", 11, (0, 10)),
    ("bytes=-100", 11, (0, 10)),  # suffix longer than the object: whole object, as 206
    ("bytes=-1", 1, (0, 0)),
    ("BYTES=1-2", 11, (1, 2)),
    ("bytes = 1 - 2 ", 11, (1, 2)),
    # ignored: syntactically invalid or several ranges -> 200 with the whole object
    ("", 11, None),
    ("bytes=", 11, None),
    ("bytes=-", 11, None),
    ("bytes=7-4", 11, None),
    ("bytes=a-b", 11, None),
    ("bytes=1-2-3", 11, None),
    ("bytes=--1", 11, None),
    ("bytes 1-2", 11, None),
    ("items=1-2", 11, None),
    ("bytes=0-1,3-4", 11, None),
    ("bytes=0-1,", 11, None),
    ("bytes=1.5-2", 11, None),
    ("bytes=40-30", 11, None),
]

UNSATISFIABLE = [
    ("bytes=40-50", 11),  # test_ranged_request_invalid_range
    ("bytes=40-50", 0),  # test_ranged_request_empty_object
    ("bytes=11-", 11),
    ("bytes=11-20", 11),
    ("bytes=0-", 0),
    ("bytes=0-0", 0),
    ("bytes=-5", 0),
    ("bytes=-0", 11),
]


@pytest.mark.parametrize("header, size, expected", SATISFIABLE)
def test_parse_range(header, size, expected):
    """A Range header gives the inclusive bytes to send, or None for the whole object."""
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header, size", UNSATISFIABLE)
def test_parse_range_unsatisfiable(header, size):
    """A well-formed range starting at or past the end is InvalidRange (416) with details."""
    with pytest.raises(InvalidRange) as info:
        parse_range(header, size)
    assert info.value.status == 416
    assert info.value.extra == {"ActualObjectSize": str(size), "RangeRequested": header}
    assert str(size) in info.value.message


@pytest.mark.parametrize("first, last, size, expected", [
    (4, 10, 11, "bytes 4-10/11"),
    (0, 0, 1, "bytes 0-0/1"),
    (3145728, 5242880, 8388608, "bytes 3145728-5242880/8388608"),
])
def test_content_range(first, last, size, expected):
    """content_range formats the 206 Content-Range header."""
    assert content_range(first, last, size) == expected
