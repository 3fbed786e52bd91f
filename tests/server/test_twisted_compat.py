"""What ramod.http.twisted_compat relies on, pinned against real twisted.web objects.

Each test drives a stock ``server.Site`` / ``HTTPChannel`` (over a ``StringTransport``, or
a real socket pair where delivery itself is the point) through one helper, so a Twisted
upgrade that moves one of the internals it reads fails here, next to the helper.
"""

import socket
import time
from pathlib import Path

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.selectreactor import SelectReactor
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.web import http, resource, server

from ramod.http.twisted_compat import (
    accept_one_per_wakeup, buffer_pipelined, buffered_pipelined_bytes, eager_read_limit, is_disconnected,
    is_handling_request, listening_socket, pause_reading, request_line, resume_reading,
    set_raw_header, tls_context_factory)


class Holding(resource.Resource):
    """Keeps every request open (NOT_DONE_YET) until the test finishes it."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.held: list = []

    def render(self, request):
        self.held.append(request)
        return server.NOT_DONE_YET


class Site(server.Site):
    """A stock Site speaking HTTP/1.1 only (as ours does) that remembers its channels."""

    protocol = http.HTTPChannel

    def __init__(self, root, reactor, **kwargs):
        super().__init__(root, reactor=reactor, timeout=None, **kwargs)
        self.channels: list = []

    def buildProtocol(self, addr):
        channel = super().buildProtocol(addr)
        self.channels.append(channel)
        return channel


def connect(site):
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
    transport = StringTransport()
    channel.makeConnection(transport)
    return channel, transport


@pytest.fixture
def root():
    root = Holding()
    yield root
    for request in root.held:
        if request.content is not None:  # a chunked body is spooled to a temporary file
            request.content.close()


@pytest.fixture
def site(root):
    return Site(root, MemoryReactorClock())


def get(path: bytes = b"/") -> bytes:
    return b"GET %s HTTP/1.1\r\nHost: example\r\n\r\n" % path


# -- request_line / is_handling_request: state at gotLength time ----------------------------

REQUESTS = {
    "content-length": (b"PUT /b/a%20key?x=1&y HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
                       b"PUT", b"/b/a%20key?x=1&y", 3),
    "chunked": (b"POST /b?delete HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n0\r\n\r\n", b"POST", b"/b?delete", None),
    "no body": (b"GET //double//slash HTTP/1.1\r\nHost: h\r\n\r\n", b"GET", b"//double//slash", 0),
}


@pytest.mark.parametrize("byte_at_a_time", [False, True])
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_request_line_is_readable_at_gotLength(root, kind, byte_at_a_time):
    """The method and URI as sent are there when the headers are in, before any body byte,
    and the channel is not yet 'handling' the request (body bytes still go to its parser)."""
    raw, method, uri, length = REQUESTS[kind]
    seen = []

    class Probe(server.Request):
        def gotLength(self, length):
            seen.append((request_line(self.channel), length, is_handling_request(self.channel)))
            super().gotLength(length)

    channel, _ = connect(Site(root, MemoryReactorClock(), requestFactory=Probe))
    for piece in ([raw[i:i + 1] for i in range(len(raw))] if byte_at_a_time else [raw]):
        channel.dataReceived(piece)
    assert seen == [((method, uri), length, False)]
    assert root.held[0].method == method and root.held[0].uri == uri
    assert is_handling_request(channel)


def test_is_handling_request_until_the_response_is_finished(site, root):
    channel, _ = connect(site)
    assert not is_handling_request(channel)
    channel.dataReceived(get())
    assert is_handling_request(channel)
    root.held[0].finish()
    assert not is_handling_request(channel)


# -- is_disconnected --------------------------------------------------------------------------

def test_disconnection_is_reported(site, root):
    channel, transport = connect(site)
    channel.dataReceived(get())
    request = root.held[0]
    assert not is_disconnected(request)
    channel.connectionLost(Failure(ConnectionDone()))
    assert is_disconnected(request)
    before = transport.value()
    request.write(b"dropped")  # twisted.web checks the same flag before writing
    assert transport.value() == before


def test_a_finished_request_on_a_live_connection_is_not_disconnected(site, root):
    channel, transport = connect(site)
    channel.dataReceived(get())
    request = root.held[0]
    request.finish()
    assert not is_disconnected(request)
    assert transport.value().startswith(b"HTTP/1.1 200 ")


# -- pause_reading / resume_reading -----------------------------------------------------------

@pytest.fixture
def socket_site(root):
    """A stock Site on a private (never run, never installed) select reactor, and the
    client end of a real socket pair adopted by it."""
    reactor = SelectReactor()
    site = Site(root, reactor)
    ours, theirs = socket.socketpair()
    try:
        reactor.adoptStreamConnection(ours.fileno(), socket.AF_UNIX, site)
        yield reactor, site.channels[0], theirs
    finally:
        reactor.disconnectAll()
        reactor.waker.connectionLost(None)
        ours.close()
        theirs.close()


def pump(reactor, rounds: int = 5) -> None:
    for _ in range(rounds):
        reactor.iterate(0.01)


def test_pause_reading_stops_delivery(socket_site, root):
    """Paused, bytes the client sent stay in the socket; resumed, they are delivered."""
    reactor, channel, client = socket_site
    pause_reading(channel)
    client.sendall(get(b"/one"))
    pump(reactor)
    assert root.held == []
    resume_reading(channel)
    pump(reactor)
    assert [r.uri for r in root.held] == [b"/one"]


def test_pause_reading_pauses_the_transport(site):
    channel, transport = connect(site)
    pause_reading(channel)
    assert transport.producerState == "paused"
    resume_reading(channel)
    assert transport.producerState == "producing"


# -- pipelined data: buffer_pipelined, buffered_pipelined_bytes, eager_read_limit -------------

def test_pipelined_bytes_wait_in_the_channel_buffer(site, root):
    """What arrives while a request is handled is buffered there, and parsed once the
    response is finished."""
    channel, _ = connect(site)
    second = get(b"/two")
    channel.dataReceived(get(b"/one") + second[:10])
    assert [r.uri for r in root.held] == [b"/one"]
    assert buffered_pipelined_bytes(channel) == 10
    channel.dataReceived(second[10:])
    assert buffered_pipelined_bytes(channel) == len(second)
    root.held[0].finish()
    assert [r.uri for r in root.held] == [b"/one", b"/two"]
    assert buffered_pipelined_bytes(channel) == 0


def test_buffer_pipelined_is_what_the_channel_parses_next(site, root):
    channel, _ = connect(site)
    channel.dataReceived(get(b"/one"))
    buffer_pipelined(channel, get(b"/two"))
    assert buffered_pipelined_bytes(channel) == len(get(b"/two"))
    root.held[0].finish()
    assert [r.uri for r in root.held] == [b"/one", b"/two"]


def test_stock_channel_stops_reading_past_the_eager_read_limit(site):
    """The threshold S3Channel mirrors: reading stops once the buffer holds more."""
    assert eager_read_limit(http.HTTPChannel()) == 16 * 1024
    channel, transport = connect(site)
    channel.dataReceived(get(b"/one"))
    limit = eager_read_limit(channel)
    channel.dataReceived(b"x" * limit)
    assert transport.producerState == "producing"
    channel.dataReceived(b"x")
    assert transport.producerState == "paused"


# -- set_raw_header ----------------------------------------------------------------------------

def test_set_raw_header_sends_exactly_the_bytes_given(site, root):
    channel, transport = connect(site)
    channel.dataReceived(get())
    request = root.held[0]
    headers = request.responseHeaders
    set_raw_header(headers, b"x-amz-meta-color", b"first")
    set_raw_header(headers, b"x-amz-meta-color", b"Bl\xe9u  2")  # replaces, one value
    headers.setRawHeaders(b"x-amz-meta-other", [b"v"])  # the public setter Title-Cases
    assert headers.getRawHeaders(b"x-amz-meta-color") is None  # lookups are by canonical name
    request.setHeader(b"Content-Length", b"0")
    request.finish()
    out = transport.value()
    assert b"\r\nx-amz-meta-color: Bl\xe9u  2\r\n" in out
    assert b"first" not in out
    assert b"\r\nX-Amz-Meta-Other: v\r\n" in out


# -- tls_context_factory / listening_socket ---------------------------------------------------

def test_tls_context_factory_is_the_one_the_ssl_description_made(tmp_path):
    """An ``ssl:`` description's endpoint keeps the context factory listenSSL would use;
    a ``tcp:`` one has none."""
    from twisted.internet import endpoints
    from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
    from twisted.test import __file__ as twisted_test_file

    server_pem = str(Path(twisted_test_file).parent / "server.pem")  # Twisted's test key+cert
    reactor = MemoryReactorClock()
    endpoint = endpoints.serverFromString(
        reactor, f"ssl:0:interface=127.0.0.1:privateKey={server_pem}:certKey={server_pem}")
    context = tls_context_factory(endpoint)
    # what TLSMemoryBIOFactory takes: a context factory, or a connection creator
    assert IOpenSSLServerConnectionCreator.providedBy(context) or hasattr(context, "getContext")
    assert context.getContext() is not None
    assert tls_context_factory(endpoints.serverFromString(reactor, "tcp:0")) is None


def test_listening_socket_is_taken_out_of_the_reactor_and_still_listens():
    """The socket of a bound port is no longer read by its reactor; connections queue on it
    for another accept, and closing it (not stopListening) closes only this descriptor."""
    from twisted.internet import endpoints, protocol

    reactor = SelectReactor()
    try:
        d = endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(
            protocol.Factory.forProtocol(protocol.Protocol))
        port = []
        d.addCallback(port.append)
        port = port[0]
        sock = listening_socket(port)
        assert port not in reactor.getReaders()
        shared = sock.dup()  # what a worker holds
        client = socket.create_connection(sock.getsockname(), timeout=5)
        pump(reactor)
        sock.close()
        shared.settimeout(5)
        accepted, _ = shared.accept()  # queued, not taken by the port's reactor
        accepted.close()
        client.close()
        shared.close()
    finally:
        reactor.disconnectAll()
        reactor.waker.connectionLost(None)


@pytest.mark.parametrize("one_per_wakeup", [False, True])
def test_accept_one_per_wakeup(one_per_wakeup):
    """A stock port takes every queued connection in one wake-up; after
    accept_one_per_wakeup it takes one per wake-up, every time."""
    from twisted.internet import protocol

    reactor = SelectReactor()
    built = []

    class Counting(protocol.Factory):
        def buildProtocol(self, addr):
            built.append(addr)
            return protocol.Protocol()
    try:
        port = reactor.listenTCP(0, Counting(), interface="127.0.0.1")
        if one_per_wakeup:
            accept_one_per_wakeup(port)
        for burst in range(2):
            clients = [socket.create_connection(("127.0.0.1", port.getHost().port), timeout=5)
                       for _ in range(4)]
            time.sleep(0.1)  # all four are in the accept queue
            before = len(built)
            port.doRead()  # what the reactor calls when the socket is readable
            assert len(built) - before == (1 if one_per_wakeup else 4)
            while len(built) < before + 4:
                port.doRead()
            for client in clients:
                client.close()
    finally:
        reactor.disconnectAll()
        reactor.waker.connectionLost(None)
