"""ObjectProducer: streams a byte range of an open blob file into a response."""

from zope.interface import implementer
from twisted.internet.interfaces import IPullProducer

READ_SIZE = 256 * 1024


@implementer(IPullProducer)
class ObjectProducer:
    """Writes ``length`` bytes from ``f`` at ``offset``, one read per ``resumeProducing``.

    A pull producer: twisted.web asks for the next piece only once the transport has
    drained the previous one, so memory stays flat however large the object.
    """

    def __init__(self, request, f, offset: int, length: int):
        self._request, self._f, self._left = request, f, length
        f.seek(offset)

    def start(self) -> None:
        if self._left == 0:
            self._done()
            return
        self._request.registerProducer(self, False)

    def resumeProducing(self) -> None:
        if self._request is None:
            return
        data = self._f.read(min(READ_SIZE, self._left))
        if not data:  # the file is shorter than its metadata says: cut the connection
            request = self._request
            self.stopProducing()
            request.unregisterProducer()
            request.channel.transport.abortConnection()
            return
        self._left -= len(data)
        # request.write may re-enter resumeProducing; bookkeeping is done before it
        self._request.write(data)
        if self._left == 0 and self._request is not None:
            self._request.unregisterProducer()
            self._done()

    def _done(self) -> None:
        request = self._request
        self.stopProducing()
        if not request._disconnected:
            request.finish()

    def stopProducing(self) -> None:
        """Also called by twisted.web when the client disconnects."""
        if self._f is not None:
            self._f.close()
            self._f = None
        self._request = None
