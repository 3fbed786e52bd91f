"""Tests for ramod.protocol.conditions: conditional request precedence as S3 applies it."""

from datetime import datetime, timezone

import pytest

from ramod.protocol.conditions import COPY_SOURCE_PREFIX, check_conditions, etag_matches
from ramod.protocol.errors import NotModified, PreconditionFailed

ETAG = '"9bb58f26192e4ba00f01e2e7b136bbd8"'
OTHER = '"0123456789abcdef0123456789abcdef"'
# Stored with a fraction of a second: HTTP dates compare at whole seconds.
MODIFIED = datetime(2020, 1, 1, 12, 0, 0, 700000, tzinfo=timezone.utc)
BEFORE = "Wed, 01 Jan 2020 11:00:00 GMT"
SAME = "Wed, 01 Jan 2020 12:00:00 GMT"
AFTER = "Wed, 01 Jan 2020 13:00:00 GMT"
BAD_DATE = "not a date"

OK, NM, PF = "proceed", 304, 412

# (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) -> outcome on GET
TABLE = [
    # single headers
    ((None, None, None, None), OK),
    ((ETAG, None, None, None), OK),
    ((OTHER, None, None, None), PF),
    (("*", None, None, None), OK),
    ((None, ETAG, None, None), NM),
    ((None, OTHER, None, None), OK),
    ((None, "*", None, None), NM),
    ((None, None, BEFORE, None), OK),
    ((None, None, SAME, None), NM),
    ((None, None, AFTER, None), NM),
    ((None, None, BAD_DATE, None), OK),
    ((None, None, None, BEFORE), PF),
    ((None, None, None, SAME), OK),
    ((None, None, None, AFTER), OK),
    ((None, None, None, BAD_DATE), OK),
    # If-Match with If-Unmodified-Since: If-Match decides alone
    ((ETAG, None, None, BEFORE), OK),  # S3: If-Match true, If-Unmodified-Since false -> 200
    ((ETAG, None, None, AFTER), OK),
    ((OTHER, None, None, AFTER), PF),
    ((OTHER, None, None, BEFORE), PF),
    # If-None-Match with If-Modified-Since: If-None-Match decides alone
    ((None, ETAG, BEFORE, None), NM),  # S3: If-None-Match false, If-Modified-Since true -> 304
    ((None, ETAG, AFTER, None), NM),
    ((None, OTHER, AFTER, None), OK),
    ((None, OTHER, BEFORE, None), OK),
    # the first group (412) is evaluated before the second (304)
    ((OTHER, ETAG, None, None), PF),
    ((OTHER, None, AFTER, None), PF),
    ((None, ETAG, None, BEFORE), PF),
    ((None, None, AFTER, BEFORE), PF),
    ((ETAG, ETAG, None, None), NM),
    ((ETAG, None, AFTER, None), NM),
    ((None, OTHER, None, AFTER), OK),
    ((ETAG, OTHER, BEFORE, AFTER), OK),
    ((ETAG, OTHER, AFTER, BEFORE), OK),
    ((ETAG, ETAG, BEFORE, BEFORE), NM),
]


def headers_for(if_match, if_none_match, if_modified_since, if_unmodified_since, prefix=""):
    names = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
    values = (if_match, if_none_match, if_modified_since, if_unmodified_since)
    return {prefix + name: value for name, value in zip(names, values) if value is not None}


def outcome(headers, **kwargs):
    try:
        check_conditions(headers, ETAG, MODIFIED, **kwargs)
    except NotModified as exc:
        assert exc.status == 304
        return NM
    except PreconditionFailed as exc:
        assert exc.status == 412
        return PF
    return OK


@pytest.mark.parametrize("conditions, expected", TABLE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_read_precedence(conditions, expected, method):
    """GET and HEAD follow RFC 7232 order with S3's two documented precedence rules."""
    assert outcome(headers_for(*conditions), method=method) == expected


@pytest.mark.parametrize("conditions, expected", TABLE)
def test_copy_source_precedence(conditions, expected):
    """The x-amz-copy-source- variants follow the same order, but every failure is 412."""
    headers = headers_for(*conditions, prefix=COPY_SOURCE_PREFIX)
    assert outcome(headers, prefix=COPY_SOURCE_PREFIX) == (PF if expected == NM else expected)


@pytest.mark.parametrize("conditions, expected", TABLE)
def test_copy_source_ignores_plain_headers(conditions, expected):
    """With the copy-source prefix, plain If-* headers (meant for the destination) are not read."""
    assert outcome(headers_for(*conditions), prefix=COPY_SOURCE_PREFIX) == OK


@pytest.mark.parametrize("conditions, expected", TABLE)
def test_write_precedence(conditions, expected):
    """For a write (conditional PUT), a failed If-None-Match is 412, never 304."""
    assert outcome(headers_for(*conditions), method="PUT") == (PF if expected == NM else expected)


def test_precondition_failed_names_the_condition():
    """PreconditionFailed says which header failed, as S3's <Condition> element does."""
    with pytest.raises(PreconditionFailed) as info:
        check_conditions({"if-match": OTHER}, ETAG, MODIFIED)
    assert info.value.extra == {"Condition": "If-Match"}
    assert "If-Match" in info.value.message


@pytest.mark.parametrize("header, etag, expected", [
    (ETAG, ETAG, True),
    (ETAG.strip('"'), ETAG, True),
    (ETAG, ETAG.strip('"'), True),
    ("W/" + ETAG, ETAG, True),
    ("w/" + ETAG, ETAG, True),
    ("*", ETAG, True),
    ('"a", %s, "b"' % ETAG, ETAG, True),
    ('"a","b"', ETAG, False),
    (OTHER, ETAG, False),
    ("", ETAG, False),
    (",", ETAG, False),
    ('"abc-2"', '"abc-2"', True),
    ('"abc-2"', '"abc"', False),
])
def test_etag_matches(header, etag, expected):
    """ETags compare with or without quotes, tolerate W/, and lists match any entry."""
    assert etag_matches(header, etag) is expected


def test_naive_last_modified_is_utc():
    """A naive last-modified time is taken to be UTC."""
    naive = MODIFIED.replace(tzinfo=None)
    with pytest.raises(NotModified):
        check_conditions({"if-modified-since": SAME}, ETAG, naive)
