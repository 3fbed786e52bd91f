"""What an S3 handler returns: a status, headers and either bytes or a byte range of a blob."""

from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass
class BlobRange:
    """``length`` bytes of an open blob file starting at ``offset``."""

    file: BinaryIO
    offset: int
    length: int


@dataclass
class Response:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    stream: BlobRange | None = None
    #: HEAD and 304: send headers (including Content-Length) but no body
    headers_only: bool = False

    @classmethod
    def xml(cls, document: bytes, status: int = 200) -> "Response":
        return cls(status, {"Content-Type": "application/xml"}, document)
