"""Tests for ramod.s3.bucket_config: S3's answers for a bucket nobody configured."""

import botocore.session
import pytest
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from lxml import etree

from ramod.protocol.operations import CONFIGURATIONS
from ramod.protocol.xml import S3_NS
from ramod.protocol import errors
from ramod.s3 import bucket_config
from ramod.s3.bucket_config import SUBRESOURCES, answer

MODEL = botocore.session.get_session().get_service_model("s3")


def put_body(operation: str, **params) -> bytes:
    """The body botocore sends for ``operation`` (no network, no validation)."""
    serializer = create_serializer("rest-xml", include_validation=False)
    request = serializer.serialize_to_request({"Bucket": "b", **params},
                                              MODEL.operation_model(operation))
    return request["body"]


def botocore_reads(operation: str, body: bytes) -> dict:
    parsed = RestXMLParser().parse({"status_code": 200, "headers": {}, "body": body},
                                   MODEL.operation_model(operation).output_shape)
    parsed.pop("ResponseMetadata")
    return parsed


def test_subresources_are_the_routers():
    """The router names an operation for exactly the sub-resources and methods answered here."""
    assert SUBRESOURCES == set(CONFIGURATIONS)
    for subresource, rows in CONFIGURATIONS.items():
        assert set(rows) - {"LIST"} == set(bucket_config._TABLE[subresource]), subresource


# -- GET -----------------------------------------------------------------------

@pytest.mark.parametrize("subresource, error, message", [
    ("cors", errors.NoSuchCORSConfiguration, "The CORS configuration does not exist"),
    ("policy", errors.NoSuchBucketPolicy, "The bucket policy does not exist"),
    ("policyStatus", errors.NoSuchBucketPolicy, "The bucket policy does not exist"),
    ("lifecycle", errors.NoSuchLifecycleConfiguration, "The lifecycle configuration does not exist"),
    ("encryption", errors.ServerSideEncryptionConfigurationNotFoundError,
     "The server side encryption configuration was not found"),
    ("website", errors.NoSuchWebsiteConfiguration,
     "The specified bucket does not have a website configuration"),
    ("publicAccessBlock", errors.NoSuchPublicAccessBlockConfiguration,
     "The public access block configuration was not found"),
    ("ownershipControls", errors.OwnershipControlsNotFoundError,
     "The bucket ownership controls were not found"),
    ("object-lock", errors.ObjectLockConfigurationNotFoundError,
     "Object Lock configuration does not exist for this bucket"),
    ("replication", errors.ReplicationConfigurationNotFoundError,
     "The replication configuration was not found"),
])
def test_get_missing_configuration(subresource, error, message):
    with pytest.raises(error) as e:
        answer("GET", subresource, b"", {subresource: ""}, bucket="my-bucket")
    assert e.value.status == 404
    assert e.value.message == message
    assert e.value.extra == {"BucketName": "my-bucket"}
    with pytest.raises(error) as e:
        answer("GET", subresource, b"", {})
    assert e.value.extra == {}


@pytest.mark.parametrize("subresource, root, operation, parsed", [
    ("logging", "BucketLoggingStatus", "GetBucketLogging", {}),
    ("accelerate", "AccelerateConfiguration", "GetBucketAccelerateConfiguration", {}),
    ("requestPayment", "RequestPaymentConfiguration", "GetBucketRequestPayment",
     {"Payer": "BucketOwner"}),
    ("versioning", "VersioningConfiguration", "GetBucketVersioning", {}),
    ("notification", "NotificationConfiguration", "GetBucketNotificationConfiguration", {}),
    ("analytics", "ListBucketAnalyticsConfigurationsResult", "ListBucketAnalyticsConfigurations",
     {"IsTruncated": False}),
    ("metrics", "ListMetricsConfigurationsResult", "ListBucketMetricsConfigurations",
     {"IsTruncated": False}),
    ("inventory", "ListInventoryConfigurationsResult", "ListBucketInventoryConfigurations",
     {"IsTruncated": False}),
    ("intelligent-tiering", "ListIntelligentTieringConfigurationsResult",
     "ListBucketIntelligentTieringConfigurations", {"IsTruncated": False}),
])
def test_get_documents(subresource, root, operation, parsed):
    status, body = answer("GET", subresource, b"", {subresource: ""})
    assert status == 200
    element = etree.fromstring(body)
    assert element.tag == "{%s}%s" % (S3_NS, root)
    assert botocore_reads(operation, body) == parsed


def test_empty_documents_are_empty():
    for subresource in ("logging", "accelerate", "versioning", "notification"):
        assert len(etree.fromstring(answer("GET", subresource, b"", {})[1])) == 0


@pytest.mark.parametrize("subresource", ["analytics", "metrics", "inventory", "intelligent-tiering"])
def test_configuration_by_id(subresource):
    for method in ("GET", "DELETE"):
        with pytest.raises(errors.S3Error) as e:
            answer(method, subresource, b"", {subresource: "", "id": "report1"}, bucket="b")
        assert (e.value.code, e.value.status) == ("NoSuchConfiguration", 404)
        assert e.value.message == "The specified configuration does not exist."
    with pytest.raises(errors.S3Error, match="configuration does not exist"):
        answer("DELETE", subresource, b"", {})


# -- DELETE --------------------------------------------------------------------

@pytest.mark.parametrize("subresource", ["cors", "policy", "lifecycle", "encryption", "website",
                                         "publicAccessBlock", "ownershipControls", "replication"])
def test_delete_of_nothing_is_no_content(subresource):
    assert answer("DELETE", subresource, b"", {}) == (204, None)


@pytest.mark.parametrize("method, subresource", [
    ("DELETE", "policyStatus"), ("PUT", "policyStatus"), ("DELETE", "object-lock"),
    ("DELETE", "versioning"), ("DELETE", "logging"), ("DELETE", "accelerate"),
    ("DELETE", "requestPayment"), ("DELETE", "notification"), ("HEAD", "cors"), ("POST", "policy"),
])
def test_methods_without_an_operation(method, subresource):
    with pytest.raises(errors.MethodNotAllowed) as e:
        answer(method, subresource, b"", {})
    assert e.value.status == 405
    assert e.value.extra == {"Method": method}


def test_unknown_subresource():
    with pytest.raises(errors.NotImplemented):
        answer("GET", "tagging", b"", {})


# -- PUT -----------------------------------------------------------------------

@pytest.mark.parametrize("subresource, label, body", [
    ("cors", "CORS", put_body("PutBucketCors", CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})),
    ("policy", "bucket policy", b'{"Version": "2012-10-17", "Statement": []}'),
    ("lifecycle", "lifecycle", put_body("PutBucketLifecycleConfiguration", LifecycleConfiguration={
        "Rules": [{"ID": "r", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]})),
    ("encryption", "default encryption", put_body("PutBucketEncryption",
     ServerSideEncryptionConfiguration={"Rules": [
         {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})),
    ("website", "website", put_body("PutBucketWebsite", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}})),
    ("publicAccessBlock", "public access block", put_body("PutPublicAccessBlock",
     PublicAccessBlockConfiguration={"BlockPublicAcls": True})),
    ("ownershipControls", "ownership controls", put_body("PutBucketOwnershipControls",
     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})),
    ("object-lock", "Object Lock", b"<ObjectLockConfiguration/>"),
    ("replication", "replication", b"<ReplicationConfiguration/>"),
    ("analytics", "analytics", b"<AnalyticsConfiguration/>"),
    ("metrics", "metrics", b"<MetricsConfiguration/>"),
    ("inventory", "inventory", b"<InventoryConfiguration/>"),
    ("intelligent-tiering", "S3 Intelligent-Tiering", b"<IntelligentTieringConfiguration/>"),
    ("cors", "CORS", b"not even xml"),   # refused before the body is read
])
def test_put_is_not_implemented(subresource, label, body):
    with pytest.raises(errors.NotImplemented) as e:
        answer("PUT", subresource, body, {subresource: ""}, bucket="b")
    assert e.value.status == 501
    assert label in e.value.message and "Ramo does not apply" in e.value.message
    assert e.value.extra == {"BucketName": "b"}


@pytest.mark.parametrize("subresource, body", [
    ("requestPayment", put_body("PutBucketRequestPayment",
                                RequestPaymentConfiguration={"Payer": "BucketOwner"})),
    ("accelerate", put_body("PutBucketAccelerateConfiguration",
                            AccelerateConfiguration={"Status": "Suspended"})),
    ("logging", put_body("PutBucketLogging", BucketLoggingStatus={})),
    ("logging", b"<BucketLoggingStatus><!-- nothing --></BucketLoggingStatus>"),
    ("notification", put_body("PutBucketNotificationConfiguration", NotificationConfiguration={})),
])
def test_puts_that_change_nothing_are_accepted(subresource, body):
    assert answer("PUT", subresource, body, {}) == (200, None)


@pytest.mark.parametrize("subresource, body, label", [
    ("requestPayment", put_body("PutBucketRequestPayment",
                                RequestPaymentConfiguration={"Payer": "Requester"}), "Requester Pays"),
    ("accelerate", put_body("PutBucketAccelerateConfiguration",
                            AccelerateConfiguration={"Status": "Enabled"}), "Transfer Acceleration"),
    ("logging", put_body("PutBucketLogging", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "logs", "TargetPrefix": "p/"}}), "server access logging"),
    ("notification", put_body("PutBucketNotificationConfiguration", NotificationConfiguration={
        "EventBridgeConfiguration": {}}), "event notification"),
])
def test_puts_that_would_change_something(subresource, body, label):
    with pytest.raises(errors.NotImplemented) as e:
        answer("PUT", subresource, body, {})
    assert label in e.value.message


@pytest.mark.parametrize("status", ["Enabled", "Suspended"])
def test_versioning_cannot_be_changed(status):
    body = put_body("PutBucketVersioning", VersioningConfiguration={"Status": status})
    with pytest.raises(errors.NotImplemented, match="versioning"):
        answer("PUT", "versioning", body, {})


def test_empty_versioning_configuration():
    # LocalStack put-versioning-empty, AWS-validated
    body = put_body("PutBucketVersioning", VersioningConfiguration={})
    with pytest.raises(errors.S3Error) as e:
        answer("PUT", "versioning", body, {})
    assert (e.value.code, e.value.status) == ("IllegalVersioningConfigurationException", 400)
    assert e.value.message == "The Versioning element must be specified"


@pytest.mark.parametrize("subresource, body", [
    # LocalStack snapshots (AWS-validated): lower case or unknown values are MalformedXML
    ("versioning", put_body("PutBucketVersioning", VersioningConfiguration={"Status": "enabled"})),
    ("versioning", put_body("PutBucketVersioning", VersioningConfiguration={"Status": "Disabled"})),
    ("accelerate", put_body("PutBucketAccelerateConfiguration",
                            AccelerateConfiguration={"Status": "suspended"})),
    ("accelerate", put_body("PutBucketAccelerateConfiguration", AccelerateConfiguration={})),
    ("requestPayment", put_body("PutBucketRequestPayment",
                                RequestPaymentConfiguration={"Payer": "Someone"})),
    ("requestPayment", b"<RequestPaymentConfiguration><Payer>BucketOwner</Payer>"
                       b"<Payer>BucketOwner</Payer></RequestPaymentConfiguration>"),
    ("logging", b"<LoggingStatus/>"),
    ("notification", b""),
    ("logging", b"<BucketLoggingStatus>"),
    ("requestPayment", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       b"<RequestPaymentConfiguration><Payer>&x;</Payer></RequestPaymentConfiguration>"),
    ("accelerate", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                   b"<AccelerateConfiguration><Status>&b;</Status></AccelerateConfiguration>"),
])
def test_malformed_put_bodies(subresource, body):
    with pytest.raises(errors.MalformedXML) as e:
        answer("PUT", subresource, body, {})
    assert e.value.status == 400


def test_method_is_case_insensitive():
    assert answer("get", "versioning", b"", {})[0] == 200
