"""ramoctl's command line: the options, the subcommands and their handlers, and the size,
duration and rate units typed on it (bad values are argparse usage errors)."""

import argparse
import re
from decimal import Decimal, InvalidOperation

from ramoclient.admin import UNSET
from ramoclient.limits import ADMIN_KEY_FILE, MAX_PRESIGN_SECONDS
from ramod.ctl.commands import (
    cmd_buckets_create, cmd_buckets_delete, cmd_buckets_list, cmd_buckets_owner, cmd_buckets_quota,
    cmd_buckets_show, cmd_keys_create, cmd_keys_delete, cmd_keys_list, cmd_keys_show,
    cmd_keys_update, cmd_links_list, cmd_links_revoke, cmd_links_show, cmd_objects_delete,
    cmd_objects_list, cmd_objects_show, cmd_presign, cmd_stats, cmd_uploads_abort,
    cmd_uploads_list)
from ramod.ctl.connection import DEFAULT_DATA_DIR, DEFAULT_URL

SIZE_RULES = """\
SIZE is a number of bytes, optionally with a unit (case-insensitive, fractions allowed):
  decimal  kB MB GB TB PB      1 MB = 1000000 bytes (the units ramod displays)
  binary   KiB MiB GiB TiB PiB and the bare K M G T P
                               1 G = 1 GiB = 1073741824 bytes
e.g. 1073741824, 500MB, 1.5GiB, 10G; "none" removes a quota."""

DURATION_RULES = """\
DURATION is seconds, or numbers with s/m/h/d/w units: 90, 15m, 2h, 1h30m, 7d (at most 7d)."""

EXIT_RULES = """\
connection: --url (env RAMO_ADMIN_URL, default %s); the admin key is --api-key, else
env RAMO_ADMIN_API_KEY, else the file %s in --data-dir (env RAMO_DATA_DIR, default %s).
exit status: 0 ok, 1 the server refused (ramoctl: <code>: <message>), 2 usage error,
3 the server could not be reached.""" % (DEFAULT_URL, ADMIN_KEY_FILE, DEFAULT_DATA_DIR)

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1}
for _power, _letter in enumerate("kmgtp", start=1):
    _SIZE_UNITS[_letter + "b"] = 1000 ** _power
    for _suffix in ("", "i", "ib"):
        _SIZE_UNITS[_letter + _suffix] = 1024 ** _power
_DURATION_PART = re.compile(r"(\d+)([smhdw]?)")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NO_LIMIT = ("none", "unlimited")
# The options every command accepts, before or after its name; argparse leaves them unset
# (so a subcommand's parser cannot reset one given earlier) and parse_args fills them in.
COMMON_DEFAULTS = {"url": None, "api_key": None, "data_dir": None, "timeout": 30.0,
                   "insecure": False, "cacert": None, "json": False}


# -- units -----------------------------------------------------------------

def parse_size(text: str) -> int:
    """Bytes from ``"1073741824"``, ``"500MB"``, ``"1.5GiB"`` or ``"10G"`` (see SIZE_RULES).

    Fractions of a byte are dropped.
    """
    match = _SIZE.fullmatch(text)
    unit = match and _SIZE_UNITS.get(match.group(2).lower())
    if not unit:
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r} (examples: 1073741824, 500MB, 1.5GiB, 10G)")
    try:
        return int(Decimal(match.group(1)) * unit)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}") from None


def parse_quota(text: str) -> int | None:
    """A SIZE, or ``None`` for ``none``/``unlimited``."""
    return None if text.strip().lower() in _NO_LIMIT else parse_size(text)


def parse_duration(text: str) -> int:
    """Seconds from ``"90"``, ``"15m"``, ``"2h"``, ``"1h30m"`` or ``"7d"``; must be > 0."""
    compact = text.strip().lower()
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r} (examples: 3600, 15m, 2h, 7d)")
    seconds = sum(int(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a duration must be longer than 0 seconds")
    return seconds


def parse_expires(text: str) -> int:
    """A DURATION of at most 7 days, the longest a presigned URL may live."""
    seconds = parse_duration(text)
    if seconds > MAX_PRESIGN_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than 7 days")
    return seconds


def parse_rate_limit(text: str) -> int | float | None:
    """Requests per second (> 0), or ``None`` for ``none``/``unlimited``."""
    if text.strip().lower() in _NO_LIMIT:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid rate limit {text!r}: requests per second > 0, or 'none'")
    return int(value) if value == value.to_integral_value() else float(value)


def parse_timeout(text: str) -> float:
    """Seconds, a number > 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: seconds > 0")
    return seconds


def parse_limit(text: str) -> int:
    """A page size, 1..1000."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"invalid limit {text!r}: a number from 1 to 1000")
    return int(text)


# -- argument parsing --------------------------------------------------------

def common_options() -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (no defaults: resolved later)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    add = group.add_argument
    add("--url", default=argparse.SUPPRESS,
        help=f"management API URL (env RAMO_ADMIN_URL; default {DEFAULT_URL})")
    add("--api-key", metavar="KEY", default=argparse.SUPPRESS, help="admin key (env RAMO_ADMIN_API_KEY)")
    add("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
        help=f"read the key from DIR/{ADMIN_KEY_FILE} (env RAMO_DATA_DIR; default {DEFAULT_DATA_DIR})")
    add("--timeout", metavar="SECONDS", type=parse_timeout, default=argparse.SUPPRESS,
        help="seconds (default 30)")
    add("--insecure", action="store_true", default=argparse.SUPPRESS,
        help="https: do not check the server's certificate")
    add("--cacert", metavar="FILE", default=argparse.SUPPRESS,
        help="https: trust the CA certificates in this PEM file")
    add("--json", action="store_true", default=argparse.SUPPRESS, help="print the API's raw JSON")
    return common


def paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=parse_limit, metavar="N",
                        help="print one page of at most N (1..1000) instead of everything")
    parser.add_argument("--cursor", help="start at this next_cursor of an earlier page")


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="ramoctl", parents=[common], formatter_class=fmt,
        description="Manage a ramod server through its management API.",
        epilog=f"{SIZE_RULES}\n\n{DURATION_RULES}\n\n{EXIT_RULES}")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    def command(subparsers, name, handler, summary, **kwargs):
        sub = subparsers.add_parser(name, parents=[common], help=summary, description=summary,
                                    formatter_class=fmt, **kwargs)
        sub.set_defaults(handler=handler)
        return sub

    def group(name, summary):
        sub = groups.add_parser(name, help=summary, description=summary)
        return sub.add_subparsers(dest="action", required=True, metavar="ACTION")

    command(groups, "stats", cmd_stats, "counts and total storage of the server")

    keys = group("keys", "access keys (S3 credentials)")
    sub = command(keys, "list", cmd_keys_list, "list access keys")
    sub.add_argument("--user", help="only this user's keys")
    paging(sub)
    sub = command(keys, "create", cmd_keys_create, "create an access key; prints its secret once")
    sub.add_argument("--user", help="user name (default: the access key)")
    sub.add_argument("--access-key", help="the access key (default: generated)")
    sub.add_argument("--secret-key", help="the secret (default: generated)")
    sub.add_argument("--rate-limit", metavar="N", type=parse_rate_limit, default=UNSET,
                     help="requests per second allowed over S3, or 'none' (default)")
    sub.add_argument("--disabled", action="store_true", help="create the key disabled")
    sub = command(keys, "show", cmd_keys_show, "show an access key and its user's buckets")
    sub.add_argument("id", type=int, metavar="ID")
    for name, summary, changes in (
            ("enable", "enable an access key", lambda a: {"is_active": True}),
            ("disable", "disable an access key: its S3 requests fail at once",
             lambda a: {"is_active": False})):
        sub = command(keys, name, cmd_keys_update, summary)
        sub.add_argument("id", type=int, metavar="ID")
        sub.set_defaults(changes=changes)
    sub = command(keys, "rename", cmd_keys_update, "move an access key to another user name")
    sub.add_argument("id", type=int, metavar="ID")
    sub.add_argument("user_name", metavar="NAME")
    sub.set_defaults(changes=lambda a: {"user_name": a.user_name})
    sub = command(keys, "rate-limit", cmd_keys_update, "set an access key's rate limit")
    sub.add_argument("id", type=int, metavar="ID")
    sub.add_argument("rate", type=parse_rate_limit, metavar="N|none",
                     help="requests per second, or 'none' for unlimited")
    sub.set_defaults(changes=lambda a: {"rate_limit": a.rate})
    sub = command(keys, "delete", cmd_keys_delete, "delete an access key")
    sub.add_argument("id", type=int, metavar="ID")

    buckets = group("buckets", "buckets, their owners and quotas")
    sub = command(buckets, "list", cmd_buckets_list, "list buckets")
    sub.add_argument("--prefix", help="only names starting with this")
    sub.add_argument("--owner", type=int, metavar="ID", help="only buckets of this key's id")
    paging(sub)
    sub = command(buckets, "create", cmd_buckets_create, "create a bucket", epilog=SIZE_RULES)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--owner", type=int, metavar="ID", help="owning access key id (default: root)")
    sub.add_argument("--quota", type=parse_quota, metavar="SIZE", default=UNSET,
                     help="byte quota (see below)")
    sub.add_argument("--region", help="must be the server's region")
    sub = command(buckets, "show", cmd_buckets_show, "show a bucket and its first objects")
    sub.add_argument("name", metavar="NAME")
    sub = command(buckets, "quota", cmd_buckets_quota, "set or remove a bucket's quota",
                  epilog=SIZE_RULES)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("size", type=parse_quota, metavar="SIZE|none")
    sub = command(buckets, "owner", cmd_buckets_owner, "give a bucket to another access key")
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("owner", type=int, metavar="ID", help="the new owner's access key id")
    sub = command(buckets, "delete", cmd_buckets_delete, "delete a bucket")
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--force", action="store_true",
                     help="delete its objects and multipart uploads first")

    objects = group("objects", "objects in a bucket")
    sub = command(objects, "list", cmd_objects_list, "list a bucket's objects in key order")
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("--prefix", help="only keys starting with this")
    sub.add_argument("--delimiter", help="roll keys up to common prefixes (PRE), e.g. /")
    paging(sub)
    sub = command(objects, "show", cmd_objects_show, "show an object's metadata and storage")
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("key", metavar="KEY")
    sub = command(objects, "delete", cmd_objects_delete, "delete objects")
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("keys", nargs="+", metavar="KEY")

    uploads = group("uploads", "multipart uploads in progress")
    sub = command(uploads, "list", cmd_uploads_list, "list a bucket's uploads in progress")
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("--prefix", help="only keys starting with this")
    paging(sub)
    sub = command(uploads, "abort", cmd_uploads_abort, "abort an upload and free its parts")
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("upload_id", metavar="UPLOAD_ID")

    sub = command(groups, "presign", cmd_presign, "make a presigned URL (printed alone on stdout)",
                  epilog=DURATION_RULES)
    sub.add_argument("bucket", metavar="BUCKET")
    sub.add_argument("key", metavar="KEY")
    sub.add_argument("--method", default="GET", type=str.upper,
                     choices=["GET", "PUT", "HEAD", "DELETE"], help="default GET")
    sub.add_argument("--expires", type=parse_expires, default=3600, metavar="DURATION",
                     help="lifetime, e.g. 3600, 15m, 2h, 7d (default 1h)")
    sub.add_argument("--access-key", help="sign with this key (default: one of the bucket owner's)")

    links = group("links", "presigned URLs made through the API")
    sub = command(links, "list", cmd_links_list, "list the active presigned URLs, newest first")
    sub.add_argument("--bucket", help="only this bucket's")
    paging(sub)
    sub = command(links, "show", cmd_links_show, "show a presigned URL, also expired or revoked")
    sub.add_argument("id", type=int, metavar="ID")
    sub = command(links, "revoke", cmd_links_revoke, "revoke a presigned URL")
    sub.add_argument("id", type=int, metavar="ID")
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    """The parsed command line, with every common option present."""
    args = build_parser().parse_args(argv)
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    return args
