"""S3 XML for clients: reading the server's answers, and building the few request documents.

On ``xml.etree.ElementTree``, hardened as far as the standard library allows: a document
is size-capped and must be UTF-8 without NUL characters (so expat reads the text that is
checked), and any DOCTYPE or other declaration is refused before expat sees it; without one
no entity can be declared, so none can expand or reach a file or the network.
Lookups match local names, so answers with or without the S3 namespace read the same.
"""

import re
import xml.etree.ElementTree as ET

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_DOCUMENT_BYTES = 16 << 20

# Checked on the decoded text; may refuse a literal "<!DOCTYPE" inside CDATA, which no S3
# answer holds.
_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)


class MalformedXML(ValueError):
    """A document that is empty, too large, not UTF-8, not well-formed or has declarations."""


def parse_xml(body: bytes, max_size: int = MAX_DOCUMENT_BYTES) -> ET.Element:
    """The root element of an S3 XML document.

    :raises MalformedXML: see the class.
    """
    if len(body) > max_size:
        raise MalformedXML(f"the document is {len(body)} bytes long; at most {max_size} are read")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedXML(f"the document is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise MalformedXML("the document is empty")
    if "\x00" in text:  # never in XML; at the start, expat would read UTF-16
        raise MalformedXML("the document holds a NUL character")
    if _DECLARATIONS.search(text):
        raise MalformedXML("documents with a DOCTYPE or entity declarations are refused")
    try:
        # read as UTF-8 whatever encoding the document declares
        return ET.fromstring(body, ET.XMLParser(encoding="utf-8"))
    except ET.ParseError as exc:
        raise MalformedXML(f"the document is not well-formed XML: {exc}") from None


def localname(elem: ET.Element) -> str:
    """The tag of ``elem`` without its ``{namespace}``."""
    return elem.tag.rpartition("}")[2]


def children(elem: ET.Element, name: str) -> list[ET.Element]:
    """The direct children of ``elem`` whose local name is ``name``, in document order."""
    return [child for child in elem if localname(child) == name]


def find_text(elem: ET.Element, name: str, default: str | None = None) -> str | None:
    """The text of the first direct child called ``name`` (any namespace): ``""`` for an
    empty element, ``default`` when there is none."""
    for child in children(elem, name):
        return child.text or ""
    return default


def build(root_name: str, spec) -> bytes:
    """A UTF-8 document in the S3 namespace from a nested spec.

    :param spec: a mapping or a list of ``(name, value)`` pairs (a list allows repeated
        names); a value that is a mapping or a list becomes nested elements, any other
        its element's text.
    """
    root = ET.Element(root_name, xmlns=S3_NS)
    _fill(root, spec)
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode")).encode("utf-8")


def _fill(parent: ET.Element, spec) -> None:
    for name, value in spec.items() if isinstance(spec, dict) else spec:
        child = ET.SubElement(parent, name)
        if isinstance(value, (dict, list, tuple)):
            _fill(child, value)
        else:
            child.text = str(value)
