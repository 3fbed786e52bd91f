"""Date formats spoken by S3: HTTP dates, ISO 8601 in XML, SigV4 basic ISO.

Pure functions; every datetime returned is timezone-aware UTC, and every
datetime accepted is converted to UTC (a naive one is taken to be UTC).
Parsing never depends on the process locale.
"""

import re
from datetime import datetime, timezone

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, 1)}

# RFC 7231 section 7.1.1.1: the preferred format and the two obsolete ones.
# Day names are matched loosely and not checked against the date, as most
# servers do; the month name must be exact.
_IMF_FIXDATE = re.compile(
    r"[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT")
_RFC850 = re.compile(
    r"[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT")
_ASCTIME = re.compile(
    r"[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})")
_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _build(year: int, month: str | int, day: int, hour: int, minute: int,
           second: int) -> datetime | None:
    if isinstance(month, str):
        month = _MONTH_NUMBERS.get(month.capitalize(), 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None


def http_date(dt: datetime) -> str:
    """Format ``dt`` as an RFC 7231 IMF-fixdate, e.g. ``Wed, 21 Oct 2015 07:28:00 GMT``.

    :param dt: the moment to format; naive values are taken to be UTC.
    """
    dt = _utc(dt)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[dt.weekday()], dt.day, _MONTHS[dt.month - 1], dt.year,
        dt.hour, dt.minute, dt.second)


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date in any of the three formats HTTP/1.1 allows.

    :param value: an IMF-fixdate, an RFC 850 date or an asctime() date.
    :return: an aware UTC datetime, or None when ``value`` is missing or not a
        valid date (callers such as conditional requests then ignore the header).
    """
    if not value:
        return None
    value = value.strip()
    if m := _IMF_FIXDATE.fullmatch(value):
        day, month, year, hour, minute, second = m.groups()
    elif m := _RFC850.fullmatch(value):
        day, month, yy, hour, minute, second = m.groups()
        # RFC 7231: a two-digit year more than 50 years ahead is in the past century.
        year = 2000 + int(yy)
        if year > datetime.now(timezone.utc).year + 50:
            year -= 100
    elif m := _ASCTIME.fullmatch(value):
        month, day, hour, minute, second, year = m.groups()
    else:
        return None
    return _build(int(year), month, int(day), int(hour), int(minute), int(second))


def iso8601_millis(dt: datetime) -> str:
    """Format ``dt`` the way S3 XML does, in milliseconds: ``2009-10-12T17:50:30.000Z``.

    :param dt: the moment to format; naive values are taken to be UTC.
    """
    dt = _utc(dt)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def iso8601_seconds(dt: datetime) -> str:
    """Format ``dt`` in whole seconds, ``2013-05-24T00:00:00Z``: the form of S3 error
    documents' times (``ServerTime``, ``Expires``) and of the management API.

    :param dt: the moment to format; naive values are taken to be UTC.
    """
    return _utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_amz_date(value: str | None) -> datetime | None:
    """Parse the basic ISO 8601 form of ``X-Amz-Date``, e.g. ``20130524T000000Z``.

    :return: an aware UTC datetime, or None when ``value`` is missing or malformed.
    """
    m = _AMZ_DATE.fullmatch(value or "")
    if m is None:
        return None
    year, month, day, hour, minute, second = map(int, m.groups())
    return _build(year, month, day, hour, minute, second)
