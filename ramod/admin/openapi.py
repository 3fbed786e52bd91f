"""The OpenAPI 3.1 description of the management API in docs/management-api.md.

Pure data, no Twisted: ``openapi_document()`` builds the document that the admin
listener serves at ``/openapi.json`` and that ``scripts/gen-openapi`` writes to
``docs/openapi.json``.  Its ``paths`` come from the operation table
(ramod.admin.operations), its ``components`` from ramod.admin.openapi_components.
"""

import json
import re

from ramod.admin.openapi_components import (
    ERROR_RESPONSES, JSON, PATH_PARAMETERS, components, query_parameter, ref)
from ramod.admin.operation import API_PREFIX, ApiOperation, Auth, Query
from ramod.admin.operations import OPERATIONS

__all__ = ["API_PREFIX", "openapi_document", "openapi_json"]

OPENAPI_VERSION = "3.1.0"


def _operation(op: ApiOperation) -> dict:
    """The OpenAPI operation object of ``op``: its success response, and refs to the error
    responses of ``op.errors``, 500, 401 (unless public) and 413 (with a body)."""
    public = op.auth is Auth.PUBLIC
    operation = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        operation["description"] = op.description
    if public:
        operation["security"] = []
    if op.query:
        operation["parameters"] = [query_parameter(*p) if isinstance(p, Query)
                                   else ref("parameters", p) for p in op.query]
    if op.body:
        operation["requestBody"] = {"required": True,
                                    "content": {JSON: {"schema": ref("schemas", op.body)}}}
    success = {"description": op.ok.description}
    if op.ok.schema:
        schema = op.ok.schema
        success["content"] = {JSON: {"schema": schema if isinstance(schema, dict)
                                     else ref("schemas", schema)}}
    statuses = set(op.errors) | {500}
    if not public:
        statuses.add(401)
    if op.body:
        statuses.add(413)
    operation["responses"] = {str(op.ok.status): success}
    for code in sorted(statuses):
        operation["responses"][str(code)] = ref("responses", ERROR_RESPONSES[code][0])
    return operation


def _paths(operations) -> dict:
    """Path items in the order paths first appear in ``operations``; each starts with refs
    to its path parameters."""
    paths = {}
    for op in operations:
        if op.path not in paths:
            names = re.findall(r"[^/]+/\{\w+\}", op.path)
            paths[op.path] = {"parameters": [ref("parameters", PATH_PARAMETERS[name])
                                             for name in names]} if names else {}
        paths[op.path][op.method.lower()] = _operation(op)
    return paths


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
        "paths": _paths(OPERATIONS),
        "components": components(),
    }


def openapi_json(version: str = "0.1.0") -> str:
    """The document as ``docs/openapi.json`` holds it."""
    return json.dumps(openapi_document(version), indent=2, sort_keys=False) + "\n"
