"""RequestContext: an authenticated S3 request, as handlers see it."""

from collections.abc import Callable
from dataclasses import dataclass

from ramod.auth import VerifiedAuth
from ramod.protocol.head import RequestHead
from ramod.protocol.router import Endpoint
from ramod.metadata.store import BucketInfo, CredentialInfo
from ramod.protocol.payload import PayloadSpec

#: RequestContext.prefetched when the operation does not read the object up front
NOT_FETCHED = object()


@dataclass(frozen=True)
class RequestContext:
    """An authenticated request: who sent it and what it asks for."""

    head: RequestHead
    endpoint: Endpoint
    credential: CredentialInfo
    auth: VerifiedAuth
    bucket: BucketInfo | None
    payload: PayloadSpec
    #: GetObject/HeadObject: the object as read with the credential (None: no such key)
    prefetched: object = NOT_FETCHED
    #: gives back the bucket-quota room reserved for this upload; called when it is over
    release: Callable[[], None] | None = None

    @property
    def resource(self) -> str:
        return self.head.raw_path

    def chunk_chain(self):
        """The aws-chunked signature chain if the body's chunks are signed, else None."""
        if self.payload.chunked and self.payload.chunked[0]:
            return self.auth.chunk_chain()
        return None
