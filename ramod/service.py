"""RamoService: the server as a tree of services.

Children, each a ``twisted.application.service.Service``: the thread pools
(``ramod.threads.Pools``), the garbage sweeper (a ``TimerService``), the access log,
and the management API and S3 listeners (``ramod.listener.Listener``).

Start-up order: pools -> data directory -> schema migration -> crash recovery of
staged uploads -> root credentials -> access log -> listeners (then the port files and
the "how to connect" banner).  Stopping goes the other way, one step after the other:
listeners, requests in flight (drained), sweeper, access log, pools, database.
"""

import os
import secrets
import string
import sys
from datetime import datetime, timezone

from twisted.application import service
from twisted.application.internet import TimerService
from twisted.internet import defer, task
from twisted.logger import Logger

from ramoclient.limits import ADMIN_KEY_FILE
from ramod.admin.app import AdminApp
from ramod.admin.site import make_admin_site
from ramod.http.access_log import AccessLog
from ramod.http.site import make_site
from ramod.listener import Listener
from ramod.metadata.db import open_database
from ramod.metadata.store import MetadataStore
from ramod.s3.app import S3App
from ramod.storage.garbage import (SWEEP_LEASE, SWEEP_LEASE_SECONDS, remove_garbage,
                                   sweep_garbage_blobs)
from ramod.storage.filesystem import BlobStore
from ramod.threads import Pools

log = Logger(namespace="ramod")

GARBAGE_SWEEP_SECONDS = 5.0
#: expired presigned URLs are forgotten this long after expiry
PRESIGNED_KEPT_SECONDS = 24 * 3600
#: on stop, how long requests in flight may take to finish
DRAIN_SECONDS = 30.0


def load_admin_key(config) -> tuple:
    """(key, created): RAMO_ADMIN_API_KEY, else the one kept in the data directory, else a
    new one written there (mode 0600).  I/O thread."""
    if config.admin_api_key:
        return config.admin_api_key, False
    path = config.data_dir / ADMIN_KEY_FILE
    try:
        key = path.read_text().strip()
        if key:
            return key, False
    except FileNotFoundError:
        pass
    key = "ramo_" + secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return key, True


def generate_keys() -> tuple:
    """A new (access key, secret key) pair in AWS's shapes."""
    access = "RAMO" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    secret = secrets.token_urlsafe(30)[:40]
    return access, secret


def _write_port_file(path, port: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(path)


class RamoService(service.MultiService):
    """The whole server; ``ready`` fires once the S3 listener accepts connections."""

    def __init__(self, config, reactor):
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.pools = Pools(reactor, db_threads=1 if config.is_sqlite else 8,
                           io_threads=config.io_threads)
        self.pools.setServiceParent(self)
        self.sweeper = TimerService(
            GARBAGE_SWEEP_SECONDS, lambda: defer.Deferred.fromCoroutine(self.sweep_garbage()))
        self.sweeper.setName("sweeper")
        self.sweeper.setServiceParent(self)
        self.blobs = BlobStore(config.data_dir)
        self.db = None
        self.store = None
        self.app = None
        self.site = None
        self.access_log = None
        self.s3_listener: Listener | None = None
        self.admin_listener: Listener | None = None
        self.ready = defer.Deferred()

    @property
    def port(self):
        """The S3 listening port (None before it is bound and after it is closed)."""
        return self.s3_listener.port if self.s3_listener is not None else None

    @property
    def admin_port(self):
        return self.admin_listener.port if self.admin_listener is not None else None

    def startService(self):
        super().startService()
        d = defer.Deferred.fromCoroutine(self._start())
        d.addErrback(self._failed_to_start)

    def _failed_to_start(self, failure):
        log.failure("ramod could not start", failure)
        print(f"ramod: could not start: {failure.getErrorMessage()}", file=sys.stderr, flush=True)
        # twistd would exit 0 after reactor.stop(); a failed start must say so to its caller
        self.reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
        self.reactor.stop()

    async def _start(self):
        cfg = self.config
        await self.pools.run_io(self.blobs.prepare)
        self.blobs.lock()
        self.db = open_database(cfg.db_url)
        self.store = MetadataStore(self.db, self.pools)
        await self.store.migrate()
        staged = await self.pools.run_io(self.blobs.staged_ids)
        committed = await self.store.blobs_exist(staged)
        removed = await self.pools.run_io(self.blobs.recover, committed, staged)
        if staged:
            log.info("recovered {n} interrupted uploads ({r} removed)", n=len(staged), r=removed)
        root, created = await self.store.ensure_root(cfg.root_access_key, cfg.root_secret_key,
                                                     generate_keys)
        self.app = S3App(cfg, self.store, self.blobs, self.pools, self.reactor)
        self.access_log = AccessLog(cfg.access_log, self.reactor)
        self.access_log.setServiceParent(self)          # a running parent starts it now
        admin_key, admin_created = None, False
        if cfg.admin_listen is not None:
            admin_key, admin_created = await self.pools.run_io(load_admin_key, cfg)
            admin = AdminApp(cfg, self.store, self.blobs, self.pools, self.reactor, admin_key,
                             self.s3_url, generate_keys, lambda ids: remove_garbage(self.app, ids))
            self.admin_listener = self._listener(cfg.admin_listen, make_admin_site(admin),
                                                 "admin-listener")
            admin_port = await self.admin_listener.listen()
            if cfg.admin_port_file:
                _write_port_file(cfg.admin_port_file, admin_port.getHost().port)
        self.site = make_site(self.app, self.access_log)
        self.s3_listener = self._listener(cfg.listen, self.site, "s3-listener")
        bound = (await self.s3_listener.listen()).getHost().port
        if cfg.port_file:
            _write_port_file(cfg.port_file, bound)
        self._banner(root, created, bound)
        if self.admin_port is not None:
            self._admin_banner(admin_key, admin_created)
        self.ready.callback(bound)

    def _listener(self, description: str, factory, name: str) -> Listener:
        listener = Listener(self.reactor, description, factory, name)
        listener.setServiceParent(self)
        return listener

    def s3_url(self) -> str:
        """The S3 listener's base URL (127.0.0.1 for a wildcard address)."""
        scheme = "https" if self.config.listen.startswith(("ssl:", "tls:")) else "http"
        address = self.port.getHost()
        host = "127.0.0.1" if address.host in ("0.0.0.0", "::") else address.host
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{address.port}"

    def _admin_banner(self, key: str, created: bool) -> None:
        address = self.admin_port.getHost()
        host = "127.0.0.1" if address.host in ("0.0.0.0", "::") else address.host
        url = f"http://{host}:{address.port}"
        if self.config.admin_api_key:
            shown = "(from RAMO_ADMIN_API_KEY)"
        elif created:
            shown = f"{key}  (kept in {self.config.data_dir / ADMIN_KEY_FILE})"
        else:
            shown = f"(in {self.config.data_dir / ADMIN_KEY_FILE})"
        print(f"Management API on {url}/api/v1 (OpenAPI: {url}/openapi.json)\n"
              f"  admin API key: {shown}\n"
              f"  ramoctl --url {url} stats\n", flush=True)
        log.info("management API listening on {url}", url=url)

    def _banner(self, root, created, bound: int) -> None:
        url = self.s3_url()
        if self.config.root_secret_key:
            secret = "(from RAMO_ROOT_SECRET_KEY)"
        elif created:
            secret = root.secret_key
        else:
            secret = "(printed when the data directory was created)"
        shown = root.secret_key if created and not self.config.root_secret_key else "<secret>"
        print(
            f"\nRamo S3 server listening on {url} (data: {self.config.data_dir})\n"
            f"  access key: {root.access_key}\n"
            f"  secret key: {secret}\n"
            f"  region:     {self.config.region}\n\n"
            f"  AWS CLI: AWS_ACCESS_KEY_ID={root.access_key} AWS_SECRET_ACCESS_KEY={shown} "
            f"aws --endpoint-url {url} s3 ls\n"
            f"  boto3:   boto3.client('s3', endpoint_url='{url}', aws_access_key_id="
            f"'{root.access_key}', aws_secret_access_key='{shown}', region_name="
            f"'{self.config.region}')\n", flush=True)
        log.info("listening on {url}", url=url)

    async def sweep_garbage(self):
        """Abort abandoned multipart uploads; remove files of blobs no object references
        any more once they have been garbage for ``--garbage-grace`` seconds, and forget
        them.  One process of the cluster sweeps at a time: the holder of the sweep's
        lease in the database, renewed at each sweep (another process takes it over once
        it has not been renewed for SWEEP_LEASE_SECONDS).

        Errors are logged, never raised: a raising call would stop the timer for good.
        """
        if self.store is None:
            return
        try:
            now = self.reactor.seconds()
            if not await self.store.hold_lease(SWEEP_LEASE, self.config.process_name,
                                               SWEEP_LEASE_SECONDS, now):
                return
            cutoff = datetime.fromtimestamp(now - self.config.multipart_max_age, timezone.utc)
            await self.store.abort_uploads_before(cutoff)
            await self.store.forget_expired_presigned_urls(datetime.fromtimestamp(
                now - PRESIGNED_KEPT_SECONDS, timezone.utc))
            await sweep_garbage_blobs(self.store, self.pools, self.blobs,
                                      self.config.garbage_grace, now)
        except Exception:
            log.failure("sweeping unreferenced blobs failed; will retry")

    async def _drain(self) -> None:
        site = self.site
        deadline = self.reactor.seconds() + DRAIN_SECONDS
        if site.in_flight:
            log.info("waiting for {n} requests in flight", n=len(site.in_flight))
        while site.in_flight and self.reactor.seconds() < deadline:
            await task.deferLater(self.reactor, 0.05, lambda: None)
        if site.in_flight:
            log.warn("stopping with {n} requests still in flight", n=len(site.in_flight))

    def stopService(self):
        """Stop accepting, let requests in flight finish (up to DRAIN_SECONDS), then stop
        the rest, each child after the one before it has stopped."""
        service.Service.stopService(self)
        return defer.Deferred.fromCoroutine(self._stop())

    async def _stop(self) -> None:
        for listener in (self.admin_listener, self.s3_listener):
            if listener is not None and listener.running:
                await defer.maybeDeferred(listener.stopService)
        if self.site is not None:
            await self._drain()
        for child in (self.sweeper, self.access_log, self.pools):
            if child is not None and child.running:
                await defer.maybeDeferred(child.stopService)
        self.blobs.unlock()
        if self.db is not None:
            self.db.close()
