"""S3Resource: the single leaf resource; waits for authentication and the body, runs the
handler, renders its Response or its error."""

from twisted.internet.defer import Deferred
from twisted.web import resource, server

from ramod.http.render import write_error, write_response
from ramod.storage.ingest import Ingest


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
        ctx = await request.context()
        app = self._app
        if request.pipeline is None:
            body = request.small_body()
            await app.check_small_body(ctx, body)
            response = await app.handle(ctx, body)
        else:
            # the handler records the blob through the Ingest; leaving the block any
            # other way discards the staging file and the blob
            async with Ingest(app.pools, app.blobs, request.pipeline.staging) as ingest:
                await ingest.receive(request.pipeline)
                response = await app.handle(ctx, ingest)
        write_response(request, response, request.ramo_id)
