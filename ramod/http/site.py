"""The twisted.web Site of the S3 front and its request class.

``S3Request`` replaces twisted.web's habit of spooling a whole body to memory or a
temporary file before ``render()``: as soon as the headers are in (``gotLength``) it
routes the request and starts checking its signature; the body then streams into a
staging file through a ``BodyPipeline`` (object data) or into a small capped buffer
(XML documents).  Reading is paused until the signature is checked, and
``Expect: 100-continue`` is answered only then; a request refused at that point gets
its error at once and the connection is closed, without reading the body.

``gotLength`` is documented "not intended for users", and the request line (and every
other piece of Twisted's internal state used here) comes through ``twisted_compat``:
Twisted is pinned, ``tests/server/test_twisted_compat.py`` pins what that module relies
on, and ``tests/server`` feeds raw HTTP byte by byte to catch any change.
"""

import io
import time

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.web import server

from ramod.http.access_log import AccessLog
from ramod.http.body import BodyPipeline
from ramod.protocol.head import RequestHead, new_request_id
from ramod.http.plain_channel import PlainHttpChannel
from ramod.http.render import as_s3_error, raw_error_response
from ramod.http.resource import S3Resource
from ramod.http.twisted_compat import (
    buffer_pipelined, buffered_pipelined_bytes, eager_read_limit, is_disconnected,
    is_handling_request, pause_reading, request_line, resume_reading)
from ramod.protocol import errors

#: the largest XML request body accepted (CreateBucket, DeleteObjects, Complete, ACLs, tags)
MAX_SMALL_BODY = 2 * 1024 * 1024
RECEIVE_BUFFER = 1024 * 1024
#: after refusing a request before its body, drop what the client still sends for at
#: most this long / this much before closing
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024 * 1024


class S3Request(server.Request):
    """A request whose body never sits whole in memory or in a temporary copy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ramo_id = new_request_id()
        self.started = time.monotonic()
        self.head: RequestHead | None = None
        self.endpoint = None
        self.pipeline: BodyPipeline | None = None
        self.body_complete = False
        self.rejected = False
        self._context = None          # RequestContext or Failure, once known
        self._context_waiters: list = []
        self._expects_continue = False

    # -- called by HTTPChannel ------------------------------------------------------------

    def gotLength(self, length):
        self.content = io.BytesIO()
        app = self.channel.site.app
        channel = self.channel
        in_flight = channel.site.in_flight
        in_flight.add(self)
        self.notifyFinish().addBoth(lambda _: in_flight.discard(self))
        method, uri = request_line(channel)
        self.head = RequestHead.parse(method, uri, self.requestHeaders.getAllRawHeaders(),
                                      self.ramo_id)
        has_body = self._has_body = length is None or length > 0
        expect = self.requestHeaders.getRawHeaders(b"Expect")
        if expect and has_body:
            # answered by us once the request is authenticated, not by twisted.web now
            self._expects_continue = expect[0].lower() == b"100-continue"
            self.requestHeaders.removeHeader(b"Expect")
        try:
            self.endpoint = app.route(self.head)
        except Exception:
            self._context_known(Failure())
            return
        if self.endpoint.streams_body and length == 0 and not self.requestHeaders.hasHeader(
                b"content-length"):
            # neither Content-Length nor Transfer-Encoding: whatever follows may be a body
            # whose end is unknowable, so refuse before reading any of it
            self._has_body = True
            self._context_known(Failure(errors.MissingContentLength(resource=self.head.raw_path)))
            return
        if self.endpoint.streams_body:
            self.pipeline = BodyPipeline(
                app.pools, app.blobs, app.blobs.new_staging(), self._pause_reading,
                self._resume_reading, app.config.max_object_size, self.body_failed)
        if has_body and self.pipeline is not None:
            self._read_bigger()
            self.pipeline.hold_pause()
        elif has_body:
            self._pause_reading()
        d = Deferred.fromCoroutine(app.authenticate(self.head, self.endpoint, length))
        d.addBoth(self._context_known)

    def handleContentChunk(self, data):
        if self.rejected:
            return
        if self.pipeline is not None:
            self.pipeline.feed(data)
        elif self.content.tell() + len(data) > MAX_SMALL_BODY:
            self.content = io.BytesIO()
            self.body_failed(errors.MaxMessageLengthExceeded(
                f"Your request was too big: this request's body may be at most "
                f"{MAX_SMALL_BODY} bytes."))
        else:
            self.content.write(data)

    def requestReceived(self, command, path, version):
        self.body_complete = True
        self._restore_buffer()
        if self.rejected:
            return
        super().requestReceived(command, path, version)

    def connectionLost(self, reason):
        if self.pipeline is not None and not self.body_complete:
            self.pipeline.abort()
        super().connectionLost(reason)

    # -- authentication outcome -----------------------------------------------------------

    def _context_known(self, result):
        self._context = result
        if isinstance(result, Failure):
            if self.pipeline is not None:
                self.pipeline.abort()
            if self._has_body and not self.body_complete:
                self._reject(result)
        else:
            if result.release is not None:
                if is_disconnected(self):
                    result.release()
                else:
                    self.notifyFinish().addBoth(lambda _: result.release())
            if self.pipeline is not None:
                self.pipeline.release(result.payload, result.chunk_chain())
            if self.rejected or is_disconnected(self):
                pass
            elif self._expects_continue and not self.body_complete:
                self.channel.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if self.pipeline is None and not self.rejected:
                self._resume_reading()
        waiters, self._context_waiters = self._context_waiters, []
        for d in waiters:
            d.callback(result)
        return None

    def context(self) -> Deferred:
        """Fires with the RequestContext, or fails with the request's S3 error."""
        if self._context is not None:
            d = Deferred()
            d.callback(self._context)
            return d
        d = Deferred()
        self._context_waiters.append(d)
        return d

    def _reject(self, failure) -> None:
        """Answer now, before the body is read, and close the connection."""
        if is_disconnected(self) or self.rejected:
            return
        self.rejected = True
        err = as_s3_error(failure)
        self.channel.transport.write(raw_error_response(err, self.head.raw_path, self.ramo_id))
        self._linger()
        log_access(self, err.status, f"refused before the body: {err.code}")

    def _linger(self) -> None:
        """Close without resetting the connection under the client's feet.

        Closing a socket with unread input sends a TCP reset, which can destroy our
        answer before a client that is still sending has read it.  So, like a web
        server's lingering close, read and drop what still comes for a while (bounded
        in time and bytes), then close.
        """
        channel, transport = self.channel, self.channel.transport
        clock = channel.site.app.clock
        budget = [LINGER_BYTES]

        def drop(data: bytes) -> None:
            budget[0] -= len(data)
            if budget[0] < 0:
                transport.abortConnection()

        channel.dataReceived = drop  # nothing more is parsed on this connection
        channel.setTimeout(None)
        closer = clock.callLater(LINGER_SECONDS, transport.loseConnection)
        self.notifyFinish().addBoth(lambda _: closer.active() and closer.cancel())
        self.wants_pause = False
        resume_reading(channel)

    # -- flow control ---------------------------------------------------------------------

    wants_pause = False
    _has_body = False

    def _pause_reading(self) -> None:
        if not self.wants_pause and not is_disconnected(self):
            self.wants_pause = True
            pause_reading(self.channel)

    def _resume_reading(self) -> None:
        if self.wants_pause:
            self.wants_pause = False
            if not is_disconnected(self) and not self.rejected:
                resume_reading(self.channel)

    def body_failed(self, error: Exception) -> None:
        """The pipeline refused the body midway (too large, bad chunk signature, ...):
        answer now and close, rather than read the rest of it."""
        if not self.body_complete and not self.rejected and not is_disconnected(self):
            self._reject(Failure(error))

    _socket_transport = None

    def _read_bigger(self) -> None:
        """Read object data from the socket 1 MiB at a time instead of 64 KiB: far fewer
        trips through the HTTP parser per GiB (the TCP transport under any TLS layer)."""
        transport = self.channel.transport
        while transport is not None and not hasattr(transport, "socket"):
            transport = getattr(transport, "transport", None)
        if transport is not None:
            self._socket_transport, self._saved_buffer = transport, transport.bufferSize
            transport.bufferSize = RECEIVE_BUFFER

    def _restore_buffer(self) -> None:
        """Back to the default once the body is in (bufferSize also sets when writes pause)."""
        if self._socket_transport is not None:
            self._socket_transport.bufferSize = self._saved_buffer
            self._socket_transport = None

    def small_body(self) -> bytes:
        return self.content.getvalue()


def log_access(request, status: int, note: str = "") -> None:
    """One access line per request, with the id the client saw in x-amz-request-id."""
    head = request.head
    client = request.getClientAddress()
    request.channel.site.access_log.record(
        request.ramo_id, getattr(client, "host", "-"),
        head.method if head else request.method.decode("latin-1"),
        head.raw_path if head else "-", status, request.sentLength,
        (time.monotonic() - request.started) * 1000, note)


class S3Channel(PlainHttpChannel):
    """HTTPChannel with two flow-control fixes (and TLS hellos refused at once).

    * While a request is being handled, Twisted buffers whatever the client sends next
      (pipelining) and stops reading past 16 KiB, *unless* it is already waiting for the
      transport to drain a response: a client that stops reading a large GET and keeps
      sending could grow that buffer without bound.  Here reading always stops.
    * ``resumeProducing`` (the transport drained a response) resumes reading, even when
      the request whose body is arriving asked for it to stay paused (signature not yet
      checked, or the disk side behind): the request's wish is re-asserted.
    """

    def rawDataReceived(self, data: bytes) -> None:
        if is_handling_request(self):
            buffer_pipelined(self, data)
            if buffered_pipelined_bytes(self) > eager_read_limit(self):
                pause_reading(self)
            return
        super().rawDataReceived(data)

    def resumeProducing(self) -> None:
        super().resumeProducing()
        request = self.requests[-1] if self.requests else None
        if request is not None and getattr(request, "wants_pause", False):
            pause_reading(self)


class S3Site(server.Site):
    """The S3 listener's site: one leaf resource, our request class, our access log."""

    requestFactory = S3Request
    protocol = S3Channel
    #: idle connections (nothing read or written) are closed after this many seconds
    IDLE_TIMEOUT = 120

    def __init__(self, app, access_log=None, **kwargs):
        # bodies are ours: twisted.web must not parse a form POST into request.args, nor
        # answer a malformed one with a bare 400 of its own
        super().__init__(S3Resource(app), timeout=self.IDLE_TIMEOUT, parsePOSTFormSubmission=False,
                         **kwargs)
        self.app = app
        self.access_log = access_log or AccessLog("-")
        #: requests whose headers are in and whose response is not finished
        self.in_flight: set = set()
        self.displayTracebacks = False

    def log(self, request) -> None:
        log_access(request, request.code)


def make_site(app, access_log=None) -> S3Site:
    return S3Site(app, access_log)
