"""Domain errors of the metadata layer; the S3 handlers translate them to S3 errors."""


class MetadataError(Exception):
    """Base class."""


class BucketMissing(MetadataError):
    """The bucket does not exist."""


class BucketHasObjects(MetadataError):
    """The bucket still holds objects."""


class BucketTaken(MetadataError):
    """The bucket name is taken; ``owned_by_caller`` says whether by the caller."""

    def __init__(self, owned_by_caller: bool):
        super().__init__("bucket exists")
        self.owned_by_caller = owned_by_caller


class UploadMissing(MetadataError):
    """No such multipart upload (never begun, completed or aborted)."""


class BlobMissing(MetadataError):
    """A blob to be shared is gone (its object was overwritten meanwhile)."""


class QuotaExceeded(MetadataError):
    """The write would take the bucket past its quota; nothing was changed."""

    def __init__(self, bucket: str, quota: int, used: int, adding: int):
        super().__init__(f"bucket {bucket} quota {quota} exceeded")
        self.bucket, self.quota, self.used, self.adding = bucket, quota, used, adding


class CredentialMissing(MetadataError):
    """No credential with that id (or access key)."""


class AccessKeyTaken(MetadataError):
    """Another credential has this access key."""


class RootProtected(MetadataError):
    """The root credential can't be disabled, renamed or deleted."""


class CredentialInUse(MetadataError):
    """The user's last key can't go while the user owns buckets; ``buckets`` says how many."""

    def __init__(self, buckets: int):
        super().__init__(f"owns {buckets} buckets")
        self.buckets = buckets


class KeyMissing(MetadataError):
    """No such object key."""


class PresignedUrlMissing(MetadataError):
    """No presigned URL with that id."""
