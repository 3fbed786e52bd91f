"""Multipart uploads, the pure half: S3's rules, query parameters and documents.

Nothing here does I/O.  :mod:`ramod.s3.multipart` reads the request, asks the
metadata store for the upload and its parts, and calls in here to check the
CompleteMultipartUpload body against the stored parts (:func:`parse_complete`,
:func:`check_parts`), to compute the object's ETag and checksum
(:func:`multipart_etag`, :func:`object_checksum`) and to render the responses.

Error codes and wording follow what S3 itself answers: several of its messages
differ from the ones its documentation lists (``InvalidPart`` says "may not"
where the docs say "might not"), and clients and conformance suites compare
them, so the wire wording is used here.
"""

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ramod.protocol import xml
from ramod.protocol import checksums, errors
from ramod.s3.listing import url_encode

__all__ = [
    "COMPOSITE", "FULL_OBJECT", "MAX_PARTS_PAGE", "MAX_UPLOADS_PAGE",
    "MIN_PART_SIZE", "ListUploadsParams", "RequestedPart", "StoredPart", "UploadRow",
    "check_parts", "complete_document", "default_checksum_type", "initiate_document",
    "list_parts_document", "list_uploads_document", "multipart_etag", "new_upload_id",
    "object_checksum", "parse_checksum_type", "parse_complete", "parse_list_parts",
    "parse_list_uploads",
]

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS_PAGE = 1000
MAX_UPLOADS_PAGE = 1000

COMPOSITE = "COMPOSITE"
FULL_OBJECT = "FULL_OBJECT"

_INT32_MAX = 2**31 - 1
_INTEGER = re.compile(r"-?[0-9]+")

# S3's wire messages (see the module docstring).
_INVALID_PART = ("One or more of the specified parts could not be found.  The part may not have "
                 "been uploaded, or the specified entity tag may not match the part's entity tag.")
_INVALID_PART_ORDER = ("The list of parts was not in ascending order. Parts must be ordered by "
                       "part number.")
_ENTITY_TOO_SMALL = "Your proposed upload is smaller than the minimum allowed size"


# -- upload ids and part numbers ------------------------------------------------

def new_upload_id() -> str:
    """A fresh upload ID: 256 random bits as unpadded URL-safe base64 (``[A-Za-z0-9_-]``),
    so it needs no escaping in XML, URLs or query strings."""
    return secrets.token_urlsafe(32)


# -- checksum type --------------------------------------------------------------

def default_checksum_type(algorithm: str) -> str:
    """The type S3 gives an upload that names ``algorithm`` but no type: ``FULL_OBJECT``
    for CRC64NVME (it supports nothing else), ``COMPOSITE`` for the others."""
    return FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE


def parse_checksum_type(value: str | None, algorithm: str | None) -> str | None:
    """Validate CreateMultipartUpload's ``x-amz-checksum-type`` against its algorithm.

    :param value: the header, or None when absent.
    :param algorithm: the upload's ``x-amz-checksum-algorithm`` (canonical, as
        :func:`ramod.protocol.checksums.parse_algorithm` returns it), or None.
    :return: ``"COMPOSITE"`` or ``"FULL_OBJECT"``; the algorithm's default when
        the header is absent; None when neither is given.
    :raises errors.InvalidRequest: an unknown type, a type without an algorithm,
        ``FULL_OBJECT`` with SHA1/SHA256 or ``COMPOSITE`` with CRC64NVME.
    """
    text = (value or "").strip()
    if not text:
        return default_checksum_type(algorithm) if algorithm else None
    if algorithm is None:
        raise errors.InvalidRequest("The x-amz-checksum-type header can only be used with the "
                                    "x-amz-checksum-algorithm header.")
    checksum_type = text.upper()
    if checksum_type not in (COMPOSITE, FULL_OBJECT):
        raise errors.InvalidRequest("Value for x-amz-checksum-type header is invalid.")
    if ((checksum_type == FULL_OBJECT and algorithm not in checksums.COMBINABLE)
            or (checksum_type == COMPOSITE and algorithm == "CRC64NVME")):
        raise errors.InvalidRequest(f"The {checksum_type} checksum type cannot be used with the "
                                    f"{algorithm.lower()} checksum algorithm.")
    return checksum_type


# -- CompleteMultipartUpload ------------------------------------------------------

@dataclass(frozen=True)
class RequestedPart:
    """One ``<Part>`` of a CompleteMultipartUpload request."""

    number: int
    #: without its quotes
    etag: str
    #: algorithm (``"CRC32"``, ...) -> base64 digest; at most one entry
    checksums: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StoredPart:
    """An uploaded part, as the metadata store knows it."""

    number: int
    #: quoted hex MD5, e.g. ``'"9b2cf535f27731c974343645a3985328"'``
    etag: str
    size: int
    #: algorithm -> base64 digest
    checksums: dict = field(default_factory=dict)

    @property
    def md5_hex(self) -> str:
        """The part's MD5 in hex: its ETag without the quotes."""
        return _unquote(self.etag)


#: 10,000 parts with a checksum each fit easily; the request body limit is 2 MiB anyway
COMPLETE_MAX_BYTES = 2 * 1024 * 1024


def parse_complete(body: bytes, upload_id: str | None = None) -> list[RequestedPart]:
    """Read a CompleteMultipartUpload body (elements with or without the S3 namespace).

    :param upload_id: named in the ``InvalidPartOrder`` error, as S3 does.
    :return: the parts in the order given, which is ascending.
    :raises errors.MalformedXML: not well-formed, a DOCTYPE, not a
        ``CompleteMultipartUpload`` document, no parts, a part without
        ``PartNumber`` or ``ETag``, or a ``PartNumber`` that is not an integer.
    :raises errors.InvalidArgument: a ``PartNumber`` below 1; a part checksum that
        is not base64 of the right size, or more than one checksum for a part.
    :raises errors.InvalidPartOrder: part numbers descending.  A number listed twice in a
        row counts once, as its later entry (a client that re-sent a part lists both
        answers; the later one names the part that was kept).
    """
    root = xml.parse_xml(body, max_size=COMPLETE_MAX_BYTES)
    if xml.localname(root) != "CompleteMultipartUpload":
        raise errors.MalformedXML("Expected a CompleteMultipartUpload document, got <%s>."
                                  % xml.localname(root))
    elements = xml.children(root, "Part")
    if not elements:
        raise errors.MalformedXML("The CompleteMultipartUpload document must list at least one Part.")
    found = [_read_part(position, element) for position, element in enumerate(elements, 1)]
    previous, requested = 0, []
    for number, etag, sums in found:
        if number < 1:
            raise errors.InvalidArgument("PartNumber must be >= 1",
                                         ArgumentName="PartNumber", ArgumentValue=str(number))
        if number < previous:
            raise errors.InvalidPartOrder(_INVALID_PART_ORDER, **_upload(upload_id))
        if number == previous:
            requested.pop()
        previous = number
        requested.append(RequestedPart(number, etag, _part_checksums(sums)))
    return requested


def _read_part(position: int, element) -> tuple[int, str, dict]:
    """``(number, unquoted etag, {algorithm: raw checksum text})`` of one ``<Part>``."""
    number, etag = xml.find_text(element, "PartNumber"), xml.find_text(element, "ETag")
    if number is None:
        raise errors.MalformedXML(f"Part {position} of the request has no PartNumber.")
    if etag is None:
        raise errors.MalformedXML(f"Part {position} of the request has no ETag.")
    value = _int32(number.strip())
    if value is None:
        raise errors.MalformedXML(f"The PartNumber {number.strip()!r} of part {position} of the "
                                  "request is not an integer.")
    sums = {algorithm: text.strip() for algorithm in checksums.ALGORITHMS
            if (text := xml.find_text(element, "Checksum" + algorithm))
            and text.strip()}
    return value, _unquote(etag), sums


def _part_checksums(sums: dict) -> dict:
    """Check a part's checksums as S3 does: one at most, and each a valid digest."""
    if len(sums) > 1 or any(_digest(algorithm, value) is None for algorithm, value in sums.items()):
        raise errors.InvalidArgument(
            "Invalid Base64 or multiple checksums present in request", ArgumentName="Checksum",
            ArgumentValue="".join(f"{algorithm}:{value};" for algorithm, value in sums.items()))
    return sums


def _digest(algorithm: str, value: str) -> bytes | None:
    """The raw digest ``value`` carries, or None if it is not base64 of the right size."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == checksums.DIGEST_SIZES[algorithm] else None


def _int32(text: str) -> int | None:
    """``text`` as a signed 32-bit integer (digits, an optional ``-``), or None."""
    if not _INTEGER.fullmatch(text):
        return None
    digits = text.lstrip("-").lstrip("0")
    if len(digits) > 10:                 # also keeps int() off pathologically long strings
        return None
    value = -int(digits or "0") if text.startswith("-") else int(digits or "0")
    return value if -_INT32_MAX - 1 <= value <= _INT32_MAX else None


def _unquote(etag: str) -> str:
    """An ETag without its quotes, whether sent quoted, bare or as ``&quot;...&quot;``."""
    text = etag.strip()
    text = text.removeprefix("&quot;").removesuffix("&quot;")
    return text.strip('"')


def _upload(upload_id: str | None) -> dict:
    return {"UploadId": upload_id} if upload_id is not None else {}


def check_parts(requested: Iterable[RequestedPart], stored: Mapping[int, StoredPart],
                min_part_size: int = MIN_PART_SIZE, *, upload_id: str | None = None,
                algorithm: str | None = None,
                checksum_type: str | None = None) -> list[StoredPart]:
    """Check a Complete request's parts against the uploaded ones, in S3's order.

    For each requested part in turn: it must have been uploaded, with the same
    ETag; each checksum it gives must match the part's; and unless it is the
    last one in the request it must be at least ``min_part_size`` bytes.  Parts
    uploaded but not requested are not looked at (the caller discards them).

    :param stored: the upload's parts by number.
    :param upload_id: named in ``InvalidPart`` errors, as S3 does.
    :param algorithm: the upload's checksum algorithm, when the caller knows it.
        Then a checksum of another algorithm that does not match is
        ``BadDigest``, and under ``checksum_type`` ``COMPOSITE`` every part must
        carry its checksum.  Without it, any mismatching checksum is ``InvalidPart``.
    :return: the stored parts, in the request's order.
    :raises errors.InvalidPart: a part missing, or its ETag or checksum different.
    :raises errors.BadDigest: a checksum of an algorithm other than the upload's.
    :raises errors.InvalidRequest: a composite upload's part without its checksum.
    :raises errors.EntityTooSmall: a part other than the last below ``min_part_size``.
    """
    requested = list(requested)
    chosen = []
    for index, want in enumerate(requested):
        part = stored.get(want.number)
        where = dict(_upload(upload_id), PartNumber=str(want.number), ETag=want.etag)
        if part is None or part.md5_hex != want.etag:
            raise errors.InvalidPart(_INVALID_PART, **where)
        for name, value in want.checksums.items():
            given = _digest(name, value)
            if given is not None and given == _digest(name, part.checksums.get(name) or ""):
                continue
            if algorithm is not None and name != algorithm:
                raise errors.BadDigest(f"The {name.lower()} you specified for part {want.number} "
                                       "did not match what we received.")
            raise errors.InvalidPart(_INVALID_PART, **where)
        if algorithm and checksum_type == COMPOSITE and algorithm not in want.checksums:
            raise errors.InvalidRequest(
                f"The upload was created using a {algorithm.lower()} checksum. The complete "
                "request must include the checksum for each part. It was missing for part "
                f"{want.number} in the request.")
        if index < len(requested) - 1 and part.size < min_part_size:
            raise errors.EntityTooSmall(_ENTITY_TOO_SMALL, ProposedSize=str(part.size),
                                        MinSizeAllowed=str(min_part_size),
                                        PartNumber=str(want.number), ETag=want.etag)
        chosen.append(part)
    return chosen


def multipart_etag(part_etags: Iterable[str]) -> str:
    """A multipart object's ETag: ``"<md5 of the parts' binary MD5s>-<part count>"``, quoted.

    :param part_etags: each part's ETag, a hex MD5, quoted or not.
    :raises ValueError: an ETag that is not a hex MD5.
    """
    digests = []
    for etag in part_etags:
        text = _unquote(etag)
        if len(text) != 32:
            raise ValueError(f"part ETag {etag!r} is not a hex MD5")
        digests.append(bytes.fromhex(text))
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


def object_checksum(algorithm: str, checksum_type: str | None,
                    parts: Iterable[StoredPart]) -> str | None:
    """The whole object's checksum, from its parts' checksums.

    ``COMPOSITE``: the checksum of the concatenated part digests, then ``-N``
    (``"abc=-3"``).  ``FULL_OBJECT`` (CRCs only): the CRC of the whole object,
    combined from the part CRCs and sizes.

    :param checksum_type: None for the algorithm's default.
    :return: base64 as S3 sends it, or None if a part lacks that checksum.
    :raises ValueError: ``FULL_OBJECT`` with an algorithm that is not a CRC.
    """
    checksum_type = checksum_type or default_checksum_type(algorithm)
    parts = list(parts)
    values = [part.checksums.get(algorithm) for part in parts]
    if any(value is None for value in values):
        return None
    if checksum_type == COMPOSITE:
        return checksums.composite_b64(algorithm, values)
    whole = checksums.combine_crcs(
        algorithm, [(base64.b64decode(value), part.size) for value, part in zip(values, parts)])
    return base64.b64encode(whole).decode("ascii")


# -- listing parameters ---------------------------------------------------------

def _int32_argument(query: Mapping[str, str], name: str, default: int) -> int:
    """A non-negative integer query parameter, refused in S3's words.

    Absent or empty is ``default``.  Something that is not an int32 (a word, a
    sign other than ``-``, too many digits) and a negative value each have
    their own message.
    """
    value = query.get(name)
    if value is None or value == "":
        return default
    number = _int32(value)
    if number is None:
        raise errors.InvalidArgument(f"Provided {name} not an integer or within integer range",
                                     ArgumentName=name, ArgumentValue=value)
    if number < 0:
        raise errors.InvalidArgument(f"Argument {name} must be an integer between 0 and {_INT32_MAX}",
                                     ArgumentName=name, ArgumentValue=str(number))
    return number


def parse_list_parts(query: Mapping[str, str]) -> tuple[int, int]:
    """ListParts' ``max-parts`` (default 1000, larger values capped) and
    ``part-number-marker`` (default 0: list from the first part).

    :return: ``(max_parts, part_number_marker)``.
    :raises errors.InvalidArgument: either is not a non-negative int32.
    """
    max_parts = _int32_argument(query, "max-parts", MAX_PARTS_PAGE)
    marker = _int32_argument(query, "part-number-marker", 0)
    return min(max_parts, MAX_PARTS_PAGE), marker


@dataclass(frozen=True)
class ListUploadsParams:
    """ListMultipartUploads' query parameters, checked."""

    prefix: str = ""
    delimiter: str = ""
    max_uploads: int = MAX_UPLOADS_PAGE
    #: list uploads of keys after this one ("" for all) ...
    key_marker: str = ""
    #: ... and of this key, uploads after this ID ("" when no key-marker: S3 ignores it)
    upload_id_marker: str = ""
    #: as sent, echoed in ``EncodingType``; None when absent
    encoding_type: str | None = None

    @property
    def encoding_url(self) -> bool:
        return self.encoding_type is not None


def parse_list_uploads(query: Mapping[str, str]) -> ListUploadsParams:
    """Read ListMultipartUploads' query parameters.

    :raises errors.InvalidArgument: ``max-uploads`` not a non-negative int32, or
        an ``encoding-type`` other than ``url``.
    """
    encoding_type = query.get("encoding-type")
    if encoding_type is not None and encoding_type.lower() != "url":
        raise errors.InvalidArgument("Invalid Encoding Method specified in Request",
                                     ArgumentName="encoding-type", ArgumentValue=encoding_type)
    key_marker = query.get("key-marker") or ""
    return ListUploadsParams(
        prefix=query.get("prefix") or "",
        delimiter=query.get("delimiter") or "",
        max_uploads=min(_int32_argument(query, "max-uploads", MAX_UPLOADS_PAGE), MAX_UPLOADS_PAGE),
        key_marker=key_marker,
        upload_id_marker=(query.get("upload-id-marker") or "") if key_marker else "",
        encoding_type=encoding_type)


# -- response documents ---------------------------------------------------------

def initiate_document(bucket: str, key: str, upload_id: str) -> bytes:
    """CreateMultipartUpload's ``InitiateMultipartUploadResult``."""
    return xml.build("InitiateMultipartUploadResult",
                     [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)])


def _checksum_spec(sums: Mapping[str, str] | None) -> list:
    """``Checksum<ALG>`` elements, in the order of the S3 API reference."""
    sums = sums or {}
    return [("Checksum" + algorithm, sums[algorithm])
            for algorithm in checksums.ALGORITHMS if sums.get(algorithm)]


def complete_document(location: str, bucket: str, key: str, etag: str,
                      checksums: Mapping[str, str] | None = None,
                      checksum_type: str | None = None) -> bytes:
    """CompleteMultipartUpload's ``CompleteMultipartUploadResult``.

    :param checksums: the object's checksum by algorithm, as :func:`object_checksum` gives it.
    :param checksum_type: ``COMPOSITE`` or ``FULL_OBJECT``; None omits ``ChecksumType``.
    """
    return xml.build("CompleteMultipartUploadResult", [
        ("Location", location), ("Bucket", bucket), ("Key", key), ("ETag", etag),
        *_checksum_spec(checksums),
        ("ChecksumType", checksum_type),
    ])


def _person(who: tuple[str, str]) -> list:
    return [("ID", who[0]), ("DisplayName", who[1])]


def list_parts_document(bucket: str, key: str, upload_id: str, initiator: tuple[str, str],
                        owner: tuple[str, str], storage_class: str, part_number_marker: int,
                        next_marker: int | None, max_parts: int, truncated: bool,
                        parts: Iterable, checksum_algorithm: str | None = None,
                        checksum_type: str | None = None) -> bytes:
    """ListParts' ``ListPartsResult``, in the element order of S3's own responses.

    :param initiator: ``(id, display name)``; so is ``owner``.
    :param next_marker: the last part number listed; None omits ``NextPartNumberMarker``.
    :param parts: objects with ``number``, ``last_modified`` (an aware datetime),
        ``etag`` (quoted), ``size`` and ``checksums``.
    """
    return xml.build("ListPartsResult", [
        ("Bucket", bucket), ("Key", key), ("UploadId", upload_id),
        ("Initiator", _person(initiator)), ("Owner", _person(owner)),
        ("StorageClass", storage_class),
        ("PartNumberMarker", part_number_marker), ("NextPartNumberMarker", next_marker),
        ("MaxParts", max_parts), ("IsTruncated", truncated),
        *[("Part", [("PartNumber", part.number), ("LastModified", part.last_modified),
                    ("ETag", part.etag), ("Size", part.size), *_checksum_spec(part.checksums)])
          for part in parts],
        ("ChecksumAlgorithm", checksum_algorithm), ("ChecksumType", checksum_type),
    ])


@dataclass(frozen=True)
class UploadRow:
    """An upload as ListMultipartUploads shows it."""

    key: str
    upload_id: str
    #: ``(id, display name)``
    initiator: tuple
    #: ``(id, display name)``
    owner: tuple
    storage_class: str
    initiated: datetime
    checksum_algorithm: str | None = None
    checksum_type: str | None = None


def list_uploads_document(bucket: str, params: ListUploadsParams, uploads: Iterable[UploadRow],
                          common_prefixes: Iterable[str], truncated: bool,
                          next_key_marker: str | None = None,
                          next_upload_id_marker: str | None = None,
                          encoding_url: bool | None = None) -> bytes:
    """ListMultipartUploads' ``ListMultipartUploadsResult``.

    The markers are always present (empty when there are none), ``Delimiter``
    and ``Prefix`` only when given, ``EncodingType`` only when asked for: as
    S3 answers.  Under ``encoding-type=url`` the keys, prefixes, delimiter and
    key markers are URL-encoded (:func:`ramod.s3.listing.url_encode`).

    :param encoding_url: None to follow ``params``.
    """
    if encoding_url is None:
        encoding_url = params.encoding_url

    def enc(text: str | None) -> str:
        text = text or ""
        return url_encode(text) if encoding_url else text

    return xml.build("ListMultipartUploadsResult", [
        ("Bucket", bucket),
        ("KeyMarker", enc(params.key_marker)), ("UploadIdMarker", params.upload_id_marker),
        ("NextKeyMarker", enc(next_key_marker)), ("NextUploadIdMarker", next_upload_id_marker or ""),
        ("Delimiter", enc(params.delimiter) if params.delimiter else None),
        ("Prefix", enc(params.prefix) if params.prefix else None),
        ("MaxUploads", params.max_uploads),
        ("EncodingType", (params.encoding_type or "url") if encoding_url else None),
        ("IsTruncated", truncated),
        *[("Upload", [("Key", enc(u.key)), ("UploadId", u.upload_id),
                      ("Initiator", _person(u.initiator)), ("Owner", _person(u.owner)),
                      ("StorageClass", u.storage_class), ("Initiated", u.initiated),
                      ("ChecksumAlgorithm", u.checksum_algorithm),
                      ("ChecksumType", u.checksum_type)])
          for u in uploads],
        *[("CommonPrefixes", [("Prefix", enc(prefix))]) for prefix in common_prefixes],
    ])
