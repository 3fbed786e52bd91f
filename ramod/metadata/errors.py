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


class DatabaseUnavailable(MetadataError):
    """The metadata database can't be reached, or the connection to it was lost.

    ``commit_in_doubt``: the connection went away while the transaction was committing, so
    it may have committed or not (otherwise it certainly did not); ``ramod.storage.ingest``
    reads it to decide whether an upload's blob may be discarded.  ``detail``: the driver's
    message, for the log.  ``retry_after``: seconds a client is told to wait.
    """

    retry_after = 1

    def __init__(self, detail: str = "", commit_in_doubt: bool = False):
        super().__init__(detail or "metadata database unavailable")
        self.detail, self.commit_in_doubt = detail, commit_in_doubt

    def describe(self) -> str:
        """The sentence a client is shown."""
        if self.commit_in_doubt:
            return ("The connection to the metadata database was lost while this request was "
                    "being committed, so it may or may not have taken effect: retry it, or check "
                    "its outcome.")
        return ("The metadata database can't be reached just now (it may be restarting). "
                "Retry the request in a moment.")


class DatabaseBusy(DatabaseUnavailable):
    """The database stayed locked by other writers past the busy timeout (SQLite), or no
    pooled connection was free; the transaction was rolled back."""

    def describe(self) -> str:
        return ("The metadata database is busy with other writes. Retry the request after "
                "the Retry-After delay.")
