"""Writing responses: S3 handler results and S3 errors, in one place.

Every response carries ``x-amz-request-id``, ``x-amz-id-2`` and a ``Content-Length``.
4xx are logged at info level, 5xx as warnings with their traceback.
"""

import base64
import os

from twisted.logger import Logger
from twisted.web import http

from ramod.http.producers import ObjectProducer
from ramod.http.twisted_compat import is_disconnected, set_raw_header
from ramod.protocol.xml import error_document
from ramod.protocol.errors import S3Error
from ramod.s3.response import Response

log = Logger(namespace="ramod.http")

SERVER_NAME = b"Ramo"


def request_id_headers(request_id: str) -> list:
    host_id = base64.b64encode(os.urandom(24)).decode()
    return [("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]


def _set(request, name: str, value: str) -> None:
    if name.startswith("x-amz-meta-"):
        # twisted.web would send "X-Amz-Meta-Color"; S3 sends user metadata names in
        # lower case and SDKs hand the name back as received, so bypass Title-Casing.
        set_raw_header(request.responseHeaders, name.encode("latin-1"), _header_bytes(value))
        return
    request.responseHeaders.setRawHeaders(name.encode("latin-1"), [_header_bytes(value)])


def _header_bytes(value) -> bytes:
    """Stored header values are latin-1 text holding the bytes that came in, so they go
    back out unchanged; other text (response-* overrides) is latin-1 where it can be,
    else UTF-8."""
    if isinstance(value, bytes):
        return value
    try:
        return str(value).encode("latin-1")
    except UnicodeEncodeError:
        return str(value).encode("utf-8")


def write_response(request, response: Response, request_id: str) -> None:
    """Send a handler's Response, streaming its blob range if it has one."""
    if is_disconnected(request):
        if response.stream is not None:
            response.stream.reader.close()
        return
    request.setResponseCode(response.status)
    for name, value in request_id_headers(request_id):
        _set(request, name, value)
    request.responseHeaders.setRawHeaders(b"Server", [SERVER_NAME])
    for name, value in response.headers.items():
        _set(request, name, value)
    if response.stream is not None and not response.headers_only:
        stream = response.stream
        _set(request, "Content-Length", str(stream.length))
        ObjectProducer(request, request.channel.site.app.pools, stream.reader, stream.offset,
                       stream.length, stream.first).start()
        return
    if response.stream is not None:
        response.stream.reader.close()
    if response.status not in (204, 304) and not request.responseHeaders.hasHeader(b"Content-Length"):
        _set(request, "Content-Length", str(len(response.body)))
    if response.body and not response.headers_only:
        request.write(response.body)
    request.finish()


def as_s3_error(failure) -> S3Error:
    """The S3Error a failure stands for; anything unexpected is logged and becomes InternalError."""
    err = failure.value
    if isinstance(err, S3Error):
        return err
    log.failure("unexpected error while handling a request", failure)
    return S3Error()


def error_body(err: S3Error, resource: str, request_id: str) -> bytes:
    return error_document(err.code, err.message, err.resource or resource, request_id, err.extra)


def write_error(request, failure, request_id: str, resource: str) -> None:
    """Render a failure as an S3 XML error (headers only for HEAD and 304)."""
    err = as_s3_error(failure)
    if is_disconnected(request) or request.finished:
        return
    if request.startedWriting:  # headers are out: all we can do is cut the connection
        request.channel.transport.abortConnection()
        return
    if err.status >= 500:
        log.warn("{code} for {method} {uri}: {message}", code=err.code,
                 method=request.method, uri=request.uri, message=err.message)
    else:
        log.info("{code} for {method} {uri}", code=err.code, method=request.method, uri=request.uri)
    if err.status == 304:  # Not Modified: the validators only, no error document
        headers, body = dict(err.headers), b""
    else:
        headers = {"Content-Type": "application/xml", **err.headers}
        body = error_body(err, resource, request_id)
    headers_only = request.method == b"HEAD" or err.status == 304
    write_response(request, Response(err.status, headers, body, headers_only=headers_only),
                   request_id)


def raw_error_response(err: S3Error, resource: str, request_id: str) -> bytes:
    """A whole HTTP/1.1 error response with ``Connection: close``, for rejecting a request
    before its body has been read (the connection is closed right after)."""
    body = error_body(err, resource, request_id)
    reason = http.RESPONSES.get(err.status, b"Error")
    lines = [b"HTTP/1.1 %d %s" % (err.status, reason)]
    headers = request_id_headers(request_id) + [
        ("Server", "Ramo"), ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))), ("Connection", "close"),
        ("Date", http.datetimeToString().decode())] + list(err.headers.items())
    lines += [b"%s: %s" % (n.encode(), _header_bytes(v)) for n, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
