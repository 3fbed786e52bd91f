"""Routing of the management API: (method, path) -> the ApiOperation of
ramod.admin.operations and its path values.

Pure: paths arrive percent-encoded; each ``{name}`` segment is decoded, and ``{key}``
takes the rest of the path (object keys may hold ``/``, encoded or not).  Paths under
``/api/v1`` also match with a trailing slash.
"""

import re
from typing import NamedTuple
from urllib.parse import unquote

from ramod.admin import errors
from ramod.admin.operation import API_PREFIX, ApiOperation, Auth
from ramod.admin.operations import OPERATIONS


class Route(NamedTuple):
    operation: ApiOperation
    params: dict


class _Path(NamedTuple):
    regex: re.Pattern
    #: method -> operation, HEAD included for a GET operation with ``head``
    methods: dict
    #: the declared methods, which ``Allow`` lists
    allowed: frozenset
    auth: Auth


def _compile(template: str) -> re.Pattern:
    regex = re.escape(template)
    regex = regex.replace(r"\{key\}", "(?P<key>.+)")
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(regex + ("/?" if template.startswith(API_PREFIX + "/") else ""))


def _compile_table(operations) -> list[_Path]:
    """One entry per path, in the order paths first appear; a path's operations must agree
    on their auth, which is checked before the method (see ``path_auth``)."""
    by_path: dict[str, list[ApiOperation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    table = []
    for template, ops in by_path.items():
        if len({op.auth for op in ops}) != 1:
            raise ValueError(f"The operations of {template} differ in auth.")
        methods = {op.method: op for op in ops}
        for op in ops:
            if op.head:
                methods.setdefault("HEAD", op)
        table.append(_Path(_compile(template), methods, frozenset(op.method for op in ops),
                           ops[0].auth))
    return table


_TABLE = _compile_table(OPERATIONS)


def path_auth(raw_path: str) -> Auth:
    """What a caller shows before being told anything about ``raw_path``, 404 and 405
    included: the auth of the operations at the first path that matches (the admin key
    where none does)."""
    for entry in _TABLE:
        if entry.regex.fullmatch(raw_path):
            return entry.auth
    return Auth.ADMIN_KEY


def route(method: str, raw_path: str) -> Route:
    """The operation for a request; NotFound, MethodNotAllowed (with ``Allow``) or
    InvalidRequest (path not UTF-8)."""
    also_allowed = set()
    for entry in _TABLE:
        match = entry.regex.fullmatch(raw_path)
        if match is None:
            continue
        operation = entry.methods.get(method)
        if operation is None:
            # a literal path (.../objects/delete) leaves its other methods to a later
            # template that also matches (the key "delete")
            also_allowed.update(entry.allowed)
            continue
        return Route(operation, _params(match))
    if also_allowed:
        allowed = ", ".join(sorted(also_allowed))
        error = errors.MethodNotAllowed(f"{method} is not allowed here; use {allowed}.")
        error.headers["Allow"] = allowed
        raise error
    raise errors.NotFound(f"There is no API route {raw_path!r}.")


def _params(match: re.Match) -> dict:
    """The decoded path values; ``id`` as an int (NotFound unless 1..18 ASCII digits)."""
    try:
        params = {name: unquote(value, errors="strict") for name, value in
                  match.groupdict().items()}
    except UnicodeDecodeError:
        raise errors.InvalidRequest("The path is not percent-encoded UTF-8.")
    if "id" in params:
        if not (params["id"].isascii() and params["id"].isdigit()) or len(params["id"]) > 18:
            raise errors.NotFound(f"{params['id']!r} is not an id (a whole number).")
        params["id"] = int(params["id"])
    return params
