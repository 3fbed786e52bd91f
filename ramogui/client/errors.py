"""The errors ramogui's client raises, and the sentence to show a person for any failure."""

import http.client
import ssl

from ramoclient.admin import AdminApiError, AdminConnectionError


class ClientError(Exception):
    """A failure to show a person: ``str(exc)`` is the sentence."""


class ConnectionFailed(ClientError):
    """The server could not be reached: refused, timed out, name unknown, TLS failure."""


class AccessRefused(ClientError):
    """The server refused the credentials: wrong admin API key, access key or secret, or a
    disabled key."""


class S3Error(ClientError):
    """S3 answered with an error.

    :param status: HTTP status, e.g. 404.
    :param code: S3's ``<Code>``, e.g. ``NoSuchKey`` (``HTTP404`` when the body had none).
    :param message: S3's ``<Message>`` or a sentence made from the status.
    """

    def __init__(self, status: int, code: str, message: str, request_id: str = ""):
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class Cancelled(ClientError):
    """The user cancelled the operation."""

    def __init__(self, message: str = "Cancelled"):
        super().__init__(message)


def describe(exc: BaseException) -> str:
    """One sentence for a person about ``exc``, whatever raised it."""
    if isinstance(exc, ClientError):
        return str(exc)
    if isinstance(exc, AdminApiError):
        if exc.status == 401:
            return "The management API refused the admin API key; check it in the connection profile."
        return exc.message
    if isinstance(exc, AdminConnectionError):
        return f"Management API: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{reason}: {exc.filename}" if exc.filename else reason
    if isinstance(exc, http.client.HTTPException):
        return f"Bad answer from the server ({type(exc).__name__}: {exc})"
    return f"Unexpected error ({type(exc).__name__}: {exc})"
