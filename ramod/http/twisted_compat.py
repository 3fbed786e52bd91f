"""The one place Ramo reaches into twisted.web's internals.

Twisted is pinned (26.10.0).  Each function below reads or drives a private attribute
because the public API has nothing that does the job; ``tests/server/test_twisted_compat.py``
pins the behaviour each one relies on against real Twisted objects, so a Twisted upgrade
that changes any of it breaks this module and that test, not the S3 front.

Private attributes used, and what the public API lacks:

``Request._disconnected`` -- ``is_disconnected``
    Whether the connection under a request is gone.  Public API only offers the errback
    of ``notifyFinish()``, which is asynchronous and must have been asked for beforehand;
    ``Request.finish`` and ``write`` consult this same flag.
``HTTPChannel._command``, ``HTTPChannel._path`` -- ``request_line``
    The request line while headers are being handled (``Request.gotLength``):
    ``Request.method`` and ``uri`` are only set by ``requestReceived``, once the whole
    body is in, and we route and authenticate before reading the body.
``HTTPChannel._networkProducer`` -- ``pause_reading``, ``resume_reading``
    The transport as an ``IPushProducer`` (or a no-op stand-in if it is not one), which
    is what Twisted itself pauses to stop reading.  ``HTTPChannel.pauseProducing`` and
    ``resumeProducing`` are the transport's calls into the channel about the *write*
    side: they also flag the channel as waiting for the transport and pause or resume a
    response producer, and leave reading alone while a request is being handled.
``HTTPChannel._handlingRequest``, ``_dataBuffer``, ``_optimisticEagerReadSize`` --
``is_handling_request``, ``buffer_pipelined``, ``buffered_pipelined_bytes``, ``eager_read_limit``
    While a request is being handled the channel keeps whatever the client sends next in
    ``_dataBuffer`` and parses it once ``requestDone`` runs; past ``_optimisticEagerReadSize``
    bytes it stops reading, unless it is waiting for the transport to drain.  ``S3Channel``
    re-implements that policy without the exception, so it needs the same state.
``Headers._rawHeaders`` -- ``set_raw_header``
    ``Headers.setRawHeaders`` canonicalises every name to Title-Case (``x-amz-meta-color``
    goes out as ``X-Amz-Meta-Color``); S3 sends user metadata names as given.

``SSL4ServerEndpoint._sslContextFactory`` -- ``tls_context_factory``
    The context factory an ``ssl:`` strports description builds (``privateKey``,
    ``certKey``, ``extraCertChain``, ``dhParameters``, ``sslmethod``...).  A worker process
    adopts a listening socket its supervisor bound (``IReactorSocket.adoptStreamPort``,
    which has no TLS variant) and wraps its factory in ``TLSMemoryBIOFactory`` itself, as
    ``listenSSL`` does; the endpoint is the only public parser of those descriptions, and
    it keeps what it parsed to itself.
``tcp.Port.socket`` -- ``listening_socket``
    The listening socket of a port the supervisor bound through strports and hands to
    its workers.  Public but undocumented; and the port must never be closed with
    ``stopListening``, which calls ``shutdown()`` on the socket: that would stop it
    accepting in every process sharing it.

``tcp.Port.numberAccepts`` and ``tcp.Port.doRead`` -- ``accept_one_per_wakeup``
    ``doRead`` accepts up to ``numberAccepts`` connections in a loop each time the socket
    is readable, and raises the limit by 20 whenever it used it all.  Workers sharing one
    listening socket should each take one connection per wake-up, so that a burst of
    new connections is spread over the workers that are free rather than taken whole by
    whichever woke first; there is no public setting for it.

Hooks Ramo overrides, documented but "not intended for users" (the overrides stay in
``site.py`` and ``plain_channel.py``): ``Request.gotLength`` (headers parsed, body not yet
read), ``Request.handleContentChunk``, ``Request.requestReceived`` and
``Request.connectionLost`` (called by the channel), ``HTTPChannel.rawDataReceived`` ("isn't
really a public API"), ``HTTPChannel.resumeProducing`` and ``HTTPChannel.dataReceived``
(replaced on the instance to drop what a refused client still sends).

Also relied on, public but undocumented: ``HTTPChannel.requests`` (the request queue),
``channel.site`` (set by ``Site.buildProtocol``) and a TCP transport's ``bufferSize``
(its read size, and the write-buffer size at which it pauses its producer).
"""

import socket

from twisted.internet.endpoints import SSL4ServerEndpoint
from twisted.web.http import HTTPChannel, Request
from twisted.web.http_headers import Headers


def is_disconnected(request: Request) -> bool:
    """True once the connection the request arrived on has been lost."""
    return request._disconnected


def request_line(channel: HTTPChannel) -> tuple[bytes, bytes]:
    """``(method, uri)`` of the request whose headers are being handled, as sent.

    Valid from the request line until the body is complete (so at ``gotLength`` time).
    """
    return channel._command, channel._path


def pause_reading(channel: HTTPChannel) -> None:
    """Stop reading from the connection (TCP backpressure on the client)."""
    channel._networkProducer.pauseProducing()


def resume_reading(channel: HTTPChannel) -> None:
    """Read from the connection again after ``pause_reading``."""
    channel._networkProducer.resumeProducing()


def is_handling_request(channel: HTTPChannel) -> bool:
    """True from the end of a request's body until its response is finished: bytes that
    arrive meanwhile belong to the next (pipelined) request."""
    return channel._handlingRequest


def buffer_pipelined(channel: HTTPChannel, data: bytes) -> None:
    """Keep ``data`` for the channel to parse once the current response is finished."""
    channel._dataBuffer.append(data)


def buffered_pipelined_bytes(channel: HTTPChannel) -> int:
    """How many bytes are waiting to be parsed after the current response."""
    return sum(map(len, channel._dataBuffer))


def eager_read_limit(channel: HTTPChannel) -> int:
    """How many pipelined bytes the channel buffers before it stops reading."""
    return channel._optimisticEagerReadSize


def set_raw_header(headers: Headers, name: bytes, value: bytes) -> None:
    """Set a header that goes out exactly as ``name: value``, bypassing Title-Casing.

    Unlike ``setRawHeaders`` the name is not validated and the value's CR/LF are not
    replaced: both must already be safe to send.  The header is invisible to lookups by
    its canonical name (``getRawHeaders``/``hasHeader``), which Title-Case theirs.
    """
    headers._rawHeaders[name] = [value]


def tls_context_factory(endpoint):
    """The TLS context factory of a server endpoint made from an ``ssl:`` description
    (``endpoints.serverFromString``); None for any other endpoint."""
    if isinstance(endpoint, SSL4ServerEndpoint):
        return endpoint._sslContextFactory
    return None


def listening_socket(port) -> socket.socket:
    """Take the listening socket of a just-bound TCP port away from the reactor: it is no
    longer read (connections wait in its queue for whoever accepts them), and the caller
    closes it with ``.close()``, never ``port.stopListening()`` (see the module's notes)."""
    port.stopReading()
    return port.socket


def accept_one_per_wakeup(port) -> None:
    """Make a listening TCP port accept at most one connection each time its reactor finds
    it readable (see the module's notes)."""
    accept = port.doRead

    def doRead():
        port.numberAccepts = 1
        return accept()
    port.doRead = doRead
