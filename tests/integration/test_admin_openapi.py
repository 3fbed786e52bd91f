"""A live management API against its OpenAPI document (ramod/admin/openapi.py).

``test_generated_requests_conform`` lets schemathesis generate requests, valid and
invalid, for every operation and checks the answers: no 5xx, only documented statuses,
content types and headers, bodies that match the schemas, invalid input refused.  Those
requests rename, disable and rate-limit credentials at random, so they go to a server of
their own.  ``test_resource_lifecycle`` walks every operation through its success path
on the session server with real objects, uploads and presigned URLs, which generated
names would hardly ever reach, and validates each answer the same way.
"""

from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, ignored_auth, negative_data_rejection, response_headers_conformance,
    response_schema_conformance, status_code_conformance, unsupported_method)

from ramod.admin.openapi import openapi_document
from ramod_process import ADMIN_API_KEY, RamodProcess, unique_bucket_name

CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance]

NO_BODY = object()

SCHEMA = schemathesis.openapi.from_dict(openapi_document(), config=schemathesis.Config.from_dict({
    "generation": {"mode": "all"},
    "phases": {"stateful": {"enabled": False}},
    # every RamodProcess has this key; configured here, schemathesis knows the header is auth
    "auth": {"openapi": {"bearerAuth": {"bearer": ADMIN_API_KEY}}, "auto-signup": False},
}))


@pytest.fixture(scope="module")
def fuzz_ramod(tmp_path_factory):
    """A ramod of its own for generated requests."""
    server = RamodProcess(tmp_path_factory.mktemp("ramod-admin-fuzz"))
    assert server.admin_key == ADMIN_API_KEY  # the key SCHEMA's configuration sends
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http():
    """One keep-alive HTTP session for the module."""
    with requests.Session() as session:
        yield session


def bearer(server) -> dict:
    """The Authorization header of ``server``'s management API."""
    return {"Authorization": f"Bearer {server.admin_key}"}


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_generated_requests_conform(case, fuzz_ramod, http):
    """Generated requests get documented, schema-conforming answers, and invalid ones a 4xx."""
    case.call_and_validate(base_url=fuzz_ramod.admin_url, session=http, timeout=30,
                           checks=[*CONFORMANCE, negative_data_rejection, unsupported_method,
                                   ignored_auth])


def test_served_document_is_openapi_document(ramod, http):
    """``GET /openapi.json``, without a key, answers the document this repository builds."""
    response = http.get(f"{ramod.admin_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    assert response.json() == openapi_document()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key-0123456789"},
                                     {"Authorization": "Basic cmFtbzpyYW1v"}])
def test_stats_without_the_key(ramod, http, headers):
    """``/api/v1/stats`` without the right key is a documented 401 with WWW-Authenticate."""
    case = SCHEMA.find_operation_by_id("getStats").Case()
    response = case.call(base_url=ramod.admin_url, session=http, headers=headers, timeout=30)
    case.validate_response(response, checks=CONFORMANCE)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"][0].startswith("Bearer")  # names lowercased


class Admin:
    """Calls operations by operationId and validates each answer against the document."""

    def __init__(self, server, session):
        self.base_url, self.headers, self.session = server.admin_url, bearer(server), session

    def __call__(self, operation_id, status, *, path=None, query=None, body=NO_BODY):
        """Call ``operation_id``, validate the answer and check that its status is ``status``.

        :param path: path parameters, percent-encoded here (``/`` included).
        :return: the decoded JSON body, or None.
        """
        case = SCHEMA.find_operation_by_id(operation_id).Case(
            path_parameters={k: quote(str(v), safe="") for k, v in (path or {}).items()},
            query=query, **({} if body is NO_BODY else {"body": body}))
        response = case.call_and_validate(base_url=self.base_url, session=self.session,
                                          headers=self.headers, checks=CONFORMANCE, timeout=30)
        assert response.status_code == status, (operation_id, response.status_code, response.text)
        return response.json() if response.content else None


def test_resource_lifecycle(ramod, http, s3_factory):
    """Every operation's success path, and its usual refusals, conform to the document."""
    admin = Admin(ramod, http)
    user = unique_bucket_name("user")
    cred = admin("createCredential", 201, body={"user_name": user, "rate_limit": 1000})
    assert cred["user_name"] == user and cred["secret_key"]
    cid = cred["id"]
    name = unique_bucket_name("adm")
    bucket = admin("createBucket", 201,
                   body={"name": name, "owner_id": cid, "quota_bytes": 10**9})
    assert bucket["owner_id"] == cid and bucket["quota_bytes"] == 10**9
    admin("createBucket", 409, body={"name": name})
    admin("createBucket", 400, body={"name": "Not_A_Bucket"})

    s3 = s3_factory(access_key=cred["access_key"], secret_key=cred["secret_key"])
    key = "dir/a b+c.txt"
    s3.put_object(Bucket=name, Key=key, Body=b"hello", ContentType="text/plain",
                  CacheControl="no-cache", Metadata={"owner": "test"}, ChecksumAlgorithm="SHA256")
    s3.put_object(Bucket=name, Key="top.bin", Body=b"\0" * 1500)
    done = s3.create_multipart_upload(Bucket=name, Key="multi.bin")["UploadId"]
    etag = s3.upload_part(Bucket=name, Key="multi.bin", UploadId=done, PartNumber=1,
                          Body=b"x" * 100)["ETag"]
    s3.complete_multipart_upload(Bucket=name, Key="multi.bin", UploadId=done, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})
    pending = s3.create_multipart_upload(Bucket=name, Key="pending.bin",
                                         ContentType="application/x-test")["UploadId"]
    s3.upload_part(Bucket=name, Key="pending.bin", UploadId=pending, PartNumber=1, Body=b"y" * 10)

    assert admin("getStats", 200)["buckets"] >= 1
    assert cid in [c["id"] for c in admin("listCredentials", 200, query={"user_name": user})["items"]]
    first = admin("listCredentials", 200, query={"limit": "1"})
    assert len(first["items"]) == 1 and first["next_cursor"]
    admin("listCredentials", 200, query={"limit": "1", "cursor": first["next_cursor"]})
    admin("listCredentials", 400, query={"limit": "0"})
    admin("listCredentials", 400, query={"cursor": "not-a-cursor"})
    detail = admin("getCredential", 200, path={"id": cid})
    assert [b["name"] for b in detail["buckets"]] == [name]
    admin("updateCredential", 200, path={"id": cid}, body={"rate_limit": None, "user_name": user})
    admin("updateCredential", 400, path={"id": cid}, body={"secret_key": "nope-nope"})
    admin("getCredential", 404, path={"id": 10**9})

    assert [b["name"] for b in admin("listBuckets", 200, query={"prefix": name})["items"]] == [name]
    admin("listBuckets", 200, query={"owner_id": str(cid)})
    page = admin("getBucket", 200, path={"bucket": name}, query={"delimiter": "/"})
    assert page["objects"]["common_prefixes"] == ["dir/"]
    updated = admin("updateBucket", 200, path={"bucket": name}, body={"quota_bytes": None})
    assert updated["quota_bytes"] is None
    admin("getBucket", 404, path={"bucket": unique_bucket_name("missing")})

    listing = admin("listObjects", 200, path={"bucket": name}, query={"prefix": "dir/"})
    assert [o["key"] for o in listing["items"]] == [key]
    obj = admin("getObject", 200, path={"bucket": name, "key": key})
    assert obj["metadata"] == {"owner": "test"} and obj["content_type"] == "text/plain"
    multi = admin("getObject", 200, path={"bucket": name, "key": "multi.bin"})
    assert multi["is_multipart"] and len(multi["parts"]) == 1
    admin("getObject", 404, path={"bucket": name, "key": "no/such key"})

    uploads = admin("listMultipartUploads", 200, path={"bucket": name})
    assert [u["upload_id"] for u in uploads["items"]] == [pending]
    upload = admin("getMultipartUpload", 200, path={"bucket": name, "upload_id": pending})
    assert upload["part_count"] == 1 and upload["initiated_by"] == user
    admin("getMultipartUpload", 404, path={"bucket": name, "upload_id": "no-such-upload"})

    url = admin("createPresignedUrl", 201,
                body={"bucket_name": name, "object_key": key, "expires_in": 60})
    assert url["access_key"] == cred["access_key"] and url["method"] == "GET"
    assert url["id"] in [u["id"] for u in admin("listPresignedUrls", 200,
                                                 query={"bucket_name": name})["items"]]
    admin("createPresignedUrl", 404,
          body={"bucket_name": unique_bucket_name("missing"), "object_key": "k"})
    admin("createPresignedUrl", 400,
          body={"bucket_name": name, "object_key": "k", "expires_in": 604801})
    admin("revokePresignedUrl", 204, path={"id": url["id"]})
    admin("revokePresignedUrl", 204, path={"id": url["id"]})
    assert admin("getPresignedUrl", 200, path={"id": url["id"]})["revoked_at"] is not None

    admin("deleteBucket", 409, path={"bucket": name})
    admin("deleteCredential", 409, path={"id": cid})
    result = admin("deleteObjects", 200, path={"bucket": name},
                   body={"keys": ["top.bin", "no-such-key"]})
    assert result["deleted"] == ["top.bin"] and result["errors"][0]["error"] == "no_such_key"
    admin("deleteObjects", 400, path={"bucket": name}, body={"keys": []})
    admin("deleteObjects", 400, path={"bucket": name}, body=["top.bin"])
    admin("deleteObject", 204, path={"bucket": name, "key": key})
    admin("deleteObject", 404, path={"bucket": name, "key": key})
    admin("abortMultipartUpload", 204, path={"bucket": name, "upload_id": pending})
    admin("deleteBucket", 204, path={"bucket": name}, query={"force": "true"})
    admin("deleteCredential", 204, path={"id": cid})
    admin("deleteCredential", 404, path={"id": cid})


def test_body_over_1_mib(ramod, http):
    """A body over 1 MiB gets the documented 413 request_too_large."""
    admin = Admin(ramod, http)
    error = admin("createCredential", 413, body={"user_name": "a" * (1024 * 1024)})
    assert error["error"] == "request_too_large"
