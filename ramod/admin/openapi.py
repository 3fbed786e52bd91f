"""The OpenAPI 3.1 description of the management API in docs/management-api.md.

Pure data, no Twisted: ``openapi_document()`` builds the document that the admin
listener serves at ``/openapi.json`` and that ``scripts/gen-openapi`` writes to
``docs/openapi.json``.  Objects the server sends or accepts are closed
(``additionalProperties: false``), so a field added on one side only shows up in
tests/unit/test_openapi.py or tests/integration/test_admin_openapi.py.
"""

import copy
import json

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/api/v1"
JSON = "application/json"

#: error codes by HTTP status (docs/management-api.md, "Errors")
ERROR_CODES = {
    400: ["invalid_request", "invalid_bucket_name"],
    401: ["unauthorized"],
    404: ["not_found", "no_such_credential", "no_such_bucket", "no_such_key", "no_such_upload",
          "no_such_presigned_url"],
    405: ["method_not_allowed"],
    409: ["access_key_taken", "bucket_already_exists", "bucket_not_empty", "credential_in_use",
          "root_credential_protected"],
    413: ["request_too_large"],
    500: ["internal_error"],
}

#: components/responses name of each documented error status (405 is left out: any route
#: answers it for a method it lacks, so it is not an outcome of an operation)
ERROR_RESPONSES = {
    400: ("BadRequest", "Bad JSON, or a bad field, query or path parameter."),
    401: ("Unauthorized", "Missing or wrong admin key."),
    404: ("NotFound", "No such resource."),
    409: ("Conflict", "The request conflicts with the current state."),
    413: ("PayloadTooLarge", "The body is larger than 1 MiB."),
    500: ("InternalError", "The server failed; details are in its log."),
}

PRESIGNED_METHODS = ["GET", "PUT", "HEAD", "DELETE"]

# -- primitive schemas (inlined where used) ---------------------------------

TIMESTAMP = {
    "type": "string", "format": "date-time",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
    "description": "ISO 8601 UTC time, to the second.",
    "examples": ["2026-11-22T10:04:05Z"],
}
BYTES = {"type": "integer", "minimum": 0, "description": "A size in bytes."}
HUMAN_SIZE = {
    "type": "string", "pattern": r"^(?:[0-9]{1,3} B|[0-9]+\.[0-9] [kMGTPEZY]B)$",
    "description": "The size in decimal units, one decimal from kB up.",
    "examples": ["0 B", "512 B", "1.5 kB", "2.3 TB"],
}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer"}
STRING = {"type": "string"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
BASE64 = {
    "type": "string", "contentEncoding": "base64",
    "pattern": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
}
CURSOR = {"type": ["string", "null"],
          "description": "Pass it as `cursor` to get the next page; null on the last page."}
RATE_LIMIT = {
    "type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1000000,
    "description": "S3 requests per second allowed to this key (null: unlimited); past it "
                   "S3 answers 503 SlowDown with Retry-After.",
}
QUOTA = {
    "type": ["integer", "null"], "minimum": 0,
    "description": "At most this many bytes of objects plus parts of uploads in progress "
                   "(null: no quota); S3 writes past it get 403 QuotaExceeded.",
}
USER_NAME_IN = {
    "type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9._@+-]+$",
    "description": "1..64 letters, digits or `._@+-`.",
}
ACCESS_KEY_IN = {
    "type": "string", "minLength": 16, "maxLength": 128, "pattern": r"^[A-Za-z0-9]+$",
    "description": "16..128 ASCII letters and digits; generated if absent.",
}
SECRET_KEY_IN = {
    "type": "string", "minLength": 8, "maxLength": 128, "pattern": r"^[!-~]+$",
    "description": "8..128 printable ASCII characters, no spaces; generated if absent.",
}
BUCKET_NAME_IN = {
    "type": "string", "minLength": 3, "maxLength": 63,
    "pattern": r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
    "description": "S3's naming rules (3..63 lowercase letters, digits, dots and hyphens, "
                   "...); a name that breaks one gets 400 invalid_bucket_name.",
}
OBJECT_KEY_IN = {"type": "string", "minLength": 1}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict:
    return _ref("schemas", name)


def _nullable(schema: dict) -> dict:
    """``schema`` that also admits null (3.1: ``type`` becomes a list)."""
    result = copy.deepcopy(schema)
    result["type"] = [result["type"], "null"]
    return result


def _with(schema: dict, **keywords) -> dict:
    """A copy of ``schema`` with ``keywords`` added or replaced."""
    result = copy.deepcopy(schema)
    result.update(keywords)
    return result


def _object(properties: dict, *, required=None, description: str | None = None) -> dict:
    """A closed object schema; every property is required unless ``required`` is given."""
    schema = {"type": "object"}
    if description:
        schema["description"] = description
    schema["additionalProperties"] = False
    schema["required"] = list(properties) if required is None else list(required)
    schema["properties"] = properties
    return schema


def _extend(base: dict, extra: dict, description: str) -> dict:
    """``base`` (a closed object schema) with the required properties ``extra`` added."""
    return _object({**copy.deepcopy(base["properties"]), **extra}, description=description)


def _page(item: str, description: str) -> dict:
    return _object({"items": {"type": "array", "items": _schema(item)}, "next_cursor": CURSOR},
                   description=description)


# -- component schemas -------------------------------------------------------

def _schemas() -> dict:
    credential = _object({
        "id": ID,
        "user_name": STRING,
        "access_key": STRING,
        "is_active": {"type": "boolean"},
        "is_root": {"type": "boolean"},
        "rate_limit": RATE_LIMIT,
        "created_at": TIMESTAMP,
    }, description="An access key of the S3 API.  Its secret is only returned on creation.")
    bucket = _object({
        "name": STRING,
        "region": STRING,
        "owner_id": _with(ID, description="The owning credential's id."),
        "owner_name": STRING,
        "created_at": TIMESTAMP,
        "object_count": COUNT,
        "total_size": BYTES,
        "total_size_human": HUMAN_SIZE,
        "multipart_size": _with(BYTES, description="Bytes of the parts of uploads in progress."),
        "multipart_size_human": HUMAN_SIZE,
        "quota_bytes": QUOTA,
        "quota_bytes_human": _nullable(HUMAN_SIZE),
    }, description="A bucket with its usage.")
    object_page = _object({
        "items": {"type": "array", "items": _schema("ObjectSummary")},
        "common_prefixes": {"type": "array", "items": STRING},
        "next_cursor": CURSOR,
    }, description="Objects in UTF-8 byte order of their keys; with a delimiter, keys below a "
                   "common prefix are rolled up into `common_prefixes`, and `limit` counts both.")
    return {
        "Error": _object({
            "error": {"type": "string",
                      "enum": [code for codes in ERROR_CODES.values() for code in codes]},
            "message": _with(STRING, description="A sentence for a person."),
        }, description="Every refusal and failure."),
        "Stats": _object({
            "credentials": COUNT,
            "buckets": COUNT,
            "objects": COUNT,
            "total_storage": _with(BYTES, description="Bytes of all objects plus parts of "
                                                      "uploads in progress."),
            "total_storage_human": HUMAN_SIZE,
            "active_multipart_uploads": COUNT,
            "active_presigned_urls": COUNT,
        }, description="Server-wide counts."),
        "Credential": credential,
        "NewCredential": _extend(credential, {"secret_key": STRING},
                                 "A credential just created, with its secret key."),
        "CredentialDetail": _extend(credential, {
            "bucket_count": COUNT,
            "buckets": {"type": "array", "items": _schema("CredentialBucket")},
        }, "A credential with the buckets of its user."),
        "CredentialBucket": _object({
            "name": STRING,
            "object_count": COUNT,
            "total_size": BYTES,
            "total_size_human": HUMAN_SIZE,
        }, description="A bucket of a credential's user."),
        "CredentialPage": _page("Credential", "Credentials ordered by id."),
        "CredentialCreate": _object({
            "user_name": _with(USER_NAME_IN, description=USER_NAME_IN["description"]
                               + " Default: the access key."),
            "access_key": ACCESS_KEY_IN,
            "secret_key": SECRET_KEY_IN,
            "is_active": {"type": "boolean", "default": True},
            "rate_limit": _with(RATE_LIMIT, default=None),
        }, required=[]),
        "CredentialUpdate": _object({
            "user_name": _with(USER_NAME_IN, description=USER_NAME_IN["description"]
                               + " Renaming moves the buckets this key created to the new "
                                 "user; the root credential can't be renamed."),
            "is_active": {"type": "boolean", "description": "false disables the key at once "
                          "(S3: 403 InvalidAccessKeyId); the root credential can't be disabled."},
            "rate_limit": RATE_LIMIT,
        }, required=[]),
        "Bucket": bucket,
        "BucketDetail": _extend(bucket, {"objects": _schema("ObjectPage")},
                                "A bucket with the first page of its objects."),
        "BucketPage": _page("Bucket", "Buckets ordered by name."),
        "BucketCreate": _object({
            "name": BUCKET_NAME_IN,
            "owner_id": _with(ID, minimum=1, description="The owning credential's id; "
                                                     "default: root."),
            "region": _with(STRING, description="Must be the server's region."),
            "quota_bytes": _with(QUOTA, default=None),
        }, required=["name"]),
        "BucketUpdate": _object({
            "quota_bytes": QUOTA,
            "owner_id": _with(ID, minimum=1, description="The new owning credential's id."),
        }, required=[]),
        "ObjectSummary": _object({
            "key": STRING,
            "size": BYTES,
            "size_human": HUMAN_SIZE,
            "etag": STRING,
            "last_modified": TIMESTAMP,
            "storage_class": STRING,
            "is_multipart": {"type": "boolean"},
        }, description="An object in a listing."),
        "ObjectPage": object_page,
        "Object": _object({
            "key": STRING,
            "size": BYTES,
            "size_human": HUMAN_SIZE,
            "content_type": _nullable(STRING),
            "etag": STRING,
            "is_multipart": {"type": "boolean"},
            "part_count": _nullable(COUNT),
            "metadata": _with(STRING_MAP, description="The x-amz-meta-* headers without the "
                                                      "prefix."),
            "headers": _with(STRING_MAP, description="Stored content headers "
                                                     "(Content-Encoding, Cache-Control, ...)."),
            "checksums": {"type": "object", "additionalProperties": BASE64,
                          "description": "Base64 checksums by algorithm."},
            "tags": STRING_MAP,
            "storage_class": STRING,
            "storage_path": _with(_nullable(STRING), description="The data file of a simple "
                                                                  "object; null when multipart."),
            "parts": {"type": "array", "items": _schema("ObjectPart"),
                      "description": "The parts of a multipart object, else empty."},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        }, description="An object with everything stored about it."),
        "ObjectPart": _object({
            "part_number": {"type": "integer", "minimum": 1, "maximum": 10000},
            "size": BYTES,
            "etag": STRING,
            "storage_path": STRING,
        }, description="A part of a multipart object."),
        "DeleteObjectsRequest": _object({
            "keys": {"type": "array", "minItems": 1, "maxItems": 1000, "items": STRING},
        }),
        "DeleteResult": _object({
            "deleted": {"type": "array", "items": STRING},
            "errors": {"type": "array", "items": _schema("DeleteError")},
        }, description="What a bulk delete did, key by key."),
        "DeleteError": _object({
            "key": STRING,
            "error": _with(STRING, description="An error code, e.g. no_such_key."),
            "message": STRING,
        }, description="A key a bulk delete did not delete."),
        "Upload": _object({
            "upload_id": STRING,
            "object_key": STRING,
            "initiated_by": _with(STRING, description="A user name."),
            "content_type": _nullable(STRING),
            "initiated_at": TIMESTAMP,
            "part_count": COUNT,
            "total_size": BYTES,
            "total_size_human": HUMAN_SIZE,
        }, description="A multipart upload in progress."),
        "UploadPage": _page("Upload", "Uploads in key order."),
        "PresignedUrl": _object({
            "id": ID,
            "url": {"type": "string", "format": "uri",
                    "description": "A SigV4 presigned URL of the public S3 address."},
            "bucket_name": STRING,
            "object_key": STRING,
            "method": {"type": "string", "enum": PRESIGNED_METHODS},
            "access_key": STRING,
            "created_at": TIMESTAMP,
            "expires_at": TIMESTAMP,
            "revoked_at": _nullable(TIMESTAMP),
            "is_active": {"type": "boolean"},
        }, description="A presigned URL the server made and can revoke."),
        "PresignedUrlPage": _page("PresignedUrl", "Active presigned URLs, newest first."),
        "PresignedUrlCreate": _object({
            "bucket_name": STRING,
            "object_key": OBJECT_KEY_IN,
            "method": {"type": "string", "enum": PRESIGNED_METHODS, "default": "GET"},
            "expires_in": {"type": "integer", "minimum": 1, "maximum": 604800, "default": 3600,
                           "description": "Seconds."},
            "access_key": _with(STRING, description="An active key that can reach the bucket; "
                                                    "default: a key of the bucket's owner, "
                                                    "else root."),
        }, required=["bucket_name", "object_key"]),
    }


# -- parameters and responses -------------------------------------------------

def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


def _parameters() -> dict:
    return {
        "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                  "default": 100}, "Items per page."),
        "cursor": _query("cursor", STRING, "The `next_cursor` of the previous page; a cursor "
                                           "the server did not make gets 400."),
        "prefix": _query("prefix", STRING, "Only names or keys that start with this."),
        "delimiter": _query("delimiter", STRING, "Roll keys up to the first delimiter after "
                                                 "the prefix into `common_prefixes`."),
        "credentialId": _path("id", ID, "A credential's id."),
        "bucket": _path("bucket", {"type": "string", "minLength": 1}, "A bucket name."),
        "key": _path("key", {"type": "string", "minLength": 1},
                     "The object key, percent-encoded (`/` may be sent as is or as `%2F`)."),
        "uploadId": _path("upload_id", {"type": "string", "minLength": 1},
                          "A multipart upload id."),
        "presignedUrlId": _path("id", ID, "A presigned URL's id."),
    }


def _error_response(status: int) -> dict:
    name, description = ERROR_RESPONSES[status]
    response = {"description": description, "content": {JSON: {"schema": {"allOf": [
        _schema("Error"), {"properties": {"error": {"enum": ERROR_CODES[status]}}}]}}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {
            "required": True, "description": "Always `Bearer`.",
            "schema": {"type": "string", "pattern": "^Bearer"}}}
    return response


def _responses() -> dict:
    return {ERROR_RESPONSES[status][0]: _error_response(status) for status in ERROR_RESPONSES}


# -- operations -------------------------------------------------------------------

def _operation(operation_id: str, summary: str, tag: str, *, ok: tuple, errors=(),
               parameters=(), body: str | None = None, description: str | None = None,
               public: bool = False) -> dict:
    """One operation.

    :param ok: ``(status, schema name or None, description)`` of the success response.
    :param errors: error statuses beyond 401 (unless ``public``), 413 (with a ``body``)
        and 500, which are added.
    """
    status, schema, ok_description = ok
    operation = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        operation["description"] = description
    if public:
        operation["security"] = []
    if parameters:
        operation["parameters"] = [_ref("parameters", p) if isinstance(p, str) else p
                                   for p in parameters]
    if body:
        operation["requestBody"] = {"required": True,
                                    "content": {JSON: {"schema": _schema(body)}}}
    success = {"description": ok_description}
    if schema:
        success["content"] = {JSON: {"schema": schema if isinstance(schema, dict)
                                     else _schema(schema)}}
    statuses = set(errors) | {500}
    if not public:
        statuses.add(401)
    if body:
        statuses.add(413)
    operation["responses"] = {str(status): success}
    for code in sorted(statuses):
        operation["responses"][str(code)] = _ref("responses", ERROR_RESPONSES[code][0])
    return operation


def _paths() -> dict:
    page = ["limit", "cursor"]
    creds, buckets, objects, uploads, presigned = (
        "Credentials", "Buckets", "Objects", "Multipart uploads", "Presigned URLs")
    return {
        "/openapi.json": {"get": _operation(
            "getOpenApi", "This document", "Meta", public=True,
            ok=("200", {"type": "object", "required": ["openapi", "info", "paths"]},
                "The OpenAPI description of this API."))},
        f"{API_PREFIX}/stats": {"get": _operation(
            "getStats", "Server-wide counts and storage", "Stats",
            ok=("200", "Stats", "The counts."))},
        f"{API_PREFIX}/credentials": {
            "get": _operation(
                "listCredentials", "List credentials", creds,
                parameters=[*page, _query("user_name", STRING, "Only this user's keys.")],
                errors=[400], ok=("200", "CredentialPage", "A page of credentials.")),
            "post": _operation(
                "createCredential", "Create a credential", creds, body="CredentialCreate",
                errors=[400, 409],
                ok=("201", "NewCredential", "Created; the only time the secret key is shown."),
                description="A taken access key gets 409 access_key_taken."),
        },
        f"{API_PREFIX}/credentials/{{id}}": {
            "parameters": [_ref("parameters", "credentialId")],
            "get": _operation(
                "getCredential", "Get a credential and its user's buckets", creds,
                errors=[400, 404], ok=("200", "CredentialDetail", "The credential.")),
            "patch": _operation(
                "updateCredential", "Rename, enable, disable or rate-limit a credential", creds,
                body="CredentialUpdate", errors=[400, 404, 409],
                ok=("200", "Credential", "The updated credential."),
                description="The root credential can't be disabled or renamed: 409 "
                            "root_credential_protected."),
            "delete": _operation(
                "deleteCredential", "Delete a credential", creds, errors=[400, 404, 409],
                ok=("204", None, "Deleted."),
                description="The buckets this key created pass to another key of the same "
                            "user.  Root: 409 root_credential_protected; the user's last key "
                            "while the user owns buckets: 409 credential_in_use."),
        },
        f"{API_PREFIX}/buckets": {
            "get": _operation(
                "listBuckets", "List buckets", buckets,
                parameters=[*page, "prefix", _query("owner_id", ID, "Only this credential's "
                                                                    "buckets.")],
                errors=[400, 404], ok=("200", "BucketPage", "A page of buckets."),
                description="An `owner_id` that is no credential's: 404 no_such_credential."),
            "post": _operation(
                "createBucket", "Create a bucket", buckets, body="BucketCreate",
                errors=[400, 404, 409], ok=("201", "Bucket", "Created."),
                description="A bad name: 400 invalid_bucket_name; a taken one: 409 "
                            "bucket_already_exists; an unknown owner: 404 no_such_credential."),
        },
        f"{API_PREFIX}/buckets/{{bucket}}": {
            "parameters": [_ref("parameters", "bucket")],
            "get": _operation(
                "getBucket", "Get a bucket and a page of its objects", buckets,
                parameters=[*page, "prefix", "delimiter"], errors=[400, 404],
                ok=("200", "BucketDetail", "The bucket.")),
            "patch": _operation(
                "updateBucket", "Set a bucket's quota or owner", buckets, body="BucketUpdate",
                errors=[400, 404], ok=("200", "Bucket", "The updated bucket.")),
            "delete": _operation(
                "deleteBucket", "Delete a bucket", buckets, errors=[400, 404, 409],
                parameters=[_query("force", {"type": "boolean", "default": False},
                                   "Delete the objects and uploads in progress first.")],
                ok=("204", None, "Deleted."),
                description="A bucket with objects or uploads in progress, without "
                            "`force=true`: 409 bucket_not_empty."),
        },
        f"{API_PREFIX}/buckets/{{bucket}}/objects": {
            "parameters": [_ref("parameters", "bucket")],
            "get": _operation(
                "listObjects", "List objects", objects, errors=[400, 404],
                parameters=["prefix", "delimiter", *page],
                ok=("200", "ObjectPage", "A page of objects.")),
        },
        f"{API_PREFIX}/buckets/{{bucket}}/objects/delete": {
            "parameters": [_ref("parameters", "bucket")],
            "post": _operation(
                "deleteObjects", "Delete up to 1000 objects", objects,
                body="DeleteObjectsRequest", errors=[400, 404],
                ok=("200", "DeleteResult", "What was deleted; missing keys are errors "
                                           "no_such_key.")),
        },
        f"{API_PREFIX}/buckets/{{bucket}}/objects/{{key}}": {
            "parameters": [_ref("parameters", "bucket"), _ref("parameters", "key")],
            "get": _operation(
                "getObject", "Get everything stored about an object", objects,
                errors=[400, 404], ok=("200", "Object", "The object.")),
            "delete": _operation(
                "deleteObject", "Delete an object", objects, errors=[400, 404],
                ok=("204", None, "Deleted."), description="A missing key: 404 no_such_key."),
        },
        f"{API_PREFIX}/buckets/{{bucket}}/multipart-uploads": {
            "parameters": [_ref("parameters", "bucket")],
            "get": _operation(
                "listMultipartUploads", "List uploads in progress", uploads,
                errors=[400, 404], parameters=[*page, "prefix"],
                ok=("200", "UploadPage", "A page of uploads.")),
        },
        f"{API_PREFIX}/buckets/{{bucket}}/multipart-uploads/{{upload_id}}": {
            "parameters": [_ref("parameters", "bucket"), _ref("parameters", "uploadId")],
            "get": _operation(
                "getMultipartUpload", "Get an upload in progress", uploads,
                errors=[400, 404], ok=("200", "Upload", "The upload.")),
            "delete": _operation(
                "abortMultipartUpload", "Abort an upload and free its parts", uploads,
                errors=[400, 404], ok=("204", None, "Aborted.")),
        },
        f"{API_PREFIX}/presigned-urls": {
            "get": _operation(
                "listPresignedUrls", "List active presigned URLs", presigned,
                parameters=[*page, _query("bucket_name", STRING, "Only this bucket's URLs.")],
                errors=[400],
                ok=("200", "PresignedUrlPage", "A page of unexpired, unrevoked URLs.")),
            "post": _operation(
                "createPresignedUrl", "Make a presigned URL", presigned,
                body="PresignedUrlCreate", errors=[400, 404],
                ok=("201", "PresignedUrl", "Made."),
                description="A key that is inactive or can't reach the bucket: 400 "
                            "invalid_request; no such bucket: 404 no_such_bucket."),
        },
        f"{API_PREFIX}/presigned-urls/{{id}}": {
            "parameters": [_ref("parameters", "presignedUrlId")],
            "get": _operation(
                "getPresignedUrl", "Get a presigned URL, also when expired or revoked",
                presigned, errors=[400, 404], ok=("200", "PresignedUrl", "The URL.")),
            "delete": _operation(
                "revokePresignedUrl", "Revoke a presigned URL", presigned, errors=[400, 404],
                ok=("204", None, "Revoked (also when it already was); S3 then answers it "
                                 "with 403 AccessDenied.")),
        },
    }


DESCRIPTION = """\
Manage a Ramo server: credentials, buckets, objects, multipart uploads and presigned URLs.
JSON over HTTP on the server's admin listener (`--admin-listen`).

Every `/api/v1` request carries `Authorization: Bearer <admin key>`.  Bodies are JSON
objects of at most 1 MiB; unknown fields, wrong types and out-of-range values get 400
`invalid_request`.  Lists take `limit` (1..1000, default 100) and `cursor` and answer
`{"items": [...], "next_cursor": ...}`.  Times are ISO 8601 UTC; sizes in bytes come with a
`*_human` twin in decimal units.  See docs/management-api.md.
"""

TAGS = [
    ("Stats", "Server-wide figures."),
    ("Credentials", "S3 access keys and their users."),
    ("Buckets", "Buckets, their usage, quotas and owners."),
    ("Objects", "Objects and everything stored about them."),
    ("Multipart uploads", "Uploads in progress."),
    ("Presigned URLs", "Presigned URLs the server made, which it can revoke."),
    ("Meta", "This description."),
]


def openapi_document(version: str = "0.1.0") -> dict:
    """Build the OpenAPI 3.1 document of the management API.

    :param version: the API document's version (``info.version``).
    """
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Ramo management API", "version": version,
                 "description": DESCRIPTION},
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": _responses(),
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "The admin key: `RAMO_ADMIN_API_KEY`, else generated at first "
                               "start into `<data-dir>/admin-api-key`."}},
        },
    }


def openapi_json(version: str = "0.1.0") -> str:
    """The document as ``docs/openapi.json`` holds it."""
    return json.dumps(openapi_document(version), indent=2, sort_keys=False) + "\n"
