"""The ``components`` of the management API's OpenAPI document (ramod.admin.openapi):
schemas of what the server sends and accepts, shared parameters, error responses and the
security scheme.

Objects the server sends or accepts are closed (``additionalProperties: false``), so a
field added on one side only shows up in tests/unit/test_openapi.py or
tests/integration/test_admin_openapi.py.
"""

import copy

from ramoclient.limits import ADMIN_KEY_FILE, MAX_PRESIGN_SECONDS

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


def ref(kind: str, name: str) -> dict:
    """A reference to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict:
    return ref("schemas", name)


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
            "expires_in": {"type": "integer", "minimum": 1, "maximum": MAX_PRESIGN_SECONDS,
                           "default": 3600, "description": "Seconds."},
            "access_key": _with(STRING, description="An active key that can reach the bucket; "
                                                    "default: a key of the bucket's owner, "
                                                    "else root."),
        }, required=["bucket_name", "object_key"]),
    }


# -- parameters and responses -------------------------------------------------

def query_parameter(name: str, schema: dict, description: str) -> dict:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


#: components/parameters name of each path parameter, by "<segment before>/{name}"
PATH_PARAMETERS = {
    "credentials/{id}": "credentialId",
    "buckets/{bucket}": "bucket",
    "objects/{key}": "key",
    "multipart-uploads/{upload_id}": "uploadId",
    "presigned-urls/{id}": "presignedUrlId",
}


def _parameters() -> dict:
    return {
        "limit": query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                           "default": 100}, "Items per page."),
        "cursor": query_parameter("cursor", STRING, "The `next_cursor` of the previous page; a "
                                                    "cursor the server did not make gets 400."),
        "prefix": query_parameter("prefix", STRING, "Only names or keys that start with this."),
        "delimiter": query_parameter("delimiter", STRING, "Roll keys up to the first delimiter "
                                                          "after the prefix into "
                                                          "`common_prefixes`."),
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


def components() -> dict:
    """The document's ``components``."""
    return {
        "schemas": _schemas(),
        "parameters": _parameters(),
        "responses": _responses(),
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "The admin key: `RAMO_ADMIN_API_KEY`, else generated at first "
                           f"start into `<data-dir>/{ADMIN_KEY_FILE}`."}},
    }
