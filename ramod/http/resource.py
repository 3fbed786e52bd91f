"""S3Resource: the single leaf resource; waits for authentication and the body, runs the
handler, renders its Response or its error."""

from twisted.internet.defer import Deferred
from twisted.web import resource, server

from ramod.http.render import write_error, write_response
from ramod.s3.objects import StreamedBody


class S3Resource(resource.Resource):
    isLeaf = True

    def __init__(self, app):
        super().__init__()
        self._app = app

    def render(self, request):
        """Every method, HEAD included (a leaf with its own render must route HEAD itself)."""
        request.defaultContentType = None
        if request.rejected:
            return server.NOT_DONE_YET
        # Not cancelled when the client goes away: a PUT whose metadata commit is in
        # flight must run to its end, or its blob could be discarded under a committed row.
        d = Deferred.fromCoroutine(self._dispatch(request))
        d.addErrback(lambda f: write_error(request, f, request.ramo_id, request.head.raw_path))
        return server.NOT_DONE_YET

    async def _dispatch(self, request) -> None:
        body = None
        try:
            ctx = await request.context()
            if request.pipeline is not None:
                digests = await request.pipeline.finish()
                body = StreamedBody(request.pipeline.staging, digests)
            else:
                body = request.small_body()
                await self._app.check_small_body(ctx, body)
            response = await self._app.handle(ctx, body)
        finally:
            if isinstance(body, StreamedBody) and not body.committed:
                self._app.pools.run_io(self._app.blobs.discard, body.staging)
        write_response(request, response, request.ramo_id)
