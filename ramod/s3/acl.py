"""Access control lists: what GetBucketAcl / GetObjectAcl answer, what PutBucketAcl /
PutObjectAcl may ask for.

Every bucket and object here is private to its owner, so the one ACL there is, and
the one :func:`acl_document` writes, is S3's ``private``: the owner has
``FULL_CONTROL`` and nobody else anything.  It is also what S3 itself answers for
buckets with ACLs disabled (Object Ownership "bucket owner enforced", the default
since April 2023).

:func:`check_put_acl` accepts a PUT of an ACL only when it asks for exactly that
ACL: the canned ``private`` (or, for an object, ``bucket-owner-full-control``), or a
policy whose grants all give the owner ``FULL_CONTROL``.  Anything else would need
ACLs this server does not keep, and is refused with ``NotImplemented`` rather than
ignored.  Before that, requests S3 itself refuses get S3's answers (LocalStack's
AWS-validated snapshots of ``test_s3_bucket_acl_exceptions`` and
``test_s3_object_acl_exceptions``, February 2026):

- no ``x-amz-acl``, no ``x-amz-grant-*`` and no body: ``MissingSecurityHeader``;
- a canned ACL and grant headers: ``InvalidRequest`` "Specifying both Canned ACLs and
  Header Grants is not allowed"; either of them and a body: ``UnexpectedContent``;
- a canned ACL S3 does not define: ``InvalidArgument`` naming ``x-amz-acl``;
- a grant header that is not ``type="value", ...``: ``InvalidArgument`` "Argument
  format not recognized"; a canonical ID that is not 64 hex digits "Invalid id"; a
  group URI S3 does not define "Invalid group uri";
- a body that is not an ``AccessControlPolicy`` with an ``Owner`` and an
  ``AccessControlList``, a permission or grantee type S3 does not define:
  ``MalformedACLError``.
"""

import re

from lxml import etree

from ramod.protocol import xml
from ramod.protocol import errors

__all__ = ["CANNED_ACLS", "XSI_NS", "acl_document", "check_put_acl"]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: every canned ACL S3 defines (user guide, acl-overview "Canned ACL")
CANNED_ACLS = frozenset({
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
})
#: the canned ACLs that mean what a bucket / an object here already is
_PRIVATE_BUCKET_ACLS = frozenset({"private"})
_PRIVATE_OBJECT_ACLS = frozenset({"private", "bucket-owner-full-control"})

GROUPS = frozenset({
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "http://acs.amazonaws.com/groups/s3/LogDelivery",
})
PERMISSIONS = frozenset({"FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"})
#: header -> the permission it grants
GRANT_HEADERS = {
    "x-amz-grant-read": "READ", "x-amz-grant-write": "WRITE",
    "x-amz-grant-read-acp": "READ_ACP", "x-amz-grant-write-acp": "WRITE_ACP",
    "x-amz-grant-full-control": "FULL_CONTROL",
}
_CANONICAL_ID = re.compile(r"[0-9a-fA-F]{64}")
_PRIVATE_ONLY = "buckets and objects are private to their owner"


def acl_document(owner_id: str, owner_name: str | None = None) -> bytes:
    """The ``AccessControlPolicy`` of GetBucketAcl / GetObjectAcl: the owner's
    ``FULL_CONTROL`` and nothing else.

    The grantee is typed with an ``xsi:type`` attribute, the namespace declared on
    the ``Grantee`` element as S3 sends it; botocore reads the attribute as the
    grantee's ``Type``.

    :param owner_name: the ``DisplayName`` to send, or None to send none (S3 stopped
        sending display names in November 2025).
    """
    root = xml.element("AccessControlPolicy",
                       [("Owner", [("ID", owner_id), ("DisplayName", owner_name)])])
    grant = etree.SubElement(etree.SubElement(root, _s3("AccessControlList")), _s3("Grant"))
    grantee = etree.SubElement(grant, _s3("Grantee"), nsmap={"xsi": XSI_NS})
    grantee.set("{%s}type" % XSI_NS, "CanonicalUser")
    etree.SubElement(grantee, _s3("ID")).text = owner_id
    if owner_name is not None:
        etree.SubElement(grantee, _s3("DisplayName")).text = owner_name
    etree.SubElement(grant, _s3("Permission")).text = "FULL_CONTROL"
    return xml.to_bytes(root)


def _s3(name: str) -> str:
    return "{%s}%s" % (xml.S3_NS, name)


def check_put_acl(headers: dict, body: bytes, owner_id: str, *, is_object: bool = False) -> None:
    """Accept a PutBucketAcl / PutObjectAcl only if it asks for the private ACL.

    :param headers: request headers with lower-case names.
    :param body: the request body (empty, or an ``AccessControlPolicy``).
    :param owner_id: the canonical ID of the bucket's or object's owner.
    :param is_object: True for PutObjectAcl, which also accepts
        ``bucket-owner-full-control`` (the object's owner is the bucket's).
    :raises MissingSecurityHeader, InvalidRequest, UnexpectedContent, InvalidArgument,
        MalformedACLError: as S3 answers such a request (see the module documentation).
    :raises NotImplemented: the ACL would grant something to someone other than the
        owner, or less than ``FULL_CONTROL`` to the owner.
    """
    canned = headers.get("x-amz-acl")
    grants = [(name, headers[name]) for name in GRANT_HEADERS if name in headers]
    has_body = bool(body.strip())
    if canned is None and not grants and not has_body:
        raise errors.MissingSecurityHeader("Your request was missing a required header",
                                           MissingHeaderName="x-amz-acl")
    if canned is not None and grants:
        raise errors.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
    if (canned is not None or grants) and has_body:
        raise errors.UnexpectedContent("This request does not support content")
    if canned is not None:
        _check_canned(canned, is_object)
    elif grants:
        _check_grant_headers(grants)
    else:
        _check_policy(body, owner_id)


def _check_canned(canned: str, is_object: bool) -> None:
    if canned not in CANNED_ACLS:
        raise errors.InvalidArgument(ArgumentName="x-amz-acl", ArgumentValue=canned)
    if canned not in (_PRIVATE_OBJECT_ACLS if is_object else _PRIVATE_BUCKET_ACLS):
        raise errors.NotImplemented(
            f"The canned ACL {canned!r} is not supported: {_PRIVATE_ONLY}.")


def _check_grant_headers(grants: list) -> None:
    """Check the grant headers' form as S3 does, then refuse them: Ramo keeps no grants."""
    for name, value in grants:
        for item in value.split(","):
            item = item.strip()
            kind, sep, grantee = (part.strip() for part in item.partition("="))
            grantee = grantee.strip('"')
            if not sep or kind not in ("id", "uri", "emailAddress"):
                raise errors.InvalidArgument("Argument format not recognized",
                                             ArgumentName=name, ArgumentValue=item)
            if kind == "uri" and grantee not in GROUPS:
                raise errors.InvalidArgument("Invalid group uri", ArgumentName="uri",
                                             ArgumentValue=grantee)
            if kind == "id" and not _CANONICAL_ID.fullmatch(grantee):
                raise errors.InvalidArgument("Invalid id", ArgumentName="id", ArgumentValue=grantee)
    names = ", ".join(name for name, _ in grants)
    raise errors.NotImplemented(f"ACL grants ({names}) are not supported: {_PRIVATE_ONLY}.")


def _check_policy(body: bytes, owner_id: str) -> None:
    try:
        root = xml.parse_xml(body)
    except errors.MalformedXML as e:
        raise errors.MalformedACLError(e.message) from None
    if xml.localname(root) != "AccessControlPolicy":
        raise _malformed("Expected an AccessControlPolicy document, got <%s>." % xml.localname(root))
    owners = xml.children(root, "Owner")
    acls = xml.children(root, "AccessControlList")
    if len(owners) != 1 or len(acls) != 1:
        raise _malformed("An AccessControlPolicy holds one Owner and one AccessControlList.")
    policy_owner = xml.find_text(owners[0], "ID", "")
    if not _CANONICAL_ID.fullmatch(policy_owner):
        raise errors.InvalidArgument("Invalid id", ArgumentName="CanonicalUser/ID",
                                     ArgumentValue=policy_owner)
    if policy_owner.lower() != owner_id.lower():
        raise errors.InvalidArgument(
            "The Owner of an access control policy must be the current owner; "
            "ownership cannot be changed.", ArgumentName="CanonicalUser/ID",
            ArgumentValue=policy_owner)
    grants = [_read_grant(grant) for grant in xml.children(acls[0], "Grant")]
    owner_grant = ("CanonicalUser", owner_id.lower(), "FULL_CONTROL")
    if not grants or any(grant != owner_grant for grant in grants):
        raise errors.NotImplemented(
            "Only an ACL granting FULL_CONTROL to the owner and nothing else is supported: "
            f"{_PRIVATE_ONLY}.")


def _read_grant(grant: etree._Element) -> tuple[str, str, str]:
    """``(type, who, permission)`` of one ``Grant``, checked as S3 checks it."""
    permission = xml.find_text(grant, "Permission")
    grantees = xml.children(grant, "Grantee")
    if permission not in PERMISSIONS or len(grantees) != 1:
        raise _malformed("Each Grant holds one Grantee and a Permission S3 defines.")
    grantee = grantees[0]
    kind = grantee.get("{%s}type" % XSI_NS)
    if kind == "CanonicalUser":
        who = xml.find_text(grantee, "ID", "")
        if not _CANONICAL_ID.fullmatch(who):
            raise errors.InvalidArgument("Invalid id", ArgumentName="CanonicalUser/ID",
                                         ArgumentValue=who)
        return kind, who.lower(), permission
    if kind == "Group":
        who = xml.find_text(grantee, "URI", "")
        if who not in GROUPS:
            raise errors.InvalidArgument("Invalid group uri", ArgumentName="Group/URI",
                                         ArgumentValue=who)
        return kind, who, permission
    if kind == "AmazonCustomerByEmail":
        return kind, xml.find_text(grantee, "EmailAddress", ""), permission
    raise _malformed("A Grantee's xsi:type is CanonicalUser, Group or AmazonCustomerByEmail.")


def _malformed(detail: str) -> errors.S3Error:
    return errors.MalformedACLError(
        "The XML you provided was not well-formed or did not validate against our "
        "published schema: " + detail)
