"""The protocol-neutral view of an HTTP request that signature checks work on."""

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class SignedRequest:
    """What authentication needs to know about a request, nothing more.

    :param method: upper-case HTTP method, e.g. ``"PUT"``.
    :param raw_path: the path exactly as sent, still percent-encoded, without the query
        (``"/bkt/my%20key"``).
    :param raw_query: the query string exactly as sent, without the ``?`` (may be ``""``).
    :param headers: lower-case header names; a repeated header's values joined with ``","``.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str] = field(default_factory=dict)
