"""The S3 operations Ramo answers, one row each: the table the router and the front read.

Each row carries the operation's AWS API name, the IAM action S3 checks for it (the
names of AWS's "Actions, resources, and condition keys for Amazon S3"; bucket policies
are evaluated on them), and how the front treats it: whether its body is object data
(streamed to a staging file, never held in memory), whether it needs an existing
bucket (else NoSuchBucket before the body is read), and whether the object is fetched
in the same database round trip as the credential.

The handler of each operation is in ``ramod.s3.handlers``: a search for an operation's
AWS name finds its row here and its handler there.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One S3 API operation and how the front handles it."""

    #: the AWS API name, e.g. ``"CompleteMultipartUpload"``
    name: str
    #: the IAM action S3 authorizes it with, e.g. ``"s3:PutObject"``
    action: str
    #: the IAM action when the request names a ``versionId`` (None: the same)
    version_action: str | None = None
    #: the body is object data, streamed to a staging file
    streams_body: bool = False
    #: it acts on a bucket that must exist
    needs_bucket: bool = True
    #: the object is read with the credential, in one database round trip
    prefetches_object: bool = False
    #: the bucket configuration (sub-resource) it reads or writes, if it is one
    configuration: str | None = None

    def __str__(self) -> str:
        return self.name


def _op(name: str, action: str, **flags) -> Operation:
    return Operation(name, action, **flags)


# -- the service, buckets and listings --------------------------------------------

LIST_BUCKETS = _op("ListBuckets", "s3:ListAllMyBuckets", needs_bucket=False)
CREATE_BUCKET = _op("CreateBucket", "s3:CreateBucket", needs_bucket=False)
HEAD_BUCKET = _op("HeadBucket", "s3:ListBucket")
DELETE_BUCKET = _op("DeleteBucket", "s3:DeleteBucket")
GET_BUCKET_LOCATION = _op("GetBucketLocation", "s3:GetBucketLocation")
LIST_OBJECTS = _op("ListObjects", "s3:ListBucket")
LIST_OBJECTS_V2 = _op("ListObjectsV2", "s3:ListBucket")
LIST_OBJECT_VERSIONS = _op("ListObjectVersions", "s3:ListBucketVersions")
LIST_MULTIPART_UPLOADS = _op("ListMultipartUploads", "s3:ListBucketMultipartUploads")
DELETE_OBJECTS = _op("DeleteObjects", "s3:DeleteObject")
GET_BUCKET_ACL = _op("GetBucketAcl", "s3:GetBucketAcl")
PUT_BUCKET_ACL = _op("PutBucketAcl", "s3:PutBucketAcl")
GET_BUCKET_TAGGING = _op("GetBucketTagging", "s3:GetBucketTagging")
PUT_BUCKET_TAGGING = _op("PutBucketTagging", "s3:PutBucketTagging")
DELETE_BUCKET_TAGGING = _op("DeleteBucketTagging", "s3:PutBucketTagging")

# -- objects ------------------------------------------------------------------------

PUT_OBJECT = _op("PutObject", "s3:PutObject", streams_body=True)
COPY_OBJECT = _op("CopyObject", "s3:PutObject")
GET_OBJECT = _op("GetObject", "s3:GetObject", version_action="s3:GetObjectVersion",
                 prefetches_object=True)
HEAD_OBJECT = _op("HeadObject", "s3:GetObject", version_action="s3:GetObjectVersion",
                  prefetches_object=True)
DELETE_OBJECT = _op("DeleteObject", "s3:DeleteObject", version_action="s3:DeleteObjectVersion")
GET_OBJECT_ACL = _op("GetObjectAcl", "s3:GetObjectAcl", version_action="s3:GetObjectVersionAcl")
PUT_OBJECT_ACL = _op("PutObjectAcl", "s3:PutObjectAcl", version_action="s3:PutObjectVersionAcl")
GET_OBJECT_TAGGING = _op("GetObjectTagging", "s3:GetObjectTagging",
                         version_action="s3:GetObjectVersionTagging")
PUT_OBJECT_TAGGING = _op("PutObjectTagging", "s3:PutObjectTagging",
                         version_action="s3:PutObjectVersionTagging")
DELETE_OBJECT_TAGGING = _op("DeleteObjectTagging", "s3:DeleteObjectTagging",
                            version_action="s3:DeleteObjectVersionTagging")

# -- multipart uploads --------------------------------------------------------------

CREATE_MULTIPART_UPLOAD = _op("CreateMultipartUpload", "s3:PutObject")
UPLOAD_PART = _op("UploadPart", "s3:PutObject", streams_body=True)
UPLOAD_PART_COPY = _op("UploadPartCopy", "s3:PutObject")
COMPLETE_MULTIPART_UPLOAD = _op("CompleteMultipartUpload", "s3:PutObject")
ABORT_MULTIPART_UPLOAD = _op("AbortMultipartUpload", "s3:AbortMultipartUpload")
LIST_PARTS = _op("ListParts", "s3:ListMultipartUploadParts")


# -- bucket configurations Ramo does not keep (answered by ramod.s3.bucket_config) --

def _configuration(subresource: str, get: tuple | None, put: tuple | None,
                   delete: tuple | None = None, listed: tuple | None = None) -> dict:
    """{method: Operation} of one bucket sub-resource; each argument is (AWS name, action).

    ``listed``: the GET without an ``id`` of a configuration kept as a list of ids.
    """
    rows = {}
    for method, spec in (("GET", get), ("PUT", put), ("DELETE", delete), ("LIST", listed)):
        if spec is not None:
            rows[method] = _op(spec[0], spec[1], configuration=subresource)
    return rows


#: sub-resource -> {method: Operation}; "LIST" is a GET without ``?id=``
CONFIGURATIONS: dict[str, dict[str, Operation]] = {
    "cors": _configuration(
        "cors", ("GetBucketCors", "s3:GetBucketCORS"), ("PutBucketCors", "s3:PutBucketCORS"),
        ("DeleteBucketCors", "s3:PutBucketCORS")),
    "policy": _configuration(
        "policy", ("GetBucketPolicy", "s3:GetBucketPolicy"),
        ("PutBucketPolicy", "s3:PutBucketPolicy"), ("DeleteBucketPolicy", "s3:DeleteBucketPolicy")),
    "policyStatus": _configuration(
        "policyStatus", ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"), None),
    "lifecycle": _configuration(
        "lifecycle", ("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
        ("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
        ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration")),
    "encryption": _configuration(
        "encryption", ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
        ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
        ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration")),
    "website": _configuration(
        "website", ("GetBucketWebsite", "s3:GetBucketWebsite"),
        ("PutBucketWebsite", "s3:PutBucketWebsite"),
        ("DeleteBucketWebsite", "s3:DeleteBucketWebsite")),
    "publicAccessBlock": _configuration(
        "publicAccessBlock", ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock")),
    "ownershipControls": _configuration(
        "ownershipControls", ("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
        ("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
        ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls")),
    "object-lock": _configuration(
        "object-lock", ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
        ("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration")),
    "replication": _configuration(
        "replication", ("GetBucketReplication", "s3:GetReplicationConfiguration"),
        ("PutBucketReplication", "s3:PutReplicationConfiguration"),
        ("DeleteBucketReplication", "s3:PutReplicationConfiguration")),
    "logging": _configuration(
        "logging", ("GetBucketLogging", "s3:GetBucketLogging"),
        ("PutBucketLogging", "s3:PutBucketLogging")),
    "accelerate": _configuration(
        "accelerate", ("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration"),
        ("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration")),
    "requestPayment": _configuration(
        "requestPayment", ("GetBucketRequestPayment", "s3:GetBucketRequestPayment"),
        ("PutBucketRequestPayment", "s3:PutBucketRequestPayment")),
    "versioning": _configuration(
        "versioning", ("GetBucketVersioning", "s3:GetBucketVersioning"),
        ("PutBucketVersioning", "s3:PutBucketVersioning")),
    "notification": _configuration(
        "notification", ("GetBucketNotificationConfiguration", "s3:GetBucketNotification"),
        ("PutBucketNotificationConfiguration", "s3:PutBucketNotification")),
    "analytics": _configuration(
        "analytics", ("GetBucketAnalyticsConfiguration", "s3:GetAnalyticsConfiguration"),
        ("PutBucketAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"),
        ("DeleteBucketAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"),
        ("ListBucketAnalyticsConfigurations", "s3:GetAnalyticsConfiguration")),
    "metrics": _configuration(
        "metrics", ("GetBucketMetricsConfiguration", "s3:GetMetricsConfiguration"),
        ("PutBucketMetricsConfiguration", "s3:PutMetricsConfiguration"),
        ("DeleteBucketMetricsConfiguration", "s3:PutMetricsConfiguration"),
        ("ListBucketMetricsConfigurations", "s3:GetMetricsConfiguration")),
    "inventory": _configuration(
        "inventory", ("GetBucketInventoryConfiguration", "s3:GetInventoryConfiguration"),
        ("PutBucketInventoryConfiguration", "s3:PutInventoryConfiguration"),
        ("DeleteBucketInventoryConfiguration", "s3:PutInventoryConfiguration"),
        ("ListBucketInventoryConfigurations", "s3:GetInventoryConfiguration")),
    "intelligent-tiering": _configuration(
        "intelligent-tiering",
        ("GetBucketIntelligentTieringConfiguration", "s3:GetIntelligentTieringConfiguration"),
        ("PutBucketIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"),
        ("DeleteBucketIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"),
        ("ListBucketIntelligentTieringConfigurations", "s3:GetIntelligentTieringConfiguration")),
}


#: (method, sub-resource) -> operation on a bucket; None: no sub-resource
BUCKET_OPERATIONS = {
    ("PUT", None): CREATE_BUCKET, ("HEAD", None): HEAD_BUCKET,
    ("DELETE", None): DELETE_BUCKET, ("GET", None): LIST_OBJECTS,
    ("GET", "location"): GET_BUCKET_LOCATION,
    ("GET", "acl"): GET_BUCKET_ACL, ("PUT", "acl"): PUT_BUCKET_ACL,
    ("GET", "uploads"): LIST_MULTIPART_UPLOADS, ("GET", "versions"): LIST_OBJECT_VERSIONS,
    ("POST", "delete"): DELETE_OBJECTS,
    ("GET", "tagging"): GET_BUCKET_TAGGING, ("PUT", "tagging"): PUT_BUCKET_TAGGING,
    ("DELETE", "tagging"): DELETE_BUCKET_TAGGING,
}

#: (method, sub-resource) -> operation on an object
OBJECT_OPERATIONS = {
    ("PUT", None): PUT_OBJECT, ("GET", None): GET_OBJECT, ("HEAD", None): HEAD_OBJECT,
    ("DELETE", None): DELETE_OBJECT,
    ("POST", "uploads"): CREATE_MULTIPART_UPLOAD, ("POST", "uploadId"): COMPLETE_MULTIPART_UPLOAD,
    ("PUT", "uploadId"): UPLOAD_PART, ("GET", "uploadId"): LIST_PARTS,
    ("DELETE", "uploadId"): ABORT_MULTIPART_UPLOAD,
    ("GET", "acl"): GET_OBJECT_ACL, ("PUT", "acl"): PUT_OBJECT_ACL,
    ("GET", "tagging"): GET_OBJECT_TAGGING, ("PUT", "tagging"): PUT_OBJECT_TAGGING,
    ("DELETE", "tagging"): DELETE_OBJECT_TAGGING,
}

#: the operation a PUT becomes when it names an ``x-amz-copy-source``
COPY_VARIANTS = {PUT_OBJECT: COPY_OBJECT, UPLOAD_PART: UPLOAD_PART_COPY}


def all_operations() -> dict[str, Operation]:
    """Every operation by AWS name (the handler table must cover exactly these)."""
    table = {op.name: op for op in (LIST_BUCKETS, LIST_OBJECTS_V2, COPY_OBJECT, UPLOAD_PART_COPY)}
    table.update((op.name, op) for op in BUCKET_OPERATIONS.values())
    table.update((op.name, op) for op in OBJECT_OPERATIONS.values())
    for rows in CONFIGURATIONS.values():
        table.update((op.name, op) for op in rows.values())
    return table
