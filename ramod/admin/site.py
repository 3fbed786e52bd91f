"""The management API's twisted.web front: one leaf resource answering JSON."""

import json
from urllib.parse import parse_qsl

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web import resource, server

from ramod.admin import errors
from ramod.admin.fields import MAX_BODY
from ramod.admin.operation import Auth
from ramod.admin.routes import path_auth
from ramod.http.plain_channel import PlainHttpChannel
from ramod.http.twisted_compat import is_disconnected

log = Logger(namespace="ramod.admin")


class AdminResource(resource.Resource):
    isLeaf = True

    def __init__(self, app):
        super().__init__()
        self._app = app

    def render(self, request):
        d = Deferred.fromCoroutine(self._dispatch(request))
        d.addErrback(lambda f: _write_error(request, f))
        return server.NOT_DONE_YET

    async def _dispatch(self, request) -> None:
        method = request.method.decode("latin-1")
        raw_path, _, raw_query = request.uri.decode("latin-1").partition("?")
        if path_auth(raw_path) is Auth.PUBLIC:  # /openapi.json: no key, query or body
            status, answer = await self._app.handle(method, raw_path, {}, b"")
            _write(request, status, _encode(answer))
            return
        self._app.check_key(request.getHeader(b"authorization"))
        length = request.getHeader(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            raise errors.RequestTooLarge()
        try:
            query = dict(parse_qsl(raw_query, keep_blank_values=True, errors="strict"))
        except (UnicodeDecodeError, ValueError):
            raise errors.InvalidRequest("The query string is not percent-encoded UTF-8.")
        body = request.content.read(MAX_BODY + 1) if request.content is not None else b""
        status, answer = await self._app.handle(method, raw_path, query, body)
        _write(request, status, _encode(answer))


def _encode(answer) -> bytes | None:
    """A handler's answer as a response body (bytes are JSON encoded already)."""
    if answer is None or isinstance(answer, bytes):
        return answer
    return json.dumps(answer).encode()


def _write(request, status: int, body: bytes | None, headers: dict | None = None) -> None:
    if is_disconnected(request) or request.finished:
        return
    request.setResponseCode(status)
    for name, value in (headers or {}).items():
        request.setHeader(name, value)
    request.setHeader(b"Cache-Control", b"no-store")
    if body is None:
        request.finish()
        return
    request.setHeader(b"Content-Type", b"application/json")
    request.setHeader(b"Content-Length", b"%d" % len(body))
    if request.method != b"HEAD":
        request.write(body)
    request.finish()


def _write_error(request, failure) -> None:
    error = failure.value
    if not isinstance(error, errors.ApiError):
        log.failure("management API request failed", failure)
        error = errors.ApiError()
    _write(request, error.status, json.dumps(error.body()).encode(), error.headers)


def make_admin_site(app) -> server.Site:
    site = server.Site(AdminResource(app))
    site.protocol = PlainHttpChannel
    site.displayTracebacks = False
    return site
