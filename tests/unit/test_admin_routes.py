"""Pure tests of the management API's routing (ramod.admin.routes over the table of
ramod.admin.operations), request reading
(ramod.admin.fields) and byte sizes for people (ramoclient.human)."""

import base64
import inspect
import json

import pytest

from ramod.admin import buckets, credentials, errors, fields, meta, objects, presigned, uploads
from ramod.admin.fields import MAX_BODY, Body
from ramod.admin.operation import Auth
from ramod.admin.operations import OPERATIONS
from ramod.admin.routes import path_auth, route
from ramoclient.human import human_bytes

A = "/api/v1"

# (method, raw path, handler, params)
ROUTES = [
    ("GET", "/stats", buckets.get_stats, {}),
    ("GET", "/credentials", credentials.list_credentials, {}),
    ("POST", "/credentials", credentials.create_credential, {}),
    ("GET", "/credentials/7", credentials.get_credential, {"id": 7}),
    ("PATCH", "/credentials/7", credentials.update_credential, {"id": 7}),
    ("DELETE", "/credentials/7", credentials.delete_credential, {"id": 7}),
    ("GET", "/buckets", buckets.list_buckets, {}),
    ("POST", "/buckets", buckets.create_bucket, {}),
    ("GET", "/buckets/bkt", buckets.get_bucket, {"bucket": "bkt"}),
    ("PATCH", "/buckets/bkt", buckets.update_bucket, {"bucket": "bkt"}),
    ("DELETE", "/buckets/bkt", buckets.delete_bucket, {"bucket": "bkt"}),
    ("GET", "/buckets/bkt/objects", objects.list_objects, {"bucket": "bkt"}),
    ("POST", "/buckets/bkt/objects/delete", objects.delete_objects, {"bucket": "bkt"}),
    ("GET", "/buckets/bkt/objects/k", objects.get_object, {"bucket": "bkt", "key": "k"}),
    ("DELETE", "/buckets/bkt/objects/k", objects.delete_object, {"bucket": "bkt", "key": "k"}),
    ("GET", "/buckets/bkt/multipart-uploads", uploads.list_uploads, {"bucket": "bkt"}),
    ("GET", "/buckets/bkt/multipart-uploads/u-1", uploads.get_upload,
     {"bucket": "bkt", "upload_id": "u-1"}),
    ("DELETE", "/buckets/bkt/multipart-uploads/u-1", uploads.abort_upload,
     {"bucket": "bkt", "upload_id": "u-1"}),
    ("GET", "/presigned-urls", presigned.list_presigned_urls, {}),
    ("POST", "/presigned-urls", presigned.create_presigned_url, {}),
    ("GET", "/presigned-urls/12", presigned.get_presigned_url, {"id": 12}),
    ("DELETE", "/presigned-urls/12", presigned.revoke_presigned_url, {"id": 12}),
]


def routed(method, path):
    """(handler, path values) a request is routed to."""
    found = route(method, path)
    return found.operation.handler, found.params


def raises(error_type, call, *args, **kwargs):
    """Call and return the ApiError of ``error_type`` it raised."""
    with pytest.raises(error_type) as info:
        call(*args, **kwargs)
    return info.value


# -- the operation table -------------------------------------------------------------------


def test_table_declares_each_route_once():
    """Every (method, path) has one operation; the table and ROUTES name the same handlers."""
    keys = [(op.method, op.path) for op in OPERATIONS]
    assert len(keys) == len(set(keys)) == len(ROUTES) + 1  # + GET /openapi.json
    assert {op.handler for op in OPERATIONS} == {h for _, _, h, _ in ROUTES} | {meta.get_openapi}
    assert all(inspect.iscoroutinefunction(op.handler) for op in OPERATIONS)


def test_auth():
    """Only /openapi.json is public; every API path, and every unknown one, needs the key."""
    assert [op.path for op in OPERATIONS if op.auth is Auth.PUBLIC] == ["/openapi.json"]
    assert path_auth("/openapi.json") is Auth.PUBLIC
    for path in ("/openapi.json/", "/openapi%2Ejson", A + "/stats", A + "/nope", "/"):
        assert path_auth(path) is Auth.ADMIN_KEY, path


def test_openapi_route():
    """GET and HEAD of /openapi.json reach its handler; another method is 405 Allow: GET; it
    takes no trailing slash."""
    assert routed("GET", "/openapi.json") == (meta.get_openapi, {})
    assert routed("HEAD", "/openapi.json") == (meta.get_openapi, {})
    error = raises(errors.MethodNotAllowed, route, "POST", "/openapi.json")
    assert error.headers["Allow"] == "GET" and error.message == "POST is not allowed here; use GET."
    raises(errors.NotFound, route, "GET", "/openapi.json/")


# -- routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path, handler, params", ROUTES)
def test_every_route(method, path, handler, params):
    """Each documented (method, path) reaches its handler with decoded path values."""
    assert routed(method, A + path) == (handler, params)


@pytest.mark.parametrize("method, path, handler, params", ROUTES)
def test_trailing_slash(method, path, handler, params):
    """A trailing slash names the same route (except in a key, where it is part of it)."""
    assert routed(method, A + path + "/") == (
        handler, {**params, **({"key": params["key"] + "/"} if "key" in params else {})})


@pytest.mark.parametrize("raw, key", [
    ("a/b/c.txt", "a/b/c.txt"),
    ("a%2Fb%2Fc.txt", "a/b/c.txt"),
    ("a%2fb/c", "a/b/c"),
    ("dir/", "dir/"),
    ("/lead", "/lead"),
    ("a//b", "a//b"),
    ("with%20space", "with space"),
    ("plus+sign", "plus+sign"),
    ("caf%C3%A9/%E2%98%83%F0%9F%98%80", "café/☃😀"),
    ("%25literal", "%literal"),
    ("objects", "objects"),
    ("delete/more", "delete/more"),
    ("x/delete", "x/delete"),
])
def test_object_keys(raw, key):
    """``{key}`` takes the rest of the path, percent-decoded, ``/`` raw or as %2F."""
    assert routed("GET", f"{A}/buckets/bkt/objects/{raw}") == (
        objects.get_object, {"bucket": "bkt", "key": key})
    assert route("DELETE", f"{A}/buckets/bkt/objects/{raw}").params["key"] == key


def test_key_named_delete():
    """GET and DELETE of .../objects/delete are the object "delete"; POST is the batch."""
    path = f"{A}/buckets/bkt/objects/delete"
    assert routed("GET", path) == (objects.get_object, {"bucket": "bkt", "key": "delete"})
    assert routed("DELETE", path) == (objects.delete_object, {"bucket": "bkt", "key": "delete"})
    assert routed("POST", path) == (objects.delete_objects, {"bucket": "bkt"})
    assert routed("POST", path + "/") == (objects.delete_objects, {"bucket": "bkt"})
    assert routed("GET", f"{A}/buckets/bkt/objects/%64elete") == (
        objects.get_object, {"bucket": "bkt", "key": "delete"})


def test_post_to_an_object_key():
    """POST to an object key other than "delete" is 405 naming GET and DELETE."""
    error = raises(errors.MethodNotAllowed, route, "POST", f"{A}/buckets/bkt/objects/k")
    assert error.headers["Allow"] == "DELETE, GET"


def test_allow_of_objects_delete_lists_post():
    """PATCH .../objects/delete is 405 and its Allow lists POST too (RFC 9110 §15.5.6)."""
    for path in ("/buckets/bkt/objects/delete", "/buckets/bkt/objects/delete/"):
        error = raises(errors.MethodNotAllowed, route, "PATCH", A + path)
        assert error.headers["Allow"] == "DELETE, GET, POST"


def test_bucket_names_are_decoded():
    """The bucket segment is percent-decoded too."""
    assert route("GET", f"{A}/buckets/my%2Ebucket").params == {"bucket": "my.bucket"}
    assert route("GET", f"{A}/buckets/a%2Fb").params == {"bucket": "a/b"}


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/stats", "GET"),
    ("POST", "/stats", "GET"),
    ("DELETE", "/credentials", "GET, POST"),
    ("PUT", "/credentials/3", "DELETE, GET, PATCH"),
    ("POST", "/credentials/3", "DELETE, GET, PATCH"),
    ("PUT", "/buckets", "GET, POST"),
    ("POST", "/buckets/bkt", "DELETE, GET, PATCH"),
    ("PUT", "/buckets/bkt/", "DELETE, GET, PATCH"),
    ("POST", "/buckets/bkt/objects", "GET"),
    ("DELETE", "/buckets/bkt/objects", "GET"),
    ("PUT", "/buckets/bkt/objects/a/b", "DELETE, GET"),
    ("POST", "/buckets/bkt/multipart-uploads", "GET"),
    ("PATCH", "/buckets/bkt/multipart-uploads/u", "DELETE, GET"),
    ("PATCH", "/presigned-urls", "GET, POST"),
    ("PATCH", "/presigned-urls/1", "DELETE, GET"),
    ("HEAD", "/stats", "GET"),
])
def test_method_not_allowed(method, path, allow):
    """A known path with another method is 405 with ``Allow`` listing the route's methods."""
    error = raises(errors.MethodNotAllowed, route, method, A + path)
    assert error.status == 405 and error.code == "method_not_allowed"
    assert error.headers["Allow"] == allow
    assert method in error.message


def test_method_not_allowed_with_a_bad_id():
    """The method is checked before the id: PUT /credentials/abc is 405, not 404."""
    assert raises(errors.MethodNotAllowed, route, "PUT", f"{A}/credentials/abc").status == 405


@pytest.mark.parametrize("path", [
    "", "/", A, A + "/", A + "/nope", A + "/stats/extra", A + "/STATS", "/stats",
    "/api/v2/stats", "/api/v1//stats", A + "/buckets//objects", A + "/buckets/bkt/nope",
    A + "/buckets/bkt/multipart-uploads/a/b", A + "/credentials/1/2",
    A + "/presigned-urls/1/x", "/api/v1buckets", A + "/buckets/bkt/objectsx",
])
def test_unknown_routes(path):
    """Paths that match no route are 404 ``not_found``."""
    error = raises(errors.NotFound, route, "GET", path)
    assert error.status == 404 and error.code == "not_found"


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "+1", "0x10", " 1", "1e3", "%20",
                                   "%D9%A1", "1234567890123456789", "１"])
@pytest.mark.parametrize("collection", ["credentials", "presigned-urls"])
def test_ids_that_are_not_numbers(collection, value):
    """An id that is not a plain whole number (of at most 18 digits) is 404 ``not_found``."""
    for method in ("GET", "DELETE"):
        error = raises(errors.NotFound, route, method, f"{A}/{collection}/{value}")
        assert error.code == "not_found"


def test_ids_are_numbers():
    """Ids become ints; leading zeros, 18 digits and an encoded digit are fine."""
    assert route("GET", f"{A}/credentials/007").params == {"id": 7}
    assert route("GET", f"{A}/credentials/%31").params == {"id": 1}
    assert route("GET", f"{A}/presigned-urls/{'9' * 18}").params == {"id": 10**18 - 1}
    assert route("GET", f"{A}/presigned-urls/0").params == {"id": 0}


@pytest.mark.parametrize("path", [
    "/buckets/bkt/objects/%FF", "/buckets/bkt/objects/caf%C3", "/buckets/%C3%28",
    "/buckets/bkt/multipart-uploads/%80", "/buckets/bkt/objects/a/%E2%82",
])
def test_bad_percent_encoding(path):
    """Percent-escapes that don't decode as UTF-8 are 400 ``invalid_request``."""
    error = raises(errors.InvalidRequest, route, "GET", A + path)
    assert error.status == 400 and error.code == "invalid_request"


def test_malformed_escapes_are_kept():
    """A ``%`` not followed by two hex digits stays as it is (as S3 keys may hold it)."""
    assert route("GET", f"{A}/buckets/bkt/objects/100%25%2").params["key"] == "100%%2"
    assert route("GET", f"{A}/buckets/bkt/objects/%zz").params["key"] == "%zz"


# -- JSON bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"not json", b"{", b"{'a': 1}", b"\xff\xfe{}", b"{\"a\": }",
                                 b"\"\xc3\"", b"{} {}"])
def test_json_body_not_json(raw):
    """A body that is not JSON is 400 ``invalid_request``."""
    error = raises(errors.InvalidRequest, fields.json_body, raw)
    assert error.code == "invalid_request" and "JSON" in error.message


@pytest.mark.parametrize("raw", [b"", b"  \n", b"[]", b"[{}]", b"1", b"\"s\"", b"null", b"true"])
def test_json_body_not_an_object(raw):
    """An empty body or a JSON value that is not an object is 400."""
    error = raises(errors.InvalidRequest, fields.json_body, raw)
    assert "object" in error.message


def test_json_body_too_large():
    """More than 1 MiB is 413 ``request_too_large``; exactly 1 MiB is read."""
    error = raises(errors.RequestTooLarge, fields.json_body, b" " * (MAX_BODY + 1))
    assert error.status == 413 and error.code == "request_too_large"
    padded = b'{"a": 1}' + b" " * (MAX_BODY - 8)
    assert len(padded) == MAX_BODY
    assert fields.json_body(padded) == {"a": 1}


def test_json_body_objects():
    """A JSON object comes back as a dict, UTF-8 text included."""
    assert fields.json_body(b"{}") == {}
    assert fields.json_body(' {"k": "café", "n": [1, null]} '.encode()) == {
        "k": "café", "n": [1, None]}


# -- Body: typed fields ----------------------------------------------------------------------


def test_string_field():
    """string(): present, missing (default), null only if nullable, wrong type, pattern."""
    body = Body({"s": "abc", "n": None, "i": 5, "l": ["a"]})
    assert body.string("s") == "abc"
    assert body.string("s", pattern="[a-c]+", what="abc") == "abc"
    assert body.string("missing") is None
    assert body.string("missing", default="d") == "d"
    assert body.string("n", nullable=True, default="d") is None
    for name in ("i", "l", "n"):
        assert f"'{name}'" in raises(errors.InvalidRequest, body.string, name).message
    error = raises(errors.InvalidRequest, body.string, "s", pattern="[0-9]+", what="digits")
    assert error.message == "The field 's' must be digits."


def test_required_fields():
    """A required field that is missing is 400 naming it."""
    body = Body({})
    for call in (body.string, body.integer, body.string_list):
        kwargs = {"low": 1, "high": 2} if call == body.string_list else {"required": True}
        error = raises(errors.InvalidRequest, call, "needed", **kwargs)
        assert error.message == "The field 'needed' is required."


def test_integer_field():
    """integer(): whole numbers only (not bools, fractions or strings), null if nullable."""
    body = Body({"i": 5, "t": True, "f": False, "x": 1.5, "s": "5", "n": None, "big": 2**70,
                 "l": [1], "o": {}})
    assert body.integer("i") == 5
    assert body.integer("big") == 2**70
    assert body.integer("missing") is None
    assert body.integer("missing", default=3) == 3
    assert body.integer("missing", missing="unset") == "unset"
    assert body.integer("n", nullable=True) is None
    for name in ("t", "f", "x", "s", "n", "l", "o"):
        error = raises(errors.InvalidRequest, body.integer, name)
        assert error.message == f"The field {name!r} must be a whole number."


def test_integer_field_from_json():
    """JSON does not tell 3 from 3.0: both are the whole number 3; 3.5 and true are not."""
    body = Body(fields.json_body(b'{"a": 3, "b": 3.0, "c": 3.5, "d": true, "e": 1e2}'))
    assert body.integer("a") == 3
    assert body.integer("b") == 3 and isinstance(body.integer("b"), int)
    assert body.integer("e") == 100
    assert raises(errors.InvalidRequest, body.integer, "c")
    assert raises(errors.InvalidRequest, body.integer, "d")


def test_integer_ranges():
    """integer(): low and high bounds are inclusive; the message gives them."""
    body = Body({"zero": 0, "ten": 10, "eleven": 11, "neg": -1})
    assert body.integer("zero", low=0, high=10) == 0
    assert body.integer("ten", low=0, high=10) == 10
    error = raises(errors.InvalidRequest, body.integer, "eleven", low=0, high=10)
    assert error.message == "The field 'eleven' must be from 0 to 10."
    error = raises(errors.InvalidRequest, body.integer, "neg", low=0)
    assert error.message == "The field 'neg' must be at least 0."


def test_number_field():
    """number(): ints and floats become floats; bools, strings, NaN and infinities are 400."""
    body = Body({"i": 3, "f": 0.5, "t": True, "s": "1", "n": None, "nan": float("nan"),
                 "inf": float("inf"), "ninf": float("-inf"), "zero": 0})
    assert body.number("i") == 3.0 and isinstance(body.number("i"), float)
    assert body.number("f") == 0.5
    assert body.number("missing") is None
    assert body.number("missing", missing="unset") == "unset"
    assert body.number("n", nullable=True) is None
    for name in ("t", "s", "n", "nan", "inf", "ninf"):
        assert raises(errors.InvalidRequest, body.number, name).message == (
            f"The field {name!r} must be a number.")
    assert "'zero'" in raises(errors.InvalidRequest, body.number, "zero", above=0,
                              high=10).message
    assert "'i'" in raises(errors.InvalidRequest, body.number, "i", above=0, high=2).message
    assert body.number("f", above=0, high=0.5) == 0.5


def test_number_from_json_nan():
    """NaN and Infinity, which Python's json accepts, are refused as numbers."""
    body = Body(fields.json_body(b'{"a": NaN, "b": Infinity}'))
    assert raises(errors.InvalidRequest, body.number, "a")
    assert raises(errors.InvalidRequest, body.number, "b")


def test_boolean_field():
    """boolean(): only true and false; 1, "true" and null are 400."""
    body = Body({"t": True, "f": False, "one": 1, "zero": 0, "s": "true", "n": None})
    assert body.boolean("t") is True
    assert body.boolean("f") is False
    assert body.boolean("missing") is None
    assert body.boolean("missing", missing=True) is True
    for name in ("one", "zero", "s", "n"):
        assert raises(errors.InvalidRequest, body.boolean, name).message == (
            f"The field {name!r} must be true or false.")


def test_string_list_field():
    """string_list(): a list of strings whose length is within bounds."""
    body = Body({"ok": ["a", "b"], "empty": [], "mixed": ["a", 1], "str": "a", "n": None,
                 "many": ["k"] * 4})
    assert body.string_list("ok", low=1, high=3) == ["a", "b"]
    for name in ("mixed", "str", "n"):
        assert raises(errors.InvalidRequest, body.string_list, name, low=1, high=3).message == (
            f"The field {name!r} must be a list of strings.")
    for name in ("empty", "many"):
        assert raises(errors.InvalidRequest, body.string_list, name, low=1, high=3).message == (
            f"The field {name!r} must hold 1 to 3 items.")


def test_done_refuses_unknown_fields():
    """done() names every field nobody read, sorted; read fields (even absent) are fine."""
    body = Body({"known": 1, "zeta": 2, "alpha": 3})
    assert "known" in body and "absent" not in body
    body.integer("known")
    body.string("absent")
    error = raises(errors.InvalidRequest, body.done)
    assert error.code == "invalid_request"
    assert error.message == "Unknown field(s): alpha, zeta."
    body.integer("alpha")
    body.integer("zeta")
    body.done()
    Body({}).done()


def test_done_counts_fields_read_with_an_error():
    """A field whose read failed counts as read (its own error is the one to report)."""
    body = Body({"x": "not a number"})
    raises(errors.InvalidRequest, body.integer, "x")
    body.done()


# -- query parameters -------------------------------------------------------------------------


def test_limit():
    """limit: 100 by default, 1..1000 accepted, anything else is 400."""
    assert fields.limit({}) == 100
    assert fields.limit({"limit": "1"}) == 1
    assert fields.limit({"limit": "1000"}) == 1000
    assert fields.limit({"limit": "0042"}) == 42
    for bad in ("0", "1001", "-1", "", "abc", "1.5", " 5", "٣", "99999999999999999999999"):
        error = raises(errors.InvalidRequest, fields.limit, {"limit": bad})
        assert "limit" in error.message


def test_int_param():
    """int_param: absent is None; plain digits (at most 18) are ints; anything else is 400."""
    assert fields.int_param({}, "owner_id") is None
    assert fields.int_param({"owner_id": "42"}, "owner_id") == 42
    assert fields.int_param({"owner_id": "9" * 18}, "owner_id") == 10**18 - 1
    for bad in ("", "x", "-1", "1.0", "9" * 19, "٣"):
        error = raises(errors.InvalidRequest, fields.int_param, {"owner_id": bad}, "owner_id")
        assert error.message == "owner_id must be a whole number."


def test_bool_param():
    """bool_param: false by default; true/false/1/0 in any case; anything else is 400."""
    assert fields.bool_param({}, "force") is False
    for value in ("true", "TRUE", "True", "1"):
        assert fields.bool_param({"force": value}, "force") is True
    for value in ("false", "FALSE", "0"):
        assert fields.bool_param({"force": value}, "force") is False
    for bad in ("", "yes", "no", "2", "t"):
        error = raises(errors.InvalidRequest, fields.bool_param, {"force": bad}, "force")
        assert error.message == "force must be true or false."


@pytest.mark.parametrize("position", [0, 1, 10**17, "", "key", "dir/é☃😀 key", ["k", 5],
                                      {"a": [1, 2]}, None])
def test_cursor_round_trip(position):
    """A cursor the server made decodes to its position, and is URL-safe without padding."""
    token = fields.encode_cursor(position)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert fields.decode_cursor({"cursor": token}) == position


def test_no_cursor():
    """No cursor, or an empty one, is the first page (None)."""
    assert fields.decode_cursor({}) is None
    assert fields.decode_cursor({"cursor": ""}) is None


@pytest.mark.parametrize("token", [
    "garbage!", "a", "%%%", "é", "////", "====",
    base64.urlsafe_b64encode(b"not json").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    base64.urlsafe_b64encode(b'{"a": ').decode(),
])
def test_garbage_cursors(token):
    """A cursor the server did not make is 400 ``invalid_request``."""
    error = raises(errors.InvalidRequest, fields.decode_cursor, {"cursor": token})
    assert error.status == 400 and "cursor" in error.message


def test_cursor_is_opaque_json():
    """A cursor is base64url of compact JSON (so its shape is checked by each handler)."""
    token = fields.encode_cursor(["k", 1])
    assert json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == ["k", 1]


def test_error_bodies():
    """Errors render as {"error", "message"} with their documented status."""
    error = errors.InvalidRequest("The field 'x' is bad.")
    assert error.body() == {"error": "invalid_request", "message": "The field 'x' is bad."}
    assert errors.NotFound().body()["message"]
    assert (errors.CredentialInUse.status, errors.RequestTooLarge.status,
            errors.Unauthorized.status) == (409, 413, 401)


# -- human sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize("size, text", [
    (0, "0 B"),
    (1, "1 B"),
    (512, "512 B"),
    (999, "999 B"),
    (1000, "1.0 kB"),
    (1500, "1.5 kB"),
    (999_949, "999.9 kB"),
    (999_950, "1.0 MB"),
    (1_000_000, "1.0 MB"),
    (1_500_000, "1.5 MB"),
    (999_950_000, "1.0 GB"),
    (1_000_000_000, "1.0 GB"),
    (2_345_678_901_234, "2.3 TB"),
    (10**15, "1.0 PB"),
    (10**18, "1000.0 PB"),
])
def test_human_bytes(size, text):
    """Decimal units, one decimal from kB up, rounding up into the next unit at 999.95."""
    assert human_bytes(size) == text
