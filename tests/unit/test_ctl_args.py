"""Tests for ramod.ctl without a server: units, argument parsing, connection settings, tables."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ramoclient.admin import UNSET
from ramod import ctl
from ramod.ctl import args as ctl_args
from ramod.ctl import commands, connection, render

REPO_ROOT = Path(__file__).resolve().parents[2]

SIZES = [
    ("0", 0),
    ("1073741824", 1073741824),
    ("500MB", 500_000_000),
    ("500 mb", 500_000_000),
    ("1kB", 1000),
    ("1KB", 1000),
    ("2TB", 2 * 10**12),
    ("1.5GiB", 1610612736),
    ("10G", 10 * 1024**3),
    ("10g", 10 * 1024**3),
    ("1k", 1024),
    ("2Ki", 2048),
    ("3MiB", 3 * 1024**2),
    (".5K", 512),
    ("7b", 7),
    (" 7 B ", 7),
    ("1.0001K", 1024),  # fractions of a byte are dropped
]

BAD_SIZES = ["", "abc", "GB", "-1", "1e3", "1.5.2G", "10 XB", "1 0", "5 bytes", "1MBB"]


@pytest.mark.parametrize("text, expected", SIZES)
def test_parse_size(text, expected):
    """Decimal units are powers of 1000; binary and bare K/M/G/T ones powers of 1024."""
    assert ctl_args.parse_size(text) == expected


@pytest.mark.parametrize("text", BAD_SIZES)
def test_parse_size_refuses(text):
    """Anything but a non-negative number with a known unit is a usage error."""
    with pytest.raises(argparse.ArgumentTypeError):
        ctl_args.parse_size(text)


@pytest.mark.parametrize("text", ["none", "None", "unlimited"])
def test_parse_quota_none(text):
    """``none`` and ``unlimited`` remove a quota."""
    assert ctl_args.parse_quota(text) is None


DURATIONS = [("90", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("1h30m", 5400),
             ("1w", 604800), ("45s", 45), ("2H", 7200), (" 10m ", 600)]


@pytest.mark.parametrize("text, expected", DURATIONS)
def test_parse_duration(text, expected):
    """Bare seconds, or numbers followed by s/m/h/d/w, summed."""
    assert ctl_args.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0", "0s", "m", "1.5h", "-5", "15 m", "2y", "h2"])
def test_parse_duration_refuses(text):
    """Zero, fractions, signs and unknown units are usage errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        ctl_args.parse_duration(text)


def test_parse_expires_caps_at_seven_days():
    """A presigned URL may live 7 days but not one second more."""
    assert ctl_args.parse_expires("7d") == 604800
    with pytest.raises(argparse.ArgumentTypeError):
        ctl_args.parse_expires("604801")


@pytest.mark.parametrize("text, expected", [("10", 10), ("2.5", 2.5), ("none", None),
                                            ("Unlimited", None), ("1000000", 1000000)])
def test_parse_rate_limit(text, expected):
    """Rates are positive numbers (whole ones stay ints) or ``none``."""
    value = ctl_args.parse_rate_limit(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "inf", ""])
def test_parse_rate_limit_refuses(text):
    """Zero, negatives and non-numbers are usage errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        ctl_args.parse_rate_limit(text)


@pytest.mark.parametrize("text, ok", [("1", True), ("1000", True), ("0", False),
                                      ("1001", False), ("x", False), ("-3", False)])
def test_parse_limit(text, ok):
    """Page sizes are 1..1000, as the API allows."""
    if ok:
        assert ctl_args.parse_limit(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            ctl_args.parse_limit(text)


# -- argument parsing --------------------------------------------------------

def parse(*argv):
    return ctl_args.parse_args(list(argv))


def test_common_options_before_or_after_the_command():
    """Connection and output options are accepted on either side of the subcommand."""
    before = parse("--json", "--url", "http://h:1", "keys", "list")
    after = parse("keys", "list", "--json", "--url", "http://h:1")
    for args in (before, after):
        assert args.json is True and args.url == "http://h:1"
        assert args.handler is commands.cmd_keys_list


def test_common_options_absent_take_defaults():
    """Unset connection options are None so the environment can supply them."""
    args = parse("stats")
    assert (args.url, args.api_key, args.json, args.timeout) == (None, None, False, 30.0)


def test_keys_create_arguments():
    """``keys create`` takes user, keys, rate limit; an absent rate limit is UNSET."""
    args = parse("keys", "create", "--user", "alice", "--rate-limit", "5")
    assert (args.user, args.rate_limit, args.disabled) == ("alice", 5, False)
    assert parse("keys", "create").rate_limit is UNSET
    assert parse("keys", "create", "--rate-limit", "none").rate_limit is None


@pytest.mark.parametrize("argv, changes", [
    (["keys", "enable", "3"], {"is_active": True}),
    (["keys", "disable", "3"], {"is_active": False}),
    (["keys", "rename", "3", "bob"], {"user_name": "bob"}),
    (["keys", "rate-limit", "3", "none"], {"rate_limit": None}),
    (["keys", "rate-limit", "3", "20"], {"rate_limit": 20}),
])
def test_key_updates_send_only_what_changes(argv, changes):
    """Each key subcommand changes exactly one field of credential 3."""
    args = parse(*argv)
    assert args.handler is commands.cmd_keys_update and args.id == 3
    assert args.changes(args) == changes


def test_bucket_arguments():
    """Quotas parse SIZE or ``none``; ``--force`` defaults to off."""
    assert parse("buckets", "quota", "b", "1.5GiB").size == 1610612736
    assert parse("buckets", "quota", "b", "none").size is None
    assert parse("buckets", "create", "b", "--quota", "10G").quota == 10 * 1024**3
    assert parse("buckets", "create", "b").quota is UNSET
    assert parse("buckets", "delete", "b").force is False
    assert parse("buckets", "delete", "b", "--force").force is True


def test_presign_arguments():
    """``presign`` defaults to GET for an hour; methods are case-insensitive."""
    args = parse("presign", "bkt", "a/b.txt")
    assert (args.bucket, args.key, args.method, args.expires) == ("bkt", "a/b.txt", "GET", 3600)
    args = parse("presign", "bkt", "k", "--method", "put", "--expires", "15m")
    assert (args.method, args.expires) == ("PUT", 900)


def test_objects_delete_takes_several_keys():
    """``objects delete`` takes one or more keys."""
    assert parse("objects", "delete", "b", "k1", "k 2").keys == ["k1", "k 2"]


@pytest.mark.parametrize("argv", [
    [], ["keys"], ["keys", "show"], ["keys", "show", "x"], ["buckets", "quota", "b", "12XB"],
    ["presign", "b", "k", "--expires", "8d"], ["presign", "b", "k", "--method", "POST"],
    ["objects", "delete", "b"], ["keys", "list", "--limit", "0"], ["stats", "--timeout", "0"],
])
def test_usage_errors_exit_2(argv, capsys):
    """A bad command line exits with status 2 and says why on stderr."""
    assert ctl.main(argv) == commands.EXIT_USAGE
    assert "ramoctl" in capsys.readouterr().err


def test_help_exits_0(capsys):
    """``--help`` exits 0 and states the size rules."""
    assert ctl.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "KiB" in out and "1 MB = 1000000 bytes" in out and "exit status" in out


# -- connection settings -----------------------------------------------------

def test_connection_from_options_first(tmp_path):
    """Options win over the environment, which wins over the key file."""
    (tmp_path / "admin-api-key").write_text("from-file\n")
    env = {"RAMO_ADMIN_URL": "http://env:1", "RAMO_ADMIN_API_KEY": "from-env",
           "RAMO_DATA_DIR": str(tmp_path)}
    args = parse("stats", "--url", "http://opt:2", "--api-key", "from-opt")
    assert connection.resolve_connection(args, env) == ("http://opt:2", "from-opt")
    assert connection.resolve_connection(parse("stats"), env) == ("http://env:1", "from-env")
    del env["RAMO_ADMIN_API_KEY"]
    assert connection.resolve_connection(parse("stats"), env) == ("http://env:1", "from-file")


def test_connection_defaults_to_local_server_and_data_dir(tmp_path, monkeypatch):
    """Without settings: the default URL and ./ramo-data/admin-api-key."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ramo-data").mkdir()
    (tmp_path / "ramo-data" / "admin-api-key").write_text("k")
    assert connection.resolve_connection(parse("stats"), {}) == (connection.DEFAULT_URL, "k")
    args = parse("stats", "--data-dir", str(tmp_path / "elsewhere"))
    with pytest.raises(connection.UsageError, match="does not exist"):
        connection.resolve_connection(args, {})


def test_missing_key_exits_2(tmp_path, monkeypatch, capsys):
    """No key anywhere is a usage error that names every way to give one."""
    for name in ("RAMO_ADMIN_API_KEY", "RAMO_DATA_DIR", "RAMO_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert ctl.main(["stats"]) == commands.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--api-key" in err and "RAMO_ADMIN_API_KEY" in err


def test_bad_url_exits_2(monkeypatch, capsys):
    """A URL that is not http(s) is a usage error."""
    monkeypatch.setenv("RAMO_ADMIN_API_KEY", "k")
    assert ctl.main(["stats", "--url", "ftp://host"]) == commands.EXIT_USAGE
    assert "--url" in capsys.readouterr().err


def test_importable_without_twisted():
    """``ramod.ctl`` and the client import nothing from Twisted, nor any of the server."""
    code = ("import sys; sys.modules['twisted'] = None; import ramod.ctl; "
            "assert not any(m.startswith('twisted') for m in sys.modules if sys.modules[m]); "
            "server = [m for m in sys.modules if m.startswith('ramod.') "
            "and not m.startswith('ramod.ctl')]; assert not server, server")
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# -- formatting --------------------------------------------------------------

def test_format_table_aligns_columns():
    """Columns are padded to their widest cell; right-aligned ones on the left."""
    text = render.format_table(["ID", "NAME", "NOTE"], [(1, "alpha", None), (123, "b", True)],
                            right={"ID"})
    assert text.splitlines() == [
        " ID  NAME   NOTE",
        "  1  alpha  -",
        "123  b      yes",
    ]


def test_format_table_has_no_trailing_spaces_and_escapes_controls():
    """Lines end at their last character; newlines in keys cannot break a row."""
    text = render.format_table(["KEY", "X"], [("a\nb", ""), ("c", "d")])
    assert text.splitlines() == ["KEY   X", "a\\nb", "c     d"]


def test_format_table_without_rows():
    """An empty table is its header line."""
    assert render.format_table(["A", "B"], []) == "A  B"


def test_format_fields_aligns_values():
    """Values start in one column after the longest label."""
    assert render.format_fields([("ID", 5), ("Access key", "AK"), ("Quota", None)]).splitlines() == [
        "ID:          5",
        "Access key:  AK",
        "Quota:       -",
    ]


@pytest.mark.parametrize("size, human, expected", [
    (None, None, "none"), (0, "0 B", "0 B"), (512, "512 B", "512 B"),
    (1500000, "1.5 MB", "1.5 MB (1500000 bytes)"), (7, None, "7 B")])
def test_format_size(size, human, expected):
    """Sizes show the server's human form and the exact byte count."""
    assert render.format_size(size, human) == expected


# -- rendering through main with a stand-in client ---------------------------

CREDENTIAL = {"id": 7, "user_name": "alice", "access_key": "AKALICE0000000000001",
              "is_active": True, "is_root": False, "rate_limit": None,
              "created_at": "2026-11-22T10:04:05Z"}


class FakeClient:
    """Canned answers for the calls the rendering tests make."""

    def __init__(self):
        self.calls = []

    def create_credential(self, **kwargs):
        self.calls.append(("create_credential", kwargs))
        return {**CREDENTIAL, "secret_key": "s3cr3t-only-once"}

    def get_credential(self, credential_id):
        return {**CREDENTIAL, "bucket_count": 1, "buckets": [
            {"name": "photos", "object_count": 3, "total_size": 1500, "total_size_human": "1.5 kB"}]}

    def list_credentials(self, limit=None, cursor=None, user_name=None):
        self.calls.append(("list_credentials", limit, cursor))
        if cursor is None:
            return {"items": [CREDENTIAL], "next_cursor": "c2"}
        return {"items": [{**CREDENTIAL, "id": 8, "access_key": "AK8"}], "next_cursor": None}


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(ctl, "make_client", lambda args, environ: client)
    return client


def test_created_key_prints_secret_once_with_warning(fake, capsys):
    """``keys create`` prints the secret and warns it will not be shown again."""
    assert ctl.main(["keys", "create", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert out.count("s3cr3t-only-once") == 1 and "not be shown again" in out
    assert fake.calls == [("create_credential", {
        "user_name": "alice", "access_key": None, "secret_key": None, "is_active": None,
        "rate_limit": UNSET})]


def test_created_key_json_keeps_warning_off_stdout(fake, capsys):
    """With ``--json`` stdout is the JSON document alone; the warning goes to stderr."""
    assert ctl.main(["keys", "create", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["secret_key"] == "s3cr3t-only-once"
    assert "not be shown again" in captured.err


def test_keys_show_lists_buckets(fake, capsys):
    """``keys show`` prints the key's fields and its user's buckets."""
    assert ctl.main(["keys", "show", "7"]) == 0
    out = capsys.readouterr().out
    assert "AKALICE0000000000001" in out and "photos" in out and "unlimited" in out


def test_list_follows_cursors_unless_limited(fake, capsys):
    """Without ``--limit`` every page is fetched; with it, one page and a hint."""
    assert ctl.main(["keys", "list"]) == 0
    out = capsys.readouterr().out
    assert "AKALICE0000000000001" in out and "AK8" in out
    fake.calls.clear()
    assert ctl.main(["keys", "list", "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert "AK8" not in captured.out and "--cursor c2" in captured.err
    assert fake.calls == [("list_credentials", 1, None)]
