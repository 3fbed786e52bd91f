"""Times and sizes for people (no Qt: models, views and the client layer all use these)."""

import datetime

from ramoclient.human import human_bytes

__all__ = ["human_bytes", "local_time", "parse_time"]


def parse_time(text: str | None) -> datetime.datetime | None:
    """An ISO 8601 time of the management API (``2026-11-22T10:04:05Z``) as an aware datetime."""
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(text: str | None) -> str:
    """An API time shown in the computer's time zone, ``2026-11-22 11:04:05``; ``""`` if none."""
    moment = parse_time(text)
    if moment is None:
        return text or ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
