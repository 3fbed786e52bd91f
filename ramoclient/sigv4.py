"""Signing S3 requests with AWS Signature Version 4 in the ``Authorization`` header.

The client half of SigV4, with hashlib and hmac only; ramod's verifier is
:mod:`ramod.auth.sigv4`, and tests/unit/test_client_sigv4.py pins that the two agree.
Paths and query values are real text here (encoded as UTF-8), not the latin-1 views of
request bytes the server works on; header values are latin-1, as http.client sends them.
"""

import datetime
import hashlib
import hmac
from typing import Iterable, Mapping

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINAL = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text: str, keep_slash: bool = False) -> str:
    """AWS ``UriEncode`` of ``text``'s UTF-8: every byte but ``A-Za-z0-9-_.~`` (and ``/``
    if kept) as ``%XX``."""
    return "".join(chr(b) if b in _UNRESERVED or (keep_slash and b == 0x2F) else f"%{b:02X}"
                   for b in text.encode("utf-8"))


def object_path(bucket: str | None = None, key: str | None = None) -> str:
    """The encoded path-style path: ``/``, ``/bucket`` or ``/bucket/key`` (a key keeps its
    slashes); already canonical, so it is both sent and signed."""
    path = "/"
    if bucket:
        path += uri_encode(bucket)
        if key is not None:
            path += "/" + uri_encode(key, keep_slash=True)
    return path


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Encoded ``name=value`` pairs sorted by name then value, joined with ``&``; also the
    query string to send."""
    encoded = sorted((uri_encode(name), uri_encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signing_key(secret_key: str, date: str, region: str) -> bytes:
    """HMAC chain ``AWS4<secret>`` -> date (``YYYYMMDD``) -> region -> ``s3`` -> ``aws4_request``."""
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, SERVICE, TERMINAL):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def sign_headers(method: str, path: str, query: str, headers: Mapping[str, str],
                 payload_hash: str, *, access_key: str, secret_key: str, region: str,
                 now: datetime.datetime) -> dict[str, str]:
    """``headers`` (names lower-cased) with ``x-amz-date``, ``x-amz-content-sha256`` and an
    ``authorization`` that signs every one of them.

    :param path: the encoded path as sent (see :func:`object_path`).
    :param query: the query string as sent (see :func:`canonical_query`).
    :param headers: must hold ``host``; headers added after signing are not signed.
    :param payload_hash: the body's hex SHA-256 (``EMPTY_SHA256`` for none).
    :param now: an aware time; its UTC date and time are signed.
    """
    moment = now.astimezone(datetime.timezone.utc)
    amz_date, date = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    signed = {**{name.lower(): value for name, value in headers.items()},
              "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash}
    names = sorted(signed)
    canonical = "\n".join([
        method.upper(), path, query,
        "".join(f"{name}:{' '.join(signed[name].split())}\n" for name in names),
        ";".join(names), payload_hash])
    scope = f"{date}/{region}/{SERVICE}/{TERMINAL}"
    # latin-1: header values go on the wire so (http.client), and the rest is ASCII
    to_sign = "\n".join([ALGORITHM, amz_date, scope,
                         hashlib.sha256(canonical.encode("latin-1")).hexdigest()])
    signature = hmac.new(signing_key(secret_key, date, region), to_sign.encode("utf-8"),
                         hashlib.sha256).hexdigest()
    signed["authorization"] = (f"{ALGORITHM} Credential={access_key}/{scope}, "
                               f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return signed
