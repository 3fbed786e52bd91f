"""The access log: one line per request, with the id the client saw in x-amz-request-id.

Lines go to a plain file (``--access-log``, default ``<data-dir>/access.log``), written
through a buffer that is flushed once a second, so logging costs a string format per
request rather than a trip through the twistd log machinery.  ``-`` sends them to the
twistd log instead, ``off`` drops them.
"""

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

    def __init__(self, target: str, clock=None):
        self._target = target
        self._file = None
        self._flusher = None
        self._clock = clock
        self._stamp_second = None
        self._stamp = ""

    def startService(self) -> None:
        super().startService()
        if self._target not in ("-", "off"):
            self._file = open(self._target, "a", encoding="utf-8", buffering=1 << 16)
            self._flusher = LoopingCall(self._file.flush)
            if self._clock is not None:
                self._flusher.clock = self._clock
            self._flusher.start(self.FLUSH_SECONDS, now=False)

    def stopService(self) -> None:
        super().stopService()
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        if self._file is not None:
            self._file.close()
            self._file = None

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
        if self._file is None:
            _twistd_log.info("{id} {client} {method} {uri} {status} {sent}B {ms:.1f}ms{note}",
                             id=request_id, client=client, method=method, uri=uri,
                             status=status, sent=sent, ms=millis,
                             note=f" ({note})" if note else "")
            return
        self._file.write(f"{self._timestamp()} {request_id} {client} {method} {uri} {status} "
                         f"{sent} {millis:.1f}ms{f' ({note})' if note else ''}\n")
