"""The management API (docs/management-api.md) against a live ramod, with stdlib HTTP.

Most tests use the session server and only look at what they made themselves; the
exact figures of ``/stats`` and the root credential's protection are checked on a
server of this module's own (``own``), so that nothing else changes them.
"""

import http.client
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from botocore.exceptions import ClientError
from botocore.handlers import validate_ascii_metadata

from ramod_process import ADMIN_API_KEY, ROOT_ACCESS_KEY, RamodProcess, unique_bucket_name

MiB = 1024 * 1024
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def call(base_url, method, path, body=None, *, key=ADMIN_API_KEY, raw=None, headers=None):
    """One request to a management API: ``(status, decoded JSON or None, headers)``.

    ``path`` is under ``/api/v1`` unless it starts with ``/api/`` or ``/openapi``; it must
    be percent-encoded already.  Every error answer is checked to be the documented
    ``{"error": str, "message": str}`` JSON object.
    """
    if not path.startswith(("/api/", "/openapi")):
        path = "/api/v1" + path
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        content = response.read()
    finally:
        conn.close()
    decoded = json.loads(content) if content else None
    if response.status >= 400:
        assert response.headers["Content-Type"] == "application/json", content
        assert isinstance(decoded, dict) and set(decoded) == {"error", "message"}, decoded
        assert isinstance(decoded["error"], str) and isinstance(decoded["message"], str)
        assert decoded["message"]
    elif content:
        assert response.headers["Content-Type"] == "application/json"
    return response.status, decoded, response.headers


@pytest.fixture(scope="module")
def api(ramod):
    """``api(method, path, body=None, key=...) -> (status, json, headers)`` on the session
    server."""
    def bound(method, path, body=None, **kwargs):
        return call(ramod.admin_url, method, path, body, **kwargs)
    return bound


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A ramod of this module's own, for exact figures and for poking at root; what a delete
    leaves unreferenced goes at the next sweep (a 1 s garbage grace) instead of after an hour."""
    server = RamodProcess(tmp_path_factory.mktemp("ramod-admin-api"),
                          extra_args=["--garbage-grace", "1"])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_api(own):
    """``api`` on the module's own server."""
    def bound(method, path, body=None, **kwargs):
        return call(own.admin_url, method, path, body, **kwargs)
    return bound


@pytest.fixture
def cleanup(api):
    """Admin requests (method, path) to send after the test, last first; answers ignored."""
    todo = []
    yield todo
    for method, path in reversed(todo):
        api(method, path)


@pytest.fixture
def new_credential(api, cleanup):
    """Create a credential (``**fields`` as the body) that is deleted after the test."""
    def make(**fields):
        status, body, _ = api("POST", "/credentials", fields)
        assert status == 201, body
        cleanup.append(("DELETE", f"/credentials/{body['id']}"))
        return body
    return make


@pytest.fixture
def new_bucket(api, cleanup):
    """Create a bucket through the API (``**fields`` besides the name), removed (forced)
    after the test."""
    def make(name=None, **fields):
        name = name or unique_bucket_name("adm")
        status, body, _ = api("POST", "/buckets", {"name": name, **fields})
        assert status == 201, body
        cleanup.append(("DELETE", f"/buckets/{name}?force=true"))
        return body
    return make


def keyed_s3(s3_factory, credential):
    """A boto3 client with the keys of a created credential."""
    return s3_factory(access_key=credential["access_key"], secret_key=credential["secret_key"])


def s3_error(excinfo) -> tuple:
    """(HTTP status, S3 error code) of a botocore ClientError."""
    error = excinfo.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


def page_all(api, path, limit, key="items"):
    """Every item of a paged list, following next_cursor; also the number of pages."""
    items, cursor, pages = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        status, body, _ = api("GET", f"{path}{sep}{urlencode(query)}")
        assert status == 200, body
        page = body if key == "items" else body[key]
        assert len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def root_credential(api_) -> dict:
    """The root credential of a server."""
    status, body, _ = api_("GET", "/credentials?limit=1000")
    assert status == 200
    return next(c for c in body["items"] if c["is_root"])


def parse_time(text: str) -> datetime:
    assert TIME.fullmatch(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def wait_until(predicate, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def fetch(url, method="GET", data=None):
    """(status, body) of a plain HTTP request (a presigned URL); errors don't raise."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method),
                                    timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# -- conventions ------------------------------------------------------------------------------


@pytest.mark.parametrize("key, headers", [
    (None, {}),
    ("wrong-key-0123456789", {}),
    (ADMIN_API_KEY + "x", {}),
    (None, {"Authorization": f"Basic {ADMIN_API_KEY}"}),
    (None, {"Authorization": "Bearer"}),
    (None, {"Authorization": ADMIN_API_KEY}),
])
def test_unauthorized(api, key, headers):
    """A missing or wrong admin key is 401 ``unauthorized`` with WWW-Authenticate: Bearer."""
    for method, path in [("GET", "/stats"), ("GET", "/credentials"), ("POST", "/buckets"),
                         ("DELETE", "/credentials/1"), ("GET", "/no/such/route")]:
        status, body, answer = api(method, path, key=key, headers=headers)
        assert status == 401 and body["error"] == "unauthorized"
        assert answer["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(api):
    """``bearer`` in lower case is accepted."""
    status, _, _ = api("GET", "/stats", key=None,
                       headers={"Authorization": f"bearer {ADMIN_API_KEY}"})
    assert status == 200


def test_openapi_needs_no_key(api):
    """GET /openapi.json answers the OpenAPI document without a key; POST is 405."""
    status, body, headers = api("GET", "/openapi.json", key=None)
    assert status == 200 and body["openapi"].startswith("3.")
    assert "/api/v1/stats" in body["paths"]
    assert api("HEAD", "/openapi.json", key=None)[:2] == (200, None)
    status, body, headers = api("POST", "/openapi.json", key=None)
    assert status == 405 and body["error"] == "method_not_allowed" and headers["Allow"]


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/stats", "GET"),
    ("DELETE", "/buckets", "GET, POST"),
    ("POST", "/credentials/1", "DELETE, GET, PATCH"),
    ("PUT", "/presigned-urls/1", "DELETE, GET"),
])
def test_method_not_allowed(api, method, path, allow):
    """A route with a method it does not take is 405 with an Allow header."""
    status, body, headers = api(method, path)
    assert status == 405 and body["error"] == "method_not_allowed"
    assert headers["Allow"] == allow


@pytest.mark.parametrize("path", ["/nope", "/api/v2/stats", "/api/v1", "/", "/stats/x",
                                  "/credentials/abc", "/presigned-urls/-1"])
def test_unknown_route(api, path):
    """A path no route matches (ids that aren't numbers included) is 404 ``not_found``."""
    status, body, _ = api("GET", path)
    assert status == 404 and body["error"] == "not_found"


def test_body_too_large(api):
    """A body over 1 MiB is 413 ``request_too_large``."""
    raw = json.dumps({"user_name": "a" * MiB}).encode()
    status, body, _ = api("POST", "/credentials", raw=raw)
    assert status == 413 and body["error"] == "request_too_large"


@pytest.mark.parametrize("raw", [b"not json", b"[]", b"", b'"s"', b"{\"user_name\": }",
                                 b"\xff\xfe"])
def test_bad_json_bodies(api, raw):
    """A body that is not a JSON object is 400 ``invalid_request``."""
    status, body, _ = api("POST", "/credentials", raw=raw)
    assert status == 400 and body["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/buckets?prefix=%FF", "/buckets/abc/objects/%FF%FE",
                                  "/credentials?limit=0", "/credentials?limit=1001",
                                  "/credentials?limit=x", "/credentials?cursor=garbage!",
                                  "/buckets?owner_id=abc", "/presigned-urls?limit=-1"])
def test_bad_query_and_path(api, path):
    """Bad percent-encoding, limits and cursors are 400 ``invalid_request``."""
    status, body, _ = api("GET", path)
    assert status == 400 and body["error"] == "invalid_request"


def test_cursor_of_another_list(api, new_bucket, new_credential):
    """A cursor made for one list is refused by a list whose cursors have another shape."""
    prefix = unique_bucket_name("cur")
    for n in range(2):
        new_bucket(f"{prefix}-{n}")
    user = unique_bucket_name("cur")
    for _ in range(2):
        new_credential(user_name=user)
    _, buckets, _ = api("GET", f"/buckets?prefix={prefix}&limit=1")
    _, creds, _ = api("GET", f"/credentials?user_name={user}&limit=1")
    assert buckets["next_cursor"] and creds["next_cursor"]
    for path in (f"/credentials?cursor={buckets['next_cursor']}",
                 f"/presigned-urls?cursor={buckets['next_cursor']}",
                 f"/buckets?cursor={creds['next_cursor']}",
                 f"/buckets/{prefix}-0?cursor={creds['next_cursor']}",
                 f"/buckets/{prefix}-0/multipart-uploads?cursor={buckets['next_cursor']}"):
        status, body, _ = api("GET", path)
        assert status == 400 and body["error"] == "invalid_request", path


# -- stats ------------------------------------------------------------------------------------


def test_stats_follow_the_data(own, own_api, s3_factory):
    """/stats counts credentials, buckets, objects, storage (parts included), uploads and
    active presigned URLs exactly."""
    def stats():
        status, body, _ = own_api("GET", "/stats")
        assert status == 200
        return body

    before = stats()
    assert before == {"credentials": 1, "buckets": 0, "objects": 0, "total_storage": 0,
                      "total_storage_human": "0 B", "active_multipart_uploads": 0,
                      "active_presigned_urls": 0}
    s3 = s3_factory(own)
    name = unique_bucket_name("stats")
    assert own_api("POST", "/buckets", {"name": name})[0] == 201
    s3.put_object(Bucket=name, Key="a", Body=b"a" * 1000)
    s3.put_object(Bucket=name, Key="b", Body=b"b" * 500)
    assert stats() == {**before, "buckets": 1, "objects": 2, "total_storage": 1500,
                       "total_storage_human": "1.5 kB"}

    upload = s3.create_multipart_upload(Bucket=name, Key="m")["UploadId"]
    s3.upload_part(Bucket=name, Key="m", UploadId=upload, PartNumber=1, Body=b"p" * 1000)
    status, cred, _ = own_api("POST", "/credentials", {"user_name": "statsuser"})
    assert status == 201
    status, url, _ = own_api("POST", "/presigned-urls", {"bucket_name": name, "object_key": "a"})
    assert status == 201
    assert stats() == {"credentials": 2, "buckets": 1, "objects": 2, "total_storage": 2500,
                       "total_storage_human": "2.5 kB", "active_multipart_uploads": 1,
                       "active_presigned_urls": 1}

    s3.put_object(Bucket=name, Key="a", Body=b"a" * 2_000_000)  # overwrite
    assert stats()["total_storage"] == 2_001_500
    assert stats()["total_storage_human"] == "2.0 MB"
    assert own_api("DELETE", f"/presigned-urls/{url['id']}")[0] == 204
    assert own_api("DELETE", f"/buckets/{name}/multipart-uploads/{upload}")[0] == 204
    assert own_api("DELETE", f"/buckets/{name}/objects/b")[0] == 204
    assert stats() == {"credentials": 2, "buckets": 1, "objects": 1, "total_storage": 2_000_000,
                       "total_storage_human": "2.0 MB", "active_multipart_uploads": 0,
                       "active_presigned_urls": 0}
    assert own_api("DELETE", f"/buckets/{name}?force=true")[0] == 204
    assert own_api("DELETE", f"/credentials/{cred['id']}")[0] == 204
    assert stats() == before


def test_stats_on_the_shared_server(api, bucket, s3):
    """On the session server, figures grow at least by what this test adds."""
    _, before, _ = api("GET", "/stats")
    s3.put_object(Bucket=bucket, Key="x", Body=b"x" * 1234)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p" * 100)
    status, url, _ = api("POST", "/presigned-urls", {"bucket_name": bucket, "object_key": "x"})
    assert status == 201
    _, after, _ = api("GET", "/stats")
    assert after["objects"] >= before["objects"] + 1
    assert after["total_storage"] >= before["total_storage"] + 1334
    assert after["active_multipart_uploads"] >= before["active_multipart_uploads"] + 1
    assert after["active_presigned_urls"] >= before["active_presigned_urls"] + 1
    assert after["buckets"] >= 1 and after["credentials"] >= 1
    assert re.fullmatch(r"\d+ B|\d+\.\d [kMGTP]B", after["total_storage_human"])
    api("DELETE", f"/presigned-urls/{url['id']}")


# -- credentials ----------------------------------------------------------------------------


def test_create_generated_credential(api, new_credential, s3_factory):
    """Without keys the server generates AWS-shaped ones; the user name defaults to the
    access key; the secret comes back only from the create call."""
    cred = new_credential()
    assert re.fullmatch(r"[A-Z0-9]{20}", cred["access_key"])
    assert len(cred["secret_key"]) == 40 and re.fullmatch(r"[\x21-\x7e]+", cred["secret_key"])
    assert cred["user_name"] == cred["access_key"]
    assert cred["is_active"] is True and cred["is_root"] is False
    assert cred["rate_limit"] is None and TIME.fullmatch(cred["created_at"])
    assert set(cred) == {"id", "user_name", "access_key", "secret_key", "is_active", "is_root",
                         "rate_limit", "created_at"}
    assert keyed_s3(s3_factory, cred).list_buckets()["Buckets"] == []

    status, got, _ = api("GET", f"/credentials/{cred['id']}")
    assert status == 200 and "secret_key" not in got
    assert {k: got[k] for k in cred if k != "secret_key"} == {
        k: v for k, v in cred.items() if k != "secret_key"}
    status, listed, _ = api("GET", f"/credentials?user_name={cred['user_name']}")
    assert [c["id"] for c in listed["items"]] == [cred["id"]]
    assert "secret_key" not in listed["items"][0]
    assert new_credential()["access_key"] != cred["access_key"]


def test_create_custom_credential(api, new_credential, s3_factory):
    """Given keys, user name, activity and rate limit are taken as they are."""
    access = "CUSTOM" + unique_bucket_name("k").replace("-", "").upper()
    secret = "s3cr3t/+=!~x"
    user = "alice.b@example+x-" + access[-6:]
    cred = new_credential(user_name=user, access_key=access, secret_key=secret,
                          rate_limit=12.5, is_active=True)
    assert (cred["user_name"], cred["access_key"], cred["secret_key"], cred["rate_limit"]) == (
        user, access, secret, 12.5)
    assert keyed_s3(s3_factory, cred).list_buckets()["Buckets"] == []
    inactive = new_credential(is_active=False, rate_limit=None)
    assert inactive["is_active"] is False and inactive["rate_limit"] is None
    with pytest.raises(ClientError) as excinfo:
        keyed_s3(s3_factory, inactive).list_buckets()
    assert s3_error(excinfo) == (403, "InvalidAccessKeyId")


def test_access_key_taken(api, new_credential):
    """An access key in use, the root's included, is 409 ``access_key_taken``."""
    cred = new_credential()
    for access in (cred["access_key"], ROOT_ACCESS_KEY):
        status, body, _ = api("POST", "/credentials", {"access_key": access})
        assert status == 409 and body["error"] == "access_key_taken"


@pytest.mark.parametrize("body, field", [
    ({"colour": "red"}, "colour"),
    ({"user_name": 5}, "user_name"),
    ({"user_name": ""}, "user_name"),
    ({"user_name": "has space"}, "user_name"),
    ({"user_name": "x" * 65}, "user_name"),
    ({"user_name": "naïve"}, "user_name"),
    ({"access_key": "SHORT0123456789"}, "access_key"),
    ({"access_key": "WITH-DASH-0123456789"}, "access_key"),
    ({"access_key": "A" * 129}, "access_key"),
    ({"access_key": 1234567890123456}, "access_key"),
    ({"secret_key": "seven77"}, "secret_key"),
    ({"secret_key": "has a space"}, "secret_key"),
    ({"secret_key": "x" * 129}, "secret_key"),
    ({"is_active": "yes"}, "is_active"),
    ({"is_active": 1}, "is_active"),
    ({"rate_limit": 0}, "rate_limit"),
    ({"rate_limit": -1}, "rate_limit"),
    ({"rate_limit": 1_000_001}, "rate_limit"),
    ({"rate_limit": "5"}, "rate_limit"),
    ({"rate_limit": True}, "rate_limit"),
])
def test_create_credential_validation(api, body, field):
    """Unknown fields, wrong types and values out of range are 400 naming the field."""
    status, answer, _ = api("POST", "/credentials", body)
    assert status == 400 and answer["error"] == "invalid_request"
    assert field in answer["message"]


def test_credential_limits_accepted(api, new_credential):
    """The edges of the documented ranges are accepted."""
    cred = new_credential(user_name="u" * 64, access_key=uuid.uuid4().hex[:16].upper(),
                          secret_key="8chars!!", rate_limit=1000000)
    assert cred["rate_limit"] == 1000000 and len(cred["user_name"]) == 64
    assert len(cred["access_key"]) == 16
    cred = new_credential(access_key=(uuid.uuid4().hex * 4).upper(), secret_key="~" * 128,
                          rate_limit=0.5, user_name="a")
    assert (len(cred["access_key"]), cred["rate_limit"], cred["user_name"]) == (128, 0.5, "a")


def test_get_credential_with_buckets(api, new_credential, new_bucket, s3_factory):
    """GET /credentials/{id} adds bucket_count and the buckets of the key's user, with usage."""
    user = unique_bucket_name("user")
    first = new_credential(user_name=user)
    second = new_credential(user_name=user)
    name = new_bucket(owner_id=first["id"])["name"]
    keyed_s3(s3_factory, first).put_object(Bucket=name, Key="k", Body=b"z" * 100)
    for cred in (first, second):
        status, got, _ = api("GET", f"/credentials/{cred['id']}")
        assert status == 200
        assert got["bucket_count"] == 1
        assert got["buckets"] == [{"name": name, "object_count": 1, "total_size": 100,
                                   "total_size_human": "100 B"}]
    status, body, _ = api("GET", "/credentials/999999999")
    assert status == 404 and body["error"] == "no_such_credential"


def test_update_credential(api, new_credential, new_bucket, s3_factory):
    """PATCH renames (the key's buckets follow), disables at once and sets the rate limit."""
    cred = new_credential(user_name=unique_bucket_name("before"))
    name = new_bucket(owner_id=cred["id"])["name"]
    s3 = keyed_s3(s3_factory, cred)
    s3.put_object(Bucket=name, Key="k", Body=b"data")
    status, url, _ = api("POST", "/presigned-urls", {"bucket_name": name, "object_key": "k"})
    assert status == 201 and url["access_key"] == cred["access_key"]
    assert fetch(url["url"]) == (200, b"data")

    renamed = unique_bucket_name("after")
    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {"user_name": renamed})
    assert status == 200 and got["user_name"] == renamed
    assert api("GET", f"/buckets/{name}")[1]["owner_name"] == renamed
    assert api("GET", f"/credentials/{cred['id']}")[1]["bucket_count"] == 1
    assert s3.head_object(Bucket=name, Key="k")["ContentLength"] == 4

    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {"is_active": False})
    assert status == 200 and got["is_active"] is False
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert s3_error(excinfo)[0] == 403
    status, content = fetch(url["url"])
    assert status == 403 and b"InvalidAccessKeyId" in content
    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {"is_active": True})
    assert status == 200 and got["is_active"] is True
    assert s3.head_object(Bucket=name, Key="k")["ContentLength"] == 4

    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {"rate_limit": 5})
    assert status == 200 and got["rate_limit"] == 5
    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {"rate_limit": None})
    assert status == 200 and got["rate_limit"] is None
    status, got, _ = api("PATCH", f"/credentials/{cred['id']}", {})
    assert status == 200 and got["user_name"] == renamed and got["is_active"] is True
    assert "secret_key" not in got


@pytest.mark.parametrize("body, field", [
    ({"secret_key": "new-secret-1"}, "secret_key"),
    ({"access_key": "A" * 20}, "access_key"),
    ({"is_active": None}, "is_active"),
    ({"rate_limit": 0}, "rate_limit"),
    ({"user_name": "bad name"}, "user_name"),
])
def test_update_credential_validation(api, new_credential, body, field):
    """PATCH refuses fields it does not take and bad values, naming the field."""
    cred = new_credential()
    status, answer, _ = api("PATCH", f"/credentials/{cred['id']}", body)
    assert status == 400 and answer["error"] == "invalid_request"
    assert field in answer["message"]


def test_update_unknown_credential(api):
    """PATCH and DELETE of an unknown id are 404 ``no_such_credential``."""
    for method, body in (("PATCH", {"is_active": True}), ("DELETE", None)):
        status, answer, _ = api(method, "/credentials/987654321", body)
        assert status == 404 and answer["error"] == "no_such_credential"


def test_root_is_protected(own, own_api, s3_factory):
    """Root can't be disabled, renamed or deleted (409); its rate limit may change."""
    root = root_credential(own_api)
    for method, body in (("PATCH", {"is_active": False}),
                         ("PATCH", {"user_name": "someone-else"}),
                         ("PATCH", {"user_name": "someone-else", "is_active": True}),
                         ("DELETE", None)):
        status, answer, _ = own_api(method, f"/credentials/{root['id']}", body)
        assert status == 409 and answer["error"] == "root_credential_protected"
    status, got, _ = own_api("PATCH", f"/credentials/{root['id']}",
                             {"is_active": True, "user_name": root["user_name"]})
    assert status == 200 and got == root
    status, got, _ = own_api("PATCH", f"/credentials/{root['id']}", {"rate_limit": 1000})
    assert status == 200 and got["rate_limit"] == 1000
    status, got, _ = own_api("PATCH", f"/credentials/{root['id']}", {"rate_limit": None})
    assert got == root
    assert s3_factory(own).list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_credential_passes_buckets_on(api, new_credential, new_bucket, s3_factory):
    """Deleting a key hands its buckets to another key of the user; the user's last key
    can't go while the user owns buckets (409 ``credential_in_use``)."""
    user = unique_bucket_name("heir")
    first = new_credential(user_name=user)
    second = new_credential(user_name=user)
    name = new_bucket(owner_id=first["id"])["name"]
    keyed_s3(s3_factory, first).put_object(Bucket=name, Key="k", Body=b"v")

    assert api("DELETE", f"/credentials/{first['id']}")[0] == 204
    status, answer, _ = api("GET", f"/credentials/{first['id']}")
    assert status == 404 and answer["error"] == "no_such_credential"
    _, got, _ = api("GET", f"/buckets/{name}")
    assert (got["owner_id"], got["owner_name"]) == (second["id"], user)
    assert keyed_s3(s3_factory, second).get_object(Bucket=name, Key="k")["Body"].read() == b"v"

    status, answer, _ = api("DELETE", f"/credentials/{second['id']}")
    assert status == 409 and answer["error"] == "credential_in_use"
    assert api("GET", f"/credentials/{second['id']}")[0] == 200
    assert api("DELETE", f"/buckets/{name}?force=true")[0] == 204
    assert api("DELETE", f"/credentials/{second['id']}")[0] == 204
    status, answer, _ = api("DELETE", f"/credentials/{second['id']}")
    assert status == 404 and answer["error"] == "no_such_credential"


def test_delete_credential_without_buckets(api, new_credential, s3_factory):
    """A key whose user owns nothing is deleted (204) and stops working over S3."""
    cred = new_credential()
    assert api("DELETE", f"/credentials/{cred['id']}")[0] == 204
    with pytest.raises(ClientError) as excinfo:
        keyed_s3(s3_factory, cred).list_buckets()
    assert s3_error(excinfo) == (403, "InvalidAccessKeyId")


def test_credential_paging(api, new_credential):
    """Paging with limit=2 visits each credential exactly once, in id order."""
    user = unique_bucket_name("pager")
    made = [new_credential(user_name=user)["id"] for _ in range(5)]
    items, pages = page_all(api, f"/credentials?user_name={user}", 2)
    assert [c["id"] for c in items] == made and pages == 3
    everything, _ = page_all(api, "/credentials", 2)
    ids = [c["id"] for c in everything]
    assert ids == sorted(set(ids)) and set(made) <= set(ids)
    assert sum(c["is_root"] for c in everything) == 1
    _, body, _ = api("GET", f"/credentials?user_name={user}&limit=5")
    assert len(body["items"]) == 5 and body["next_cursor"] is None


# -- buckets ----------------------------------------------------------------------------------


def test_create_bucket(api, new_credential, new_bucket, s3_factory):
    """POST /buckets with an owner and a quota; the owner's key reaches it over S3."""
    cred = new_credential()
    got = new_bucket(owner_id=cred["id"], quota_bytes=1_000_000)
    assert got["region"] == "us-east-1" and got["owner_id"] == cred["id"]
    assert got["owner_name"] == cred["user_name"]
    assert (got["object_count"], got["total_size"], got["total_size_human"]) == (0, 0, "0 B")
    assert (got["multipart_size"], got["multipart_size_human"]) == (0, "0 B")
    assert (got["quota_bytes"], got["quota_bytes_human"]) == (1_000_000, "1.0 MB")
    assert TIME.fullmatch(got["created_at"])
    keyed_s3(s3_factory, cred).head_bucket(Bucket=got["name"])
    assert api("GET", f"/buckets/{got['name']}")[1] == {**got, "objects": {
        "items": [], "common_prefixes": [], "next_cursor": None}}


def test_create_bucket_defaults_to_root(api, new_bucket):
    """Without owner_id the bucket belongs to root, without a quota; the region may be given."""
    got = new_bucket(region="us-east-1")
    _, owner, _ = api("GET", f"/credentials/{got['owner_id']}")
    assert owner["is_root"] is True and got["owner_name"] == owner["user_name"]
    assert (got["quota_bytes"], got["quota_bytes_human"]) == (None, None)


@pytest.mark.parametrize("name", ["ab", "x" * 64, "Upper-case", "under_score", "-leading",
                                  "trailing-", "a..b", "a.-b", "192.168.1.1", "xn--punycode",
                                  "sthree-x", "name-s3alias", "spa ce", "ünï"])
def test_invalid_bucket_names(api, name):
    """Names S3 refuses are 400 ``invalid_bucket_name``."""
    status, body, _ = api("POST", "/buckets", {"name": name})
    assert status == 400 and body["error"] == "invalid_bucket_name"


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": 5}, "name"),
    ({"owner_id": "1"}, "owner_id"),
    ({"owner_id": 0}, "owner_id"),
    ({"owner_id": None}, "owner_id"),
    ({"owner_id": True}, "owner_id"),
    ({"quota_bytes": -1}, "quota_bytes"),
    ({"quota_bytes": "1"}, "quota_bytes"),
    ({"quota_bytes": 1.5}, "quota_bytes"),
    ({"region": 1}, "region"),
    ({"acl": "private"}, "acl"),
])
def test_create_bucket_validation(api, body, field):
    """Bad fields are 400 ``invalid_request`` naming the field."""
    if "name" not in body and field != "name":
        body = {"name": unique_bucket_name("val"), **body}
    status, answer, _ = api("POST", "/buckets", body)
    assert status == 400 and answer["error"] == "invalid_request"
    assert field in answer["message"]


def test_create_bucket_refusals(api, bucket, new_bucket):
    """Taken names are 409, another region 400, an unknown owner 404."""
    existing = new_bucket()["name"]
    for name in (existing, bucket):
        status, body, _ = api("POST", "/buckets", {"name": name})
        assert status == 409 and body["error"] == "bucket_already_exists"
    name = unique_bucket_name("refused")
    status, body, _ = api("POST", "/buckets", {"name": name, "region": "eu-west-1"})
    assert status == 400 and body["error"] == "invalid_request" and "region" in body["message"]
    status, body, _ = api("POST", "/buckets", {"name": name, "owner_id": 987654321})
    assert status == 404 and body["error"] == "no_such_credential"
    assert api("GET", f"/buckets/{name}")[0] == 404


def test_list_buckets(api, new_credential, new_bucket):
    """Lists filter by prefix and owner (the key's user), in name order, paged."""
    prefix = unique_bucket_name("lst")
    cred = new_credential()
    names = [new_bucket(f"{prefix}-{n}", **({"owner_id": cred["id"]} if n % 2 else {}))["name"]
             for n in (3, 1, 2, 0)]
    status, body, _ = api("GET", f"/buckets?prefix={prefix}")
    assert status == 200 and [b["name"] for b in body["items"]] == sorted(names)
    assert body["next_cursor"] is None
    for limit, expected_pages in ((3, 2), (2, 2), (1, 4)):
        items, pages = page_all(api, f"/buckets?prefix={prefix}", limit)
        assert [b["name"] for b in items] == sorted(names) and pages == expected_pages
    _, body, _ = api("GET", f"/buckets?owner_id={cred['id']}")
    assert [b["name"] for b in body["items"]] == [f"{prefix}-1", f"{prefix}-3"]
    _, body, _ = api("GET", f"/buckets?owner_id={cred['id']}&prefix={prefix}-3")
    assert [b["name"] for b in body["items"]] == [f"{prefix}-3"]
    everything, _ = page_all(api, "/buckets", 2)
    all_names = [b["name"] for b in everything]
    assert all_names == sorted(set(all_names)) and set(names) <= set(all_names)
    status, body, _ = api("GET", "/buckets?owner_id=987654321")
    assert status == 404 and body["error"] == "no_such_credential"
    _, body, _ = api("GET", f"/buckets?prefix={prefix}-9")
    assert body == {"items": [], "next_cursor": None}


def test_bucket_object_pages(api, bucket, s3):
    """GET /buckets/{bucket} pages its objects by cursor: 25 keys by 10 are 10, 10, 5."""
    keys = [f"k{n:02d}" for n in range(25)]
    for key in reversed(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for query in ("limit=0", "limit=1001", "cursor=!!", "cursor=NQ"):  # NQ: base64 of 5
        status, body, _ = api("GET", f"/buckets/{bucket}?{query}")
        assert status == 400 and body["error"] == "invalid_request", query
    items, pages = page_all(api, f"/buckets/{bucket}", 10, key="objects")
    assert [o["key"] for o in items] == keys and pages == 3
    assert items[0] == {"key": "k00", "size": 3, "size_human": "3 B", "etag": items[0]["etag"],
                        "last_modified": items[0]["last_modified"], "storage_class": "STANDARD",
                        "is_multipart": False}
    assert items[0]["etag"].strip('"') == s3.head_object(Bucket=bucket, Key="k00")["ETag"].strip('"')
    _, got, _ = api("GET", f"/buckets/{bucket}")
    assert (got["object_count"], got["total_size"], got["total_size_human"]) == (25, 75, "75 B")
    objects, _ = page_all(api, f"/buckets/{bucket}/objects", 7)
    assert [o["key"] for o in objects] == keys
    # a last page that is exactly full has no next_cursor
    _, page, _ = api("GET", f"/buckets/{bucket}/objects?prefix=k1&limit=10")
    assert len(page["items"]) == 10 and page["next_cursor"] is None
    objects, pages = page_all(api, f"/buckets/{bucket}/objects?prefix=k", 5)
    assert [o["key"] for o in objects] == keys and pages == 5


def test_object_listing_prefix_and_delimiter(api, bucket, s3):
    """A delimiter rolls keys up into common_prefixes; limit counts both; keys are in UTF-8
    byte order."""
    keys = ["a/1", "a/2", "a/3", "b/1", "c", "d/x/1", "e", "é", "😀", "\uff61", "Z"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    _, got, _ = api("GET", f"/buckets/{bucket}?delimiter=/")
    assert got["objects"]["common_prefixes"] == ["a/", "b/", "d/"]
    assert [o["key"] for o in got["objects"]["items"]] == sorted(
        ["c", "e", "é", "😀", "\uff61", "Z"], key=lambda k: k.encode())
    entries, cursor = [], None
    while True:
        query = urlencode({"delimiter": "/", "limit": "2", **({"cursor": cursor} if cursor else {})})
        _, page, _ = api("GET", f"/buckets/{bucket}/objects?{query}")
        assert len(page["items"]) + len(page["common_prefixes"]) <= 2
        entries += [o["key"] for o in page["items"]] + page["common_prefixes"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(entries, key=lambda k: k.encode()) == sorted(
        ["a/", "b/", "d/", "c", "e", "é", "😀", "\uff61", "Z"], key=lambda k: k.encode())
    assert len(entries) == 9
    _, page, _ = api("GET", f"/buckets/{bucket}/objects?prefix=a/")
    assert [o["key"] for o in page["items"]] == ["a/1", "a/2", "a/3"]
    _, page, _ = api("GET", f"/buckets/{bucket}/objects?prefix=d/&delimiter=/")
    assert page == {"items": [], "common_prefixes": ["d/x/"], "next_cursor": None}
    _, page, _ = api("GET", f"/buckets/{bucket}/objects?prefix={quote('é')}")
    assert [o["key"] for o in page["items"]] == ["é"]


def test_update_bucket(api, new_credential, new_bucket, s3):
    """PATCH sets and clears the quota (enforced over S3) and changes the owner."""
    got = new_bucket()
    name = got["name"]
    status, got, _ = api("PATCH", f"/buckets/{name}", {"quota_bytes": 5000})
    assert status == 200 and (got["quota_bytes"], got["quota_bytes_human"]) == (5000, "5.0 kB")
    s3.put_object(Bucket=name, Key="fits", Body=b"f" * 4000)
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=name, Key="too-much", Body=b"t" * 1001)
    assert s3_error(excinfo) == (403, "QuotaExceeded")
    status, got, _ = api("PATCH", f"/buckets/{name}", {"quota_bytes": None})
    assert status == 200 and got["quota_bytes"] is None
    s3.put_object(Bucket=name, Key="too-much", Body=b"t" * 1001)

    cred = new_credential()
    status, got, _ = api("PATCH", f"/buckets/{name}", {"owner_id": cred["id"]})
    assert status == 200 and (got["owner_id"], got["owner_name"]) == (
        cred["id"], cred["user_name"])
    assert got["object_count"] == 2 and got["total_size"] == 5001
    status, got, _ = api("PATCH", f"/buckets/{name}", {})
    assert status == 200 and got["owner_id"] == cred["id"]
    api("PATCH", f"/buckets/{name}", {"owner_id": root_credential(api)["id"]})

    for body, code in (({"owner_id": 987654321}, "no_such_credential"),
                       ({"quota_bytes": -5}, "invalid_request"),
                       ({"name": "renamed"}, "invalid_request"),
                       ({"owner_id": None}, "invalid_request")):
        status, answer, _ = api("PATCH", f"/buckets/{name}", body)
        assert answer["error"] == code
    status, answer, _ = api("PATCH", f"/buckets/{unique_bucket_name('none')}", {"quota_bytes": 1})
    assert status == 404 and answer["error"] == "no_such_bucket"


def test_delete_bucket(own, own_api, s3_factory):
    """Non-empty is 409 without force; force=true deletes objects, their files (by the sweep,
    once the garbage grace is over) and the bucket."""
    api, s3 = own_api, s3_factory(own)
    name = unique_bucket_name("del")
    assert api("POST", "/buckets", {"name": name})[0] == 201
    for n in range(3):
        s3.put_object(Bucket=name, Key=f"obj/{n}", Body=b"x" * (n + 1) * 100)
    paths = [Path(api("GET", f"/buckets/{name}/objects/obj/{n}")[1]["storage_path"])
             for n in range(3)]
    assert all(p.exists() for p in paths)
    status, body, _ = api("DELETE", f"/buckets/{name}")
    assert status == 409 and body["error"] == "bucket_not_empty"
    status, body, _ = api("DELETE", f"/buckets/{name}?force=maybe")
    assert status == 400 and "force" in body["message"]
    assert api("DELETE", f"/buckets/{name}?force=false")[0] == 409
    status, body, _ = api("DELETE", f"/buckets/{name}?force=true")
    assert (status, body) == (204, None)
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket=name)
    assert s3_error(excinfo) == (404, "NoSuchBucket")
    assert wait_until(lambda: not any(p.exists() for p in paths), timeout=20)
    status, body, _ = api("GET", f"/buckets/{name}")
    assert status == 404 and body["error"] == "no_such_bucket"
    status, body, _ = api("DELETE", f"/buckets/{name}?force=true")
    assert status == 404 and body["error"] == "no_such_bucket"


def test_delete_empty_bucket(api, s3):
    """An empty bucket (made over S3) is deleted without force: 204, no body."""
    name = unique_bucket_name("empty")
    s3.create_bucket(Bucket=name)
    status, body, _ = api("DELETE", f"/buckets/{name}")
    assert (status, body) == (204, None)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_bucket_with_an_upload_in_progress(api, s3):
    """A bucket whose only content is a multipart upload is not empty; force aborts it."""
    name = unique_bucket_name("upl")
    s3.create_bucket(Bucket=name)
    upload = s3.create_multipart_upload(Bucket=name, Key="pending")["UploadId"]
    s3.upload_part(Bucket=name, Key="pending", UploadId=upload, PartNumber=1, Body=b"p" * 10)
    status, body, _ = api("DELETE", f"/buckets/{name}")
    assert status == 409 and body["error"] == "bucket_not_empty"
    assert s3.list_multipart_uploads(Bucket=name)["Uploads"][0]["UploadId"] == upload
    assert api("DELETE", f"/buckets/{name}?force=1")[0] == 204
    with pytest.raises(ClientError) as excinfo:
        s3.list_multipart_uploads(Bucket=name)
    assert s3_error(excinfo) == (404, "NoSuchBucket")


# -- objects ----------------------------------------------------------------------------------


def test_get_object(api, bucket, s3):
    """An object's details: size, etag, type, UTF-8 metadata, headers, tags, storage path."""
    s3.meta.events.unregister("before-parameter-build.s3.PutObject", validate_ascii_metadata)
    utf8 = "café ☃"  # botocore sends header values as UTF-8 (S3 stores the bytes)
    put = s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello world",
                        ContentType="text/plain; charset=utf-8", CacheControl="no-cache",
                        Metadata={"colour": "blue", "note": utf8}, Tagging="a=1&b=two")
    status, got, _ = api("GET", f"/buckets/{bucket}/objects/doc.txt")
    assert status == 200
    assert (got["key"], got["size"], got["size_human"]) == ("doc.txt", 11, "11 B")
    assert got["etag"].strip('"') == put["ETag"].strip('"')
    assert got["content_type"] == "text/plain; charset=utf-8"
    assert got["metadata"] == {"colour": "blue", "note": "café ☃"}
    assert {k.lower(): v for k, v in got["headers"].items()}.get("cache-control") == "no-cache"
    assert got["tags"] == {"a": "1", "b": "two"}
    assert got["is_multipart"] is False and got["parts"] == [] and got["part_count"] in (None, 0)
    assert got["storage_class"] == "STANDARD"
    assert Path(got["storage_path"]).read_bytes() == b"hello world"
    assert isinstance(got["checksums"], dict)
    assert parse_time(got["created_at"]) == parse_time(got["updated_at"])

    time.sleep(1.1)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"second version")
    _, again, _ = api("GET", f"/buckets/{bucket}/objects/doc.txt")
    assert again["created_at"] == got["created_at"]
    assert parse_time(again["updated_at"]) > parse_time(got["updated_at"])
    assert again["size"] == 14 and again["metadata"] == {} and again["tags"] == {}
    assert Path(again["storage_path"]).read_bytes() == b"second version"

    status, body, _ = api("GET", f"/buckets/{bucket}/objects/missing")
    assert status == 404 and body["error"] == "no_such_key"
    status, body, _ = api("GET", f"/buckets/{unique_bucket_name('none')}/objects/doc.txt")
    assert status == 404 and body["error"] == "no_such_bucket"


def test_multipart_object(api, bucket, s3):
    """A multipart object shows is_multipart, part_count and its parts' files."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    sizes = [5 * MiB, 1234]
    parts = []
    for number, size in enumerate(sizes, 1):
        etag = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload, PartNumber=number,
                              Body=bytes([number]) * size)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload,
                                        MultipartUpload={"Parts": parts})
    _, got, _ = api("GET", f"/buckets/{bucket}/objects/big.bin")
    assert got["is_multipart"] is True and got["part_count"] == 2
    assert got["size"] == sum(sizes) and got["size_human"] == "5.2 MB"
    assert got["etag"].strip('"') == done["ETag"].strip('"') and got["etag"].endswith('-2"')
    assert got["storage_path"] is None
    assert [(p["part_number"], p["size"]) for p in got["parts"]] == [(1, sizes[0]), (2, sizes[1])]
    for part, sent in zip(got["parts"], parts):
        assert part["etag"].strip('"') == sent["ETag"].strip('"')
        assert Path(part["storage_path"]).stat().st_size == part["size"]
    _, listing, _ = api("GET", f"/buckets/{bucket}/objects")
    assert listing["items"][0]["is_multipart"] is True


@pytest.mark.parametrize("key", ["with space.txt", "dir/sub dir/file", "café/☃ 😀.txt",
                                 "a+b=c&d?e#f", "trailing/", "100%", "delete"])
def test_object_key_encodings(api, bucket, s3, key):
    """Keys with spaces, unicode and slashes are reached with raw ``/`` or ``%2F``."""
    s3.put_object(Bucket=bucket, Key=key, Body=b"k")
    for safe in ("/", ""):
        status, got, _ = api("GET", f"/buckets/{bucket}/objects/{quote(key, safe=safe)}")
        assert status == 200 and got["key"] == key
    _, listing, _ = api("GET", f"/buckets/{bucket}/objects?prefix={quote(key, safe='')}")
    assert [o["key"] for o in listing["items"]] == [key]
    assert api("DELETE", f"/buckets/{bucket}/objects/{quote(key, safe='')}")[0] == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_object(own, own_api, s3_factory):
    """DELETE of an object is 204 (its file goes, by the sweep after the garbage grace); again,
    or unknown, is 404 ``no_such_key``."""
    api, s3 = own_api, s3_factory(own)
    bucket = unique_bucket_name("delobj")
    assert api("POST", "/buckets", {"name": bucket})[0] == 201
    s3.put_object(Bucket=bucket, Key="gone/soon", Body=b"bye")
    path = Path(api("GET", f"/buckets/{bucket}/objects/gone/soon")[1]["storage_path"])
    status, body, _ = api("DELETE", f"/buckets/{bucket}/objects/gone%2Fsoon")
    assert (status, body) == (204, None)
    for method in ("GET", "DELETE"):
        status, body, _ = api(method, f"/buckets/{bucket}/objects/gone/soon")
        assert status == 404 and body["error"] == "no_such_key"
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="gone/soon")
    assert s3_error(excinfo)[0] == 404
    assert path.exists()                 # kept for the grace: a GET elsewhere may be reading it
    assert wait_until(lambda: not path.exists(), timeout=20)
    status, body, _ = api("DELETE", f"/buckets/{unique_bucket_name('none')}/objects/x")
    assert status == 404 and body["error"] == "no_such_bucket"


def test_batch_delete(api, bucket, s3):
    """POST .../objects/delete deletes the keys there are and reports missing ones."""
    for key in ("one", "two", "delete", "dir/three"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    status, got, _ = api("POST", f"/buckets/{bucket}/objects/delete",
                         {"keys": ["one", "missing", "dir/three", "one", "delete"]})
    assert status == 200
    assert got["deleted"] == ["one", "dir/three", "delete"]
    assert len(got["errors"]) == 1
    assert got["errors"][0]["key"] == "missing" and got["errors"][0]["error"] == "no_such_key"
    assert got["errors"][0]["message"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["two"]
    for body in ({"keys": []}, {"keys": ["k"] * 1001}, {"keys": "two"}, {"keys": [1]}, {},
                 {"keys": ["two"], "quiet": True}):
        status, answer, _ = api("POST", f"/buckets/{bucket}/objects/delete", body)
        assert status == 400 and answer["error"] == "invalid_request"
    status, answer, _ = api("POST", f"/buckets/{unique_bucket_name('none')}/objects/delete",
                            {"keys": ["a"]})
    assert status == 404 and answer["error"] == "no_such_bucket"


def test_key_named_delete(api, bucket, s3):
    """GET and DELETE of .../objects/delete reach the object named "delete"."""
    s3.put_object(Bucket=bucket, Key="delete", Body=b"named delete")
    status, got, _ = api("GET", f"/buckets/{bucket}/objects/delete")
    assert status == 200 and got["key"] == "delete" and got["size"] == 12
    assert api("DELETE", f"/buckets/{bucket}/objects/delete")[0] == 204
    assert api("GET", f"/buckets/{bucket}/objects/delete")[0] == 404


# -- multipart uploads ------------------------------------------------------------------------


def test_multipart_uploads(api, bucket, s3):
    """Uploads are listed with their parts' count and size, shown one by one and aborted."""
    root = root_credential(api)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="up/one",
                                        ContentType="application/x-test")["UploadId"]
    for number, size in ((1, 1000), (2, 2000)):
        s3.upload_part(Bucket=bucket, Key="up/one", UploadId=upload, PartNumber=number,
                       Body=b"u" * size)
    status, page, _ = api("GET", f"/buckets/{bucket}/multipart-uploads")
    assert status == 200 and page["next_cursor"] is None
    (item,) = page["items"]
    assert item == {"upload_id": upload, "object_key": "up/one", "initiated_by": root["user_name"],
                    "content_type": "application/x-test", "initiated_at": item["initiated_at"],
                    "part_count": 2, "total_size": 3000, "total_size_human": "3.0 kB"}
    assert TIME.fullmatch(item["initiated_at"])
    status, got, _ = api("GET", f"/buckets/{bucket}/multipart-uploads/{upload}")
    assert status == 200 and got == item
    _, info, _ = api("GET", f"/buckets/{bucket}")
    assert (info["multipart_size"], info["multipart_size_human"]) == (3000, "3.0 kB")

    assert api("DELETE", f"/buckets/{bucket}/multipart-uploads/{upload}")[0] == 204
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket=bucket, Key="up/one", UploadId=upload, PartNumber=3, Body=b"x")
    assert s3_error(excinfo) == (404, "NoSuchUpload")
    for method in ("GET", "DELETE"):
        status, body, _ = api(method, f"/buckets/{bucket}/multipart-uploads/{upload}")
        assert status == 404 and body["error"] == "no_such_upload"
    assert api("GET", f"/buckets/{bucket}")[1]["multipart_size"] == 0
    status, body, _ = api("GET", f"/buckets/{unique_bucket_name('none')}/multipart-uploads")
    assert status == 404 and body["error"] == "no_such_bucket"


def test_upload_of_another_bucket(api, bucket, new_bucket, s3):
    """An upload id is looked up in its own bucket only: elsewhere it is 404."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mine")["UploadId"]
    other = new_bucket()["name"]
    for method in ("GET", "DELETE"):
        status, body, _ = api(method, f"/buckets/{other}/multipart-uploads/{upload}")
        assert status == 404 and body["error"] == "no_such_upload"
    assert api("GET", f"/buckets/{bucket}/multipart-uploads/{upload}")[0] == 200
    status, body, _ = api("GET", f"/buckets/{bucket}/multipart-uploads/no-such-upload")
    assert status == 404 and body["error"] == "no_such_upload"


def test_multipart_upload_paging(api, bucket, s3):
    """Uploads page in (key, upload) order, two uploads of one key included, and filter by
    prefix."""
    made = [(key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
            for key in ("b", "a/2", "a/1", "a/1")]
    items, pages = page_all(api, f"/buckets/{bucket}/multipart-uploads", 1)
    assert pages == 4
    assert [u["object_key"] for u in items] == ["a/1", "a/1", "a/2", "b"]
    assert sorted(u["upload_id"] for u in items) == sorted(u for _, u in made)
    _, page, _ = api("GET", f"/buckets/{bucket}/multipart-uploads?prefix=a/")
    assert [u["object_key"] for u in page["items"]] == ["a/1", "a/1", "a/2"]
    assert all(u["part_count"] == 0 and u["total_size"] == 0 for u in page["items"])


def test_multipart_upload_prefix_is_literal(api, bucket, s3):
    """An upload list's prefix matches keys case-sensitively and literally (no wildcards)."""
    for key in ("Up/upper", "up/lower", "a_b", "axb", "a%c", "abc"):
        s3.create_multipart_upload(Bucket=bucket, Key=key)
    for prefix, keys in (("up/", ["up/lower"]), ("Up", ["Up/upper"]), ("a_", ["a_b"]),
                         ("a%", ["a%c"]), ("a", ["a%c", "a_b", "abc", "axb"])):
        _, page, _ = api("GET", f"/buckets/{bucket}/multipart-uploads?prefix={quote(prefix)}")
        assert [u["object_key"] for u in page["items"]] == keys, prefix


def test_bucket_prefix_is_literal(api, new_bucket):
    """GET /buckets?prefix= matches names case-sensitively and literally (no wildcards)."""
    name = new_bucket()["name"]
    for prefix in (name.upper(), name[:5] + "_", name[:5] + "%"):
        _, page, _ = api("GET", f"/buckets?prefix={quote(prefix)}")
        assert page["items"] == [], prefix
    _, page, _ = api("GET", f"/buckets?prefix={name}")
    assert [b["name"] for b in page["items"]] == [name]


# -- presigned URLs -------------------------------------------------------------------------


def test_presigned_get_defaults(api, ramod, bucket, s3):
    """A presigned URL defaults to GET for an hour, signed with a key of the owner (root)."""
    s3.put_object(Bucket=bucket, Key="share me.txt", Body=b"shared")
    status, url, _ = api("POST", "/presigned-urls",
                         {"bucket_name": bucket, "object_key": "share me.txt"})
    assert status == 201
    assert (url["method"], url["bucket_name"], url["object_key"]) == ("GET", bucket,
                                                                      "share me.txt")
    assert url["access_key"] == ROOT_ACCESS_KEY
    assert url["revoked_at"] is None and url["is_active"] is True
    assert parse_time(url["expires_at"]) - parse_time(url["created_at"]) == timedelta(hours=1)
    assert url["url"].startswith(f"{ramod.endpoint}/{bucket}/share%20me.txt?")
    assert "X-Amz-Signature=" in url["url"] and "X-Amz-Expires=3600" in url["url"]
    assert fetch(url["url"]) == (200, b"shared")
    status, got, _ = api("GET", f"/presigned-urls/{url['id']}")
    assert status == 200 and got == url


def test_presigned_put_head_delete(api, bucket, s3):
    """PUT, HEAD and DELETE URLs do what they say with plain urllib."""
    def make(method, expires_in=600):
        status, url, _ = api("POST", "/presigned-urls", {
            "bucket_name": bucket, "object_key": "dir/up loaded", "method": method,
            "expires_in": expires_in})
        assert status == 201 and url["method"] == method
        return url["url"]

    assert fetch(make("PUT"), "PUT", b"via presigned put")[0] == 200
    assert s3.get_object(Bucket=bucket, Key="dir/up loaded")["Body"].read() == b"via presigned put"
    assert fetch(make("HEAD", 604800), "HEAD") == (200, b"")
    assert fetch(make("GET", 601), "GET") == (200, b"via presigned put")
    assert fetch(make("DELETE", 60), "DELETE")[0] == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    get = make("GET")
    assert fetch(get, "PUT", b"x")[0] == 403  # a GET URL does not sign a PUT


def test_presigned_unicode_key(api, bucket, s3):
    """A URL for a key with unicode, spaces and reserved characters is encoded and works."""
    key = "dossier/été ☃+plus&amp=1?.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"unicode")
    status, url, _ = api("POST", "/presigned-urls", {"bucket_name": bucket, "object_key": key})
    assert status == 201 and url["object_key"] == key
    assert url["url"].isascii() and "/dossier/" in url["url"]
    assert fetch(url["url"]) == (200, b"unicode")


@pytest.mark.parametrize("body, field", [
    ({"expires_in": 0}, "expires_in"),
    ({"expires_in": 604801}, "expires_in"),
    ({"expires_in": "60"}, "expires_in"),
    ({"expires_in": True}, "expires_in"),
    ({"method": "POST"}, "method"),
    ({"method": "get"}, "method"),
    ({"method": 1}, "method"),
    ({"object_key": ""}, "object_key"),
    ({"object_key": "k" * 1025}, "object_key"),
    ({"object_key": None}, "object_key"),
    ({"bucket_name": None}, "bucket_name"),
    ({"access_key": 5}, "access_key"),
    ({"expires": 60}, "expires"),
])
def test_presigned_validation(api, bucket, body, field):
    """Bad fields are 400 ``invalid_request`` naming the field."""
    status, answer, _ = api("POST", "/presigned-urls",
                            {"bucket_name": bucket, "object_key": "k", **body})
    assert status == 400 and answer["error"] == "invalid_request"
    assert field in answer["message"]


def test_presigned_refusals(api, bucket, new_credential, new_bucket):
    """No such bucket is 404; a key that is unknown, disabled or can't reach the bucket 400."""
    status, body, _ = api("POST", "/presigned-urls",
                          {"bucket_name": unique_bucket_name("none"), "object_key": "k"})
    assert status == 404 and body["error"] == "no_such_bucket"
    owner = new_credential(user_name=unique_bucket_name("owner"))
    stranger = new_credential(user_name=unique_bucket_name("stranger"))
    disabled = new_credential(user_name=owner["user_name"], is_active=False)
    name = new_bucket(owner_id=owner["id"])["name"]
    for access_key in (stranger["access_key"], disabled["access_key"], "NOSUCHKEY0123456789X"):
        status, body, _ = api("POST", "/presigned-urls", {
            "bucket_name": name, "object_key": "k", "access_key": access_key})
        assert status == 400 and body["error"] == "invalid_request"
        assert access_key in body["message"]
    for n, (access_key, expected) in enumerate([(owner["access_key"], owner["access_key"]),
                                                (ROOT_ACCESS_KEY, ROOT_ACCESS_KEY),
                                                (None, owner["access_key"])]):
        status, url, _ = api("POST", "/presigned-urls", {
            "bucket_name": name, "object_key": f"k{n}",
            **({"access_key": access_key} if access_key else {})})
        assert status == 201 and url["access_key"] == expected
    # once the owner has no active key, root signs
    api("PATCH", f"/credentials/{owner['id']}", {"is_active": False})
    status, url, _ = api("POST", "/presigned-urls", {"bucket_name": name, "object_key": "k9"})
    assert status == 201 and url["access_key"] == ROOT_ACCESS_KEY


def test_presigned_list_and_revoke(api, bucket, s3):
    """The list holds only active URLs, newest first; a revoked one stays readable by id and
    S3 refuses it with 403 AccessDenied."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    made = []
    for n in range(4):
        status, url, _ = api("POST", "/presigned-urls", {
            "bucket_name": bucket, "object_key": "k", "expires_in": 1 if n == 0 else 600 + n})
        assert status == 201
        made.append(url)
    time.sleep(1.1)  # the first one expires
    assert api("DELETE", f"/presigned-urls/{made[2]['id']}")[0] == 204
    assert api("DELETE", f"/presigned-urls/{made[2]['id']}")[0] == 204  # again is fine

    status, page, _ = api("GET", f"/presigned-urls?bucket_name={bucket}")
    assert status == 200 and page["next_cursor"] is None
    assert [u["id"] for u in page["items"]] == [made[3]["id"], made[1]["id"]]
    assert all(u["is_active"] for u in page["items"])
    items, pages = page_all(api, f"/presigned-urls?bucket_name={bucket}", 1)
    assert [u["id"] for u in items] == [made[3]["id"], made[1]["id"]] and pages == 2
    everything, _ = page_all(api, "/presigned-urls", 3)
    ids = [u["id"] for u in everything]
    assert ids == sorted(set(ids), reverse=True) and made[2]["id"] not in ids
    assert made[0]["id"] not in ids

    _, revoked, _ = api("GET", f"/presigned-urls/{made[2]['id']}")
    assert revoked["is_active"] is False and TIME.fullmatch(revoked["revoked_at"])
    _, expired, _ = api("GET", f"/presigned-urls/{made[0]['id']}")
    assert expired["is_active"] is False and expired["revoked_at"] is None
    status, content = fetch(made[2]["url"])
    assert status == 403 and b"AccessDenied" in content and b"revoked" in content
    assert fetch(made[1]["url"]) == (200, b"v")
    for method in ("GET", "DELETE"):
        status, body, _ = api(method, "/presigned-urls/987654321")
        assert status == 404 and body["error"] == "no_such_presigned_url"


def test_presigned_same_link_twice(api, bucket, s3):
    """The same link asked for three times at once gives three URLs, each revocable alone."""
    # three requests within a second: two of them share a second (and the signing date)
    s3.put_object(Bucket=bucket, Key="same", Body=b"same")
    body = {"bucket_name": bucket, "object_key": "same", "expires_in": 777}
    started = time.monotonic()
    answers = [api("POST", "/presigned-urls", body) for _ in range(3)]
    assert time.monotonic() - started < 1
    assert [status for status, _, _ in answers] == [201, 201, 201], answers
    urls = [url for _, url, _ in answers]
    assert len({u["url"] for u in urls}) == 3 and len({u["id"] for u in urls}) == 3
    assert api("DELETE", f"/presigned-urls/{urls[1]['id']}")[0] == 204
    assert [fetch(u["url"])[0] for u in urls] == [200, 403, 200]
