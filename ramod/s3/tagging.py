"""Object and bucket tags: the ``x-amz-tagging`` header, the ``Tagging`` document, S3's limits.

PutObject, CreateMultipartUpload and CopyObject carry tags in a header,
``x-amz-tagging: k1=v1&k2=v2`` (URL query encoded, UTF-8); PutObjectTagging and
PutBucketTagging in a ``Tagging`` document.  Both are held to the rules of
:func:`validate_tags`, with the codes and messages Amazon S3 answers (LocalStack's
AWS-validated snapshots of February 2026; terraform-provider-aws #19895 and #41747,
aws-cli #2841, versitygw #1232 for what S3 sent):

- more than 10 tags on an object, or 50 on a bucket: 400 ``BadRequest``,
  "Object tags cannot be greater than 10" / "Bucket tag count cannot be greater than 50";
- a key given twice: ``InvalidTag`` "Cannot provide multiple Tags with the same key"
  in a document, ``InvalidArgument`` "The header 'x-amz-tagging' shall be encoded ..."
  in the header (which also answers a pair holding more than one ``=``);
- a key starting ``aws:``: ``InvalidTag``, "Your TagKey cannot be prefixed with aws:"
  on an object, "System tags cannot be added/updated by requester" on a bucket;
- a key that is empty, longer than 128 or holds a character outside the allowed set:
  ``InvalidTag`` "The TagKey you have provided is invalid"; a value longer than 256 or
  with such a character: "The TagValue you have provided is invalid".

The allowed characters are Unicode letters, numbers and separators (spaces) and
``_ . : / = + - @`` (``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``, the pattern AWS tag APIs
publish).  Lengths count UTF-16 code units: "Amazon S3 object tags are internally
represented in UTF-16" (user guide, object-tagging).

A ``Tagging`` document without a ``TagSet``, or with an empty one, is an empty tag set:
S3 accepts both and removes the existing tags.  A ``Tag`` without its ``Key`` or its
``Value`` element is ``MalformedXML``; an empty ``<Value/>`` is the empty value.
"""

import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_to_bytes

from lxml import etree

from ramod.protocol import xml
from ramod.protocol import errors

__all__ = [
    "BUCKET_TAG_LIMIT", "MAX_KEY_LENGTH", "MAX_VALUE_LENGTH", "OBJECT_TAG_LIMIT",
    "parse_tagging_document", "parse_tagging_header", "tag_count", "tagging_document",
    "validate_tags",
]

OBJECT_TAG_LIMIT = 10
BUCKET_TAG_LIMIT = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256

#: the wording S3 uses for each kind of tag set: (too many tags, an ``aws:`` key)
_WORDING = {
    OBJECT_TAG_LIMIT: ("Object tags cannot be greater than 10",
                       "Your TagKey cannot be prefixed with aws:"),
    BUCKET_TAG_LIMIT: ("Bucket tag count cannot be greater than 50",
                       "System tags cannot be added/updated by requester"),
}
_SYMBOLS = frozenset("_.:/=+-@")
_HEADER_MESSAGE = ("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                   "URL query parameters without tag name duplicates.")


# -- the x-amz-tagging header --------------------------------------------------

def parse_tagging_header(value: str) -> dict[str, str]:
    """Read and validate the ``x-amz-tagging`` header of an object write.

    ``k1=v1&k2=v2``, each side percent-encoded UTF-8 with ``+`` for a space; a pair
    without ``=`` is a key with the empty value (``foo=bar&bar`` gives ``bar`` = ``""``).

    :param value: the header as received (latin-1 text, one character per byte).
    :return: the tags, in header order.
    :raises InvalidArgument: a pair holds more than one ``=``, a key repeats, or a
        part is not percent-encoded UTF-8.
    :raises InvalidTag: a tag breaks S3's rules (see :func:`validate_tags`); more than
        10 tags is ``BadRequest``.
    """
    tags: dict[str, str] = {}
    for pair in value.split("&"):
        if not pair:
            continue
        if pair.count("=") > 1:
            raise _header_error(value)
        raw_key, _, raw_value = pair.partition("=")
        key, text = _decode_component(raw_key, value), _decode_component(raw_value, value)
        if key in tags:
            raise _header_error(value)
        tags[key] = text
    validate_tags(tags, OBJECT_TAG_LIMIT)
    return tags


def _decode_component(raw: str, header: str) -> str:
    try:
        data = raw.encode("latin-1")
    except UnicodeEncodeError:  # not as it came off the wire; take the text as it is
        data = raw.encode("utf-8")
    try:
        return unquote_to_bytes(data.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise _header_error(header) from None


def _header_error(header: str) -> errors.S3Error:
    return errors.InvalidArgument(_HEADER_MESSAGE, ArgumentName="x-amz-tagging",
                                  ArgumentValue=header)


# -- the Tagging document ------------------------------------------------------

def parse_tagging_document(body: bytes) -> dict[str, str]:
    """Read the ``Tagging`` body of PutObjectTagging or PutBucketTagging.

    Only the document's form is checked here (and keys given twice, which a dict
    cannot carry); call :func:`validate_tags` with the right limit next.

    :return: the tags, in document order; empty for ``<Tagging/>`` or ``<TagSet/>``.
    :raises MalformedXML: the body is not a well-formed ``Tagging`` document, or a
        ``Tag`` lacks its ``Key`` or ``Value``.
    :raises InvalidTag: a key appears in two tags.
    """
    root = xml.parse_xml(body)
    if xml.localname(root) != "Tagging":
        raise errors.MalformedXML("Expected a Tagging document, got <%s>." % xml.localname(root))
    _only_children(root, {"TagSet"})
    tag_sets = xml.children(root, "TagSet")
    if len(tag_sets) > 1:
        raise errors.MalformedXML("A Tagging document holds one TagSet.")
    tags: dict[str, str] = {}
    for tag_set in tag_sets:
        _only_children(tag_set, {"Tag"})
        for tag in xml.children(tag_set, "Tag"):
            _only_children(tag, {"Key", "Value"})
            key, value = _leaf_text(tag, "Key"), _leaf_text(tag, "Value")
            if key in tags:
                raise errors.InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key)
            tags[key] = value
    return tags


def _only_children(elem: etree._Element, allowed: set) -> None:
    for child in elem:
        if xml.localname(child) not in allowed:
            raise errors.MalformedXML("<%s> is not expected inside <%s>."
                                      % (xml.localname(child), xml.localname(elem)))


def _leaf_text(elem: etree._Element, name: str) -> str:
    found = xml.children(elem, name)
    if len(found) != 1 or len(found[0]):
        raise errors.MalformedXML("Each Tag needs exactly one %s holding text." % name)
    return found[0].text or ""


# -- rules ---------------------------------------------------------------------

def validate_tags(tags: Mapping[str, str] | Iterable[tuple[str, str]], limit: int) -> None:
    """Hold a tag set to S3's rules, in S3's order; raise the first broken one.

    :param tags: a mapping, or ``(key, value)`` pairs (where repeated keys are caught).
    :param limit: :data:`OBJECT_TAG_LIMIT` for an object's tags, :data:`BUCKET_TAG_LIMIT`
        for a bucket's; it also picks S3's wording for that kind of tag set.
    :raises InvalidTag: see the module documentation; too many tags has the code
        ``BadRequest``, as S3 sends it.
    """
    if limit not in _WORDING:
        raise ValueError("limit must be OBJECT_TAG_LIMIT or BUCKET_TAG_LIMIT, not %r" % limit)
    too_many, reserved = _WORDING[limit]
    pairs = list(tags.items() if isinstance(tags, Mapping) else tags)
    if len(pairs) > limit:
        raise errors.BadRequest(too_many)
    seen: set[str] = set()
    for key, value in pairs:
        if key in seen:
            raise errors.InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key)
        seen.add(key)
        if key.startswith("aws:"):
            raise errors.InvalidTag(reserved, TagKey=key)
        if not 1 <= _length(key) <= MAX_KEY_LENGTH or not _allowed(key):
            raise errors.InvalidTag("The TagKey you have provided is invalid", TagKey=key)
        if _length(value) > MAX_VALUE_LENGTH or not _allowed(value):
            raise errors.InvalidTag("The TagValue you have provided is invalid",
                                    TagKey=key, TagValue=value)


def _length(text: str) -> int:
    """Length in UTF-16 code units, as S3 counts tag keys and values."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _allowed(text: str) -> bool:
    return all(c in _SYMBOLS or unicodedata.category(c)[0] in "LNZ" for c in text)


# -- responses -----------------------------------------------------------------

def tagging_document(tags: Mapping[str, str]) -> bytes:
    """The ``Tagging`` reply of GetObjectTagging / GetBucketTagging, tags in key order.

    An object without tags gives ``<Tagging><TagSet/></Tagging>``, as S3 does (a bucket
    without tags is ``NoSuchTagSet`` instead, which is the caller's to raise).
    """
    return xml.build("Tagging", [
        ("TagSet", [("Tag", [("Key", key), ("Value", tags[key])]) for key in sorted(tags)]),
    ])


def tag_count(tags: Mapping[str, str]) -> str | None:
    """The ``x-amz-tagging-count`` header value of GetObject / HeadObject.

    :return: the number of tags as text, or None when there are none (S3 then sends
        no header).
    """
    return str(len(tags)) if tags else None
