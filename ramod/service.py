"""RamoService: the server, or one worker process of it, as a tree of services.

Children, each a ``twisted.application.service.Service``: the thread pools
(``ramod.threads.Pools``), the garbage sweeper (a ``TimerService``), the access log,
and the management API and S3 listeners (``ramod.listener.Listener``).

A single server (``--workers 1``) does a node's one-time start-up work itself
(``ramod.startup``: data directory, node lock, schema migration, recovery of idle
staging areas, root credential, management API key), binds its listeners, writes the
port files and prints the "how to connect" banner.  A worker process (``--worker-id``,
started by ``ramod.supervisor``) skips all that: it claims and recovers its own staging
slot, adopts the listening sockets its supervisor passed it and says it is ready.

Start-up order: pools -> data directory -> node lock -> schema migration -> crash
recovery of staged uploads -> root credentials -> access log -> listeners (then the port
files and the banner).  Stopping goes the other way, one step after the other:
listeners, requests in flight (drained), sweeper, access log, pools, database, locks.
"""

from datetime import datetime, timezone

from twisted.application import service
from twisted.application.internet import TimerService
from twisted.internet import defer, task
from twisted.logger import Logger

from ramod.admin.app import AdminApp
from ramod.admin.site import make_admin_site
from ramod.http.access_log import AccessLog
from ramod.http.site import make_site
from ramod.listener import Listener
from ramod.metadata.db import POSTGRES_POOL_SIZE, open_database
from ramod.metadata.errors import DatabaseUnavailable
from ramod.metadata.store import MetadataStore
from ramod.s3.app import S3App
from ramod.storage.garbage import SWEEP_LEASE, SWEEP_LEASE_SECONDS, sweep_garbage_blobs
from ramod.startup import (NodeStart, base_url, claim_node, fail_start, generate_keys, is_tls,
                           prepare_node, print_admin_banner, print_banner, recover_staging,
                           watch_node_lock, write_port_file)
from ramod.storage.filesystem import BlobStore, DataDirInUse
from ramod.threads import Pools
from ramod.worker import ADMIN_FD, S3_FD, Lifeline, report_ready, staging_slot

log = Logger(namespace="ramod")

GARBAGE_SWEEP_SECONDS = 5.0
#: expired presigned URLs are forgotten this long after expiry
PRESIGNED_KEPT_SECONDS = 24 * 3600
#: on stop, how long requests in flight may take to finish
DRAIN_SECONDS = 30.0


class RamoService(service.MultiService):
    """The whole server, or one worker of it; ``ready`` fires once the S3 listener accepts
    connections."""

    def __init__(self, config, reactor):
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.is_worker = config.worker_id is not None
        self.pools = Pools(reactor, db_threads=1 if config.is_sqlite else POSTGRES_POOL_SIZE,
                           io_threads=config.io_threads)
        self.pools.setServiceParent(self)
        self.sweeper = TimerService(
            GARBAGE_SWEEP_SECONDS, lambda: defer.Deferred.fromCoroutine(self.sweep_garbage()))
        self.sweeper.setName("sweeper")
        self.sweeper.setServiceParent(self)
        self.blobs = BlobStore(config.data_dir, config.node_id, staging_slot(config.worker_id))
        self.node_lock = None
        self.node_lock_check = None
        self.lifeline = None
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
        d.addErrback(lambda failure: fail_start(self.reactor, failure))

    async def _start(self):
        cfg = self.config
        if self.is_worker:
            # the supervisor going away must stop this worker, even during its start-up
            self.lifeline = Lifeline(self.reactor, self._supervisor_gone)
            self.lifeline.start()
            await self.pools.run_io(self.blobs.prepare)
        else:
            self.node_lock = await claim_node(cfg, self.blobs, self.pools)
            self.node_lock_check = watch_node_lock(self.reactor, self.pools, self.node_lock,
                                                   cfg.node_id)
        self.db = open_database(cfg.db_url)
        self.store = MetadataStore(self.db, self.pools)
        node = None
        if not self.is_worker:
            node = await prepare_node(cfg, self.store, self.blobs, self.pools, generate_keys)
        await self._claim_staging()
        await recover_staging(self.store, self.blobs, self.pools)
        self.app = S3App(cfg, self.store, self.blobs, self.pools, self.reactor)
        self.access_log = AccessLog(cfg.access_log, self.reactor, process=cfg.process_name)
        self.access_log.setServiceParent(self)          # a running parent starts it now
        if cfg.admin_listen is not None:
            # a worker's key comes from its supervisor, through RAMO_ADMIN_API_KEY
            admin_key = node.admin_key if node is not None else cfg.admin_api_key
            admin = AdminApp(cfg, self.store, self.blobs, self.pools, self.reactor, admin_key,
                             self.s3_url, generate_keys)
            self.admin_listener = self._listener(cfg.admin_listen, make_admin_site(admin),
                                                 "admin-listener", ADMIN_FD)
            admin_port = await self.admin_listener.listen()
            if cfg.admin_port_file and not self.is_worker:
                write_port_file(cfg.admin_port_file, admin_port.getHost().port)
        self.site = make_site(self.app, self.access_log)
        self.s3_listener = self._listener(cfg.listen, self.site, "s3-listener", S3_FD)
        bound = (await self.s3_listener.listen()).getHost().port
        if self.is_worker:
            report_ready()
            log.info("worker {id} serving", id=cfg.worker_id)
        else:
            if cfg.port_file:
                write_port_file(cfg.port_file, bound)
            self._banners(node)
        self.ready.callback(bound)

    async def _claim_staging(self) -> None:
        """Take this process's staging slot.  A worker waits for it: the only other
        holder can be a worker of an earlier supervisor (killed) still draining."""
        try:
            self.blobs.claim_staging()
        except DataDirInUse:
            if not self.is_worker:
                raise
            log.warn("staging area {path} is still in use (a worker of an earlier start "
                     "draining its last requests?): waiting for it", path=str(self.blobs.staging_dir))
            await self.pools.run_io(self.blobs.claim_staging, True)

    def _supervisor_gone(self) -> None:
        if self.reactor.running:
            self.reactor.stop()

    def _listener(self, description: str, factory, name: str, inherited_fd: int) -> Listener:
        listener = Listener(self.reactor, description, factory, name,
                            inherited_fd if self.is_worker else None)
        listener.setServiceParent(self)
        return listener

    def s3_url(self) -> str:
        """The S3 listener's base URL (127.0.0.1 for a wildcard address)."""
        return base_url(self.port.getHost(), is_tls(self.config.listen))

    def _banners(self, node: NodeStart) -> None:
        print_banner(self.config, node, self.s3_url())
        if self.admin_port is not None:
            print_admin_banner(self.config, node, base_url(self.admin_port.getHost()))

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
        except DatabaseUnavailable as e:
            log.warn("garbage sweep skipped, the database is unavailable: {why}", why=e)
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
        if self.lifeline is not None:
            self.lifeline.stop()
        if self.node_lock_check is not None and self.node_lock_check.running:
            self.node_lock_check.stop()
        for listener in (self.admin_listener, self.s3_listener):
            if listener is not None and listener.running:
                await defer.maybeDeferred(listener.stopService)
        if self.site is not None:
            await self._drain()
        for child in (self.sweeper, self.access_log, self.pools):
            if child is not None and child.running:
                await defer.maybeDeferred(child.stopService)
        if self.db is not None:
            self.db.close()
        self.blobs.unlock()
        if self.node_lock is not None:
            self.node_lock.release()
