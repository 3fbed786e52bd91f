"""Route table of the management API: (method, path) -> handler name and path values.

Pure: paths arrive percent-encoded; each ``{name}`` segment is decoded, and ``{key}``
takes the rest of the path (object keys may hold ``/``, encoded or not).
"""

import re
from typing import NamedTuple
from urllib.parse import unquote

from ramod.admin import errors

PREFIX = "/api/v1"

#: (path pattern, {method: handler name}); tried in order
ROUTES = [
    ("/stats", {"GET": "get_stats"}),
    ("/credentials", {"GET": "list_credentials", "POST": "create_credential"}),
    ("/credentials/{id}", {"GET": "get_credential", "PATCH": "update_credential",
                           "DELETE": "delete_credential"}),
    ("/buckets", {"GET": "list_buckets", "POST": "create_bucket"}),
    ("/buckets/{bucket}", {"GET": "get_bucket", "PATCH": "update_bucket",
                           "DELETE": "delete_bucket"}),
    ("/buckets/{bucket}/objects", {"GET": "list_objects"}),
    ("/buckets/{bucket}/objects/delete", {"POST": "delete_objects"}),
    ("/buckets/{bucket}/objects/{key}", {"GET": "get_object", "DELETE": "delete_object"}),
    ("/buckets/{bucket}/multipart-uploads", {"GET": "list_uploads"}),
    ("/buckets/{bucket}/multipart-uploads/{upload_id}", {"GET": "get_upload",
                                                         "DELETE": "abort_upload"}),
    ("/presigned-urls", {"GET": "list_presigned_urls", "POST": "create_presigned_url"}),
    ("/presigned-urls/{id}", {"GET": "get_presigned_url", "DELETE": "revoke_presigned_url"}),
]


def _compile(pattern: str) -> re.Pattern:
    regex = re.escape(PREFIX + pattern)
    regex = regex.replace(r"\{key\}", "(?P<key>.+)")
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(regex + "/?")


_COMPILED = [(_compile(pattern), pattern, methods) for pattern, methods in ROUTES]


class Route(NamedTuple):
    handler: str
    params: dict


def route(method: str, raw_path: str) -> Route:
    """The handler for a request; NotFound or MethodNotAllowed (with ``Allow``)."""
    also_allowed = set()
    for regex, pattern, methods in _COMPILED:
        match = regex.fullmatch(raw_path)
        if match is None:
            continue
        handler = methods.get(method)
        if handler is None:
            if pattern.endswith("/objects/delete"):
                # only POST is the batch delete; otherwise "delete" is a key
                also_allowed.update(methods)
                continue
            allowed = ", ".join(sorted(set(methods) | also_allowed))
            error = errors.MethodNotAllowed(f"{method} is not allowed here; use {allowed}.")
            error.headers["Allow"] = allowed
            raise error
        try:
            params = {name: unquote(value, errors="strict") for name, value in
                      match.groupdict().items()}
        except UnicodeDecodeError:
            raise errors.InvalidRequest("The path is not percent-encoded UTF-8.")
        if "id" in params:
            if not (params["id"].isascii() and params["id"].isdigit()) or len(params["id"]) > 18:
                raise errors.NotFound(f"{params['id']!r} is not an id (a whole number).")
            params["id"] = int(params["id"])
        return Route(handler, params)
    raise errors.NotFound(f"There is no API route {raw_path!r}.")
