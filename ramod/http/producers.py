"""ObjectProducer: streams a byte range of a blob into a response, reading ahead in the
I/O pool so the reactor thread never waits on the disk."""

from collections import deque

from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger

from ramod.http.twisted_compat import is_disconnected
from ramod.storage.reader import READ_SIZE

log = Logger(namespace="ramod.http.producers")

#: pieces read ahead of the transport (memory per download: about this many MiB)
READ_AHEAD = 2


@implementer(IPushProducer)
class ObjectProducer:
    """Writes ``length`` bytes of a blob while the transport wants more.

    A push producer: the transport calls ``pauseProducing`` when its buffer is full and
    ``resumeProducing`` once it drained, so memory stays flat however large the object.
    Disk reads run in the I/O pool, at most ``READ_AHEAD`` pieces ahead.

    :param first: the range's first bytes, read when the blob was opened.
    """

    def __init__(self, request, pools, reader, offset: int, length: int, first: bytes):
        self._request, self._pools, self._reader = request, pools, reader
        self._ready: deque = deque([first] if first else [])
        self._next_offset = offset + len(first)
        self._to_read = length - len(first)
        self._to_write = length
        self._reading = False
        self._paused = False
        self._done = False

    def start(self) -> None:
        self._request.registerProducer(self, True)
        self._produce()

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        self._produce()

    def stopProducing(self) -> None:
        """The client went away (or we are done): stop, close once no read is running."""
        self._done = True
        self._ready.clear()
        self._request = None
        if not self._reading:
            self._reader.close()

    def _produce(self) -> None:
        while self._request is not None and not self._paused and self._ready:
            data = self._ready.popleft()
            self._to_write -= len(data)
            self._request.write(data)  # may re-enter pauseProducing
        if self._request is not None and self._to_write == 0:
            request = self._request
            self.stopProducing()
            request.unregisterProducer()
            if not is_disconnected(request):
                request.finish()
            return
        self._read_ahead()

    def _read_ahead(self) -> None:
        if self._done or self._reading or not self._to_read or len(self._ready) >= READ_AHEAD:
            return
        self._reading = True
        size = min(READ_SIZE, self._to_read)
        d = self._pools.run_io(self._reader.read, self._next_offset, size)
        d.addCallbacks(self._got, self._read_failed, callbackArgs=(size,))

    def _got(self, data: bytes, size: int) -> None:
        self._reading = False
        if self._done:
            self._reader.close()
            return
        if len(data) != size:  # the file is shorter than its metadata says
            self._read_failed(None)
            return
        self._next_offset += size
        self._to_read -= size
        self._ready.append(data)
        self._produce()

    def _read_failed(self, failure) -> None:
        """Headers are out: all we can do is cut the connection."""
        self._reading = False
        if failure is not None:
            log.failure("reading a blob for a response", failure)
        else:
            log.error("a blob is shorter than its metadata says")
        request = self._request
        self.stopProducing()
        if request is not None and not is_disconnected(request):
            request.unregisterProducer()
            request.channel.transport.abortConnection()
