"""Making SigV4 presigned URLs (the management API's share links).

Path-style (``/bucket/key``) so that the URL works whatever the server's domain
settings; only ``host`` is signed and the payload is ``UNSIGNED-PAYLOAD``, as the AWS
SDKs do.  The URL is checked by the same code that checks any client's URL.
"""

import datetime
import hashlib
from typing import NamedTuple
from urllib.parse import urlsplit

from ramod.auth.sigv4 import (ALGORITHM, SERVICE, TERMINAL, UNSIGNED_PAYLOAD, canonical_query,
                              canonical_request, hmac_hex, signing_key, string_to_sign, uri_encode,
                              utc)


def signature_hash(signature: str) -> str:
    """How a URL made here is recognised when it comes back (revocation)."""
    return hashlib.sha256(signature.encode()).hexdigest()


class PresignedUrl(NamedTuple):
    url: str
    signature: str


def presign(base_url: str, bucket: str, key: str, method: str, access_key: str,
            secret_key: str, region: str, now: datetime.datetime, expires: int,
            extra: tuple = ()) -> PresignedUrl:
    """A URL that lets anyone holding it send ``method`` to ``bucket/key`` until ``now +
    expires`` seconds, signed with ``access_key``.

    :param base_url: ``http(s)://host[:port]`` of the S3 endpoint as clients reach it.
    :param extra: more ``(name, value)`` query parameters, signed with the rest (a link id
        makes two otherwise identical links different, so each can be revoked alone).
    """
    host = urlsplit(base_url).netloc
    moment = utc(now)
    amz_date, date = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    scope = f"{date}/{region}/{SERVICE}/{TERMINAL}"
    raw_path = "/" + uri_encode(bucket.encode()) + "/" + uri_encode(key.encode("utf-8"),
                                                                    keep_slash=True)
    params = [("X-Amz-Algorithm", ALGORITHM), ("X-Amz-Credential", f"{access_key}/{scope}"),
              ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(expires)),
              ("X-Amz-SignedHeaders", "host"), *extra]
    query = canonical_query(params)
    canonical = canonical_request(method, raw_path, query, {"host": host}, ["host"],
                                  UNSIGNED_PAYLOAD)
    signature = hmac_hex(signing_key(secret_key, date, region),
                         string_to_sign(amz_date, scope, canonical))
    return PresignedUrl(f"{base_url}{raw_path}?{query}&X-Amz-Signature={signature}", signature)
