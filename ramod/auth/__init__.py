"""Request authentication: which scheme signed a request, and is the signature right.

Pure code: no twisted.web, no I/O, no clock.  Typical use::

    parsed = parse_auth(signed_request, region)        # None: anonymous
    if parsed is not None:
        secret = lookup(parsed.access_key)             # InvalidAccessKeyId if unknown
        verified = parsed.verify(secret, now)
        if verified.streaming:
            decoder = verified.chunked_decoder()       # checks every chunk signature

Request strings (path, query, header values) are taken as bytes decoded with latin-1,
as twisted.web hands them over (see :func:`ramod.auth.sigv4.to_bytes`).

The schemes live in :mod:`~ramod.auth.sigv4`, :mod:`~ramod.auth.sigv2` and
:mod:`~ramod.auth.chunked` (aws-chunked bodies).
"""

from ramod.auth import sigv2, sigv4
from ramod.auth.chunked import AwsChunkedDecoder, ChunkEnd, ChunkSignatureChain, Trailer
from ramod.protocol.signed_request import SignedRequest
from ramod.auth.sigv4 import ParsedAuth, VerifiedAuth
from ramod.protocol.errors import InvalidArgument

__all__ = [
    "AwsChunkedDecoder", "ChunkEnd", "ChunkSignatureChain", "ParsedAuth", "SignedRequest",
    "Trailer", "VerifiedAuth", "parse_auth",
]

_V4_QUERY = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
_V2_QUERY = ("AWSAccessKeyId", "Signature")


def parse_auth(req: SignedRequest, region: str, bucket_host: str | None = None) -> ParsedAuth | None:
    """Identify and parse the request's authentication, without checking it.

    :param req: the request.
    :param region: this server's region; a SigV4 credential scope must name it.
    :param bucket_host: the bucket named by the ``Host`` header of a virtual-hosted
        request (SigV2 signs ``/bucket/key`` whatever the addressing style).
    :returns: ``None`` for an anonymous request (no ``Authorization`` header and no
        authentication query parameters).
    :raises InvalidArgument: an unknown ``Authorization`` type, or two mechanisms at once.
    :raises AuthorizationHeaderMalformed: a malformed SigV4 header, or a credential scope
        with another region (the message names ours), service or date.
    :raises AuthorizationQueryParametersError: malformed presigned SigV4 parameters.
    :raises AccessDenied: no usable date, unsigned ``x-amz-*`` headers, bad SigV2 query.
    :raises InvalidRequest: SigV4 header auth without ``x-amz-content-sha256``.
    """
    names = {name for name, _ in sigv4.parse_query(req.raw_query)}
    v4_query = any(name in names for name in _V4_QUERY)
    v2_query = not v4_query and any(name in names for name in _V2_QUERY)
    authorization = req.headers.get("authorization")
    if authorization is not None and (v4_query or v2_query):
        raise InvalidArgument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
            ArgumentName="Authorization", ArgumentValue=authorization)
    if v4_query:
        return sigv4.parse_query_auth(req, region)
    if v2_query:
        return sigv2.parse_query_auth(req, bucket_host)
    if authorization is None:
        return None
    if authorization.startswith(sigv4.ALGORITHM + " "):
        return sigv4.parse_header_auth(req, region)
    if authorization.startswith("AWS "):
        return sigv2.parse_header_auth(req, bucket_host)
    raise InvalidArgument("Unsupported Authorization Type", ArgumentName="Authorization",
                          ArgumentValue=authorization)
