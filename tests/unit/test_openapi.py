"""The OpenAPI document of the management API against the spec and docs/management-api.md."""

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ramod.admin.openapi import API_PREFIX, openapi_document, openapi_json
from ramod.admin.operations import OPERATIONS

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "management-api.md"
METHODS = ("get", "put", "post", "patch", "delete")
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")

OPERATION_IDS = {
    "getOpenApi", "getStats",
    "listCredentials", "createCredential", "getCredential", "updateCredential", "deleteCredential",
    "listBuckets", "createBucket", "getBucket", "updateBucket", "deleteBucket",
    "listObjects", "getObject", "deleteObject", "deleteObjects",
    "listMultipartUploads", "getMultipartUpload", "abortMultipartUpload",
    "createPresignedUrl", "listPresignedUrls", "getPresignedUrl", "revokePresignedUrl",
}


def operations(doc):
    """(path, method, operation) of every operation in ``doc``."""
    return [(path, method, item[method]) for path, item in doc["paths"].items()
            for method in METHODS if method in item]


def doc_path_params(path):
    """The ``{name}`` parameters of a templated path."""
    return re.findall(r"\{(\w+)\}", path)


def contract_routes():
    """(METHOD, full path) of every route docs/management-api.md names."""
    intro, routes = CONTRACT.read_text().split("\n## Routes", 1)
    found = {(method, path) for method, path in ROUTE.findall(intro)}  # GET /openapi.json
    for section in routes.split("\n### ")[1:]:
        found |= {(method, API_PREFIX + path) for method, path in ROUTE.findall(section)}
    return found


def validator(name):
    """A JSON Schema validator for ``components/schemas/<name>`` of the document."""
    registry = Registry().with_resource(
        "urn:ramo-admin", Resource.from_contents(openapi_document(), DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:ramo-admin#/components/schemas/{name}"},
                                registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_document_is_valid_openapi_3_1():
    """The document passes openapi-spec-validator's OpenAPI 3.1 checks."""
    errors = [e.message for e in OpenAPIV31SpecValidator(openapi_document()).iter_errors()]
    assert errors == []


def test_repository_copy_is_current():
    """docs/openapi.json is exactly what scripts/gen-openapi writes today."""
    text = (REPO / "docs" / "openapi.json").read_text()
    assert json.loads(text) == openapi_document()
    assert text == openapi_json()


def test_contract_routes_are_parsed():
    """The route parser finds the contract's routes, so the next two tests mean something."""
    routes = contract_routes()
    assert ("GET", "/openapi.json") in routes
    assert ("DELETE", "/api/v1/presigned-urls/{id}") in routes
    assert len(routes) == len(OPERATION_IDS)


def test_every_contract_route_is_described():
    """Each route of docs/management-api.md is a path of the document with that method."""
    doc = openapi_document()
    missing = [(method, path) for method, path in sorted(contract_routes())
               if method.lower() not in doc["paths"].get(path, {})]
    assert missing == []


def test_every_described_route_is_in_the_contract():
    """The document describes no route that docs/management-api.md lacks."""
    described = {(method.upper(), path) for path, method, _ in operations(openapi_document())}
    assert described - contract_routes() == set()


def test_operation_ids():
    """Every operation has a summary and its own operationId, one per contract route."""
    ops = operations(openapi_document())
    ids = [op["operationId"] for _, _, op in ops]
    assert sorted(ids) == sorted(OPERATION_IDS)
    assert all(op.get("summary") for _, _, op in ops)


def test_paths_come_from_the_operation_table():
    """Each declared operation is the document's operation at its path and method, tagged
    with one of the document's tags, and the document has no other."""
    doc = openapi_document()
    tags = {tag["name"] for tag in doc["tags"]}
    for op in OPERATIONS:
        described = doc["paths"][op.path][op.method.lower()]
        assert described["operationId"] == op.operation_id
        assert described["tags"] == [op.tag] and op.tag in tags, op.operation_id
    assert len(operations(doc)) == len(OPERATIONS)


def test_every_operation_documents_its_errors():
    """Each operation answers one success status, 500, 401 unless public, and 413 with a body."""
    for path, method, op in operations(openapi_document()):
        statuses = set(op["responses"])
        assert len([s for s in statuses if s.startswith("2")]) == 1, (method, path)
        assert "500" in statuses, (method, path)
        assert ("401" in statuses) == (path != "/openapi.json"), (method, path)
        assert ("413" in statuses) == ("requestBody" in op), (method, path)
        if "requestBody" in op or op.get("parameters") or doc_path_params(path):
            assert "400" in statuses, (method, path)


def test_security():
    """Bearer authentication applies everywhere except to /openapi.json."""
    doc = openapi_document()
    assert doc["security"] == [{"bearerAuth": []}]
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method, op in operations(doc):
        assert ("security" in op) == (path == "/openapi.json"), (method, path)
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []


def test_request_bodies_are_closed():
    """Every request body is a JSON object schema refusing unknown fields, as the server does."""
    doc = openapi_document()
    schemas = doc["components"]["schemas"]
    bodies = [op["requestBody"] for _, _, op in operations(doc) if "requestBody" in op]
    assert len(bodies) == 6
    for body in bodies:
        assert body["required"] is True
        name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schemas[name]["type"] == "object"
        assert schemas[name]["additionalProperties"] is False, name


def test_path_parameters():
    """Path parameters have the contract's types: ids are integers, the rest strings."""
    doc = openapi_document()
    params = doc["components"]["parameters"]
    seen = {}
    for path, item in doc["paths"].items():
        for ref in item.get("parameters", []):
            param = params[ref["$ref"].rsplit("/", 1)[1]]
            assert param["in"] == "path" and param["required"] is True
            assert param["name"] in doc_path_params(path)
            seen[param["name"]] = param["schema"]["type"]
        assert len(item.get("parameters", [])) == len(doc_path_params(path)), path
    assert seen == {"id": "integer", "bucket": "string", "key": "string", "upload_id": "string"}


CREDENTIAL = {"id": 2, "user_name": "alice", "access_key": "AKIAALICE0000001",
              "is_active": True, "is_root": False, "rate_limit": None,
              "created_at": "2026-11-22T10:04:05Z"}
BUCKET = {"name": "photos", "region": "us-east-1", "owner_id": 2, "owner_name": "alice",
          "created_at": "2026-11-22T10:04:05Z", "object_count": 1, "total_size": 1500,
          "total_size_human": "1.5 kB", "multipart_size": 0, "multipart_size_human": "0 B",
          "quota_bytes": None, "quota_bytes_human": None}
OBJECT_PAGE = {"items": [{"key": "cat.jpg", "size": 1500, "size_human": "1.5 kB",
                          "etag": '"0cc175b9c0f1b6a831c399e269772661"',
                          "last_modified": "2026-11-22T10:04:05Z", "storage_class": "STANDARD",
                          "is_multipart": False}],
               "common_prefixes": ["2026/"], "next_cursor": None}
OBJECT = {"key": "big.bin", "size": 10485760, "size_human": "10.5 MB", "content_type": None,
          "etag": '"9b2cf535f27731c974343645a3985328-2"', "is_multipart": True,
          "part_count": 2, "metadata": {"owner": "alice"}, "headers": {"Cache-Control": "no-cache"},
          "checksums": {"CRC32": "yZRlqg=="}, "tags": {}, "storage_class": "STANDARD",
          "storage_path": None,
          "parts": [{"part_number": 1, "size": 5242880, "etag": '"a"', "storage_path": "/d/1"},
                    {"part_number": 2, "size": 5242880, "etag": '"b"', "storage_path": "/d/2"}],
          "created_at": "2026-11-22T10:04:05Z", "updated_at": "2026-11-22T10:04:06Z"}
PRESIGNED = {"id": 7, "url": "http://127.0.0.1:9000/photos/cat.jpg?X-Amz-Signature=0",
             "bucket_name": "photos", "object_key": "cat.jpg", "method": "GET",
             "access_key": "AKIAALICE0000001", "created_at": "2026-11-22T10:04:05Z",
             "expires_at": "2026-11-22T11:04:05Z", "revoked_at": None, "is_active": True}
UPLOAD = {"upload_id": "u1", "object_key": "big.bin", "initiated_by": "alice",
          "content_type": "application/octet-stream", "initiated_at": "2026-11-22T10:04:05Z",
          "part_count": 1, "total_size": 5242880, "total_size_human": "5.2 MB"}

#: (schema name, a value the contract allows)
VALID = [
    ("Stats", {"credentials": 2, "buckets": 1, "objects": 1, "total_storage": 1500,
               "total_storage_human": "1.5 kB", "active_multipart_uploads": 0,
               "active_presigned_urls": 0}),
    ("Credential", CREDENTIAL),
    ("Credential", {**CREDENTIAL, "rate_limit": 2.5}),
    ("NewCredential", {**CREDENTIAL, "secret_key": "s3cr3t-s3cr3t"}),
    ("CredentialDetail", {**CREDENTIAL, "bucket_count": 1, "buckets": [
        {"name": "photos", "object_count": 1, "total_size": 512, "total_size_human": "512 B"}]}),
    ("CredentialPage", {"items": [CREDENTIAL], "next_cursor": "opaque"}),
    ("CredentialCreate", {}),
    ("CredentialCreate", {"user_name": "bob@example.org", "access_key": "A" * 16,
                          "secret_key": "!~" * 4, "is_active": False, "rate_limit": 1000000}),
    ("CredentialUpdate", {"rate_limit": None}),
    ("Bucket", BUCKET),
    ("Bucket", {**BUCKET, "quota_bytes": 2300000000000, "quota_bytes_human": "2.3 TB"}),
    ("BucketDetail", {**BUCKET, "objects": OBJECT_PAGE}),
    ("BucketPage", {"items": [BUCKET], "next_cursor": None}),
    ("BucketCreate", {"name": "my.bucket-1", "owner_id": 2, "region": "us-east-1",
                      "quota_bytes": 0}),
    ("BucketUpdate", {"quota_bytes": None, "owner_id": 1}),
    ("ObjectPage", OBJECT_PAGE),
    ("Object", OBJECT),
    ("Object", {**OBJECT, "is_multipart": False, "part_count": None, "parts": [],
                "storage_path": "/data/objects/ab/cd", "content_type": "image/jpeg"}),
    ("DeleteObjectsRequest", {"keys": ["a", "b/c"]}),
    ("DeleteResult", {"deleted": ["a"], "errors": [
        {"key": "b/c", "error": "no_such_key", "message": "The key does not exist."}]}),
    ("Upload", UPLOAD),
    ("UploadPage", {"items": [UPLOAD], "next_cursor": None}),
    ("PresignedUrl", PRESIGNED),
    ("PresignedUrl", {**PRESIGNED, "revoked_at": "2026-11-22T10:05:00Z", "is_active": False}),
    ("PresignedUrlPage", {"items": [PRESIGNED], "next_cursor": None}),
    ("PresignedUrlCreate", {"bucket_name": "photos", "object_key": "cat.jpg", "method": "PUT",
                            "expires_in": 604800, "access_key": "AKIAALICE0000001"}),
    ("Error", {"error": "no_such_bucket", "message": "The bucket does not exist."}),
]

#: (schema name, a value the contract refuses)
INVALID = [
    ("Credential", {**CREDENTIAL, "secret_key": "leaked"}),
    ("Credential", {**CREDENTIAL, "id": "2"}),
    ("Credential", {**CREDENTIAL, "created_at": "2026-11-22 10:04:05"}),
    ("Credential", {k: v for k, v in CREDENTIAL.items() if k != "is_root"}),
    ("CredentialCreate", {"user_name": ""}),
    ("CredentialCreate", {"user_name": "a" * 65}),
    ("CredentialCreate", {"user_name": "has space"}),
    ("CredentialCreate", {"access_key": "A" * 15}),
    ("CredentialCreate", {"access_key": "A" * 15 + "-"}),
    ("CredentialCreate", {"secret_key": "short"}),
    ("CredentialCreate", {"secret_key": "has a space"}),
    ("CredentialCreate", {"rate_limit": 0}),
    ("CredentialCreate", {"rate_limit": 1000001}),
    ("CredentialCreate", {"is_root": True}),
    ("CredentialUpdate", {"access_key": "A" * 16}),
    ("Bucket", {**BUCKET, "total_size_human": "1.5kB"}),
    ("Bucket", {**BUCKET, "total_size_human": "1500 B"}),
    ("Bucket", {**BUCKET, "total_size": 1.5}),
    ("BucketCreate", {}),
    ("BucketCreate", {"name": "Photos"}),
    ("BucketCreate", {"name": "photos", "quota_bytes": -1}),
    ("BucketCreate", {"name": "photos", "owner": 1}),
    ("BucketCreate", {"name": "photos", "owner_id": 0}),
    ("BucketUpdate", {"name": "other"}),
    ("Object", {**OBJECT, "checksums": {"CRC32": "not base64!"}}),
    ("DeleteObjectsRequest", {"keys": []}),
    ("DeleteObjectsRequest", {"keys": ["k"] * 1001}),
    ("PresignedUrl", {**PRESIGNED, "method": "POST"}),
    ("PresignedUrlCreate", {"bucket_name": "photos"}),
    ("PresignedUrlCreate", {"bucket_name": "photos", "object_key": "k", "expires_in": 0}),
    ("PresignedUrlCreate", {"bucket_name": "photos", "object_key": "k", "expires_in": 604801}),
    ("PresignedUrlCreate", {"bucket_name": "photos", "object_key": "k", "method": "get"}),
    ("Error", {"error": "no_such_thing", "message": "?"}),
    ("Error", {"error": "not_found"}),
]


@pytest.mark.parametrize("name, value", VALID)
def test_schema_accepts(name, value):
    """The component schema accepts a value the contract allows."""
    errors = [e.message for e in validator(name).iter_errors(value)]
    assert errors == []


@pytest.mark.parametrize("name, value", INVALID)
def test_schema_refuses(name, value):
    """The component schema refuses a value the contract does not allow."""
    assert not validator(name).is_valid(value)


@pytest.mark.parametrize("text", ["0 B", "512 B", "1.5 kB", "1.0 MB", "1.0 GB", "2.3 TB"])
def test_contract_size_examples_match(text):
    """Each `*_human` example of the contract matches the size schema."""
    assert validator("Stats").is_valid({**VALID[0][1], "total_storage_human": text})
