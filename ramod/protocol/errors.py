"""S3 error classes: the only place where S3 error codes and HTTP statuses live.

Every failure a client can see is one of these.  ``ramod.http.resource`` renders
them as S3 XML (``ramod.protocol.xml.error_document``); anything that is not an
``S3Error`` becomes ``InternalError``.
"""


class S3Error(Exception):
    """Base class: an S3 error with its code, HTTP status and a readable message."""

    code = "InternalError"
    status = 500
    default_message = "We encountered an internal error. Please try again."

    def __init__(self, message: str = "", resource: str = "", **extra: str):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.resource = resource
        #: extra elements rendered inside <Error> (e.g. BucketName, Key, RequestTime)
        self.extra = extra
        #: extra response headers, e.g. Retry-After
        self.headers: dict[str, str] = {}


def _error(name: str, status: int, message: str) -> type:
    return type(name, (S3Error,), {"code": name, "status": status, "default_message": message})


InternalError = S3Error

# 400
AuthorizationHeaderMalformed = _error(
    "AuthorizationHeaderMalformed", 400, "The authorization header is malformed.")
AuthorizationQueryParametersError = _error(
    "AuthorizationQueryParametersError", 400,
    "The query-string authentication parameters are malformed.")
BadDigest = _error(
    "BadDigest", 400, "The Content-MD5 or checksum you specified did not match what we received.")
EntityTooSmall = _error(
    "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.")
EntityTooLarge = _error(
    "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")
IncompleteBody = _error(
    "IncompleteBody", 400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.")
InvalidArgument = _error("InvalidArgument", 400, "Invalid Argument.")
InvalidBucketName = _error("InvalidBucketName", 400, "The specified bucket is not valid.")
InvalidDigest = _error("InvalidDigest", 400, "The Content-MD5 or checksum you specified is not valid.")
InvalidRequest = _error("InvalidRequest", 400, "Invalid Request.")
InvalidStorageClass = _error("InvalidStorageClass", 400,
                             "The storage class you specified is not valid.")
InvalidLocationConstraint = _error(
    "InvalidLocationConstraint", 400, "The specified location constraint is not valid.")
IllegalLocationConstraintException = _error(
    "IllegalLocationConstraintException", 400,
    "The location constraint is incompatible with the region this request was sent to.")
KeyTooLongError = _error("KeyTooLongError", 400, "Your key is too long.")
MaxMessageLengthExceeded = _error("MaxMessageLengthExceeded", 400, "Your request was too big.")
MalformedXML = _error(
    "MalformedXML", 400,
    "The XML you provided was not well-formed or did not validate against our published schema.")
MetadataTooLarge = _error(
    "MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.")
MissingSecurityHeader = _error(
    "MissingSecurityHeader", 400, "Your request is missing a required header.")
RequestTimeout = _error(
    "RequestTimeout", 400,
    "Your socket connection to the server was not read from or written to within the timeout period.")
UnexpectedContent = _error("UnexpectedContent", 400, "This request does not support content.")
XAmzContentSHA256Mismatch = _error(
    "XAmzContentSHA256Mismatch", 400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.")
InvalidURI = _error("InvalidURI", 400, "Couldn't parse the specified URI.")
InvalidPart = _error(
    "InvalidPart", 400,
    "One or more of the specified parts could not be found. The part might not have been "
    "uploaded, or the specified entity tag might not have matched the part's entity tag.")
InvalidPartOrder = _error(
    "InvalidPartOrder", 400,
    "The list of parts was not in ascending order. The parts list must be specified in order by part number.")

BadRequest = _error("BadRequest", 400, "Bad Request.")
IllegalVersioningConfigurationException = _error(
    "IllegalVersioningConfigurationException", 400,
    "The versioning configuration specified in the request is invalid.")
InvalidTag = _error("InvalidTag", 400, "The tag provided was not a valid tag.")
MalformedACLError = _error(
    "MalformedACLError", 400,
    "The XML you provided was not well-formed or did not validate against our published schema.")
InvalidObjectState = _error(
    "InvalidObjectState", 403, "The operation is not valid for the current state of the object.")
# 403
AccessDenied = _error("AccessDenied", 403, "Access Denied")
QuotaExceeded = _error(
    "QuotaExceeded", 403, "The bucket's quota does not leave room for this upload.")
InvalidAccessKeyId = _error(
    "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")
RequestTimeTooSkewed = _error(
    "RequestTimeTooSkewed", 403,
    "The difference between the request time and the server's time is too large.")
SignatureDoesNotMatch = _error(
    "SignatureDoesNotMatch", 403,
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.")

# 404
NoSuchBucket = _error("NoSuchBucket", 404, "The specified bucket does not exist.")
NoSuchKey = _error("NoSuchKey", 404, "The specified key does not exist.")
NoSuchUpload = _error(
    "NoSuchUpload", 404,
    "The specified multipart upload does not exist. The upload ID might be invalid, "
    "or the multipart upload might have been aborted or completed.")

NoSuchVersion = _error(
    "NoSuchVersion", 404, "The specified version does not exist.")
NoSuchConfiguration = _error(
    "NoSuchConfiguration", 404, "The specified configuration does not exist.")
NoSuchTagSet = _error("NoSuchTagSet", 404, "The TagSet does not exist.")
NoSuchCORSConfiguration = _error(
    "NoSuchCORSConfiguration", 404, "The CORS configuration does not exist.")
NoSuchBucketPolicy = _error("NoSuchBucketPolicy", 404, "The bucket policy does not exist.")
NoSuchLifecycleConfiguration = _error(
    "NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist.")
NoSuchWebsiteConfiguration = _error(
    "NoSuchWebsiteConfiguration", 404, "The specified bucket does not have a website configuration.")
NoSuchPublicAccessBlockConfiguration = _error(
    "NoSuchPublicAccessBlockConfiguration", 404,
    "The public access block configuration was not found.")
ServerSideEncryptionConfigurationNotFoundError = _error(
    "ServerSideEncryptionConfigurationNotFoundError", 404,
    "The server side encryption configuration was not found.")
OwnershipControlsNotFoundError = _error(
    "OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found.")
ObjectLockConfigurationNotFoundError = _error(
    "ObjectLockConfigurationNotFoundError", 404,
    "Object Lock configuration does not exist for this bucket.")
ReplicationConfigurationNotFoundError = _error(
    "ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found.")
# 405, 409, 411, 412, 416
MethodNotAllowed = _error(
    "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
BucketAlreadyExists = _error(
    "BucketAlreadyExists", 409,
    "The requested bucket name is not available. The bucket namespace is shared by all users "
    "of the system. Please select a different name and try again.")
BucketAlreadyOwnedByYou = _error(
    "BucketAlreadyOwnedByYou", 409,
    "The bucket you tried to create already exists, and you own it.")
BucketNotEmpty = _error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty.")
OperationAborted = _error(
    "OperationAborted", 409,
    "A conflicting conditional operation is currently in progress against this resource. Please try again.")
MissingContentLength = _error(
    "MissingContentLength", 411, "You must provide the Content-Length HTTP header.")
PreconditionFailed = _error(
    "PreconditionFailed", 412, "At least one of the preconditions you specified did not hold.")
InvalidRange = _error("InvalidRange", 416, "The requested range is not satisfiable.")
InvalidPartNumber = _error("InvalidPartNumber", 416, "The requested partnumber is not satisfiable.")

# 5xx
NotImplemented = _error(  # noqa: A001 - the S3 code is literally NotImplemented
    "NotImplemented", 501, "A header or query you provided implies functionality that is not implemented.")
SlowDown = _error("SlowDown", 503, "Please reduce your request rate.")
InsufficientStorage = _error(
    "InsufficientStorage", 507, "The server has no disk space left to store this object.")
ServiceUnavailable = _error("ServiceUnavailable", 503, "Please reduce your request rate.")


class NotModified(S3Error):
    """Not an error for the client: 304 with no body (If-None-Match / If-Modified-Since)."""

    code = "NotModified"
    status = 304
    default_message = "Not Modified"
