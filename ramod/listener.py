"""Listener: one listening port (S3 or the management API) as a child service."""

from twisted.application import service
from twisted.internet import endpoints
from twisted.internet.defer import maybeDeferred


class Listener(service.Service):
    """Opens its port when ``listen`` is awaited (the bound port is then known, for the
    port file and the banner); closes it when the service stops."""

    def __init__(self, reactor, description: str, factory, name: str):
        self.reactor, self.description, self.factory = reactor, description, factory
        self.name = name
        self.port = None

    async def listen(self):
        """Bind the strports ``description``; returns the listening port."""
        endpoint = endpoints.serverFromString(self.reactor, self.description)
        self.port = await endpoint.listen(self.factory)
        return self.port

    def stopService(self):
        super().stopService()
        if self.port is None:
            return None
        port, self.port = self.port, None
        return maybeDeferred(port.stopListening)
