"""``ramoctl``: ramod's management API from the command line, for hosts without a desktop.

Argument parsing, size and duration units, and the tables and field lists printed for
people; every request goes through ``ramoclient.admin.AdminClient``.  Imports no
Twisted, so it runs wherever the standard library does.
"""

import argparse
import json
import os
import re
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ramoclient.admin import (
    UNSET, AdminApiError, AdminClient, AdminConnectionError, iter_pages)

DEFAULT_URL = "http://127.0.0.1:9001"
DEFAULT_DATA_DIR = "./ramo-data"
API_KEY_FILE = "admin-api-key"
MAX_EXPIRES = 7 * 24 * 3600
BUCKET_SHOW_OBJECTS = 20

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_CONNECTION = 0, 1, 2, 3

# What to type instead, for API errors whose message speaks of the API's own fields.
HINTS = {
    "bucket_not_empty": "'buckets delete NAME --force' deletes its objects and uploads too",
    "credential_in_use": "'buckets owner NAME ID' gives a bucket to another key",
}

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
3 the server could not be reached.""" % (DEFAULT_URL, API_KEY_FILE, DEFAULT_DATA_DIR)

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


class UsageError(Exception):
    """The command line or the environment cannot be used (exit status 2)."""


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
    if seconds > MAX_EXPIRES:
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


# -- formatting ------------------------------------------------------------

def cell(value) -> str:
    """A value as one table cell: ``-`` for None, yes/no, control characters escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def format_table(headers, rows, right=()) -> str:
    """Columns aligned with two spaces between them; columns named in ``right`` are
    right-aligned (numbers).  The last column is not padded."""
    lines = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    out = []
    for line in lines:
        cells = [text.rjust(width) if header in right else text.ljust(width)
                 for text, width, header in zip(line, widths, headers)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def format_fields(pairs, indent: str = "") -> str:
    """``Label:  value`` lines with the values aligned."""
    width = max((len(label) for label, _ in pairs), default=0) + 1
    return "\n".join(f"{indent}{label + ':':<{width}}  {cell(value)}".rstrip()
                     for label, value in pairs)


def format_size(size, human=None) -> str:
    """``"1.5 MB (1500000 bytes)"``; the human form is the server's (decimal units)."""
    if size is None:
        return "none"
    if not human or human == f"{size} B":
        return f"{size} B"
    return f"{human} ({size} bytes)"


def format_rate_limit(rate) -> str:
    return "unlimited" if rate is None else f"{rate:g} requests/s"


# -- connection ------------------------------------------------------------

def resolve_connection(args, environ) -> tuple[str, str]:
    """The management API's URL and admin key from the options, environment or data dir."""
    url = args.url or environ.get("RAMO_ADMIN_URL") or DEFAULT_URL
    key = args.api_key or environ.get("RAMO_ADMIN_API_KEY")
    if key:
        return url, key
    data_dir = args.data_dir or environ.get("RAMO_DATA_DIR") or DEFAULT_DATA_DIR
    path = Path(data_dir) / API_KEY_FILE
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        raise UsageError(
            f"no admin API key: pass --api-key, set RAMO_ADMIN_API_KEY or point --data-dir at "
            f"the server's data directory ({path} does not exist)") from None
    except OSError as exc:
        raise UsageError(f"cannot read the admin API key from {path}: {exc.strerror}") from None
    if not key:
        raise UsageError(f"the admin API key file {path} is empty")
    return url, key


def make_client(args, environ) -> AdminClient:
    url, key = resolve_connection(args, environ)
    try:
        return AdminClient(url, key, timeout=args.timeout, verify=not args.insecure,
                           cafile=args.cacert)
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
    except OSError as exc:  # an unreadable --cacert
        raise UsageError(f"--cacert: {exc.strerror or exc}") from None


# -- output helpers ----------------------------------------------------------

def emit(args, data, render) -> int:
    """Print ``data`` as JSON with ``--json``, else ``render(data)``."""
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render(data))
    return EXIT_OK


def done(args, message: str) -> int:
    """Confirm an action that answers nothing (204); silent with ``--json``."""
    if not args.json:
        print(message)
    return EXIT_OK


def fetch_list(args, list_page, *positional, **params) -> dict:
    """With ``--limit``, one page; else every page from ``--cursor`` on, merged into one."""
    if args.limit:
        return list_page(*positional, limit=args.limit, cursor=args.cursor, **params)
    merged = {"items": [], "next_cursor": None}
    for page in iter_pages(list_page, *positional, cursor=args.cursor, **params):
        merged["items"] += page.get("items", [])
        if "common_prefixes" in page:
            merged.setdefault("common_prefixes", []).extend(page["common_prefixes"])
    return merged


def emit_list(args, page, render, empty: str) -> int:
    """Print a list: JSON as is, else ``render(page)`` or ``empty`` and a paging hint."""
    if args.json:
        return emit(args, page, None)
    print(render(page) if page["items"] or page.get("common_prefixes") else empty)
    if page.get("next_cursor"):
        print(f"(more: add --cursor {page['next_cursor']})", file=sys.stderr)
    return EXIT_OK


# -- stats -------------------------------------------------------------------

def cmd_stats(client, args) -> int:
    return emit(args, client.stats(), lambda s: format_fields([
        ("Credentials", s["credentials"]),
        ("Buckets", s["buckets"]),
        ("Objects", s["objects"]),
        ("Total storage", format_size(s["total_storage"], s.get("total_storage_human"))),
        ("Multipart uploads", s["active_multipart_uploads"]),
        ("Presigned URLs", s["active_presigned_urls"]),
    ]))


# -- keys --------------------------------------------------------------------

def credential_fields(c) -> list:
    return [("ID", c["id"]), ("User", c["user_name"]), ("Access key", c["access_key"]),
            ("Active", c["is_active"]), ("Root", c["is_root"]),
            ("Rate limit", format_rate_limit(c.get("rate_limit"))), ("Created", c["created_at"])]


def render_credential(c) -> str:
    return format_fields(credential_fields(c))


def render_credential_page(page) -> str:
    return format_table(
        ["ID", "USER", "ACCESS KEY", "ACTIVE", "ROOT", "RATE LIMIT", "CREATED"],
        [(c["id"], c["user_name"], c["access_key"], c["is_active"], c["is_root"],
          format_rate_limit(c.get("rate_limit")), c["created_at"]) for c in page["items"]],
        right={"ID"})


def cmd_keys_list(client, args) -> int:
    page = fetch_list(args, client.list_credentials, user_name=args.user)
    return emit_list(args, page, render_credential_page, "No access keys.")


def cmd_keys_create(client, args) -> int:
    created = client.create_credential(
        user_name=args.user, access_key=args.access_key, secret_key=args.secret_key,
        is_active=False if args.disabled else None, rate_limit=args.rate_limit)
    warning = "Save the secret key now: it will not be shown again."
    if args.json:
        print(warning, file=sys.stderr)
        return emit(args, created, None)
    print(format_fields(credential_fields(created) + [("Secret key", created["secret_key"])]))
    print(f"\n{warning}")
    return EXIT_OK


def cmd_keys_show(client, args) -> int:
    credential = client.get_credential(args.id)
    credential.pop("secret_key", None)  # never returned after creation; never printed either

    def render(c):
        text = format_fields(credential_fields(c) + [("Buckets", c.get("bucket_count", 0))])
        if c.get("buckets"):
            text += "\n\n" + format_table(
                ["BUCKET", "OBJECTS", "SIZE"],
                [(b["name"], b["object_count"], b.get("total_size_human", b["total_size"]))
                 for b in c["buckets"]], right={"OBJECTS", "SIZE"})
        return text

    return emit(args, credential, render)


def cmd_keys_update(client, args) -> int:
    return emit(args, client.update_credential(args.id, **args.changes(args)), render_credential)


def cmd_keys_delete(client, args) -> int:
    client.delete_credential(args.id)
    return done(args, f"Deleted access key {args.id}.")


# -- buckets -----------------------------------------------------------------

def render_bucket(b) -> str:
    return format_fields([
        ("Name", b["name"]), ("Region", b["region"]),
        ("Owner", f"{b['owner_name']} (key {b['owner_id']})"), ("Created", b["created_at"]),
        ("Objects", b["object_count"]),
        ("Size", format_size(b["total_size"], b.get("total_size_human"))),
        ("Uploads in progress", format_size(b["multipart_size"], b.get("multipart_size_human"))),
        ("Quota", format_size(b.get("quota_bytes"), b.get("quota_bytes_human"))),
    ])


def render_bucket_page(page) -> str:
    return format_table(
        ["NAME", "OWNER", "OBJECTS", "SIZE", "QUOTA", "CREATED"],
        [(b["name"], b["owner_name"], b["object_count"], b.get("total_size_human"),
          b.get("quota_bytes_human") or "none", b["created_at"]) for b in page["items"]],
        right={"OBJECTS", "SIZE", "QUOTA"})


def cmd_buckets_list(client, args) -> int:
    page = fetch_list(args, client.list_buckets, prefix=args.prefix, owner_id=args.owner)
    return emit_list(args, page, render_bucket_page, "No buckets.")


def cmd_buckets_create(client, args) -> int:
    bucket = client.create_bucket(args.name, owner_id=args.owner, region=args.region,
                                  quota_bytes=args.quota)
    return emit(args, bucket, render_bucket)


def cmd_buckets_show(client, args) -> int:
    def render(b):
        text = render_bucket(b)
        objects = b.get("objects") or {}
        if objects.get("items") or objects.get("common_prefixes"):
            more = " (the first ones; see: ramoctl objects list)" if objects.get("next_cursor") else ""
            text += f"\n\nObjects{more}:\n" + render_object_page(objects)
        return text

    return emit(args, client.get_bucket(args.name, limit=BUCKET_SHOW_OBJECTS), render)


def cmd_buckets_quota(client, args) -> int:
    return emit(args, client.update_bucket(args.name, quota_bytes=args.size), render_bucket)


def cmd_buckets_owner(client, args) -> int:
    return emit(args, client.update_bucket(args.name, owner_id=args.owner), render_bucket)


def cmd_buckets_delete(client, args) -> int:
    client.delete_bucket(args.name, force=args.force)
    return done(args, f"Deleted bucket {args.name}.")


# -- objects -----------------------------------------------------------------

def render_object_page(page) -> str:
    rows = [(o["key"], o.get("size_human", o["size"]), o["last_modified"], o["etag"])
            for o in page.get("items", [])]
    rows += [(prefix, "PRE", "", "") for prefix in page.get("common_prefixes", [])]
    rows.sort(key=lambda row: row[0].encode("utf-8", "surrogatepass"))
    return format_table(["KEY", "SIZE", "LAST MODIFIED", "ETAG"], rows, right={"SIZE"})


def render_object(o) -> str:
    parts = o.get("part_count")
    text = format_fields([
        ("Key", o["key"]), ("Size", format_size(o["size"], o.get("size_human"))),
        ("Content type", o.get("content_type")), ("ETag", o["etag"]),
        ("Storage class", o.get("storage_class")),
        ("Multipart", f"yes ({parts} parts)" if o.get("is_multipart") else "no"),
        ("Storage path", o.get("storage_path")),
        ("Created", o.get("created_at")), ("Updated", o.get("updated_at")),
    ])
    for title, mapping in (("Metadata", o.get("metadata")), ("Headers", o.get("headers")),
                           ("Checksums", o.get("checksums")), ("Tags", o.get("tags"))):
        if mapping:
            text += f"\n\n{title}:\n" + format_fields(sorted(mapping.items()), indent="  ")
    if o.get("parts"):
        text += "\n\nParts:\n" + format_table(
            ["PART", "SIZE", "ETAG", "STORAGE PATH"],
            [(p["part_number"], p["size"], p["etag"], p.get("storage_path")) for p in o["parts"]],
            right={"PART", "SIZE"})
    return text


def cmd_objects_list(client, args) -> int:
    page = fetch_list(args, client.list_objects, args.bucket, prefix=args.prefix,
                      delimiter=args.delimiter)
    return emit_list(args, page, render_object_page, "No objects.")


def cmd_objects_show(client, args) -> int:
    return emit(args, client.get_object(args.bucket, args.key), render_object)


def cmd_objects_delete(client, args) -> int:
    result = client.delete_objects(args.bucket, args.keys)
    if args.json:
        emit(args, result, None)
    else:
        for key in result["deleted"]:
            print(f"deleted: {cell(key)}")
    for error in result["errors"]:
        print(f"ramoctl: {error['error']}: {cell(error['key'])}: {error.get('message', '')}",
              file=sys.stderr)
    return EXIT_API_ERROR if result["errors"] else EXIT_OK


# -- uploads -----------------------------------------------------------------

def render_upload_page(page) -> str:
    return format_table(
        ["UPLOAD ID", "KEY", "INITIATED BY", "PARTS", "SIZE", "INITIATED"],
        [(u["upload_id"], u["object_key"], u["initiated_by"], u["part_count"],
          u.get("total_size_human", u["total_size"]), u["initiated_at"]) for u in page["items"]],
        right={"PARTS", "SIZE"})


def cmd_uploads_list(client, args) -> int:
    page = fetch_list(args, client.list_uploads, args.bucket, prefix=args.prefix)
    return emit_list(args, page, render_upload_page, "No multipart uploads in progress.")


def cmd_uploads_abort(client, args) -> int:
    client.abort_upload(args.bucket, args.upload_id)
    return done(args, f"Aborted upload {args.upload_id}.")


# -- presigned URLs ----------------------------------------------------------

def link_status(link) -> str:
    if link.get("revoked_at"):
        return "revoked"
    return "active" if link.get("is_active") else "expired"


def render_link(link) -> str:
    return format_fields([
        ("ID", link["id"]), ("Status", link_status(link)), ("Method", link["method"]),
        ("Bucket", link["bucket_name"]), ("Key", link["object_key"]),
        ("Access key", link["access_key"]), ("Created", link["created_at"]),
        ("Expires", link["expires_at"]), ("Revoked", link.get("revoked_at")), ("URL", link["url"]),
    ])


def render_link_page(page) -> str:
    return format_table(
        ["ID", "METHOD", "BUCKET", "KEY", "ACCESS KEY", "EXPIRES"],
        [(u["id"], u["method"], u["bucket_name"], u["object_key"], u["access_key"],
          u["expires_at"]) for u in page["items"]], right={"ID"})


def cmd_presign(client, args) -> int:
    link = client.create_presigned_url(args.bucket, args.key, method=args.method,
                                       expires_in=args.expires, access_key=args.access_key)
    if args.json:
        return emit(args, link, None)
    print(link["url"])
    print(f"(link {link['id']}, {link['method']} with key {link['access_key']}, expires "
          f"{link['expires_at']}; revoke: ramoctl links revoke {link['id']})", file=sys.stderr)
    return EXIT_OK


def cmd_links_list(client, args) -> int:
    page = fetch_list(args, client.list_presigned_urls, bucket_name=args.bucket)
    return emit_list(args, page, render_link_page, "No active presigned URLs.")


def cmd_links_show(client, args) -> int:
    return emit(args, client.get_presigned_url(args.id), render_link)


def cmd_links_revoke(client, args) -> int:
    client.revoke_presigned_url(args.id)
    return done(args, f"Revoked presigned URL {args.id}.")


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
        help=f"read the key from DIR/{API_KEY_FILE} (env RAMO_DATA_DIR; default {DEFAULT_DATA_DIR})")
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


def main(argv=None) -> int:
    """Run one ramoctl command; returns the exit status (see EXIT_RULES)."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(make_client(args, os.environ), args)
    except UsageError as exc:
        print(f"ramoctl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AdminApiError as exc:
        print(f"ramoctl: {exc.code}: {exc.message}", file=sys.stderr)
        if exc.code in HINTS:
            print(f"ramoctl: hint: {HINTS[exc.code]}", file=sys.stderr)
        return EXIT_API_ERROR
    except AdminConnectionError as exc:
        print(f"ramoctl: {exc}", file=sys.stderr)
        return EXIT_CONNECTION
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
