"""aws-chunked bodies: AWS's published examples, arbitrary splits and malformed framing."""

import datetime
import hashlib
import io
import random

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from ramod.auth import (
    AwsChunkedDecoder,
    ChunkEnd,
    ChunkSignatureChain,
    SignedRequest,
    Trailer,
    parse_auth,
    sigv4,
)
from ramod.protocol.errors import IncompleteBody, InvalidRequest, S3Error, SignatureDoesNotMatch

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_TIME = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)
SCOPE = "20130524/us-east-1/s3/aws4_request"

# "Signature Calculations for the Authorization Header: Transferring Payload in
# Multiple Chunks" and "... Including Trailing Headers" (S3 API reference):
# 65536 + 1024 bytes of 'a', then the final chunk.
PLAIN = {
    "content_sha256": sigv4.STREAMING_SIGNED,
    "signed_headers": "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-decoded-content-length;x-amz-storage-class",
    "seed": "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    "chunks": ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
               "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
               "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"],
    "trailer": b"",
    "extra": {"content-length": "66824"},
}
TRAILER = {
    "content_sha256": sigv4.STREAMING_SIGNED_TRAILER,
    "signed_headers": "content-encoding;host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
    "seed": "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    "chunks": ["b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
               "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
               "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"],
    "trailer": b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"
               b"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
    "extra": {"x-amz-trailer": "x-amz-checksum-crc32c"},
}


def doc_body(example, chunks=None):
    sigs = chunks or example["chunks"]
    return (b"10000;chunk-signature=%s\r\n" % sigs[0].encode() + b"a" * 65536
            + b"\r\n400;chunk-signature=%s\r\n" % sigs[1].encode() + b"a" * 1024
            + b"\r\n0;chunk-signature=%s\r\n" % sigs[2].encode() + example["trailer"] + b"\r\n")


def doc_request(example):
    headers = {
        "host": "s3.amazonaws.com", "content-encoding": "aws-chunked",
        "x-amz-content-sha256": example["content_sha256"], "x-amz-date": "20130524T000000Z",
        "x-amz-decoded-content-length": "66560", "x-amz-storage-class": "REDUCED_REDUNDANCY",
        **example["extra"],
        "authorization": (f"AWS4-HMAC-SHA256 Credential={AK}/{SCOPE},"
                          f"SignedHeaders={example['signed_headers']},Signature={example['seed']}"),
    }
    return SignedRequest("PUT", "/examplebucket/chunkObject.txt", "", headers)


def doc_chain(example):
    return ChunkSignatureChain(sigv4.signing_key(SK, "20130524", "us-east-1"),
                               "20130524T000000Z", SCOPE, example["seed"])


def decode(decoder, pieces):
    """Feed ``pieces``; return (payload, events other than payload)."""
    payload, events = bytearray(), []
    for piece in pieces:
        for event in decoder.feed(piece):
            if isinstance(event, memoryview):
                payload += event
            else:
                events.append(event)
    events += decoder.finish()
    return bytes(payload), events


def signed_body(chain_seed, chunks, trailer=None):
    """Frame ``chunks`` as signed aws-chunked, signing with the chain algorithm."""
    key = sigv4.signing_key(SK, "20130524", "us-east-1")
    previous, out = chain_seed, bytearray()
    for chunk in [*chunks, b""]:
        to_sign = (f"AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n{SCOPE}\n{previous}\n"
                   f"{sigv4.EMPTY_SHA256}\n{hashlib.sha256(chunk).hexdigest()}")
        previous = sigv4.hmac_hex(key, to_sign)
        out += b"%x;chunk-signature=%s\r\n" % (len(chunk), previous.encode())
        if chunk:
            out += chunk + b"\r\n"
    if trailer is None:
        return bytes(out + b"\r\n")
    canonical = "".join(f"{name}:{value}\n" for name, value in sorted(trailer.items()))
    to_sign = (f"AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n{SCOPE}\n{previous}\n"
               f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    for name, value in trailer.items():
        out += f"{name}:{value}\r\n".encode()
    out += f"x-amz-trailer-signature:{sigv4.hmac_hex(key, to_sign)}\r\n\r\n".encode()
    return bytes(out)


# -- AWS examples ---------------------------------------------------------------------


def test_aws_chunk_signatures():
    """The chain reproduces the published chunk signatures from the seed signature."""
    chain = doc_chain(PLAIN)
    chain.verify_chunk(hashlib.sha256(b"a" * 65536).hexdigest(), PLAIN["chunks"][0])
    chain.verify_chunk(hashlib.sha256(b"a" * 1024).hexdigest(), PLAIN["chunks"][1])
    chain.verify_chunk(sigv4.EMPTY_SHA256, PLAIN["chunks"][2])


@pytest.mark.parametrize("example", [PLAIN, TRAILER], ids=["plain", "trailer"])
def test_aws_example_end_to_end(example):
    """The published request verifies (seed) and its body decodes with every signature checked."""
    verified = parse_auth(doc_request(example), "us-east-1").verify(SK, DOC_TIME)
    assert verified.content_sha256 == example["content_sha256"]
    decoder = verified.chunked_decoder()
    body = doc_body(example)
    if example is PLAIN:
        assert len(body) == 66824
    payload, events = decode(decoder, [body])
    assert payload == b"a" * 66560
    assert [e.size for e in events if isinstance(e, ChunkEnd)] == [65536, 1024, 0]
    assert decoder.done
    if example is TRAILER:
        assert events[-1] == Trailer({"x-amz-checksum-crc32c": "sOO8/Q=="},
                                     TRAILER["trailer"][-66:-2].decode(),
                                     b"x-amz-checksum-crc32c:sOO8/Q==\n")


def test_aws_trailer_signature():
    """The trailer example's x-amz-trailer-signature follows from the final chunk's."""
    chain = doc_chain(TRAILER)
    chain.verify_chunk(hashlib.sha256(b"a" * 65536).hexdigest(), TRAILER["chunks"][0])
    chain.verify_chunk(hashlib.sha256(b"a" * 1024).hexdigest(), TRAILER["chunks"][1])
    chain.verify_chunk(sigv4.EMPTY_SHA256, TRAILER["chunks"][2])
    chain.verify_trailer(b"x-amz-checksum-crc32c:sOO8/Q==\n",
                         "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435")


@pytest.mark.parametrize("index", [0, 1, 2])
def test_aws_example_bad_chunk_signature(index):
    """Any wrong chunk signature in the published body is SignatureDoesNotMatch."""
    sigs = list(PLAIN["chunks"])
    sigs[index] = "1" * 64
    decoder = AwsChunkedDecoder(signed=True, trailer=False, chain=doc_chain(PLAIN))
    with pytest.raises(SignatureDoesNotMatch):
        decoder.feed(doc_body(PLAIN, sigs))


def test_aws_example_bad_trailer_signature():
    """A tampered trailer value breaks the trailer signature."""
    body = doc_body(TRAILER).replace(b"sOO8/Q==", b"AAAAAA==")
    decoder = AwsChunkedDecoder(signed=True, trailer=True, chain=doc_chain(TRAILER))
    with pytest.raises(SignatureDoesNotMatch):
        decoder.feed(body)


def test_aws_example_one_byte_at_a_time():
    """The published body fed one byte per call decodes the same, signatures checked."""
    decoder = AwsChunkedDecoder(signed=True, trailer=True, chain=doc_chain(TRAILER))
    body = doc_body(TRAILER)
    payload, events = decode(decoder, [body[i:i + 1] for i in range(len(body))])
    assert payload == b"a" * 66560
    assert events[-1].headers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


@pytest.mark.parametrize("seed", range(20))
def test_random_splits(seed):
    """Random chunk sizes and random feed boundaries give back the exact payload."""
    rng = random.Random(seed)
    chunks = [rng.randbytes(rng.choice([0, 1, 2, 13, 8192, 70000]) or 1) for _ in range(rng.randint(1, 5))]
    trailer = {"x-amz-checksum-sha256": "x" * 44} if seed % 2 else None
    body = signed_body(PLAIN["seed"], chunks, trailer)
    cuts = sorted(rng.sample(range(1, len(body)), min(30, len(body) - 1)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    decoder = AwsChunkedDecoder(signed=True, trailer=bool(trailer), chain=doc_chain(PLAIN))
    payload, events = decode(decoder, pieces)
    assert payload == b"".join(chunks)
    assert decoder.decoded_length == len(payload)
    assert [e.sha256 for e in events if isinstance(e, ChunkEnd)][:-1] == [
        hashlib.sha256(c).hexdigest() for c in chunks]


# -- unsigned, as botocore sends it --------------------------------------------------------


def botocore_unsigned_body(payload, chunk_size=65536):
    wrapper = AwsChunkedWrapper(io.BytesIO(payload), checksum_cls=Crc32Checksum,
                                checksum_name="x-amz-checksum-crc32", chunk_size=chunk_size)
    return wrapper.read()


@pytest.mark.parametrize("size", [0, 1, 65536, 200_001])
def test_botocore_unsigned_trailer(size):
    """botocore's STREAMING-UNSIGNED-PAYLOAD-TRAILER body decodes, split anywhere, trailer intact."""
    payload = random.Random(size).randbytes(size)
    body = botocore_unsigned_body(payload)
    for step in (1, 7, 4096, len(body)):
        decoder = AwsChunkedDecoder(signed=False, trailer=True)
        got, events = decode(decoder, [body[i:i + step] for i in range(0, len(body), step)])
        assert got == payload
        trailer = events[-1]
        assert set(trailer.headers) == {"x-amz-checksum-crc32"}
        assert trailer.signature is None


def test_trailer_without_final_blank_line():
    """A trailer whose last line lacks the closing empty line is accepted at the end of the body."""
    decoder = AwsChunkedDecoder(signed=False, trailer=True)
    payload, events = decode(decoder, [b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n"])
    assert payload == b"abc"
    assert events[-1].headers == {"x-amz-checksum-crc32": "NSRBwg=="}
    assert decoder.done


def test_final_chunk_without_last_crlf():
    """A signed body ending right after the final chunk header is accepted."""
    body = signed_body(PLAIN["seed"], [b"xyz"])[:-2]
    decoder = AwsChunkedDecoder(signed=True, trailer=False, chain=doc_chain(PLAIN))
    assert decode(decoder, [body])[0] == b"xyz"


# -- malformed -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"3\r\nab",                       # data cut short
    b"3\r\nabc\r\n",                  # no final chunk
    b"3\r\nabc\r\n0\r\n",             # trailer expected, none
    b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSR",  # trailer line cut short
    b"",
])
def test_truncated_body(body):
    """A body that stops early makes finish() raise IncompleteBody."""
    decoder = AwsChunkedDecoder(signed=False, trailer=True)
    decoder.feed(body)
    with pytest.raises(IncompleteBody):
        decoder.finish()


@pytest.mark.parametrize("body, message", [
    (b"zz\r\nabc\r\n", "bad chunk size"),
    (b"\r\n", "bad chunk size"),
    (b"-3\r\nabc\r\n", "bad chunk size"),
    (b"3\r\nabcd\r\n0\r\n\r\n", "longer than its declared size"),
    (b"3\nabc\r\n", "CRLF"),
    (b"1" * 5000, "too long"),
    (b"3\r\nabc\r\n0\r\nno-colon\r\n\r\n", "bad trailer line"),
])
def test_garbage(body, message):
    """Malformed framing is an InvalidRequest naming the problem."""
    decoder = AwsChunkedDecoder(signed=False, trailer=True)
    with pytest.raises(InvalidRequest, match=message):
        decoder.feed(body)


def test_bytes_after_the_end():
    """Bytes after the final chunk are refused and never returned as payload."""
    decoder = AwsChunkedDecoder(signed=False, trailer=False)
    events = decoder.feed(b"3\r\nabc\r\n0\r\n\r\n")
    assert decoder.done
    with pytest.raises(InvalidRequest, match="follows the final chunk"):
        decoder.feed(b"evil")
    assert b"".join(bytes(e) for e in events if isinstance(e, memoryview)) == b"abc"


def test_bytes_after_the_end_same_feed():
    """Trailing bytes in the same feed as the end are refused too."""
    decoder = AwsChunkedDecoder(signed=False, trailer=False)
    with pytest.raises(InvalidRequest):
        decoder.feed(b"3\r\nabc\r\n0\r\n\r\nevil")


def test_signed_needs_chunk_signature():
    """A signed decoder refuses chunk headers without a 64-hex signature."""
    for header in (b"3\r\n", b"3;chunk-signature=abc\r\n", b"3;foo=bar\r\n"):
        with pytest.raises(InvalidRequest, match="chunk-signature"):
            AwsChunkedDecoder(signed=True, trailer=False).feed(header + b"abc\r\n")


def test_unannounced_trailer():
    """Trailer lines when no trailer was announced are refused."""
    decoder = AwsChunkedDecoder(signed=False, trailer=False)
    with pytest.raises(InvalidRequest, match="not announced"):
        decoder.feed(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")


def test_missing_trailer_signature():
    """A signed trailer without x-amz-trailer-signature does not match."""
    body = signed_body(PLAIN["seed"], [b"abc"], {"x-amz-checksum-crc32": "NSRBwg=="})
    body = body.split(b"x-amz-trailer-signature")[0] + b"\r\n"
    decoder = AwsChunkedDecoder(signed=True, trailer=True, chain=doc_chain(PLAIN))
    with pytest.raises(SignatureDoesNotMatch):
        decoder.feed(body)


def test_errors_are_s3_errors():
    """Every decoder failure is an S3Error the HTTP layer can render."""
    assert issubclass(IncompleteBody, S3Error) and issubclass(InvalidRequest, S3Error)


def test_memory_is_bounded():
    """A huge chunk passes through as views of the input, without being buffered."""
    decoder = AwsChunkedDecoder(signed=False, trailer=False)
    decoder.feed(b"%x\r\n" % (10 * 2**20))
    block = b"x" * 2**20
    for _ in range(10):
        events = decoder.feed(block)
        assert events[0].obj is block
    assert len(decoder._line) == 0
