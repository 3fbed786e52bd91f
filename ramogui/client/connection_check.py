"""Trying a profile: one call to the management API and one to S3, failures said plainly.

``check_connection(session)`` blocks (run it through a ``Runner``).  It asks the management
API for ``/stats`` and S3 for the bucket list, and raises a ``ramogui.client.errors`` exception
whose message names the side that failed (the management API or the S3 endpoint), why, and
what to check; when both fail, the message has a line for each.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass

from ramoclient.admin import AdminApiError, AdminError
from ramoclient.endpoint import failure_reason
from ramogui.client.errors import AccessRefused, ClientError, ConnectionFailed, S3Error


@dataclass(frozen=True)
class ConnectionReport:
    """What a successful check saw, for a message to the person."""

    s3_url: str
    admin_url: str
    access_key: str
    buckets: int                 # buckets of the access key's user (S3 ListBuckets)
    objects: int                 # objects on the whole server (management API)
    total_storage_human: str     # e.g. "1.5 GB"

    def summary(self) -> str:
        return (f"Connected. Access key {self.access_key} sees {_count(self.buckets, 'bucket')}; "
                f"the server holds {_count(self.objects, 'object')}, "
                f"{self.total_storage_human} in all.")


def check_connection(session) -> ConnectionReport:
    """Try both sides of ``session`` (a ``Session``); the figures, or a ``ClientError``."""
    problems: list[ClientError] = []
    stats = buckets = None
    try:
        stats = session.admin.stats()
    except AdminError as exc:
        problems.append(_admin_problem(session, exc))
    try:
        buckets = session.s3.list_buckets()
    except ClientError as exc:
        problems.append(_s3_problem(session, exc, admin_works=stats is not None))
    if problems:
        raise _combined(problems)
    return ConnectionReport(
        s3_url=session.profile.s3_url, admin_url=session.profile.admin_url,
        access_key=session.profile.access_key, buckets=len(buckets),
        objects=int(stats.get("objects", 0)),
        total_storage_human=str(stats.get("total_storage_human", "?")))


def _admin_problem(session, exc: AdminError) -> ClientError:
    url = session.admin.base_url
    if isinstance(exc, AdminApiError):
        if exc.status == 401:
            return AccessRefused(
                f"The management API {url} refused the admin API key (401 Unauthorized). Check "
                "the key: ramod prints it when it starts and keeps it in "
                "<data dir>/admin-api-key.")
        hint = ""
        if exc.code.startswith("http_") or exc.code == "invalid_response":
            hint = " Is this really ramod's management API, and not its S3 endpoint?"
        return ClientError(f"The management API {url} answered with an error: "
                           f"{exc.message}.{hint}")
    cause = exc.__cause__ or exc
    return ConnectionFailed(f"Cannot connect to the management API {url}: "
                            f"{reason(cause, session.admin.timeout, url)}")


def _s3_problem(session, exc: ClientError, admin_works: bool) -> ClientError:
    url, access_key = session.s3.endpoint, session.profile.access_key
    if isinstance(exc, ConnectionFailed):
        cause = exc.__cause__
        if cause is None:
            return exc
        return ConnectionFailed(f"Cannot connect to the S3 endpoint {url}: "
                                f"{reason(cause, session.s3.timeout, url)}")
    if isinstance(exc, AccessRefused):
        credential = _credential(session, access_key) if admin_works else False
        if credential is None:
            return AccessRefused(f"The S3 endpoint {url} does not know the access key "
                                 f"{access_key}. Check the access key.")
        if credential and not credential.get("is_active", True):
            return AccessRefused(f"The access key {access_key} is disabled, so the S3 endpoint "
                                 f"{url} refuses it. Enable it, or use another key.")
        if credential:
            return AccessRefused(f"The S3 endpoint {url} refused the secret key: it does not "
                                 f"belong to the access key {access_key}. Check the secret key.")
        return AccessRefused(f"The S3 endpoint {url}: {exc}")
    if isinstance(exc, S3Error):
        hint = ""
        if exc.code == "RequestTimeTooSkewed":
            hint = " Check this computer's clock."
        elif exc.code.startswith("HTTP") or exc.code == "InvalidResponse":
            hint = " Is this really ramod's S3 endpoint, and not its management API?"
        return ClientError(f"The S3 endpoint {url} answered with an error: {exc}.{hint}")
    return ClientError(f"The S3 endpoint {url}: {exc}")


def _credential(session, access_key: str) -> dict | bool | None:
    """The management API's record of ``access_key``: the credential, ``None`` if there is
    none, ``False`` if it can't be asked."""
    try:
        for credential in session.admin.iter_credentials(page_size=1000):
            if credential.get("access_key") == access_key:
                return credential
    except AdminError:
        return False
    return None


def reason(exc: BaseException, timeout: float, url: str) -> str:
    """Why a connection to ``url`` failed and what to check, as the end of a sentence."""
    text = failure_reason(exc, timeout)
    if isinstance(exc, ConnectionRefusedError):
        return f"{text}. Is ramod running, and listening on this port?"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"{text}. Choose the CA file that signed the server's certificate, or turn off "
                "certificate verification if you trust this network.")
    if isinstance(exc, ssl.SSLError):
        return (f"{text}. Does the server speak https on this port? If it is plain http, "
                "use an http:// URL.")
    if isinstance(exc, TimeoutError) and "handshake" in str(exc):
        return (f"the TLS handshake {text}: the server did not answer as an https server. "
                "If it speaks plain http on this port, use an http:// URL.")
    if isinstance(exc, TimeoutError):
        return f"{text}. Check the address, and any firewall in between."
    if isinstance(exc, socket.gaierror):
        return f"{text}. Check the host name."
    if url.startswith("http:") and isinstance(exc, (ConnectionResetError,
                                                    http.client.HTTPException)):
        return f"{text}. If the server uses https, use an https:// URL."
    return f"{text}."


def _combined(problems: list[ClientError]) -> ClientError:
    if len(problems) == 1:
        return problems[0]
    kinds = {type(problem) for problem in problems}
    kind = kinds.pop() if len(kinds) == 1 else ClientError
    combined = kind("\n".join(str(problem) for problem in problems))
    combined.__cause__ = problems[0]
    return combined


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
