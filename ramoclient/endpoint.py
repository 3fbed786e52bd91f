"""HTTP(S) endpoints the clients talk to: a checked URL, fresh connections, and the
reason a connection failed in a few words (shared by the management API and S3 clients)."""

import http.client
import socket
import ssl
from urllib.parse import urlsplit


class HttpEndpoint:
    """A checked ``http(s)://host[:port][/path]`` URL and fresh connections to it.

    :raises ValueError: not an http(s) URL, or a bad port.
    """

    def __init__(self, url: str, timeout: float, *, verify: bool = True,
                 cafile: str | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        try:
            parts.port
        except ValueError:
            raise ValueError(f"bad port in URL: {url!r}") from None
        self.parts, self.timeout = parts, timeout
        self.ssl_context = _ssl_context(verify, cafile) if parts.scheme == "https" else None

    def connection(self) -> http.client.HTTPConnection:
        """A new, not yet connected, connection."""
        host, port = self.parts.hostname, self.parts.port
        if self.ssl_context is not None:
            return http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                               context=self.ssl_context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)


def failure_reason(exc: BaseException, timeout: float) -> str:
    """A short reason for a failed connection, e.g. ``connection refused``."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host name ({exc.strerror})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP answer ({type(exc).__name__}: {exc})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _ssl_context(verify: bool, cafile: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
