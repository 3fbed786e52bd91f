"""RequestHead: the request line and headers of an S3 request, decoded once (pure)."""

import os
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ramod.protocol.signed_request import SignedRequest


def new_request_id() -> str:
    """A 16-character upper-case hex id, as S3's x-amz-request-id."""
    return os.urandom(8).hex().upper()


@dataclass(frozen=True)
class RequestHead:
    """Everything routing and authentication read; header names are lower-case."""

    method: str
    raw_path: str
    raw_query: str
    query: dict
    headers: dict
    request_id: str

    @classmethod
    def parse(cls, method: bytes, uri: bytes, raw_headers, request_id: str) -> "RequestHead":
        """Build from the request line and ``(name, [values])`` pairs of raw headers."""
        raw_path, _, raw_query = uri.decode("latin-1").partition("?")
        headers = {}
        for name, values in raw_headers:
            headers[name.decode("latin-1").lower()] = ",".join(v.decode("latin-1") for v in values)
        query = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True, encoding="utf-8",
                                     errors="surrogateescape"):
            query.setdefault(name, value)
        return cls(method.decode("latin-1").upper(), raw_path, raw_query, query, headers, request_id)

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    def signed_request(self) -> SignedRequest:
        return SignedRequest(self.method, self.raw_path, self.raw_query, self.headers)
