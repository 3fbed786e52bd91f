"""The ``aws-chunked`` body encoding: an incremental decoder and the chunk-signature chain.

A body sent with ``x-amz-content-sha256: STREAMING-...`` is framed as::

    <hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n      (signed)
    <hex size>\\r\\n<data>\\r\\n                             (unsigned, with a trailer)
    ...
    0;chunk-signature=<sig>\\r\\n                          (or "0\\r\\n")
    <trailer lines "name:value\\r\\n", signed ones end with x-amz-trailer-signature>
    \\r\\n

:class:`AwsChunkedDecoder` turns bytes, split anywhere, into payload slices and
events; it never holds more than one header or trailer line (:data:`MAX_LINE`) besides
the data it was just given.  :class:`ChunkSignatureChain` checks the signatures
(S3 API guide, "Transferring Payload in Multiple Chunks" and "Including Trailing Headers").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from ramod.protocol.errors import IncompleteBody, InvalidRequest, SignatureDoesNotMatch

#: the longest chunk-header or trailer line accepted, CRLF included
MAX_LINE = 4096
#: at most this many trailer lines
MAX_TRAILERS = 32
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_SIG = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")


class ChunkSignatureChain:
    """Each chunk's signature covers the previous one, starting from the request's.

    :param signing_key: the SigV4 signing key of the request.
    :param amz_date: the request's ``x-amz-date`` (``20130524T000000Z``).
    :param scope: ``20130524/us-east-1/s3/aws4_request``.
    :param seed_signature: the request's own signature.
    """

    def __init__(self, signing_key: bytes, amz_date: str, scope: str, seed_signature: str):
        self._key = signing_key
        self._prefix = f"\n{amz_date}\n{scope}\n"
        self.previous = seed_signature

    def _check(self, string_to_sign: str, signature: str | None) -> None:
        expected = hmac.new(self._key, string_to_sign.encode("ascii"), hashlib.sha256).hexdigest()
        if signature is None or not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureDoesNotMatch(
                "The chunk signature we calculated does not match the signature you provided.")
        self.previous = signature

    def verify_chunk(self, chunk_sha256_hex: str, signature: str | None) -> None:
        """Check one chunk (the final one has the hash of no bytes) and advance.

        :raises SignatureDoesNotMatch: wrong or missing signature.
        """
        self._check(f"AWS4-HMAC-SHA256-PAYLOAD{self._prefix}{self.previous}\n"
                    f"{_EMPTY_SHA256}\n{chunk_sha256_hex}", signature)

    def verify_trailer(self, canonical_trailer: bytes, signature: str | None) -> None:
        """Check the trailer's ``x-amz-trailer-signature``.

        :param canonical_trailer: :attr:`Trailer.canonical`.
        :raises SignatureDoesNotMatch: wrong or missing signature.
        """
        digest = hashlib.sha256(canonical_trailer).hexdigest()
        self._check(f"AWS4-HMAC-SHA256-TRAILER{self._prefix}{self.previous}\n{digest}", signature)


@dataclass(frozen=True)
class ChunkEnd:
    """Event: a chunk's data is complete.

    :param size: its declared (and delivered) size; 0 for the final chunk.
    :param signature: its ``chunk-signature``, if any.
    :param sha256: hex SHA-256 of its data (decoders given a ``chain`` only).
    """

    size: int
    signature: str | None
    sha256: str | None = None


@dataclass(frozen=True)
class Trailer:
    """Event: the trailer section, after the final chunk.

    :param headers: lower-case name -> value, e.g. ``{"x-amz-checksum-crc32": "AAAAAA=="}``.
    :param signature: ``x-amz-trailer-signature``, if present (not in ``headers``).
    :param canonical: what the trailer signature covers: ``name:value\\n`` per header.
    """

    headers: dict[str, str] = field(default_factory=dict)
    signature: str | None = None
    canonical: bytes = b""


def _malformed(why: str) -> InvalidRequest:
    return InvalidRequest(f"The aws-chunked body is malformed: {why}.")


# decoder states
_HEADER, _DATA, _DATA_CRLF, _TRAILER, _DONE = range(5)


class AwsChunkedDecoder:
    """Incremental ``aws-chunked`` decoder.

    :param signed: chunk headers carry ``;chunk-signature=<64 hex>`` (required then).
    :param trailer: trailer lines follow the final chunk.
    :param chain: if given, every chunk signature (and the trailer signature) is
        checked as it completes; :class:`SignatureDoesNotMatch` is raised from
        :meth:`feed`.  Payload bytes already returned are then untrusted: callers must
        not commit anything before :meth:`finish` has returned.
    """

    def __init__(self, signed: bool, trailer: bool, chain: ChunkSignatureChain | None = None):
        self._signed = signed
        self._expect_trailer = trailer
        self._chain = chain
        self._state = _HEADER
        self._line = bytearray()
        self._left = 0
        self._size = 0
        self._signature: str | None = None
        # hashing costs CPU: only when this decoder checks the signatures itself
        self._hash = hashlib.sha256() if chain is not None else None
        self._crlf_seen = 0
        self._trailers: list[tuple[str, str]] = []
        self._trailer_signature: str | None = None
        #: the :class:`Trailer` event, once seen
        self.trailer: Trailer | None = None
        #: decoded payload bytes so far
        self.decoded_length = 0

    @property
    def done(self) -> bool:
        """Whether the whole encoding, final chunk and trailer included, was read."""
        return self._state == _DONE

    def feed(self, data: bytes) -> list:
        """Decode the next bytes of the body.

        :returns: in order, ``memoryview`` slices of payload, :class:`ChunkEnd` and
            :class:`Trailer` events.
        :raises InvalidRequest: malformed framing, or bytes after the end.
        :raises SignatureDoesNotMatch: a bad chunk or trailer signature (with ``chain``).
        """
        events: list = []
        view = memoryview(data)
        pos, end = 0, len(view)
        while pos < end:
            if self._state == _DATA:
                take = min(self._left, end - pos)
                piece = view[pos:pos + take]
                if self._hash is not None:
                    self._hash.update(piece)
                events.append(piece)
                self.decoded_length += take
                self._left -= take
                pos += take
                if self._left == 0:
                    self._end_chunk(events)
                    self._state = _DATA_CRLF
            elif self._state == _DATA_CRLF:
                if view[pos] != b"\r\n"[self._crlf_seen]:
                    raise _malformed("chunk data is longer than its declared size")
                self._crlf_seen += 1
                pos += 1
                if self._crlf_seen == 2:
                    self._crlf_seen = 0
                    self._state = _HEADER
            elif self._state == _DONE:
                raise _malformed("data follows the final chunk")
            else:
                pos = self._read_line(view, pos, end, events)
        return events

    def finish(self) -> list:
        """Declare the end of the body.

        Tolerates one thing real clients do: a trailer section whose last line is
        not followed by the empty line.

        :returns: the :class:`Trailer` event if only this call could complete it.
        :raises IncompleteBody: the final chunk (or the expected trailer) is missing.
        """
        if self._state == _DONE:
            return []
        if self._state == _TRAILER and not self._line and self._trailers:
            events: list = []
            self._end_trailer(events)
            return events
        if self._state == _TRAILER and not self._line and not self._expect_trailer:
            self._state = _DONE  # "0;chunk-signature=...\r\n" without the last CRLF
            return []
        raise IncompleteBody("The aws-chunked body ended before its final chunk"
                             + (" and trailer." if self._expect_trailer else "."))

    # -- lines ---------------------------------------------------------------------

    def _read_line(self, view: memoryview, pos: int, end: int, events: list) -> int:
        """Accumulate one line; handle it once its CRLF arrived.  Returns the new position."""
        newline = bytes(view[pos:min(end, pos + MAX_LINE + 1)]).find(b"\n")
        stop = end if newline < 0 else pos + newline + 1
        if len(self._line) + (stop - pos) > MAX_LINE:
            raise _malformed("a chunk header or trailer line is too long")
        self._line += view[pos:stop]
        if newline < 0:
            return end
        if not self._line.endswith(b"\r\n"):
            raise _malformed("lines must end with CRLF")
        line = bytes(self._line[:-2])
        self._line.clear()
        if self._state == _HEADER:
            self._chunk_header(line, events)
        else:
            self._trailer_line(line, events)
        return stop

    def _chunk_header(self, line: bytes, events: list) -> None:
        size, _, extension = line.partition(b";")
        if not _SIZE.fullmatch(size):
            raise _malformed(f"bad chunk size {size[:32]!r}")
        self._size = self._left = int(size, 16)
        self._signature = None
        if extension.startswith(b"chunk-signature="):
            self._signature = extension[len(b"chunk-signature="):].decode("latin-1")
        if self._signed and (self._signature is None or not _SIG.fullmatch(self._signature)):
            raise _malformed("a chunk header needs ';chunk-signature=' and 64 hex digits")
        if self._size:
            self._state = _DATA
            return
        self._end_chunk(events)
        self._state = _TRAILER

    def _end_chunk(self, events: list) -> None:
        digest = None
        if self._hash is not None:
            digest = self._hash.hexdigest()
            self._hash = hashlib.sha256()
        if self._chain is not None:
            self._chain.verify_chunk(digest or _EMPTY_SHA256, self._signature)
        events.append(ChunkEnd(self._size, self._signature, digest))

    def _trailer_line(self, line: bytes, events: list) -> None:
        if not line:
            self._end_trailer(events)
            return
        if not self._expect_trailer:
            raise _malformed("a trailer was sent but not announced")
        name, colon, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if not colon or not name or len(self._trailers) >= MAX_TRAILERS:
            raise _malformed(f"bad trailer line {line[:64]!r}")
        if name == "x-amz-trailer-signature":
            self._trailer_signature = value.strip()
        else:
            self._trailers.append((name, value.strip()))

    def _end_trailer(self, events: list) -> None:
        headers = dict(self._trailers)
        canonical = "".join(f"{name}:{headers[name]}\n" for name in sorted(headers))
        self.trailer = Trailer(headers, self._trailer_signature, canonical.encode("latin-1"))
        if self._chain is not None and self._expect_trailer:
            self._chain.verify_trailer(self.trailer.canonical, self._trailer_signature)
        self._state = _DONE
        if self._expect_trailer:
            events.append(self.trailer)
