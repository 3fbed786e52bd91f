"""ramoctl and AdminClient against a real ramod's management API."""

import concurrent.futures
import contextlib
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from ramoclient.admin import AdminApiError, AdminClient, AdminConnectionError
from ramod_process import REPO_ROOT, unique_bucket_name


@pytest.fixture
def admin(ramod):
    """An AdminClient for the session server."""
    return AdminClient(ramod.admin_url, ramod.admin_key, timeout=30)


def ramoctl_runner(cwd, **env_vars):
    """A function running ``python -m ramod.ctl ARGS`` with ``env_vars`` and no other RAMO_*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAMO_")}
    env.update(PYTHONPATH=str(REPO_ROOT), **env_vars)

    def run(*args, expect=0, **extra_env):
        result = subprocess.run([sys.executable, "-m", "ramod.ctl", *map(str, args)],
                                env={**env, **extra_env}, cwd=cwd, capture_output=True,
                                text=True, timeout=60)
        if expect is not None and result.returncode != expect:
            raise AssertionError(
                f"ramoctl {' '.join(map(str, args))} exited {result.returncode}, not {expect}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    return run


@pytest.fixture
def ramoctl(ramod, tmp_path):
    """Run ramoctl against the session server; returns the CompletedProcess."""
    return ramoctl_runner(tmp_path, RAMO_ADMIN_URL=ramod.admin_url,
                          RAMO_ADMIN_API_KEY=ramod.admin_key)


@pytest.fixture
def offline_ramoctl(tmp_path):
    """Run ramoctl with a made-up key and no server configured."""
    return ramoctl_runner(tmp_path, RAMO_ADMIN_API_KEY="made-up")


def unique_user(prefix="u"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def field(output: str, label: str) -> str:
    """The value of a ``Label:  value`` line of ramoctl's human output."""
    match = re.search(rf"^ *{re.escape(label)}:\s+(.*)$", output, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return match.group(1).strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- access keys -------------------------------------------------------------

def test_created_key_secret_is_printed_once(ramoctl, s3_factory):
    """``keys create`` prints a working secret with a warning; ``keys show`` never shows it."""
    user = unique_user()
    out = ramoctl("keys", "create", "--user", user).stdout
    key_id, access_key, secret = field(out, "ID"), field(out, "Access key"), field(out, "Secret key")
    assert field(out, "User") == user and "not be shown again" in out
    s3_factory(access_key=access_key, secret_key=secret).list_buckets()

    shown = ramoctl("keys", "show", key_id).stdout
    assert field(shown, "Access key") == access_key and secret not in shown
    shown_json = ramoctl("keys", "show", key_id, "--json").stdout
    assert "secret_key" not in json.loads(shown_json) and secret not in shown_json


def test_keys_list_shows_created_keys(ramoctl, admin):
    """``keys list`` follows every page; ``--limit`` prints one page as JSON."""
    user = unique_user()
    created = [admin.create_credential(user_name=user) for _ in range(3)]
    out = ramoctl("keys", "list").stdout
    assert out.splitlines()[0].split()[:3] == ["ID", "USER", "ACCESS"]
    for credential in created:
        assert credential["access_key"] in out
    page = json.loads(ramoctl("keys", "list", "--user", user, "--limit", "2", "--json").stdout)
    assert [c["id"] for c in page["items"]] == [c["id"] for c in created[:2]]
    assert page["next_cursor"]
    everything = json.loads(ramoctl("keys", "list", "--user", user, "--json").stdout)
    assert [c["access_key"] for c in everything["items"]] == [c["access_key"] for c in created]
    assert [c["id"] for c in admin.iter_credentials(user_name=user, page_size=1)] == \
        [c["id"] for c in created]


def test_disabled_key_is_refused_over_s3(ramoctl, admin, s3_factory):
    """A key disabled with ramoctl gets InvalidAccessKeyId at once; enabling restores it."""
    created = admin.create_credential(user_name=unique_user())
    s3 = s3_factory(access_key=created["access_key"], secret_key=created["secret_key"])
    s3.list_buckets()

    out = ramoctl("keys", "disable", created["id"]).stdout
    assert field(out, "Active") == "no"
    with pytest.raises(ClientError) as info:
        s3.list_buckets()
    assert info.value.response["Error"]["Code"] == "InvalidAccessKeyId"

    ramoctl("keys", "enable", created["id"])
    s3.list_buckets()


def test_rename_rate_limit_and_delete_key(ramoctl, admin):
    """Renaming, rate-limiting and deleting a key change what the API reports."""
    created = admin.create_credential(user_name=unique_user())
    new_name = unique_user("renamed")
    assert field(ramoctl("keys", "rename", created["id"], new_name).stdout, "User") == new_name
    assert field(ramoctl("keys", "rate-limit", created["id"], "25").stdout,
                 "Rate limit") == "25 requests/s"
    assert admin.get_credential(created["id"])["rate_limit"] == 25
    ramoctl("keys", "rate-limit", created["id"], "none")
    assert admin.get_credential(created["id"])["rate_limit"] is None

    ramoctl("keys", "delete", created["id"])
    result = ramoctl("keys", "show", created["id"], expect=1)
    assert result.stderr.startswith("ramoctl: no_such_credential: ")


def test_key_owning_buckets_is_deleted_after_giving_them_away(ramoctl, admin):
    """A user's last key is kept while it owns a bucket; ``buckets owner`` frees it."""
    created = admin.create_credential(user_name=unique_user())
    name = unique_bucket_name()
    admin.create_bucket(name, owner_id=created["id"])
    refused = ramoctl("keys", "delete", created["id"], expect=1).stderr
    assert refused.startswith("ramoctl: credential_in_use: ") and "buckets owner" in refused

    root = next(c for c in admin.iter_credentials() if c["is_root"])
    shown = ramoctl("buckets", "owner", name, root["id"]).stdout
    assert field(shown, "Owner") == f"{root['user_name']} (key {root['id']})"
    ramoctl("keys", "delete", created["id"])
    admin.delete_bucket(name)


def test_update_credential_sends_only_given_fields(admin):
    """update_credential leaves fields it was not given unchanged."""
    created = admin.create_credential(user_name=unique_user(), rate_limit=5)
    updated = admin.update_credential(created["id"], is_active=False)
    assert updated["rate_limit"] == 5 and updated["is_active"] is False
    assert admin.update_credential(created["id"], rate_limit=None)["rate_limit"] is None


# -- buckets -----------------------------------------------------------------

def test_bucket_quota_shows_in_buckets_show(ramoctl, admin):
    """A quota set with ``buckets quota`` appears in ``buckets show`` and the API."""
    name = unique_bucket_name()
    ramoctl("buckets", "create", name, "--quota", "10MB")
    assert admin.get_bucket(name)["quota_bytes"] == 10_000_000

    ramoctl("buckets", "quota", name, "1GiB")
    shown = ramoctl("buckets", "show", name).stdout
    assert field(shown, "Name") == name and "1073741824 bytes" in field(shown, "Quota")
    assert admin.get_bucket(name)["quota_bytes"] == 1073741824
    assert name in ramoctl("buckets", "list", "--prefix", name).stdout

    ramoctl("buckets", "quota", name, "none")
    assert field(ramoctl("buckets", "show", name).stdout, "Quota") == "none"
    ramoctl("buckets", "delete", name)
    assert ramoctl("buckets", "show", name, expect=1).stderr.startswith(
        "ramoctl: no_such_bucket: ")


def test_bucket_delete_needs_force_when_not_empty(ramoctl, admin, s3):
    """``buckets delete`` refuses a bucket with objects unless ``--force``."""
    name = unique_bucket_name()
    admin.create_bucket(name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    refused = ramoctl("buckets", "delete", name, expect=1).stderr
    assert refused.startswith("ramoctl: bucket_not_empty: ") and "--force" in refused
    ramoctl("buckets", "delete", name, "--force")
    with pytest.raises(AdminApiError) as info:
        admin.get_bucket(name)
    assert (info.value.status, info.value.code) == (404, "no_such_bucket")


def test_iter_buckets_follows_cursors(admin):
    """iter_buckets yields every matching bucket across pages of one."""
    prefix = unique_bucket_name("p")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        admin.create_bucket(name)
    try:
        assert [b["name"] for b in admin.iter_buckets(prefix=prefix, page_size=1)] == names
    finally:
        for name in names:
            admin.delete_bucket(name)


# -- objects and uploads -----------------------------------------------------

def test_objects_list_show_delete(ramoctl, admin, s3, bucket):
    """Objects are listed with common prefixes, shown with odd keys, and deleted."""
    keys = ["a.txt", "dir/sub/z", "dir/é x+y.txt"]  # UTF-8 byte order, as S3 lists them
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"hello", Metadata={"colour": "blue"})
    rolled = ramoctl("objects", "list", bucket, "--delimiter", "/").stdout
    assert "a.txt" in rolled and re.search(r"^dir/\s+PRE", rolled, re.MULTILINE)
    assert "dir/é x+y.txt" in ramoctl("objects", "list", bucket, "--prefix", "dir/").stdout

    shown = ramoctl("objects", "show", bucket, "dir/é x+y.txt").stdout
    assert field(shown, "Key") == "dir/é x+y.txt" and field(shown, "colour") == "blue"
    assert admin.get_object(bucket, "dir/é x+y.txt")["size"] == 5

    result = ramoctl("objects", "delete", bucket, "a.txt", "missing", expect=1)
    assert "deleted: a.txt" in result.stdout
    assert "ramoctl: no_such_key: missing" in result.stderr
    assert [o["key"] for o in admin.iter_objects(bucket)] == keys[1:]


def test_uploads_list_and_abort(ramoctl, admin, s3, bucket):
    """A multipart upload in progress is listed, then aborted with ramoctl."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    assert upload_id in ramoctl("uploads", "list", bucket).stdout
    assert admin.get_upload(bucket, upload_id)["object_key"] == "big.bin"
    ramoctl("uploads", "abort", bucket, upload_id)
    assert list(admin.iter_uploads(bucket)) == []
    assert ramoctl("uploads", "list", bucket).stdout.strip() == "No multipart uploads in progress."


# -- presigned URLs ----------------------------------------------------------

def test_presign_then_revoke(ramoctl, admin, s3, bucket):
    """``presign`` prints a URL that works until ``links revoke``."""
    s3.put_object(Bucket=bucket, Key="share me.txt", Body=b"shared")
    url = ramoctl("presign", bucket, "share me.txt", "--expires", "15m").stdout.strip()
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"shared"

    link = next(u for u in admin.iter_presigned_urls(bucket_name=bucket) if u["url"] == url)
    assert str(link["id"]) in ramoctl("links", "list", "--bucket", bucket).stdout
    ramoctl("links", "revoke", link["id"])
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=30)
    assert info.value.code == 403
    assert admin.get_presigned_url(link["id"])["revoked_at"] is not None


# -- stats and errors --------------------------------------------------------

def test_stats(ramoctl, admin):
    """``stats`` prints the server's counts; ``--json`` the API document."""
    out = ramoctl("stats").stdout
    assert int(field(out, "Credentials")) >= 1
    stats = json.loads(ramoctl("stats", "--json").stdout)
    assert set(stats) >= {"credentials", "buckets", "objects", "total_storage",
                          "total_storage_human", "active_multipart_uploads",
                          "active_presigned_urls"}
    assert admin.stats()["credentials"] >= 1


def test_wrong_api_key_exits_1(ramoctl, ramod):
    """A wrong admin key is the API's ``unauthorized`` error, exit status 1."""
    result = ramoctl("stats", "--api-key", "not-the-key", expect=1)
    assert result.stderr.startswith("ramoctl: unauthorized: ")
    with pytest.raises(AdminApiError) as info:
        AdminClient(ramod.admin_url, "not-the-key").stats()
    assert (info.value.status, info.value.code) == (401, "unauthorized")


def test_refused_connection_exits_3(offline_ramoctl):
    """Nothing listening is a connection error, exit status 3, with the URL in the message."""
    url = f"http://127.0.0.1:{free_port()}"
    result = offline_ramoctl("stats", "--url", url, expect=3)
    assert result.stderr.strip() == f"ramoctl: cannot connect to {url}: connection refused"
    with pytest.raises(AdminConnectionError, match="connection refused"):
        AdminClient(url, "k", timeout=5).stats()


def test_client_shared_between_threads(admin):
    """One AdminClient serves concurrent calls from many threads."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: admin.stats()["credentials"], range(32)))
    assert all(count >= 1 for count in results)


def test_api_key_read_from_data_dir(ramoctl, ramod, tmp_path):
    """Without a key in the environment, ramoctl reads DIR/admin-api-key."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "admin-api-key").write_text(ramod.admin_key + "\n")
    ramoctl("stats", "--data-dir", data_dir, RAMO_ADMIN_API_KEY="")


def test_error_body_that_is_not_json(offline_ramoctl):
    """A proxy's HTML error page still gives an AdminApiError with the HTTP status."""
    with stub_server(502, b"<html><body>502 Bad Gateway</body></html>") as url:
        with pytest.raises(AdminApiError) as info:
            AdminClient(url, "k").stats()
        assert (info.value.status, info.value.code) == (502, "http_502")
        assert "502 Bad Gateway" in info.value.message
        assert offline_ramoctl("stats", "--url", url, expect=1).stderr.startswith(
            "ramoctl: http_502: ")


def test_https_checks_the_certificate(tls_cert):
    """Over https an untrusted certificate is a connection error unless trusted or unchecked."""
    cert_path, key_path = tls_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    with stub_server(200, b'{"credentials": 1}', context) as url:
        assert url.startswith("https://")
        with pytest.raises(AdminConnectionError, match="certificate"):
            AdminClient(url, "k").stats()
        assert AdminClient(url, "k", cafile=str(cert_path)).stats() == {"credentials": 1}
        assert AdminClient(url, "k", verify=False).stats() == {"credentials": 1}


@contextlib.contextmanager
def stub_server(status: int, body: bytes, tls_context=None):
    """A local HTTP(S) server answering every GET with ``status`` and ``body``; yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scheme = "https" if tls_context is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
