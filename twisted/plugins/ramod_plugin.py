"""twistd plugin: `twistd ramod` starts the Ramo S3 server (see ramod.tap)."""

from twisted.application.service import ServiceMaker

ramod = ServiceMaker("Ramo", "ramod.tap", "S3-compatible object storage", "ramod")
