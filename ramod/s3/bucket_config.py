"""Bucket configurations Ramo does not keep: CORS, policy, lifecycle, website, logging...

Every bucket here is one nobody has configured, and :func:`answer` gives, for each
sub-resource, what Amazon S3 answers for such a bucket (a capture of S3's answers of
2026-09-29 and LocalStack's AWS-validated snapshots of February 2026):

- GET of a configuration that would be a document: S3's 404 (``NoSuchCORSConfiguration``,
  ``NoSuchBucketPolicy`` for ``?policy`` and ``?policyStatus``, ...), with S3's message
  and the ``BucketName``;
- GET of a setting that always has a value: its empty or default document, e.g.
  ``<VersioningConfiguration/>``, ``<Payer>BucketOwner</Payer>``;
- GET of ``?analytics``, ``?metrics``, ``?inventory``, ``?intelligent-tiering``: with an
  ``id``, 404 ``NoSuchConfiguration``; without, an empty list;
- DELETE: 204, since removing what is not there is no error in S3 (``NoSuchConfiguration``
  for an ``id`` of the four lists above).

Three answers differ from a bucket created on S3 today, which comes with defaults:
``?encryption`` (SSE-S3), ``?publicAccessBlock`` (all four blocks on) and
``?ownershipControls`` (``BucketOwnerEnforced``).  Ramo answers them as S3 does for a
bucket without them: it does not encrypt, so claiming SSE-S3 would be false, and it
keeps no such settings.

A PUT stores nothing: a configuration Ramo would not enforce must not look accepted, so
it is refused with ``NotImplemented`` naming it.  The exceptions change nothing and are
answered 200: ``?requestPayment`` with ``Payer`` ``BucketOwner``, ``?accelerate`` with
``Status`` ``Suspended``, and ``?logging`` / ``?notification`` documents that configure
nothing.  Versioning cannot be changed at all: after ``Suspended`` S3 would report
``<Status>Suspended</Status>``, which Ramo would not.
"""

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ramod.protocol import errors, xml
from ramod.s3.response import Response

__all__ = ["SUBRESOURCES", "answer", "handle_bucket_configuration"]

#: (status, XML body or None) for the response
Answer = tuple[int, bytes | None]


@dataclass(frozen=True)
class _Request:
    body: bytes
    query: dict
    bucket: str | None

    def extra(self) -> dict:
        """``BucketName`` for the error document, when the bucket is known."""
        return {"BucketName": self.bucket} if self.bucket else {}


Handler = Callable[[_Request], Answer]


# -- answers -------------------------------------------------------------------

def _not_found(error: type, message: str) -> Handler:
    def handler(request: _Request) -> Answer:
        raise error(message, **request.extra())
    return handler


def _document(root: str, spec: list | None = None) -> Handler:
    body = xml.build(root, spec or [])
    return lambda request: (200, body)


def _no_content(request: _Request) -> Answer:
    return 204, None


def _listed(list_root: str) -> Handler:
    """GET of a configuration kept as a list of ids: one by ``id``, else the list."""
    listing = xml.build(list_root, [("IsTruncated", False)])

    def handler(request: _Request) -> Answer:
        if "id" in request.query:
            raise _no_such_configuration()
        return 200, listing
    return handler


def _delete_listed(request: _Request) -> Answer:
    raise _no_such_configuration()


def _no_such_configuration() -> errors.S3Error:
    return errors.NoSuchConfiguration()


def _refuse(label: str) -> Handler:
    def handler(request: _Request) -> Answer:
        raise errors.NotImplemented(
            f"Ramo does not apply {label} configurations to buckets, so it does not accept "
            "one: a configuration it would not enforce is not stored.", **request.extra())
    return handler


def _root(request: _Request, name: str) -> etree._Element:
    root = xml.parse_xml(request.body)
    if xml.localname(root) != name:
        raise errors.MalformedXML("Expected a %s document, got <%s>." % (name, xml.localname(root)))
    return root


def _choice(root: etree._Element, name: str, values: tuple) -> str:
    value = xml.find_text(root, name)
    if value not in values or len(xml.children(root, name)) != 1:
        raise errors.MalformedXML("%s must be one of %s." % (name, ", ".join(values)))
    return value


def _put_versioning(request: _Request) -> Answer:
    root = _root(request, "VersioningConfiguration")
    if not xml.children(root, "Status") and not xml.children(root, "MfaDelete"):
        raise errors.IllegalVersioningConfigurationException(
            "The Versioning element must be specified")
    if xml.children(root, "Status"):
        _choice(root, "Status", ("Enabled", "Suspended"))
    raise errors.NotImplemented(
        "Ramo does not version objects, so a bucket's versioning state cannot be changed.",
        **request.extra())


def _put_request_payment(request: _Request) -> Answer:
    root = _root(request, "RequestPaymentConfiguration")
    if _choice(root, "Payer", ("BucketOwner", "Requester")) == "Requester":
        return _refuse("Requester Pays")(request)
    return 200, None


def _put_accelerate(request: _Request) -> Answer:
    root = _root(request, "AccelerateConfiguration")
    if _choice(root, "Status", ("Enabled", "Suspended")) == "Enabled":
        return _refuse("Transfer Acceleration")(request)
    return 200, None


def _put_logging(request: _Request) -> Answer:
    root = _root(request, "BucketLoggingStatus")
    if xml.children(root, "LoggingEnabled"):
        return _refuse("server access logging")(request)
    return 200, None


def _put_notification(request: _Request) -> Answer:
    root = _root(request, "NotificationConfiguration")
    if any(xml.localname(child) for child in root):
        return _refuse("event notification")(request)
    return 200, None


# -- the table -----------------------------------------------------------------

#: sub-resource -> {method: handler}; the ``methods`` of an operation S3 does not have
#: are left out and answered 405
_TABLE: dict[str, dict[str, Handler]] = {
    "cors": {
        "GET": _not_found(errors.NoSuchCORSConfiguration, "The CORS configuration does not exist"),
        "PUT": _refuse("CORS"), "DELETE": _no_content},
    "policy": {
        "GET": _not_found(errors.NoSuchBucketPolicy, "The bucket policy does not exist"),
        "PUT": _refuse("bucket policy"), "DELETE": _no_content},
    "policyStatus": {
        "GET": _not_found(errors.NoSuchBucketPolicy, "The bucket policy does not exist")},
    "lifecycle": {
        "GET": _not_found(errors.NoSuchLifecycleConfiguration,
                          "The lifecycle configuration does not exist"),
        "PUT": _refuse("lifecycle"), "DELETE": _no_content},
    "encryption": {
        # S3 answers a new bucket's default SSE-S3 configuration here; Ramo stores data
        # unencrypted, so it answers as S3 does for a bucket without encryption.
        "GET": _not_found(errors.ServerSideEncryptionConfigurationNotFoundError,
                          "The server side encryption configuration was not found"),
        "PUT": _refuse("default encryption"), "DELETE": _no_content},
    "website": {
        "GET": _not_found(errors.NoSuchWebsiteConfiguration,
                          "The specified bucket does not have a website configuration"),
        "PUT": _refuse("website"), "DELETE": _no_content},
    "publicAccessBlock": {
        "GET": _not_found(errors.NoSuchPublicAccessBlockConfiguration,
                          "The public access block configuration was not found"),
        "PUT": _refuse("public access block"), "DELETE": _no_content},
    "ownershipControls": {
        "GET": _not_found(errors.OwnershipControlsNotFoundError,
                          "The bucket ownership controls were not found"),
        "PUT": _refuse("ownership controls"), "DELETE": _no_content},
    "object-lock": {
        "GET": _not_found(errors.ObjectLockConfigurationNotFoundError,
                          "Object Lock configuration does not exist for this bucket"),
        "PUT": _refuse("Object Lock")},
    "replication": {
        "GET": _not_found(errors.ReplicationConfigurationNotFoundError,
                          "The replication configuration was not found"),
        "PUT": _refuse("replication"), "DELETE": _no_content},
    "logging": {"GET": _document("BucketLoggingStatus"), "PUT": _put_logging},
    "accelerate": {"GET": _document("AccelerateConfiguration"), "PUT": _put_accelerate},
    "requestPayment": {
        "GET": _document("RequestPaymentConfiguration", [("Payer", "BucketOwner")]),
        "PUT": _put_request_payment},
    "versioning": {"GET": _document("VersioningConfiguration"), "PUT": _put_versioning},
    "notification": {"GET": _document("NotificationConfiguration"), "PUT": _put_notification},
    # List roots as S3 sent them in the 2026 capture; the API reference names the first
    # ListBucketAnalyticsConfigurationResult and the last
    # ListBucketIntelligentTieringConfigurationsOutput.  botocore ignores the root's name.
    "analytics": {
        "GET": _listed("ListBucketAnalyticsConfigurationsResult"),
        "PUT": _refuse("analytics"), "DELETE": _delete_listed},
    "metrics": {
        "GET": _listed("ListMetricsConfigurationsResult"),
        "PUT": _refuse("metrics"), "DELETE": _delete_listed},
    "inventory": {
        "GET": _listed("ListInventoryConfigurationsResult"),
        "PUT": _refuse("inventory"), "DELETE": _delete_listed},
    "intelligent-tiering": {
        "GET": _listed("ListIntelligentTieringConfigurationsResult"),
        "PUT": _refuse("S3 Intelligent-Tiering"), "DELETE": _delete_listed},
}

#: the bucket sub-resources :func:`answer` handles
SUBRESOURCES = frozenset(_TABLE)


def answer(method: str, subresource: str, body: bytes, query: dict, *,
           bucket: str | None = None) -> Answer:
    """Answer a request on one of :data:`SUBRESOURCES` of an existing bucket.

    :param method: ``GET``, ``PUT`` or ``DELETE``.
    :param body: the request body (read by the PUTs that accept a no-op document).
    :param query: the query parameters (``id`` selects one analytics, metrics,
        inventory or intelligent-tiering configuration).
    :param bucket: the bucket's name, given in errors as ``BucketName``.
    :return: ``(status, body)``: 200 with an XML document, 200 or 204 with none.
    :raises S3Error: S3's answer for an unconfigured bucket (404s), ``NotImplemented``
        for a configuration Ramo would not apply, ``MalformedXML`` for a PUT body that
        is not the document S3 expects, ``MethodNotAllowed`` for a method S3 has no
        operation for on this sub-resource.
    """
    methods = _TABLE.get(subresource)
    if methods is None:
        raise errors.NotImplemented(f"The '{subresource}' sub-resource is not implemented.")
    handler = methods.get(method.upper())
    if handler is None:
        raise errors.MethodNotAllowed(
            f"{method} is not allowed on a bucket's ?{subresource}.", Method=method.upper())
    return handler(_Request(body, query, bucket))


async def handle_bucket_configuration(app, ctx, body: bytes) -> Response:
    """Every operation of ``ramod.protocol.operations.CONFIGURATIONS`` (GetBucketCors,
    PutBucketVersioning, DeletePublicAccessBlock, ...)."""
    status, document = answer(ctx.head.method, ctx.endpoint.operation.configuration, body,
                              ctx.head.query, bucket=ctx.bucket.name)
    if document is None:
        return Response(status)
    return Response.xml(document, status)
