"""An HTTP channel that tells a TLS client at once that this port speaks plain HTTP.

A client given ``https://`` for a plain-HTTP port opens with a TLS ClientHello, which
has no line end: twisted.web would wait for a request line until the idle timeout, and
the client would hang as long.  The first byte of a TLS handshake record (0x16) can't
begin an HTTP request, so it is answered with a plain 400 and the connection closed; the
client's TLS library then fails at once ("wrong version number").
"""

from twisted.web import http

TLS_HANDSHAKE_RECORD = b"\x16"
_MESSAGE = b"This port speaks plain HTTP, not TLS: use an http:// URL.\n"
TLS_REFUSAL = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_MESSAGE), _MESSAGE))


class PlainHttpChannel(http.HTTPChannel):
    """``HTTPChannel`` that answers a TLS ClientHello with 400 and closes."""

    _first_bytes = True

    def dataReceived(self, data: bytes) -> None:
        if self._first_bytes and data:
            self._first_bytes = False
            if data.startswith(TLS_HANDSHAKE_RECORD):
                self.transport.write(TLS_REFUSAL)
                self.transport.loseConnection()
                return
        super().dataReceived(data)
