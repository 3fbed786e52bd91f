"""The shape of one management API operation: its route, authentication, handler and the
facts its OpenAPI description is built from.  The operations themselves are declared in
``ramod.admin.operations``."""

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

#: the prefix of every path but /openapi.json
API_PREFIX = "/api/v1"

#: ``async handler(api: AdminApp, req: ApiRequest) -> (status, JSON-able body, bytes or None)``
Handler = Callable[..., Awaitable[tuple]]


class Auth(enum.Enum):
    """What a caller shows before an operation runs."""

    #: ``Authorization: Bearer <admin key>``
    ADMIN_KEY = "admin key"
    #: nothing
    PUBLIC = "public"


class Ok(NamedTuple):
    """The success response: status, schema (a components/schemas name, an inline schema,
    or None for no body) and description."""

    status: int
    schema: str | dict | None
    description: str


class Query(NamedTuple):
    """A query parameter described in place (shared ones are named by their
    components/parameters name instead)."""

    name: str
    schema: dict
    description: str


@dataclass(frozen=True)
class ApiOperation:
    """One (method, path) of the management API.

    :param path: the full path template, e.g. ``/api/v1/buckets/{bucket}``; ``{key}`` takes
        the rest of the path, every other ``{name}`` one segment.
    :param errors: error statuses beyond 401 (unless public), 413 (with a ``body``) and 500.
    :param query: query parameters: components/parameters names or ``Query`` values.
    :param body: the components/schemas name of the JSON request body, if any.
    :param head: HEAD is answered too, as GET without the body.
    """

    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    ok: Ok
    auth: Auth = Auth.ADMIN_KEY
    errors: tuple[int, ...] = ()
    query: tuple[str | Query, ...] = ()
    body: str | None = None
    description: str | None = None
    head: bool = False
