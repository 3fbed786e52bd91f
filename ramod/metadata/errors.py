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
