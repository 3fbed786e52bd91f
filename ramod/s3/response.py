"""What an S3 handler returns: a status, headers and either bytes or a byte range of a blob."""

from dataclasses import dataclass, field

from ramod.storage.reader import SegmentReader


@dataclass
class BlobRange:
    """``length`` bytes of an object starting at ``offset``; ``first`` is already read.

    ``reader`` owns the descriptor: the producer reads the rest through it (in the I/O
    pool) and closes it.
    """

    reader: SegmentReader
    offset: int
    length: int
    first: bytes


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
