"""AWS Signature Version 2 for S3: ``Authorization: AWS AK:sig`` and presigned queries.

The string to sign (S3 developer guide, "Signing and Authenticating REST Requests")::

    VERB\\n Content-MD5\\n Content-Type\\n Date-or-Expires\\n
    x-amz-* headers ("name:value\\n", sorted) + /bucket/path?sub-resources

The path is used as sent (still percent-encoded); only the S3 sub-resources below
take part, sorted by name, with decoded values.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass, field

from ramod.protocol.signed_request import SignedRequest
from ramod.auth.sigv4 import (
    ParsedAuth,
    VerifiedAuth,
    check_skew,
    parse_query,
    request_time,
    to_bytes,
    utc,
)
from ramod.protocol.dates import iso8601_seconds
from ramod.protocol.errors import AccessDenied, InvalidArgument, SignatureDoesNotMatch

#: query parameters that are part of the signed resource (botocore's list plus newer ones)
SUB_RESOURCES = frozenset({
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
    "metrics", "notification", "object-lock", "ownershipControls", "partNumber", "policy",
    "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
    "retention", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId",
    "uploads", "versionId", "versioning", "versions", "website",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires",
})
QUERY_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")


def canonical_resource(raw_path: str, raw_query: str, bucket_host: str | None = None) -> str:
    """``/bucket/key?acl&versionId=x``: the path as sent plus the sub-resources.

    :param bucket_host: the bucket named by the ``Host`` header (virtual-hosted style);
        SigV2 always signs ``/bucket`` + path.
    """
    path = raw_path or "/"
    if bucket_host:
        path = f"/{bucket_host}{path}"
    subs = []
    for piece in raw_query.split("&"):
        name, eq, _ = piece.partition("=")
        if name in SUB_RESOURCES:
            # a decoded value, but keep "name=" when the client wrote the "="
            value = parse_query(piece)[0][1] if eq else None
            subs.append((name, value))
    subs.sort(key=lambda pair: pair[0])
    if not subs:
        return path
    return path + "?" + "&".join(name if value is None else f"{name}={value}"
                                 for name, value in subs)


def amz_headers(headers: dict[str, str]) -> str:
    """``name:value\\n`` for each ``x-amz-*`` header, sorted, values trimmed."""
    return "".join(f"{name}:{headers[name].strip()}\n"
                   for name in sorted(headers) if name.startswith("x-amz-"))


def string_to_sign(method: str, headers: dict[str, str], date: str, resource: str) -> str:
    """The SigV2 string to sign; ``date`` is the Date header, ``""`` or ``Expires``."""
    return (f"{method.upper()}\n{headers.get('content-md5', '').strip()}\n"
            f"{headers.get('content-type', '').strip()}\n{date}\n"
            f"{amz_headers(headers)}{resource}")


def sign(secret_key: str, to_sign: str) -> str:
    """Base64 HMAC-SHA1."""
    digest = hmac.new(secret_key.encode("utf-8"), to_bytes(to_sign), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class SigV2Auth(ParsedAuth):
    """A SigV2-signed request.

    :param scheme: ``"sigv2-header"`` or ``"sigv2-query"``.
    :param expires: presigned only: ``Expires``, epoch seconds.
    :param bucket_host: see :func:`canonical_resource`.
    """

    scheme: str
    access_key: str
    signature: str
    request: SignedRequest = field(repr=False)
    expires: int | None = None
    bucket_host: str | None = None

    def candidates(self) -> list[str]:
        """The strings to sign this request may have used.

        With ``x-amz-date`` present, AWS says the Date line is empty, but botocore
        (and others) sign the ``Date`` header anyway: both are accepted.  For a request
        on a bucket itself (``/bucket``), botocore signs ``/bucket/``: accepted too.
        """
        req = self.request
        headers = dict(req.headers)
        resources = [canonical_resource(req.raw_path, req.raw_query, self.bucket_host)]
        path = req.raw_path or "/"
        if not self.bucket_host and path.count("/") == 1 and len(path) > 1:
            resources.append(canonical_resource(path + "/", req.raw_query))
        if self.expires is not None:
            # presigned: x-amz-* values may travel in the query instead of headers
            for name, value in parse_query(req.raw_query):
                if name.lower().startswith("x-amz-"):
                    headers.setdefault(name.lower(), value)
            return [string_to_sign(req.method, headers, str(self.expires), resource)
                    for resource in resources]
        dates = [headers.get("date", "").strip()]
        if "x-amz-date" in headers:
            dates.insert(0, "")
        return [string_to_sign(req.method, headers, date, resource)
                for date in dict.fromkeys(dates) for resource in resources]

    def verify(self, secret_key: str, now: datetime.datetime, max_skew: int = 900) -> VerifiedAuth:
        now = utc(now)
        if self.expires is None:
            raw, moment = request_time(self.request.headers)
            check_skew(raw, moment, now, max_skew)
        elif now.timestamp() > self.expires:
            raise AccessDenied("Request has expired", Expires=iso8601_seconds(
                datetime.datetime.fromtimestamp(self.expires, datetime.timezone.utc)),
                ServerTime=iso8601_seconds(now))
        provided = self.signature.encode("utf-8", "replace")
        candidates = self.candidates()
        matched = False
        for to_sign in candidates:  # no early exit: same work whichever matches
            matched |= hmac.compare_digest(sign(secret_key, to_sign).encode("ascii"), provided)
        if not matched:
            raise SignatureDoesNotMatch(
                SignatureDoesNotMatch.default_message, AWSAccessKeyId=self.access_key,
                StringToSign=candidates[0], SignatureProvided=self.signature)
        return VerifiedAuth(self.access_key, self.scheme)


def parse_header_auth(req: SignedRequest, bucket_host: str | None = None) -> SigV2Auth:
    """Parse ``Authorization: AWS <access key>:<signature>``.

    :raises InvalidArgument: anything else after ``AWS ``.
    """
    value = req.headers["authorization"].strip()[len("AWS "):].strip()
    access_key, colon, signature = value.rpartition(":")
    if not colon or not access_key or not signature:
        raise InvalidArgument("AWS authorization header is invalid.  "
                              "Expected AwsAccessKeyId:signature",
                              ArgumentName="Authorization", ArgumentValue=req.headers["authorization"])
    return SigV2Auth("sigv2-header", access_key, signature, req, bucket_host=bucket_host)


def parse_query_auth(req: SignedRequest, bucket_host: str | None = None) -> SigV2Auth:
    """Parse ``?AWSAccessKeyId=...&Signature=...&Expires=...``.

    :raises AccessDenied: a parameter is missing or ``Expires`` is not a number (as S3).
    """
    params: dict[str, str] = {}
    for name, value in parse_query(req.raw_query):
        params.setdefault(name, value)
    if any(not params.get(name) for name in QUERY_PARAMS):
        raise AccessDenied("Query-string authentication requires the Signature, Expires "
                           "and AWSAccessKeyId parameters")
    if not re.fullmatch(r"\d{1,12}", params["Expires"]):
        raise AccessDenied(f"Invalid date (should be seconds since epoch): {params['Expires']}")
    return SigV2Auth("sigv2-query", params["AWSAccessKeyId"], params["Signature"], req,
                     int(params["Expires"]), bucket_host)
