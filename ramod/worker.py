"""A worker process's side of its link with its supervisor (``ramod.supervisor``).

A worker is started with these file descriptors:

==  =========================================================================
0   the lifeline: a pipe the supervisor never writes to.  End of file means the
    supervisor is gone (even SIGKILLed): the worker stops as on SIGTERM, draining
    its requests in flight, so no worker outlives its supervisor for long
1   the twistd log (``--logfile=-``), relayed line by line by the supervisor
2   stderr, relayed too
3   ready: the worker writes ``ready`` once it serves, then closes it
4   the S3 listening socket, bound by the supervisor
5   the management API's listening socket (unless ``--admin-listen off``)
==  =========================================================================
"""

import os

from twisted.internet.interfaces import IReadDescriptor
from twisted.logger import Logger
from zope.interface import implementer

LIFELINE_FD, READY_FD, S3_FD, ADMIN_FD = 0, 3, 4, 5
READY = b"ready\n"

log = Logger(namespace="ramod.worker")


def staging_slot(worker_id: int | None) -> str:
    """The staging slot of a process (``ramod.storage.filesystem``)."""
    return "server" if worker_id is None else f"worker-{worker_id}"


def report_ready() -> None:
    """Tell the supervisor this worker serves."""
    try:
        os.write(READY_FD, READY)
        os.close(READY_FD)
    except OSError:
        pass  # the supervisor is gone: the lifeline says so too


@implementer(IReadDescriptor)
class Lifeline:
    """Watches the lifeline; calls ``on_lost`` once, when the supervisor is gone."""

    def __init__(self, reactor, on_lost, fd: int = LIFELINE_FD):
        self._reactor, self._on_lost, self._fd = reactor, on_lost, fd

    def start(self) -> None:
        self._reactor.addReader(self)

    def stop(self) -> None:
        """Stop watching: ``on_lost`` will not be called any more."""
        self._on_lost = None
        self._reactor.removeReader(self)

    def fileno(self) -> int:
        return self._fd

    def doRead(self):
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self._lost()
        return None

    def connectionLost(self, reason) -> None:
        # the reactor's way of saying end of file: a pipe without writers polls as HUP
        # alone, and the reactor then calls this instead of doRead
        self._lost()

    def _lost(self) -> None:
        if self._on_lost is None:
            return
        on_lost, self._on_lost = self._on_lost, None
        self.stop()
        log.warn("the supervisor is gone: stopping")
        on_lost()

    def logPrefix(self) -> str:
        return "lifeline"
