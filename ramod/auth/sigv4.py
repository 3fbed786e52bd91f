"""AWS Signature Version 4 for S3: header and presigned-query authentication.

Pure functions over a :class:`~ramod.protocol.signed_request.SignedRequest`; no I/O, no clock
(the caller passes ``now``).  Also home of what every scheme shares: the
:class:`ParsedAuth` base, :class:`VerifiedAuth` and the request-time helpers, so
that :mod:`ramod.auth.sigv2` can import them without a cycle.

References: the S3 API guide, "Signature Calculations for the Authorization
Header" and "Authenticating Requests: Using Query Parameters"; botocore's
``S3SigV4Auth`` / ``S3SigV4QueryAuth`` (whose URLs these functions must accept).
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple
from urllib.parse import unquote_to_bytes

from ramoclient.limits import MAX_PRESIGN_SECONDS as MAX_EXPIRES
from ramod.auth.chunked import AwsChunkedDecoder, ChunkSignatureChain
from ramod.protocol.signed_request import SignedRequest
from ramod.protocol import dates
from ramod.protocol.errors import (
    AccessDenied,
    AuthorizationHeaderMalformed,
    AuthorizationQueryParametersError,
    InvalidArgument,
    InvalidRequest,
    RequestTimeTooSkewed,
    S3Error,
    SignatureDoesNotMatch,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINAL = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#: presigned-URL parameters, all required (X-Amz-Signature is not signed itself)
QUERY_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_PAYLOAD_LITERALS = frozenset(
    {UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER})
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_NO_DATE = "AWS authentication requires a valid Date or x-amz-date header"


# -- what all schemes share ----------------------------------------------------------


class StreamSeed(NamedTuple):
    """What an aws-chunked body's signature chain starts from."""

    signing_key: bytes
    amz_date: str
    scope: str
    signature: str


@dataclass(frozen=True)
class VerifiedAuth:
    """The outcome of a successful signature check.

    :param access_key: who signed the request.
    :param scheme: ``"sigv4-header"``, ``"sigv4-query"``, ``"sigv2-header"`` or ``"sigv2-query"``.
    :param content_sha256: SigV4 only: the ``x-amz-content-sha256`` value (a hex digest,
        ``UNSIGNED-PAYLOAD`` or ``STREAMING-...``); ``None`` when absent.
    """

    access_key: str
    scheme: str
    content_sha256: str | None = None
    seed: StreamSeed | None = field(default=None, repr=False, compare=False)

    @property
    def streaming(self) -> bool:
        """Whether the body is ``aws-chunked`` (``x-amz-content-sha256: STREAMING-...``)."""
        return (self.content_sha256 or "").startswith("STREAMING-")

    def chunk_chain(self) -> ChunkSignatureChain:
        """The chunk-signature chain seeded with this request's signature.

        :raises InvalidRequest: the request does not announce a streaming body.
        """
        if not self.streaming or self.seed is None:
            raise InvalidRequest("This request does not use an aws-chunked payload.")
        return ChunkSignatureChain(*self.seed)

    def chunked_decoder(self) -> AwsChunkedDecoder:
        """An aws-chunked decoder for this request's body that checks every signature.

        :raises InvalidRequest: the request does not announce a streaming body.
        """
        if not self.streaming:
            raise InvalidRequest("This request does not use an aws-chunked payload.")
        signed = self.content_sha256 in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER)
        return AwsChunkedDecoder(
            signed=signed,
            trailer=self.content_sha256.endswith("-TRAILER"),
            chain=self.chunk_chain() if signed else None)


class ParsedAuth:
    """A request's authentication data, parsed but not yet checked against a secret."""

    scheme: str
    access_key: str

    def verify(self, secret_key: str, now: datetime.datetime, max_skew: int = 900) -> VerifiedAuth:
        """Check the signature and the request's time.

        :param secret_key: the secret belonging to :attr:`access_key`.
        :param now: the server's current time (naive values are taken as UTC).
        :param max_skew: allowed clock difference, in seconds.
        :raises SignatureDoesNotMatch: wrong signature.
        :raises RequestTimeTooSkewed: header schemes, request time too far from ``now``.
        :raises AccessDenied: presigned URL expired or not yet valid.
        """
        raise NotImplementedError


def utc(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def parse_amz_date(value: str) -> datetime.datetime | None:
    """Parse ``20130524T000000Z``; ``None`` if it is not exactly that form or before 1970."""
    moment = dates.parse_amz_date(value)
    return moment if moment is not None and moment.year >= 1970 else None


def parse_http_date(value: str) -> datetime.datetime | None:
    """Parse an RFC 1123 (or RFC 850 / asctime) date, numeric zones included (the SigV2
    examples use ``+0000``); ``None`` if it is not one or before 1970."""
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or moment.year < 1970:
        return None
    return utc(moment)


def request_time(headers: Mapping[str, str], iso_only: bool = False) -> tuple[str, datetime.datetime]:
    """The header that dates a header-signed request, and its time.

    ``x-amz-date`` wins over ``Date`` (a present but unreadable ``x-amz-date`` is an
    error, not a reason to fall back).

    :param iso_only: SigV4: ``x-amz-date`` must be ``20130524T000000Z``.
    :returns: ``(raw value, time)``.
    :raises AccessDenied: neither header, or an unreadable one (what S3 answers).
    """
    if "x-amz-date" in headers:
        raw = headers["x-amz-date"].strip()
        moment = parse_amz_date(raw)
        if moment is None and not iso_only:
            moment = parse_http_date(raw)
    elif "date" in headers:
        raw = headers["date"].strip()
        moment = parse_http_date(raw)
    else:
        raise AccessDenied(_NO_DATE)
    if moment is None:
        raise AccessDenied(_NO_DATE)
    return raw, moment


def check_skew(raw: str, moment: datetime.datetime, now: datetime.datetime, max_skew: int) -> None:
    """Refuse a header-signed request dated more than ``max_skew`` seconds from ``now``."""
    now = utc(now)
    if abs((now - moment).total_seconds()) > max_skew:
        raise RequestTimeTooSkewed(
            "The difference between the request time and the current time is too large.",
            RequestTime=raw, ServerTime=dates.iso8601_seconds(now),
            MaxAllowedSkewMilliseconds=str(max_skew * 1000))


def check_signature(expected: str, provided: str, **extra: str) -> None:
    """Constant-time comparison; ``extra`` goes into the error document."""
    if not hmac.compare_digest(expected.encode("ascii"), provided.encode("utf-8", "replace")):
        raise SignatureDoesNotMatch(SignatureDoesNotMatch.default_message, **extra)


def unsigned_amz_headers(headers: Mapping[str, str], signed: set[str],
                         exempt: frozenset[str] = frozenset()) -> None:
    """Refuse ``x-amz-*`` headers left out of the signature (S3 does the same).

    Otherwise anyone replaying a signed request could add e.g. ``x-amz-acl: public-read``.
    """
    missing = sorted(name for name in headers
                     if name.startswith("x-amz-") and name not in signed and name not in exempt)
    if missing:
        raise AccessDenied("There were headers present in the request which were not signed",
                           HeadersNotSigned=", ".join(missing))


# -- canonical request ----------------------------------------------------------------


def to_bytes(text: str) -> bytes:
    """The bytes a request string stands for.

    Paths, queries and header values arrive as bytes decoded with latin-1 (one
    character per byte, as twisted.web and WSGI hand them over); a string holding
    wider characters can only be real text, and is taken as UTF-8.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _decode(text: str) -> bytes:
    """Percent-decode ``text`` to bytes (``+`` stays ``+``: S3 paths are not forms)."""
    return unquote_to_bytes(to_bytes(text))


def uri_encode(data: bytes, keep_slash: bool = False) -> str:
    """AWS ``UriEncode``: every byte but ``A-Za-z0-9-_.~`` (and ``/`` if kept) as ``%XX``."""
    return "".join(chr(b) if b in _UNRESERVED or (keep_slash and b == 0x2F) else f"%{b:02X}"
                   for b in data)


def canonical_uri(raw_path: str) -> str:
    """The canonical URI of a path exactly as sent (S3 neither normalises nor double-encodes).

    Each escape is decoded and re-encoded once, so clients that leave ``$``, ``é`` or
    ``'`` unescaped agree with those that escape them.  An escaped slash (``%2F``) stays
    escaped: it is a different key from a real ``/``.
    """
    out = []
    for segment in raw_path.split("/"):
        pieces = re.split(r"%2[Ff]", segment)
        out.append("%2F".join(uri_encode(_decode(piece)) for piece in pieces))
    return "/".join(out) or "/"


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """``a=1&b&c=x%20y`` -> ``[("a", "1"), ("b", ""), ("c", "x y")]``, in order.

    Names and values are byte strings decoded as latin-1, like the request's own
    strings, so any byte survives a round trip through :func:`canonical_query`.
    """
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_decode(name).decode("latin-1"), _decode(value).decode("latin-1")))
    return pairs


def _enc(text: str) -> str:
    return uri_encode(to_bytes(text))


def canonical_query(pairs: list[tuple[str, str]], skip: str | None = None) -> str:
    """Encoded ``name=value`` pairs sorted by name then value, joined with ``&``.

    :param skip: a parameter left out (``X-Amz-Signature`` for presigned URLs).
    """
    encoded = sorted((_enc(name), _enc(value)) for name, value in pairs if name != skip)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_headers(headers: Mapping[str, str], signed_headers: list[str]) -> str:
    """``name:value\\n`` for each signed header, values trimmed and inner spaces collapsed.

    :raises SignatureDoesNotMatch: a signed header is not in the request.
    """
    lines = []
    for name in signed_headers:
        if name not in headers:
            raise SignatureDoesNotMatch(f"The header '{name}' is signed but absent from the request.")
        lines.append(f"{name}:{' '.join(headers[name].split())}\n")
    return "".join(lines)


def canonical_request(method: str, raw_path: str, query: str, headers: Mapping[str, str],
                      signed_headers: list[str], payload_hash: str) -> str:
    """The SigV4 canonical request, built from exactly ``signed_headers``."""
    return "\n".join([method.upper(), canonical_uri(raw_path), query,
                      canonical_headers(headers, signed_headers),
                      ";".join(signed_headers), payload_hash])


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """``AWS4-HMAC-SHA256`` + date + scope + hash of the canonical request."""
    digest = hashlib.sha256(to_bytes(canonical)).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@functools.lru_cache(maxsize=1024)
def signing_key(secret_key: str, date: str, region: str, service: str = SERVICE) -> bytes:
    """HMAC chain ``AWS4<secret>`` -> date -> region -> service -> ``aws4_request``.

    Cached: the key only changes with the secret and the day (as AWS's docs suggest);
    a disabled or rotated secret simply stops being asked for.
    """
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, TERMINAL):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def hmac_hex(key: bytes, message: str) -> str:
    """Lower-case hex HMAC-SHA256."""
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


# -- parsing ------------------------------------------------------------------------


class _Scope(NamedTuple):
    access_key: str
    date: str
    region: str

    def __str__(self) -> str:
        return f"{self.date}/{self.region}/{SERVICE}/{TERMINAL}"


def _parse_credential(value: str, region: str, error: type[S3Error], prefix: str) -> _Scope:
    parts = value.split("/")
    if len(parts) < 5 or not all(parts[-4:]) or not "/".join(parts[:-4]):
        raise error(f"{prefix} the Credential is mal-formed; expecting "
                    f"\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/{TERMINAL}\".")
    date, got_region, service, terminal = parts[-4:]
    if got_region != region:
        raise error(f"{prefix} the region '{got_region}' is wrong; expecting '{region}'",
                    Region=region)
    if service != SERVICE:
        raise error(f"{prefix} incorrect service '{service}'. This endpoint belongs to '{SERVICE}'.")
    if terminal != TERMINAL:
        raise error(f"{prefix} incorrect terminal '{terminal}'. This endpoint uses '{TERMINAL}'.")
    if not re.fullmatch(r"\d{8}", date):
        raise error(f"{prefix} Invalid credential date \"{date}\".")
    return _Scope("/".join(parts[:-4]), date, got_region)


def _parse_signed_headers(value: str, error: type[S3Error], what: str) -> list[str]:
    names = [name.strip().lower() for name in value.split(";")]
    if not value.strip() or not all(names):
        raise error(f"{what} SignedHeaders must be a ';'-separated list of header names.")
    return names


def _payload_value(headers: Mapping[str, str]) -> str | None:
    """The ``x-amz-content-sha256`` value, checked for form."""
    value = headers.get("x-amz-content-sha256")
    if value is None:
        return None
    value = value.strip()
    if value not in _PAYLOAD_LITERALS and not _HEX64.fullmatch(value):
        raise InvalidArgument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
            "or a valid sha256 value.",
            ArgumentName="x-amz-content-sha256", ArgumentValue=value)
    return value


@dataclass(frozen=True)
class SigV4Auth(ParsedAuth):
    """A SigV4-signed request (``Authorization`` header or presigned query).

    :param scheme: ``"sigv4-header"`` or ``"sigv4-query"``.
    :param amz_date: the timestamp as signed (``20130524T000000Z``).
    :param moment: the same, parsed.
    :param raw_date: the header or parameter value the time came from (for errors).
    :param expires: presigned only: ``X-Amz-Expires`` in seconds.
    :param content_sha256: the ``x-amz-content-sha256`` header, if any.
    """

    scheme: str
    access_key: str
    scope: _Scope
    signed_headers: list[str]
    signature: str
    amz_date: str
    moment: datetime.datetime
    raw_date: str
    payload_hash: str
    content_sha256: str | None
    request: SignedRequest = field(repr=False)
    expires: int | None = None

    def canonical_request(self) -> str:
        """This request's canonical request."""
        skip = "X-Amz-Signature" if self.scheme == "sigv4-query" else None
        query = canonical_query(parse_query(self.request.raw_query), skip)
        return canonical_request(self.request.method, self.request.raw_path, query,
                                 self.request.headers, self.signed_headers, self.payload_hash)

    def verify(self, secret_key: str, now: datetime.datetime, max_skew: int = 900) -> VerifiedAuth:
        now = utc(now)
        if self.expires is None:
            check_skew(self.raw_date, self.moment, now, max_skew)
            # checked after the skew, as S3 does: a stale x-amz-date is RequestTimeTooSkewed
            if self.amz_date[:8] != self.scope.date:
                raise AuthorizationHeaderMalformed(
                    "The authorization header is malformed; Invalid credential date. "
                    "Date is not the same as X-Amz-Date.")
        else:
            _check_presigned_time(self.moment, self.expires, now, max_skew)
        canonical = self.canonical_request()
        to_sign = string_to_sign(self.amz_date, str(self.scope), canonical)
        key = signing_key(secret_key, self.scope.date, self.scope.region)
        check_signature(hmac_hex(key, to_sign), self.signature,
                        AWSAccessKeyId=self.access_key, StringToSign=to_sign,
                        SignatureProvided=self.signature, CanonicalRequest=canonical)
        return VerifiedAuth(self.access_key, self.scheme, self.content_sha256,
                            StreamSeed(key, self.amz_date, str(self.scope), self.signature))


def _check_presigned_time(signed_at: datetime.datetime, expires: int,
                          now: datetime.datetime, max_skew: int) -> None:
    if (signed_at - now).total_seconds() > max_skew:
        raise AccessDenied("Request is not valid yet", ServerTime=dates.iso8601_seconds(now),
                           RequestTime=dates.iso8601_seconds(signed_at))
    if now > signed_at + datetime.timedelta(seconds=expires):
        raise AccessDenied("Request has expired", **{
            "X-Amz-Expires": str(expires),
            "Expires": dates.iso8601_seconds(signed_at + datetime.timedelta(seconds=expires)),
            "ServerTime": dates.iso8601_seconds(now)})


def parse_header_auth(req: SignedRequest, region: str) -> SigV4Auth:
    """Parse ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

    :raises AuthorizationHeaderMalformed: unreadable header, wrong region/service/date.
    :raises InvalidRequest: no ``x-amz-content-sha256`` header.
    :raises AccessDenied: no usable date, or unsigned ``host`` / ``x-amz-*`` headers.
    """
    prefix = "The authorization header is malformed;"
    value = req.headers["authorization"].strip()
    fields: dict[str, str] = {}
    for part in re.split(r"[\s,]+", value[len(ALGORITHM):].strip()):
        name, eq, val = part.partition("=")
        if not eq or name in fields:
            raise AuthorizationHeaderMalformed(f"{prefix} the authorization component "
                                               f"\"{part}\" is malformed.")
        fields[name] = val
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        raise AuthorizationHeaderMalformed(
            f"{prefix} the authorization header requires three components: "
            "Credential, SignedHeaders, and Signature.")
    scope = _parse_credential(fields["Credential"], region, AuthorizationHeaderMalformed, prefix)
    signed = _parse_signed_headers(fields["SignedHeaders"], AuthorizationHeaderMalformed, prefix)
    raw, moment = request_time(req.headers, iso_only=True)
    amz_date = raw if "x-amz-date" in req.headers else moment.strftime(_AMZ_DATE)
    payload = _payload_value(req.headers)
    if payload is None:
        raise InvalidRequest("Missing required header for this request: x-amz-content-sha256")
    unsigned_amz_headers(req.headers, set(signed) | {"x-amz-content-sha256"})
    if "host" not in signed:
        raise AccessDenied("There were headers present in the request which were not signed",
                           HeadersNotSigned="host")
    return SigV4Auth("sigv4-header", scope.access_key, scope, signed, fields["Signature"],
                     amz_date, moment, raw, payload, payload, req)


def parse_query_auth(req: SignedRequest, region: str) -> SigV4Auth:
    """Parse a presigned URL's ``X-Amz-*`` parameters.

    :raises AuthorizationQueryParametersError: missing or malformed parameters,
        ``X-Amz-Expires`` outside 1..604800, wrong region/service/date.
    :raises AccessDenied: unsigned ``host`` / ``x-amz-*`` headers.
    """
    params: dict[str, str] = {}
    for name, value in parse_query(req.raw_query):
        params.setdefault(name, value)
    if any(name not in params for name in QUERY_PARAMS):
        raise AuthorizationQueryParametersError(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters.")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthorizationQueryParametersError(
            f"X-Amz-Algorithm only supports \"{ALGORITHM}\".")
    prefix = "Error parsing the X-Amz-Credential parameter;"
    scope = _parse_credential(params["X-Amz-Credential"], region,
                              AuthorizationQueryParametersError, prefix)
    amz_date = params["X-Amz-Date"]
    moment = parse_amz_date(amz_date)
    if moment is None:
        raise AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    if amz_date[:8] != scope.date:
        raise AuthorizationQueryParametersError(
            "Invalid credential date. Date is not the same as X-Amz-Date.")
    expires = _parse_expires(params["X-Amz-Expires"])
    signed = _parse_signed_headers(params["X-Amz-SignedHeaders"],
                                   AuthorizationQueryParametersError, "X-Amz-SignedHeaders:")
    payload = _payload_value(req.headers)
    unsigned_amz_headers(req.headers, set(signed))
    if "host" not in signed:
        raise AccessDenied("There were headers present in the request which were not signed",
                           HeadersNotSigned="host")
    signed_payload = payload if payload is not None and "x-amz-content-sha256" in signed else None
    return SigV4Auth("sigv4-query", scope.access_key, scope, signed, params["X-Amz-Signature"],
                     amz_date, moment, amz_date, signed_payload or UNSIGNED_PAYLOAD,
                     payload, req, expires)


def _parse_expires(value: str) -> int:
    if not re.fullmatch(r"-?\d{1,12}", value):
        raise AuthorizationQueryParametersError("X-Amz-Expires should be a number")
    expires = int(value)
    if expires < 1:
        raise AuthorizationQueryParametersError(
            f"X-Amz-Expires must be at least 1 second and at most {MAX_EXPIRES} (a week).")
    if expires > MAX_EXPIRES:
        raise AuthorizationQueryParametersError(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}")
    return expires
