"""Every operation of the management API, declared once: method, path, handler, auth and
what its OpenAPI description says.  ``ramod.admin.routes`` routes requests with this
table and ``ramod.admin.openapi`` builds the document's ``paths`` from it, in its order.

Paths are tried in the order they first appear: a literal path (``.../objects/delete``)
comes before the template that also matches it (``.../objects/{key}``).
"""

from ramod.admin import buckets, credentials, meta, objects, presigned, uploads
from ramod.admin.openapi_components import ID, STRING
from ramod.admin.operation import ApiOperation, Auth, Ok, Query

STATS, CREDENTIALS, BUCKETS, OBJECTS, UPLOADS, PRESIGNED, META = (
    "Stats", "Credentials", "Buckets", "Objects", "Multipart uploads", "Presigned URLs", "Meta")
PAGE = ("limit", "cursor")

OPERATIONS: tuple[ApiOperation, ...] = (
    ApiOperation(
        "GET", "/openapi.json", meta.get_openapi, "getOpenApi", "This document", META,
        auth=Auth.PUBLIC, head=True,
        ok=Ok(200, {"type": "object", "required": ["openapi", "info", "paths"]},
              "The OpenAPI description of this API.")),
    ApiOperation(
        "GET", "/api/v1/stats", buckets.get_stats, "getStats",
        "Server-wide counts and storage", STATS, ok=Ok(200, "Stats", "The counts.")),
    # -- credentials
    ApiOperation(
        "GET", "/api/v1/credentials", credentials.list_credentials, "listCredentials",
        "List credentials", CREDENTIALS,
        query=(*PAGE, Query("user_name", STRING, "Only this user's keys.")),
        errors=(400,), ok=Ok(200, "CredentialPage", "A page of credentials.")),
    ApiOperation(
        "POST", "/api/v1/credentials", credentials.create_credential, "createCredential",
        "Create a credential", CREDENTIALS, body="CredentialCreate", errors=(400, 409),
        ok=Ok(201, "NewCredential", "Created; the only time the secret key is shown."),
        description="A taken access key gets 409 access_key_taken."),
    ApiOperation(
        "GET", "/api/v1/credentials/{id}", credentials.get_credential, "getCredential",
        "Get a credential and its user's buckets", CREDENTIALS,
        errors=(400, 404), ok=Ok(200, "CredentialDetail", "The credential.")),
    ApiOperation(
        "PATCH", "/api/v1/credentials/{id}", credentials.update_credential, "updateCredential",
        "Rename, enable, disable or rate-limit a credential", CREDENTIALS,
        body="CredentialUpdate", errors=(400, 404, 409),
        ok=Ok(200, "Credential", "The updated credential."),
        description="The root credential can't be disabled or renamed: 409 "
                    "root_credential_protected."),
    ApiOperation(
        "DELETE", "/api/v1/credentials/{id}", credentials.delete_credential, "deleteCredential",
        "Delete a credential", CREDENTIALS, errors=(400, 404, 409),
        ok=Ok(204, None, "Deleted."),
        description="The buckets this key created pass to another key of the same "
                    "user.  Root: 409 root_credential_protected; the user's last key "
                    "while the user owns buckets: 409 credential_in_use."),
    # -- buckets
    ApiOperation(
        "GET", "/api/v1/buckets", buckets.list_buckets, "listBuckets", "List buckets", BUCKETS,
        query=(*PAGE, "prefix", Query("owner_id", ID, "Only this credential's buckets.")),
        errors=(400, 404), ok=Ok(200, "BucketPage", "A page of buckets."),
        description="An `owner_id` that is no credential's: 404 no_such_credential."),
    ApiOperation(
        "POST", "/api/v1/buckets", buckets.create_bucket, "createBucket", "Create a bucket",
        BUCKETS, body="BucketCreate", errors=(400, 404, 409), ok=Ok(201, "Bucket", "Created."),
        description="A bad name: 400 invalid_bucket_name; a taken one: 409 "
                    "bucket_already_exists; an unknown owner: 404 no_such_credential."),
    ApiOperation(
        "GET", "/api/v1/buckets/{bucket}", buckets.get_bucket, "getBucket",
        "Get a bucket and a page of its objects", BUCKETS,
        query=(*PAGE, "prefix", "delimiter"), errors=(400, 404),
        ok=Ok(200, "BucketDetail", "The bucket.")),
    ApiOperation(
        "PATCH", "/api/v1/buckets/{bucket}", buckets.update_bucket, "updateBucket",
        "Set a bucket's quota or owner", BUCKETS, body="BucketUpdate",
        errors=(400, 404), ok=Ok(200, "Bucket", "The updated bucket.")),
    ApiOperation(
        "DELETE", "/api/v1/buckets/{bucket}", buckets.delete_bucket, "deleteBucket",
        "Delete a bucket", BUCKETS, errors=(400, 404, 409),
        query=(Query("force", {"type": "boolean", "default": False},
                     "Delete the objects and uploads in progress first."),),
        ok=Ok(204, None, "Deleted."),
        description="A bucket with objects or uploads in progress, without "
                    "`force=true`: 409 bucket_not_empty."),
    # -- objects
    ApiOperation(
        "GET", "/api/v1/buckets/{bucket}/objects", objects.list_objects, "listObjects",
        "List objects", OBJECTS, errors=(400, 404), query=("prefix", "delimiter", *PAGE),
        ok=Ok(200, "ObjectPage", "A page of objects.")),
    ApiOperation(
        "POST", "/api/v1/buckets/{bucket}/objects/delete", objects.delete_objects,
        "deleteObjects", "Delete up to 1000 objects", OBJECTS,
        body="DeleteObjectsRequest", errors=(400, 404),
        ok=Ok(200, "DeleteResult", "What was deleted; missing keys are errors no_such_key.")),
    ApiOperation(
        "GET", "/api/v1/buckets/{bucket}/objects/{key}", objects.get_object, "getObject",
        "Get everything stored about an object", OBJECTS,
        errors=(400, 404), ok=Ok(200, "Object", "The object.")),
    ApiOperation(
        "DELETE", "/api/v1/buckets/{bucket}/objects/{key}", objects.delete_object,
        "deleteObject", "Delete an object", OBJECTS, errors=(400, 404),
        ok=Ok(204, None, "Deleted."), description="A missing key: 404 no_such_key."),
    # -- multipart uploads
    ApiOperation(
        "GET", "/api/v1/buckets/{bucket}/multipart-uploads", uploads.list_uploads,
        "listMultipartUploads", "List uploads in progress", UPLOADS,
        errors=(400, 404), query=(*PAGE, "prefix"),
        ok=Ok(200, "UploadPage", "A page of uploads.")),
    ApiOperation(
        "GET", "/api/v1/buckets/{bucket}/multipart-uploads/{upload_id}", uploads.get_upload,
        "getMultipartUpload", "Get an upload in progress", UPLOADS,
        errors=(400, 404), ok=Ok(200, "Upload", "The upload.")),
    ApiOperation(
        "DELETE", "/api/v1/buckets/{bucket}/multipart-uploads/{upload_id}", uploads.abort_upload,
        "abortMultipartUpload", "Abort an upload and free its parts", UPLOADS,
        errors=(400, 404), ok=Ok(204, None, "Aborted.")),
    # -- presigned URLs
    ApiOperation(
        "GET", "/api/v1/presigned-urls", presigned.list_presigned_urls, "listPresignedUrls",
        "List active presigned URLs", PRESIGNED,
        query=(*PAGE, Query("bucket_name", STRING, "Only this bucket's URLs.")), errors=(400,),
        ok=Ok(200, "PresignedUrlPage", "A page of unexpired, unrevoked URLs.")),
    ApiOperation(
        "POST", "/api/v1/presigned-urls", presigned.create_presigned_url, "createPresignedUrl",
        "Make a presigned URL", PRESIGNED, body="PresignedUrlCreate", errors=(400, 404),
        ok=Ok(201, "PresignedUrl", "Made."),
        description="A key that is inactive or can't reach the bucket: 400 "
                    "invalid_request; no such bucket: 404 no_such_bucket."),
    ApiOperation(
        "GET", "/api/v1/presigned-urls/{id}", presigned.get_presigned_url, "getPresignedUrl",
        "Get a presigned URL, also when expired or revoked", PRESIGNED,
        errors=(400, 404), ok=Ok(200, "PresignedUrl", "The URL.")),
    ApiOperation(
        "DELETE", "/api/v1/presigned-urls/{id}", presigned.revoke_presigned_url,
        "revokePresignedUrl", "Revoke a presigned URL", PRESIGNED, errors=(400, 404),
        ok=Ok(204, None, "Revoked (also when it already was); S3 then answers it "
                         "with 403 AccessDenied.")),
)
