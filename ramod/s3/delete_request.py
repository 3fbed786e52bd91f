"""DeleteObjects: the ``Delete`` request document and the ``DeleteResult`` reply.

The request names 1 to 1,000 objects: ``<Delete><Quiet>true</Quiet><Object><Key>k</Key>
<VersionId>v</VersionId></Object>...</Delete>``, ``Object`` repeated without a wrapper.
S3 answers an empty list and a list of more than 1,000 keys with ``MalformedXML``
(ceph s3-tests ``test_multi_object_delete_key_limit``; LocalStack), as it does an
``Object`` without its ``Key``.  Keys are taken exactly as the document holds them:
white space is kept, and a carriage return arrives only as ``&#13;`` (XML turns a raw
one into a line feed), which :func:`delete_result_document` writes back the same way.

``ETag``, ``LastModifiedTime`` and ``Size`` make a delete conditional; deletes here
are not, so a request using them is refused with ``NotImplemented`` rather than
carried out unconditionally.
"""

from lxml import etree

from ramod.protocol import xml
from ramod.protocol import errors

__all__ = ["MAX_KEYS", "delete_result_document", "parse_delete"]

MAX_KEYS = 1000
#: the largest request body read; matches ``ramod.http.site.MAX_SMALL_BODY``, which
#: already bounds what reaches us.  1,000 keys of 1,024 bytes need about 1.1 MB.
MAX_BODY = 2 * 1024 * 1024
_CONDITIONS = ("ETag", "LastModifiedTime", "Size")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def parse_delete(body: bytes) -> tuple[bool, list[tuple[str, str | None]]]:
    """Read the ``Delete`` document of a DeleteObjects request.

    :return: ``(quiet, [(key, version_id or None), ...])`` in document order.
    :raises MalformedXML: the body is not a well-formed ``Delete`` document, names no
        object or more than :data:`MAX_KEYS`, an ``Object`` has no ``Key`` (or an empty
        one), or ``Quiet`` is not a boolean.
    :raises NotImplemented: an ``Object`` carries a delete condition.
    """
    root = xml.parse_xml(body, max_size=MAX_BODY)
    if xml.localname(root) != "Delete":
        raise errors.MalformedXML("Expected a Delete document, got <%s>." % xml.localname(root))
    quiet = _quiet(root)
    objects = xml.children(root, "Object")
    if not objects:
        raise errors.MalformedXML("A Delete document must name at least one Object.")
    if len(objects) > MAX_KEYS:
        raise errors.MalformedXML("A Delete document names at most %d objects; this one names %d."
                                  % (MAX_KEYS, len(objects)))
    return quiet, [_identifier(obj) for obj in objects]


def _quiet(root: etree._Element) -> bool:
    found = xml.children(root, "Quiet")
    if not found:
        return False
    value = _BOOLEANS.get((found[-1].text or "").strip().lower()) if len(found) == 1 else None
    if value is None:
        raise errors.MalformedXML("Quiet must be given once, as true or false.")
    return value


def _identifier(obj: etree._Element) -> tuple[str, str | None]:
    conditions = [name for name in _CONDITIONS if xml.children(obj, name)]
    if conditions:
        raise errors.NotImplemented(
            "Conditional deletes (%s in DeleteObjects) are not supported." % ", ".join(conditions))
    key = _text(obj, "Key")
    if not key:
        raise errors.MalformedXML("Each Object must have a Key of at least one character.")
    return key, _text(obj, "VersionId")


def _text(obj: etree._Element, name: str) -> str | None:
    found = xml.children(obj, name)
    if not found:
        return None
    if len(found) > 1 or len(found[0]):
        raise errors.MalformedXML("An Object holds at most one %s, and only text in it." % name)
    return found[0].text or ""


def delete_result_document(deleted: list[tuple[str, str | None]], errors_: list[tuple],
                           quiet: bool) -> bytes:
    """The ``DeleteResult`` reply of DeleteObjects.

    :param deleted: ``(key, version_id or None)`` of each object deleted, in request
        order; left out entirely when ``quiet``.
    :param errors_: ``(key, code, message)`` or ``(key, code, message, version_id)`` of
        each object not deleted, always listed.
    """
    spec: list = []
    if not quiet:
        spec += [("Deleted", [("Key", key), ("VersionId", version)]) for key, version in deleted]
    for key, code, message, *rest in errors_:
        version = rest[0] if rest else None
        spec.append(("Error", [("Key", key), ("VersionId", version), ("Code", code),
                               ("Message", message)]))
    return xml.build("DeleteResult", spec)
