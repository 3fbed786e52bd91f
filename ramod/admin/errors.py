"""Management API errors: the only place their codes and HTTP statuses live.

Rendered as ``{"error": code, "message": text}`` by ``ramod.admin.site``; anything
that is not an ``ApiError`` becomes ``internal_error`` (its traceback goes to the log).
"""


class ApiError(Exception):
    """An error a management API client sees."""

    code = "internal_error"
    status = 500
    default_message = "The server failed to handle the request; see its log."

    def __init__(self, message: str = ""):
        self.message = message or self.default_message
        super().__init__(self.message)
        #: extra response headers (Allow, WWW-Authenticate)
        self.headers: dict[str, str] = {}

    def body(self) -> dict:
        return {"error": self.code, "message": self.message}


def _error(name: str, code: str, status: int, message: str) -> type:
    return type(name, (ApiError,), {"code": code, "status": status, "default_message": message})


InvalidRequest = _error("InvalidRequest", "invalid_request", 400, "The request is not valid.")
InvalidBucketName = _error("InvalidBucketName", "invalid_bucket_name", 400,
                           "The bucket name is not valid.")
Unauthorized = _error("Unauthorized", "unauthorized", 401,
                      "Send the admin API key as 'Authorization: Bearer <key>'.")
NotFound = _error("NotFound", "not_found", 404, "There is no such API route.")
NoSuchCredential = _error("NoSuchCredential", "no_such_credential", 404,
                          "There is no credential with that id.")
NoSuchBucket = _error("NoSuchBucket", "no_such_bucket", 404, "There is no bucket with that name.")
NoSuchKey = _error("NoSuchKey", "no_such_key", 404, "There is no object with that key.")
NoSuchUpload = _error("NoSuchUpload", "no_such_upload", 404,
                      "There is no multipart upload in progress with that id.")
NoSuchPresignedUrl = _error("NoSuchPresignedUrl", "no_such_presigned_url", 404,
                            "There is no presigned URL with that id.")
MethodNotAllowed = _error("MethodNotAllowed", "method_not_allowed", 405,
                          "This route does not take that method.")
AccessKeyTaken = _error("AccessKeyTaken", "access_key_taken", 409,
                        "Another credential already has this access key.")
BucketAlreadyExists = _error("BucketAlreadyExists", "bucket_already_exists", 409,
                             "A bucket with this name already exists.")
BucketNotEmpty = _error("BucketNotEmpty", "bucket_not_empty", 409,
                        "The bucket holds objects or uploads; delete them or use force=true.")
CredentialInUse = _error("CredentialInUse", "credential_in_use", 409,
                         "This is the last key of a user who still owns buckets.")
RootCredentialProtected = _error("RootCredentialProtected", "root_credential_protected", 409,
                                 "The root credential can't be disabled, renamed or deleted.")
RequestTooLarge = _error("RequestTooLarge", "request_too_large", 413,
                         "The request body may be at most 1 MiB.")
ServiceUnavailable = _error("ServiceUnavailable", "service_unavailable", 503,
                            "The server can't answer just now; retry in a moment.")
