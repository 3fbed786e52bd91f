"""Tests for ramod.protocol.dates: HTTP dates, ISO 8601 and X-Amz-Date."""

from datetime import datetime, timedelta, timezone

import pytest

from ramod.protocol.dates import http_date, iso8601_millis, parse_amz_date, parse_http_date

UTC = timezone.utc
NOV_6 = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize("dt, expected", [
    (datetime(2015, 10, 21, 7, 28, tzinfo=UTC), "Wed, 21 Oct 2015 07:28:00 GMT"),
    (NOV_6, "Sun, 06 Nov 1994 08:49:37 GMT"),
    (datetime(2015, 10, 21, 7, 28, 0, 999999), "Wed, 21 Oct 2015 07:28:00 GMT"),
    (datetime(2015, 10, 21, 9, 28, tzinfo=timezone(timedelta(hours=2))),
     "Wed, 21 Oct 2015 07:28:00 GMT"),
])
def test_http_date(dt, expected):
    """http_date writes IMF-fixdate in UTC, treating naive values as UTC and dropping fractions."""
    assert http_date(dt) == expected


@pytest.mark.parametrize("value", [
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "  Sun, 06 Nov 1994 08:49:37 GMT ",
    "sun, 06 nov 1994 08:49:37 GMT",
])
def test_parse_http_date_formats(value):
    """All three HTTP date formats parse to the same aware UTC datetime."""
    parsed = parse_http_date(value)
    assert parsed == NOV_6
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", [
    None, "", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 PST",
    "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 25:49:37 GMT", "1994-11-06T08:49:37Z", "Sun, 6 Nov 1994 08:49:37 GMT",
])
def test_parse_http_date_invalid(value):
    """Anything that is not a valid HTTP date gives None."""
    assert parse_http_date(value) is None


def test_parse_http_date_round_trip():
    """parse_http_date reads back what http_date writes."""
    dt = datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert parse_http_date(http_date(dt)) == dt


def test_rfc850_two_digit_year_recent():
    """An RFC 850 two-digit year close to now falls in the current century."""
    assert parse_http_date("Thursday, 01-Jan-26 00:00:00 GMT").year == 2026


@pytest.mark.parametrize("dt, expected", [
    (datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC), "2009-10-12T17:50:30.000Z"),
    (datetime(2009, 10, 12, 17, 50, 30, 123999), "2009-10-12T17:50:30.123Z"),
    (datetime(2009, 10, 12, 19, 50, 30, tzinfo=timezone(timedelta(hours=2))),
     "2009-10-12T17:50:30.000Z"),
])
def test_iso8601(dt, expected):
    """iso8601_millis writes S3's millisecond UTC form, truncating microseconds."""
    assert iso8601_millis(dt) == expected


@pytest.mark.parametrize("value, expected", [
    ("20130524T000000Z", datetime(2013, 5, 24, tzinfo=UTC)),
    ("20150830T123600Z", datetime(2015, 8, 30, 12, 36, tzinfo=UTC)),
    ("20130524T000000", None),
    ("2013-05-24T00:00:00Z", None),
    ("20131324T000000Z", None),
    ("", None),
    (None, None),
])
def test_parse_amz_date(value, expected):
    """parse_amz_date reads basic ISO 8601 in UTC and gives None for anything else."""
    assert parse_amz_date(value) == expected
