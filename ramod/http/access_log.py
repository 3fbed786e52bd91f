"""The access log: one line per request, with the id the client saw in x-amz-request-id
and the process that served it.

Lines go to a plain file (``--access-log``, default ``<data-dir>/access.log``), collected
in memory and written once a second (or once ``FLUSH_BYTES`` are waiting), so logging
costs a string format per request rather than a trip through the twistd log machinery.
``-`` sends them to the twistd log instead, ``off`` drops them.

Line format::

    <time> <process> <request id> <client> <method> <uri> <status> <bytes sent> <ms>ms[ (note)]

``<process>`` is ``Config.process_name``: the node id, then ``/<worker>`` in a worker.
Several workers append to one file: it is opened ``O_APPEND`` and each flush is one
``os.write`` of whole lines, which the kernel appends in one piece, so lines of two
processes never interleave (a short write, which only a full disk or a signal could
cause, is finished by further writes).
"""

import os
import time

from twisted.application import service
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

_twistd_log = Logger(namespace="ramod.access")


class AccessLog(service.Service):
    """Formats and writes access lines; as a service it opens the file and runs the
    flushing timer while it runs."""

    name = "access-log"
    FLUSH_SECONDS = 1.0
    #: flush before the next timer tick once this much is waiting
    FLUSH_BYTES = 64 * 1024

    def __init__(self, target: str, clock=None, process: str = "-"):
        self._target = target
        self._process = process or "-"
        self._fd: int | None = None
        self._pending: list = []
        self._pending_bytes = 0
        self._flusher = None
        self._clock = clock
        self._stamp_second = None
        self._stamp = ""

    def startService(self) -> None:
        super().startService()
        if self._target not in ("-", "off"):
            self._fd = os.open(self._target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                               0o644)
            self._flusher = LoopingCall(self.flush)
            if self._clock is not None:
                self._flusher.clock = self._clock
            self._flusher.start(self.FLUSH_SECONDS, now=False)

    def stopService(self) -> None:
        super().stopService()
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        if self._fd is not None:
            self.flush()
            os.close(self._fd)
            self._fd = None

    def flush(self) -> None:
        """Write the waiting lines with one ``os.write`` (see the module's notes)."""
        if not self._pending or self._fd is None:
            return
        data = "".join(self._pending).encode("utf-8", "replace")
        self._pending, self._pending_bytes = [], 0
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def _timestamp(self) -> str:
        now = int(time.time())
        if now != self._stamp_second:
            self._stamp_second = now
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        return self._stamp

    def record(self, request_id: str, client: str, method: str, uri: str, status: int,
               sent: int, millis: float, note: str = "") -> None:
        if self._target == "off":
            return
        if self._fd is None:
            _twistd_log.info("{process} {id} {client} {method} {uri} {status} {sent}B "
                             "{ms:.1f}ms{note}", process=self._process, id=request_id,
                             client=client, method=method, uri=uri, status=status, sent=sent,
                             ms=millis, note=f" ({note})" if note else "")
            return
        line = (f"{self._timestamp()} {self._process} {request_id} {client} {method} {uri} "
                f"{status} {sent} {millis:.1f}ms{f' ({note})' if note else ''}\n")
        self._pending.append(line)
        self._pending_bytes += len(line)
        if self._pending_bytes >= self.FLUSH_BYTES:
            self.flush()
