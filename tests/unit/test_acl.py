"""Tests for ramod.s3.acl: the private ACL document and what PutBucketAcl/PutObjectAcl accept."""

import botocore.session
import pytest
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from lxml import etree

from ramod.protocol.xml import S3_NS
from ramod.protocol import errors
from ramod.s3.acl import XSI_NS, acl_document, check_put_acl

OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OTHER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
NS = {"s3": S3_NS, "xsi": XSI_NS}
MODEL = botocore.session.get_session().get_service_model("s3")


def put_acl_body(policy: dict, operation: str = "PutObjectAcl") -> bytes:
    """The body botocore sends for an AccessControlPolicy (no network, no validation)."""
    serializer = create_serializer("rest-xml", include_validation=False)
    params = {"Bucket": "b", "AccessControlPolicy": policy}
    if operation == "PutObjectAcl":
        params["Key"] = "k"
    return serializer.serialize_to_request(params, MODEL.operation_model(operation))["body"]


def grant(grantee: dict, permission: str = "FULL_CONTROL") -> dict:
    return {"Grantee": grantee, "Permission": permission}


def owner_grant(permission: str = "FULL_CONTROL") -> dict:
    return grant({"Type": "CanonicalUser", "ID": OWNER}, permission)


def policy(*grants, owner=OWNER) -> dict:
    return {"Owner": {"ID": owner, "DisplayName": "me"}, "Grants": list(grants)}


# -- GetBucketAcl / GetObjectAcl ----------------------------------------------

def test_document_shape():
    body = acl_document(OWNER, "me")
    root = etree.fromstring(body)
    assert root.tag == "{%s}AccessControlPolicy" % S3_NS
    assert root.findtext("s3:Owner/s3:ID", namespaces=NS) == OWNER
    assert root.findtext("s3:Owner/s3:DisplayName", namespaces=NS) == "me"
    (grantee,) = root.findall("s3:AccessControlList/s3:Grant/s3:Grantee", NS)
    assert grantee.get("{%s}type" % XSI_NS) == "CanonicalUser"
    assert grantee.nsmap["xsi"] == XSI_NS
    assert grantee.findtext("s3:ID", namespaces=NS) == OWNER
    assert root.findtext("s3:AccessControlList/s3:Grant/s3:Permission", namespaces=NS) == "FULL_CONTROL"
    # S3 declares the xsi prefix on the Grantee element itself
    assert b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">' in body


@pytest.mark.parametrize("operation", ["GetObjectAcl", "GetBucketAcl"])
def test_botocore_reads_the_document(operation):
    parsed = RestXMLParser().parse(
        {"status_code": 200, "headers": {}, "body": acl_document(OWNER, "me")},
        MODEL.operation_model(operation).output_shape)
    assert parsed["Owner"] == {"ID": OWNER, "DisplayName": "me"}
    assert parsed["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": OWNER, "DisplayName": "me"},
                                 "Permission": "FULL_CONTROL"}]


def test_document_without_display_name():
    root = etree.fromstring(acl_document(OWNER))
    assert root.find(".//s3:DisplayName", NS) is None


def test_document_round_trips_through_check_put_acl():
    check_put_acl({}, acl_document(OWNER, "me"), OWNER)


# -- canned ACLs ---------------------------------------------------------------

def test_private_is_accepted():
    check_put_acl({"x-amz-acl": "private"}, b"", OWNER)
    check_put_acl({"x-amz-acl": "private"}, b"", OWNER, is_object=True)


def test_bucket_owner_full_control_only_for_objects():
    check_put_acl({"x-amz-acl": "bucket-owner-full-control"}, b"", OWNER, is_object=True)
    with pytest.raises(errors.NotImplemented):
        check_put_acl({"x-amz-acl": "bucket-owner-full-control"}, b"", OWNER)


@pytest.mark.parametrize("canned", ["public-read", "public-read-write", "authenticated-read",
                                    "aws-exec-read", "bucket-owner-read", "log-delivery-write"])
def test_other_canned_acls_are_not_implemented(canned):
    for is_object in (False, True):
        with pytest.raises(errors.NotImplemented) as e:
            check_put_acl({"x-amz-acl": canned}, b"", OWNER, is_object=is_object)
        assert e.value.status == 501
        assert canned in e.value.message and "private" in e.value.message


@pytest.mark.parametrize("canned", ["fake-acl", "Private", "", "public-ready"])
def test_unknown_canned_acl_is_invalid_argument(canned):
    with pytest.raises(errors.InvalidArgument) as e:
        check_put_acl({"x-amz-acl": canned}, b"", OWNER)
    assert e.value.extra == {"ArgumentName": "x-amz-acl", "ArgumentValue": canned}


# -- how the ACL is given ------------------------------------------------------

def test_nothing_given_is_missing_security_header():
    with pytest.raises(errors.MissingSecurityHeader) as e:
        check_put_acl({}, b"", OWNER)
    assert e.value.message == "Your request was missing a required header"
    assert e.value.extra == {"MissingHeaderName": "x-amz-acl"}
    with pytest.raises(errors.MissingSecurityHeader):
        check_put_acl({}, b"  \n", OWNER)


def test_canned_and_grants_together():
    headers = {"x-amz-acl": "private", "x-amz-grant-read": 'uri="%s"' % LOG_DELIVERY}
    with pytest.raises(errors.InvalidRequest) as e:
        check_put_acl(headers, b"", OWNER)
    assert e.value.message == "Specifying both Canned ACLs and Header Grants is not allowed"


@pytest.mark.parametrize("headers", [
    {"x-amz-acl": "private"},
    {"x-amz-grant-full-control": 'id="%s"' % OWNER},
])
def test_headers_and_body_together(headers):
    with pytest.raises(errors.UnexpectedContent) as e:
        check_put_acl(headers, acl_document(OWNER), OWNER)
    assert e.value.message == "This request does not support content"


# -- grant headers ---------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"x-amz-grant-full-control": 'id="%s"' % OWNER},
    {"x-amz-grant-read": 'uri="%s"' % LOG_DELIVERY},
    {"x-amz-grant-write": 'uri="%s", id="%s", id=%s' % (LOG_DELIVERY, OWNER, OTHER)},
    {"x-amz-grant-read-acp": 'emailAddress="xyz@amazon.com"'},
    {"x-amz-grant-write-acp": 'id="%s"' % OTHER, "x-amz-grant-read": 'id="%s"' % OTHER},
])
def test_grant_headers_are_not_implemented(headers):
    with pytest.raises(errors.NotImplemented) as e:
        check_put_acl(headers, b"", OWNER)
    assert all(name in e.value.message for name in headers)


@pytest.mark.parametrize("value, message, name, argument", [
    ('fakekey="1234"', "Argument format not recognized", "x-amz-grant-write", 'fakekey="1234"'),
    ("nonsense", "Argument format not recognized", "x-amz-grant-write", "nonsense"),
    ('uri="http://acs.amazonaws.com/groups/s3/FakeGroup"', "Invalid group uri", "uri",
     "http://acs.amazonaws.com/groups/s3/FakeGroup"),
    ('id="wrong-id"', "Invalid id", "id", "wrong-id"),
])
def test_malformed_grant_headers(value, message, name, argument):
    # LocalStack snapshots put-*-grant-acl-fake-key / -fake-uri / -wrong-id
    with pytest.raises(errors.InvalidArgument) as e:
        check_put_acl({"x-amz-grant-write": value}, b"", OWNER)
    assert e.value.message == message
    assert e.value.extra == {"ArgumentName": name, "ArgumentValue": argument}


# -- AccessControlPolicy bodies --------------------------------------------------

@pytest.mark.parametrize("operation", ["PutObjectAcl", "PutBucketAcl"])
def test_owner_full_control_body_from_botocore_is_accepted(operation):
    check_put_acl({}, put_acl_body(policy(owner_grant()), operation), OWNER)
    # the same grant twice still grants nothing else
    check_put_acl({}, put_acl_body(policy(owner_grant(), owner_grant())), OWNER)
    # canonical IDs are hex: case does not matter
    check_put_acl({}, put_acl_body(policy(grant({"Type": "CanonicalUser", "ID": OWNER.upper()}),
                                          owner=OWNER.upper())), OWNER)


def test_body_without_namespace_or_display_names():
    body = ('<AccessControlPolicy><Owner><ID>{0}</ID></Owner><AccessControlList><Grant>'
            '<Grantee xmlns:xsi="{1}" xsi:type="CanonicalUser"><ID>{0}</ID></Grantee>'
            '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>'
            '</AccessControlPolicy>').format(OWNER, XSI_NS).encode()
    check_put_acl({}, body, OWNER)


@pytest.mark.parametrize("grants", [
    [owner_grant("READ")],                                            # less for the owner
    [owner_grant(), owner_grant("READ")],
    [],                                                               # the owner loses access
    [owner_grant(), grant({"Type": "CanonicalUser", "ID": OTHER}, "READ")],
    [owner_grant(), grant({"Type": "Group", "URI": LOG_DELIVERY}, "WRITE")],
    [owner_grant(), grant({"Type": "AmazonCustomerByEmail", "EmailAddress": "a@b.c"})],
])
def test_other_grants_are_not_implemented(grants):
    with pytest.raises(errors.NotImplemented) as e:
        check_put_acl({}, put_acl_body(policy(*grants)), OWNER)
    assert "FULL_CONTROL" in e.value.message


@pytest.mark.parametrize("body", [
    # LocalStack put-*-acp-acl-1: no Owner
    put_acl_body({"Grants": [grant({"Type": "Group", "URI": LOG_DELIVERY}, "WRITE")]}),
    # put-*-acp-acl-2: a permission S3 does not define
    put_acl_body(policy(owner_grant("WRONG-PERMISSION"))),
    # put-*-acp-acl-6: a grantee type S3 does not define
    put_acl_body(policy(grant({"Type": "BadType", "ID": OWNER}))),
    # put-*-empty-acp
    put_acl_body({}),
    put_acl_body({"Owner": {"ID": OWNER}}),                            # no AccessControlList
    b"<AccessControlPolicy><Owner><ID>%s</ID></Owner><AccessControlList><Grant>"
    b"<Grantee><ID>%s</ID></Grantee><Permission>READ</Permission></Grant>"
    b"</AccessControlList></AccessControlPolicy>" % (OWNER.encode(), OWNER.encode()),  # no xsi:type
    b"<Other/>",
    b"<AccessControlPolicy>",
    b"garbage",
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<AccessControlPolicy><Owner><ID>&x;</ID></Owner></AccessControlPolicy>",
])
def test_malformed_policies(body):
    with pytest.raises(errors.MalformedACLError) as e:
        check_put_acl({}, body, OWNER)
    assert (e.value.code, e.value.status) == ("MalformedACLError", 400)


@pytest.mark.parametrize("policy_, argument_name, argument_value", [
    # put-*-acp-acl-3: a malformed Owner ID
    (policy(owner_grant(), owner="wrong-id"), "CanonicalUser/ID", "wrong-id"),
    # put-*-acp-acl-4: an unknown group
    (policy(grant({"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/FakeGroup"})),
     "Group/URI", "http://acs.amazonaws.com/groups/s3/FakeGroup"),
    # put-*-acp-acl-5: a malformed grantee ID
    (policy(grant({"Type": "CanonicalUser", "ID": "wrong-id"})), "CanonicalUser/ID", "wrong-id"),
])
def test_invalid_ids_and_uris(policy_, argument_name, argument_value):
    with pytest.raises(errors.InvalidArgument) as e:
        check_put_acl({}, put_acl_body(policy_), OWNER)
    assert e.value.extra == {"ArgumentName": argument_name, "ArgumentValue": argument_value}


def test_policy_naming_another_owner():
    with pytest.raises(errors.InvalidArgument) as e:
        check_put_acl({}, put_acl_body(policy(owner_grant(), owner=OTHER)), OWNER)
    assert e.value.extra["ArgumentValue"] == OTHER
