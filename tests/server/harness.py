"""A real S3Site driven over a StringTransport: raw HTTP in, raw HTTP out, no sockets.

Pools run inline and the database is a real SQLite file in a temp directory, so a
request is fully handled by the time the last byte has been delivered.
"""

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport

from ramod.config import Config
from ramod.http.site import make_site
from ramod.metadata.db import open_database
from ramod.metadata.store import MetadataStore
from ramod.s3.app import S3App
from ramod.storage.filesystem import BlobStore
from ramod.threads import Pools

ACCESS_KEY, SECRET_KEY = "AKIDTESTHARNESS", "harness/secret+key"
HOST = "127.0.0.1:9000"


def _sync(d):
    """The result of a Deferred that inline pools have already fired."""
    out = []
    d.addBoth(out.append)
    assert out, "expected an already-fired Deferred"
    if hasattr(out[0], "raiseException"):
        out[0].raiseException()
    return out[0]


class Harness:
    """An S3App on a temp dir with a site to feed raw HTTP to."""

    def __init__(self, tmp_path, **options):
        opts = {"data-dir": str(tmp_path / "data"), **options}
        self.config = Config.from_options(
            opts, environ={"RAMO_ROOT_ACCESS_KEY": ACCESS_KEY, "RAMO_ROOT_SECRET_KEY": SECRET_KEY})
        self.reactor = MemoryReactorClock()
        self.reactor.advance(__import__("time").time())
        self.pools = Pools(self.reactor, 1, 1, inline=True)
        self.blobs = BlobStore(self.config.data_dir)
        self.blobs.prepare()
        self.db = open_database(self.config.db_url)
        self.store = MetadataStore(self.db, self.pools)
        _sync(self.store.migrate())
        _sync(self.store.ensure_root(ACCESS_KEY, SECRET_KEY, None))
        self.app = S3App(self.config, self.store, self.blobs, self.pools, self.reactor)
        self.site = make_site(self.app)

    def connect(self):
        proto = self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def exchange(self, raw: bytes, byte_at_a_time: bool = False) -> bytes:
        """Send one raw request on a new connection; return everything the server wrote."""
        proto, transport = self.connect()
        if byte_at_a_time:
            for i in range(len(raw)):
                proto.dataReceived(raw[i:i + 1])
        else:
            proto.dataReceived(raw)
        return transport.value()


class _FixedPayloadAuth(S3SigV4Auth):
    """botocore's SigV4 signer, signing whatever x-amz-content-sha256 the test chose."""

    def __init__(self, credentials, payload_hash: str):
        super().__init__(credentials, "s3", "us-east-1")
        self._payload_hash = payload_hash

    def payload(self, request):
        return self._payload_hash


def signed(method: str, path: str, body: bytes = b"", headers: dict | None = None,
           payload_hash: str | None = None, host: str = HOST, secret: str = SECRET_KEY) -> bytes:
    """A raw HTTP/1.1 request signed with botocore's SigV4 signer."""
    import hashlib
    headers = dict(headers or {})
    req = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=headers)
    payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
    _FixedPayloadAuth(Credentials(ACCESS_KEY, secret), payload_hash).add_auth(req)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in req.headers.items():
        if name.lower() != "host":
            lines.append(f"{name}: {value}")
    if "Content-Length" not in req.headers and "Transfer-Encoding" not in req.headers:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
