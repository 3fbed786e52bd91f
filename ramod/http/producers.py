"""ObjectProducer: streams a byte range of an open blob file into a response."""

from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer

READ_SIZE = 1024 * 1024
#: bytes written per resumeProducing before yielding to other connections
BURST = 8 * READ_SIZE


@implementer(IPushProducer)
class ObjectProducer:
    """Writes ``length`` bytes from ``f`` at ``offset`` while the transport wants more.

    A push producer: the transport calls ``pauseProducing`` when its buffer is full and
    ``resumeProducing`` once it drained, so memory stays flat however large the
    object.  Reads are 1 MiB from the page cache, on the reactor thread, as twisted.web's
    static files do (with smaller reads).
    """

    def __init__(self, request, f, offset: int, length: int, clock):
        self._request, self._f, self._left = request, f, length
        self._clock = clock
        self._paused = False
        self._producing = False
        f.seek(offset)

    def start(self) -> None:
        self._request.registerProducer(self, True)
        self._produce()

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        self._produce()

    def _produce(self) -> None:
        if self._producing:  # request.write re-entered us through resumeProducing
            return
        self._producing = True
        try:
            written = 0
            while self._request is not None and not self._paused and self._left and written < BURST:
                data = self._f.read(min(READ_SIZE, self._left))
                if not data:  # the file is shorter than its metadata says: cut the connection
                    request = self._request
                    self.stopProducing()
                    request.unregisterProducer()
                    request.channel.transport.abortConnection()
                    return
                self._left -= len(data)
                written += len(data)
                self._request.write(data)
            if self._request is not None and self._left == 0:
                request = self._request
                self.stopProducing()
                request.unregisterProducer()
                if not request._disconnected:
                    request.finish()
            elif self._request is not None and not self._paused:
                # burst spent: continue on the next reactor turn, after other connections
                self._clock.callLater(0, self._produce)
        finally:
            self._producing = False

    def stopProducing(self) -> None:
        """Also called by twisted.web when the client disconnects."""
        if self._f is not None:
            self._f.close()
            self._f = None
        self._request = None
