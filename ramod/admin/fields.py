"""Reading request bodies and query parameters: every bad value is a 400 naming it."""

import base64
import json
import math
import re

from ramod.admin import errors

MAX_BODY = 1024 * 1024
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
#: the largest id or size a database integer column holds
MAX_INT = 2**63 - 1
_MISSING = object()


def json_body(raw: bytes) -> dict:
    """The body as a JSON object."""
    if len(raw) > MAX_BODY:
        raise errors.RequestTooLarge()
    try:
        value = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise errors.InvalidRequest(f"The body is not valid JSON: {e}.")
    if not isinstance(value, dict):
        raise errors.InvalidRequest("The body must be a JSON object.")
    return value


class Body:
    """Typed access to a JSON object's fields; ``done()`` refuses fields nobody read."""

    def __init__(self, data: dict):
        self._data, self._read = data, set()

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def _take(self, name, required):
        self._read.add(name)
        if name not in self._data:
            if required:
                raise errors.InvalidRequest(f"The field {name!r} is required.")
            return _MISSING
        return self._data[name]

    def string(self, name, *, required=False, pattern=None, what="", default=None,
               nullable=False):
        value = self._take(name, required)
        if value is _MISSING or (value is None and nullable):
            return default if value is _MISSING else None
        if not isinstance(value, str):
            raise errors.InvalidRequest(f"The field {name!r} must be a string.")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise errors.InvalidRequest(f"The field {name!r} must be {what}.")
        return value

    def integer(self, name, *, required=False, low=None, high=None, default=None,
                nullable=False, missing=None):
        value = self._take(name, required)
        if value is _MISSING:
            return missing if missing is not None else default
        if value is None and nullable:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON does not tell 3 from 3.0
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.InvalidRequest(f"The field {name!r} must be a whole number.")
        _check_range(name, value, low, high)
        return value

    def number(self, name, *, above=None, high=None, nullable=False, missing=None):
        value = self._take(name, False)
        if value is _MISSING:
            return missing
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise errors.InvalidRequest(f"The field {name!r} must be a number.")
        if above is not None and value <= above or high is not None and value > high:
            raise errors.InvalidRequest(f"The field {name!r} must be above {above} and at most {high}.")
        return float(value)

    def boolean(self, name, *, missing=None):
        value = self._take(name, False)
        if value is _MISSING:
            return missing
        if not isinstance(value, bool):
            raise errors.InvalidRequest(f"The field {name!r} must be true or false.")
        return value

    def string_list(self, name, *, low, high):
        value = self._take(name, True)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise errors.InvalidRequest(f"The field {name!r} must be a list of strings.")
        if not low <= len(value) <= high:
            raise errors.InvalidRequest(f"The field {name!r} must hold {low} to {high} items.")
        return value

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._read)
        if unknown:
            raise errors.InvalidRequest(f"Unknown field(s): {', '.join(unknown)}.")


def _check_range(name, value, low, high):
    if low is not None and value < low or high is not None and value > high:
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise errors.InvalidRequest(f"The field {name!r} must be {bounds}.")


# -- query parameters -------------------------------------------------------------------

def limit(query: dict) -> int:
    value = query.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise errors.InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


def int_param(query: dict, name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise errors.InvalidRequest(f"{name} must be a whole number.")
    return int(value)


def bool_param(query: dict, name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise errors.InvalidRequest(f"{name} must be true or false.")
    return value in ("true", "1")


def encode_cursor(position) -> str:
    """An opaque token for "continue after ``position``" (any JSON value)."""
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: dict):
    """The position of the ``cursor`` parameter, or None without one."""
    token = query.get("cursor")
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidRequest("cursor is not one this server made; pass next_cursor as is.")
