"""S3 XML: a hardened parser for request bodies and builders for response documents.

Requests come from the network, so :func:`parse_xml` refuses anything that
could make libxml2 read a file, open a connection or expand entities: any
DOCTYPE or entity declaration is rejected before and after parsing, entities
are never resolved, and documents are size-capped and read as UTF-8.
Clients send elements with or without the S3 namespace, so lookups
(:func:`find_text`, :func:`children`) match local names only.

Responses are built with :func:`build` from a small nested spec, e.g.::

    build("ListAllMyBucketsResult", [
        ("Owner", {"ID": "abc", "DisplayName": "me"}),
        ("Buckets", [("Bucket", {"Name": "b", "CreationDate": created})]),
    ])
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from lxml import etree

from ramod.protocol.dates import iso8601_millis
from ramod.protocol.errors import MalformedXML

__all__ = [
    "S3_NS", "build", "children", "element", "error_document", "find_text", "iso8601_millis",
    "list_buckets_document", "localname", "location_constraint_document",
    "parse_create_bucket_configuration", "parse_xml", "to_bytes",
]

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
DEFAULT_REGION = "us-east-1"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: children of an element: a mapping or a list of ``(name, value)`` pairs, where
#: a value is a scalar (element text), None (no element) or a nested Spec
Spec = Mapping[str, Any] | Iterable[tuple[str, Any]]

# Checked on the raw bytes before libxml2 sees them.  This may refuse a
# document with a literal "<!DOCTYPE" inside CDATA; no S3 request needs one.
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- parsing -------------------------------------------------------------------

def parse_xml(body: bytes, max_size: int = 1 << 20) -> etree._Element:
    """Parse an XML request body safely and return its root element.

    :param body: the raw request body.
    :param max_size: the largest body accepted, in bytes.
    :raises MalformedXML: the body is empty, too large, not well-formed UTF-8
        XML, or contains a DOCTYPE or other declaration.
    """
    if len(body) > max_size:
        raise MalformedXML("The XML document is %d bytes long; at most %d bytes are accepted."
                           % (len(body), max_size))
    if not body.strip():
        raise MalformedXML("The request body is empty, but an XML document is required.")
    if _DECLARATIONS.search(body):
        raise MalformedXML("XML documents with a DOCTYPE or entity declarations are not accepted.")
    parser = etree.XMLParser(
        encoding="utf-8", resolve_entities=False, no_network=True, load_dtd=False,
        dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        detail = getattr(exc, "msg", None) or str(exc)
        raise MalformedXML("The XML you provided was not well-formed: %s." % detail) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MalformedXML("XML documents with a DOCTYPE or entity declarations are not accepted.")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise MalformedXML("XML entity references are not accepted.")
    return root


def localname(elem: etree._Element) -> str:
    """The tag of ``elem`` without its namespace (``""`` for comments and the like)."""
    return etree.QName(elem).localname if isinstance(elem.tag, str) else ""


def children(elem: etree._Element, name: str) -> list[etree._Element]:
    """The direct children of ``elem`` whose local name is ``name``, in document order."""
    return [child for child in elem if localname(child) == name]


def find_text(elem: etree._Element, name: str, default: str | None = None) -> str | None:
    """The text of the first direct child called ``name`` (any namespace).

    :return: the text, ``""`` for an empty element, or ``default`` when there is
        no such child.
    """
    for child in children(elem, name):
        return child.text or ""
    return default


def parse_create_bucket_configuration(body: bytes) -> str | None:
    """Read the region a CreateBucket request asks for.

    :param body: the request body, possibly empty.
    :return: the ``LocationConstraint`` text, or None when the body is empty or
        names no constraint.
    :raises MalformedXML: the body is not a ``CreateBucketConfiguration`` document.
    """
    if not body.strip():
        return None
    root = parse_xml(body)
    if localname(root) != "CreateBucketConfiguration":
        raise MalformedXML("Expected a CreateBucketConfiguration document, got <%s>."
                           % localname(root))
    return (find_text(root, "LocationConstraint") or "").strip() or None


# -- building ------------------------------------------------------------------

def _text(value: "str | int | bool | datetime") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso8601_millis(value)
    # lxml refuses control characters (and lone surrogates); S3 clients that may
    # meet such keys ask for EncodingType=url, which callers must apply first.
    return _NOT_XML.sub("\ufffd", str(value))


def _pairs(spec: Spec) -> Iterable[tuple[str, Any]]:
    return spec.items() if isinstance(spec, Mapping) else spec


def _fill(parent: etree._Element, spec: Spec, namespace: str | None) -> None:
    for name, value in _pairs(spec):
        if value is None:
            continue  # absent: use "" for an empty element
        child = etree.SubElement(parent, _tag(name, namespace))
        if isinstance(value, (Mapping, list, tuple)):
            _fill(child, value, namespace)
        else:
            child.text = _text(value)


def _tag(name: str, namespace: str | None) -> str:
    return "{%s}%s" % (namespace, name) if namespace else name


def element(name: str, spec: Spec | str | None = (), *,
            namespace: str | None = S3_NS) -> etree._Element:
    """Build an element from a spec (see :func:`build`) without serializing it."""
    root = etree.Element(_tag(name, namespace), nsmap={None: namespace} if namespace else None)
    if isinstance(spec, (Mapping, list, tuple)):
        _fill(root, spec, namespace)
    elif spec is not None:
        root.text = _text(spec)
    return root


def to_bytes(root: etree._Element) -> bytes:
    """Serialize an element as a UTF-8 document with its XML declaration."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def build(root_name: str, spec: Spec | str | None = (), *,
          namespace: str | None = S3_NS) -> bytes:
    """Build a whole response document.

    :param root_name: the root element's name.
    :param spec: the children, as a mapping or a list of ``(name, value)``
        pairs (a list allows repeated names).  A value that is a mapping or a
        list becomes nested elements; None omits the element; ``""`` gives an
        empty one; bools are ``true``/``false``; datetimes are ISO 8601.
        A scalar spec becomes the root's text.
    :param namespace: the default namespace; None for none (as in ``<Error>``).
    """
    return to_bytes(element(root_name, spec, namespace=namespace))


def error_document(code: str, message: str, resource: str, request_id: str,
                   extra: Mapping[str, str] | None = None) -> bytes:
    """The ``<Error>`` body of a failed request (S3 sends it without a namespace).

    :param extra: further elements placed after ``Message``, e.g. ``BucketName``,
        ``Key``, ``ActualObjectSize``.
    """
    spec = [("Code", code), ("Message", message)]
    spec += [(name, value) for name, value in (extra or {}).items()
             if name not in ("Code", "Message", "Resource", "RequestId")]
    spec += [("Resource", resource), ("RequestId", request_id)]
    return build("Error", spec, namespace=None)


def list_buckets_document(owner_id: str, owner_name: str,
                          buckets: Iterable[tuple], continuation_token: str | None = None,
                          prefix: str | None = None) -> bytes:
    """The ``ListAllMyBucketsResult`` of ListBuckets.

    :param buckets: ``(name, creation_date)`` or ``(name, creation_date, region)`` tuples,
        in the order to list them.
    :param continuation_token: where the next page starts, if there is one.
    """
    return build("ListAllMyBucketsResult", [
        ("Owner", [("ID", owner_id), ("DisplayName", owner_name)]),
        ("Buckets", [("Bucket", [("Name", b[0]), ("CreationDate", b[1])]
                      + ([("BucketRegion", b[2])] if len(b) > 2 else []))
                     for b in buckets]),
        ("ContinuationToken", continuation_token),
        ("Prefix", prefix),
    ])


def location_constraint_document(region: str) -> bytes:
    """The GetBucketLocation reply: empty for us-east-1, as S3 does, else the region."""
    return build("LocationConstraint", None if region in ("", DEFAULT_REGION) else region)
