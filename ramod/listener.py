"""Listener: one listening port (S3 or the management API) as a child service.

A single server binds its strports description itself.  A worker process adopts the
socket its supervisor bound (``inherited_fd``, see ``ramod.supervisor``) with
``IReactorSocket.adoptStreamPort``; for an ``ssl:`` description it wraps the factory in
``TLSMemoryBIOFactory`` with the context factory the same description makes, which is
what ``reactor.listenSSL`` does for a port it binds; and it accepts one connection per
wake-up, so that the workers share a burst of new connections.
"""

import os
import socket

from twisted.application import service
from twisted.internet import endpoints
from twisted.internet.defer import maybeDeferred
from twisted.protocols.tls import TLSMemoryBIOFactory

from ramod.http.twisted_compat import accept_one_per_wakeup, tls_context_factory


class Listener(service.Service):
    """Opens its port when ``listen`` is awaited (the bound port is then known, for the
    port file and the banner); closes it when the service stops."""

    def __init__(self, reactor, description: str, factory, name: str,
                 inherited_fd: int | None = None):
        self.reactor, self.description, self.factory = reactor, description, factory
        self.name = name
        self.inherited_fd = inherited_fd
        self.port = None

    async def listen(self):
        """Bind the strports ``description`` (or adopt ``inherited_fd``); returns the
        listening port."""
        if self.inherited_fd is not None:
            self.port = adopt_listening_socket(self.reactor, self.description,
                                               self.inherited_fd, self.factory)
            return self.port
        endpoint = endpoints.serverFromString(self.reactor, self.description)
        self.port = await endpoint.listen(self.factory)
        return self.port

    def stopService(self):
        super().stopService()
        if self.port is None:
            return None
        port, self.port = self.port, None
        # an adopted port only closes this process's descriptor (Twisted does not shut an
        # adopted socket down), so the other workers keep accepting on it
        return maybeDeferred(port.stopListening)


def adopt_listening_socket(reactor, description: str, fd: int, factory):
    """Serve ``factory`` on the listening socket ``fd`` (bound elsewhere from
    ``description``); ``fd`` itself is closed, the port holds a duplicate."""
    probe = socket.socket(fileno=fd)  # the family, whatever the description said
    family = probe.family
    probe.detach()
    context = tls_context_factory(endpoints.serverFromString(reactor, description))
    if context is not None:
        factory = TLSMemoryBIOFactory(context, False, factory)
    port = reactor.adoptStreamPort(fd, family, factory)
    os.close(fd)
    # the socket is shared with the other workers: take connections one at a time, and
    # let a worker that is busy leave the next one to one that is not
    accept_one_per_wakeup(port)
    return port
