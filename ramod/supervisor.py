"""Supervisor: ``--workers N`` worker processes behind listening sockets bound once.

``twistd ramod --workers N`` (N > 1) runs this service instead of ``RamoService``.  It
does the node's one-time start-up work (``ramod.startup``: data directory, node lock,
schema migration, recovery of idle staging areas, root credential, management API key),
binds the S3 and management listeners from their strports descriptions, and starts N
worker processes, each a ``twistd ramod`` of its own with the same options and
``--worker-id I`` (``ramod.worker`` lists the descriptors it gets).  Every worker adopts
the same listening sockets (``IReactorSocket.adoptStreamPort``; for ``ssl:`` it adds TLS
itself, see ``ramod.listener``), so clients see one port.  Then it writes the port files
and prints the banner.

Why one socket shared through ``spawnProcess(childFDs=...)`` rather than ``SO_REUSEPORT``
(each worker binding a socket of its own, the kernel spreading new connections among
them): with one socket there is one accept queue.  Whichever worker is free takes the
next connection, where the kernel would hash it to a worker however busy; and a worker
that dies or restarts drops nothing, where its own socket's queued connections would be
reset with it.  The supervisor keeps its descriptors open the whole time, so the port
never closes while a worker comes back.

While running, the supervisor:

- relays each worker's log and stderr into its own log, line by line, with the worker's
  level and namespace and a ``[worker I]`` prefix;
- restarts a worker that exits, after ``RESTART_FIRST_DELAY`` seconds, doubling up to
  ``RESTART_MAX_DELAY`` each time the same worker exits again, back to the first delay once
  a worker stayed up ``STABLE_SECONDS``;
- on SIGTERM (twistd stops the service): closes its copies of the listening sockets,
  sends SIGTERM to every worker, and waits for each to drain its requests in flight (up to
  ``DRAIN_SECONDS``) and exit; a worker still there after ``STOP_SECONDS`` is SIGKILLed.

A worker whose supervisor is gone (SIGKILLed) notices it through its lifeline and stops
the same way.  A worker that exits before it serves during the supervisor's start fails
the start (exit status 1), as a single server's failure to start does.
"""

import os
import re
import sys
from pathlib import Path

from twisted.application import service
from twisted.internet import defer, endpoints, error, protocol
from twisted.logger import Logger, LogLevel

import ramod
from ramod.http.twisted_compat import listening_socket
from ramod.metadata.db import open_database
from ramod.metadata.store import MetadataStore
from ramod.service import DRAIN_SECONDS
from ramod.startup import (base_url, claim_node, fail_start, generate_keys, is_tls, prepare_node,
                           print_admin_banner, print_banner, watch_node_lock, write_port_file)
from ramod.storage.filesystem import BlobStore
from ramod.threads import Pools
from ramod.worker import ADMIN_FD, LIFELINE_FD, READY, READY_FD, S3_FD

log = Logger(namespace="ramod.supervisor")

RESTART_FIRST_DELAY = 0.5
RESTART_MAX_DELAY = 30.0
#: a worker that stayed up this long is restarted after the first delay again
STABLE_SECONDS = 60.0
#: on stop, a worker still running this long after SIGTERM is killed
STOP_SECONDS = DRAIN_SECONDS + 15.0

#: a twistd log line: "<time> [<namespace>#<level>] <text>" (or "[<system>]")
_LOG_LINE = re.compile(r"^\S+ \[(?P<system>[^\]]*)\] (?P<text>.*)$", re.S)


def worker_command(arguments: list, worker_id: int) -> list:
    """The argv of worker ``worker_id``: ``twistd -n ramod <arguments> --worker-id I``,
    logging to its stdout, with no pid file."""
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
            "--nodaemon", "--pidfile=", "--logfile=-", "ramod", *arguments,
            "--worker-id", str(worker_id)]


class WorkerSlot:
    """Worker number ``index``: its current process (if any) and its restart delay."""

    def __init__(self, index: int):
        self.index = index
        self.process: "WorkerProcess | None" = None
        self.pid: int | None = None
        self.started_at = 0.0
        self.delay = RESTART_FIRST_DELAY
        self.is_ready = False
        self.ready: defer.Deferred = defer.Deferred()
        self.exited: defer.Deferred | None = None
        self.restart_call = None


class WorkerExited(Exception):
    """A worker exited before it served, while the supervisor was starting."""


class WorkerProcess(protocol.ProcessProtocol):
    """One run of a worker: its readiness, its output relayed to our log, its end."""

    def __init__(self, supervisor: "Supervisor", slot: WorkerSlot):
        self.supervisor, self.slot = supervisor, slot
        self._partial = {1: b"", 2: b""}
        self._last = {1: (None, LogLevel.info), 2: (None, LogLevel.error)}
        self._ready = b""

    def childDataReceived(self, fd: int, data: bytes) -> None:
        if fd == READY_FD:
            self._ready += data
            if READY in self._ready and not self.slot.is_ready:
                self.supervisor.worker_ready(self.slot)
        elif fd in self._partial:
            lines = (self._partial[fd] + data).split(b"\n")
            self._partial[fd] = lines.pop()
            for line in lines:
                self._relay(fd, line)

    def _relay(self, fd: int, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if not text:
            return
        match = _LOG_LINE.match(text)
        if match:
            namespace, _, level_name = match["system"].partition("#")
            try:
                level = LogLevel.levelWithName(level_name)
            except Exception:
                level = self._last[fd][1]
            # "-": an old-style log.msg event, which has no namespace
            self._last[fd] = (namespace if namespace not in ("", "-") else "ramod.worker", level)
            text = match["text"]
        namespace, level = self._last[fd]
        # continuation lines (tracebacks: "\t..."), stderr: the last line's level
        Logger(namespace=namespace or "ramod.worker").emit(
            level, "[worker {worker}] {text}", worker=self.slot.index, text=text)

    def processEnded(self, reason) -> None:
        for fd, rest in self._partial.items():
            if rest:
                self._relay(fd, rest)
        self._partial = {1: b"", 2: b""}
        self.supervisor.worker_ended(self.slot, reason)


def describe_end(reason) -> str:
    value = reason.value
    if getattr(value, "signal", None):
        return f"signal {value.signal}"
    return f"exit status {getattr(value, 'exitCode', '?')}"


class Supervisor(service.MultiService):
    """The supervisor of ``config.workers`` worker processes; ``ready`` fires with the S3
    port once every worker serves.

    :param worker_arguments: the ``ramod`` options to give each worker
        (``ramod.tap.worker_arguments``).
    """

    def __init__(self, config, reactor, worker_arguments: list):
        super().__init__()
        self.config, self.reactor = config, reactor
        self.worker_arguments = list(worker_arguments)
        self.pools = Pools(reactor, db_threads=1, io_threads=2)
        self.pools.setServiceParent(self)
        self.blobs = BlobStore(config.data_dir, config.node_id, slot=None)
        self.slots = [WorkerSlot(i) for i in range(1, config.workers + 1)]
        self.node_lock = None
        self.node_lock_check = None
        self.ports: dict = {}      # "s3"/"admin" -> the bound (unread) Twisted port
        self.sockets: dict = {}    # "s3"/"admin" -> its listening socket, shared with workers
        self.environment: dict = {}
        self.stopping = False
        self.started = False
        self.ready = defer.Deferred()

    # -- start ------------------------------------------------------------------------------

    def startService(self):
        super().startService()
        d = defer.Deferred.fromCoroutine(self._start())
        d.addErrback(lambda failure: fail_start(self.reactor, failure))

    async def _start(self):
        cfg = self.config
        self.node_lock = await claim_node(cfg, self.blobs, self.pools)
        self.node_lock_check = watch_node_lock(self.reactor, self.pools, self.node_lock,
                                               cfg.node_id)
        db = open_database(cfg.db_url, pool_size=1)
        try:
            node = await prepare_node(cfg, MetadataStore(db, self.pools), self.blobs, self.pools,
                                      generate_keys)
        finally:
            await self.pools.run_db(_close_database, db)
        if cfg.admin_listen is not None:
            await self._bind("admin", cfg.admin_listen)
        await self._bind("s3", cfg.listen)
        self.environment = self._worker_environment(node.admin_key)
        for slot in self.slots:
            self._spawn(slot)
        await defer.DeferredList([slot.ready for slot in self.slots], fireOnOneErrback=True,
                                 consumeErrors=True).addErrback(lambda f: f.value.subFailure)
        self.started = True
        s3_port = self.ports["s3"].getHost().port
        if cfg.port_file:
            write_port_file(cfg.port_file, s3_port)
        if "admin" in self.ports and cfg.admin_port_file:
            write_port_file(cfg.admin_port_file, self.ports["admin"].getHost().port)
        print_banner(cfg, node, base_url(self.ports["s3"].getHost(), is_tls(cfg.listen)),
                     f", {len(self.slots)} worker processes")
        if "admin" in self.ports:
            print_admin_banner(cfg, node, base_url(self.ports["admin"].getHost()))
        self.ready.callback(s3_port)

    async def _bind(self, name: str, description: str) -> None:
        endpoint = endpoints.serverFromString(self.reactor, description)
        unused = protocol.Factory.forProtocol(protocol.Protocol)  # the workers accept, not us
        unused.noisy = False
        port = await endpoint.listen(unused)
        self.ports[name], self.sockets[name] = port, listening_socket(port)

    def _worker_environment(self, admin_key: str | None) -> dict:
        env = dict(os.environ)
        if admin_key:
            env["RAMO_ADMIN_API_KEY"] = admin_key  # loaded or created once, here
        # the workers import this very ramod (and find its twistd plugin), however the
        # supervisor was started
        here = str(Path(ramod.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    # -- workers ----------------------------------------------------------------------------

    def _spawn(self, slot: WorkerSlot) -> None:
        slot.restart_call = None
        fds = {LIFELINE_FD: "w", 1: "r", 2: "r", READY_FD: "r",
               S3_FD: self.sockets["s3"].fileno()}
        if "admin" in self.sockets:
            fds[ADMIN_FD] = self.sockets["admin"].fileno()
        process = WorkerProcess(self, slot)
        argv = worker_command(self.worker_arguments, slot.index)
        slot.process, slot.is_ready, slot.exited = process, False, defer.Deferred()
        slot.started_at = self.reactor.seconds()
        transport = self.reactor.spawnProcess(process, argv[0], argv, env=self.environment,
                                              path=os.getcwd(), childFDs=fds)
        slot.pid = transport.pid
        log.info("worker {worker} started (pid {pid})", worker=slot.index, pid=slot.pid)

    def worker_ready(self, slot: WorkerSlot) -> None:
        slot.is_ready = True
        log.info("worker {worker} (pid {pid}) serving", worker=slot.index, pid=slot.pid)
        if not slot.ready.called:
            slot.ready.callback(slot.pid)

    def worker_ended(self, slot: WorkerSlot, reason) -> None:
        ended = describe_end(reason)
        uptime = self.reactor.seconds() - slot.started_at
        exited, was_ready = slot.exited, slot.is_ready
        slot.process, slot.exited, slot.is_ready = None, None, False
        if self.stopping:
            log.info("worker {worker} (pid {pid}) exited ({ended})", worker=slot.index,
                     pid=slot.pid, ended=ended)
        elif not self.started and not was_ready:
            log.error("worker {worker} (pid {pid}) exited before serving ({ended})",
                      worker=slot.index, pid=slot.pid, ended=ended)
            if not slot.ready.called:
                slot.ready.errback(WorkerExited(
                    f"worker {slot.index} exited before serving ({ended}); see its log lines"))
        else:
            if uptime >= STABLE_SECONDS:
                slot.delay = RESTART_FIRST_DELAY
            delay, slot.delay = slot.delay, min(slot.delay * 2, RESTART_MAX_DELAY)
            log.warn("worker {worker} (pid {pid}) exited ({ended}) after {uptime:.1f} s; "
                     "restarting it in {delay} s", worker=slot.index, pid=slot.pid, ended=ended,
                     uptime=uptime, delay=delay)
            slot.restart_call = self.reactor.callLater(delay, self._spawn, slot)
        if exited is not None:
            exited.callback(None)

    def worker_pids(self) -> list:
        """The PIDs of the workers running now."""
        return [slot.pid for slot in self.slots if slot.process is not None]

    # -- stop -------------------------------------------------------------------------------

    def stopService(self):
        """Close our listening sockets, SIGTERM every worker, wait for all to exit
        (draining), then stop the rest."""
        service.Service.stopService(self)
        return defer.Deferred.fromCoroutine(self._stop())

    async def _stop(self) -> None:
        self.stopping = True
        if self.node_lock_check is not None and self.node_lock_check.running:
            self.node_lock_check.stop()
        for slot in self.slots:
            if slot.restart_call is not None and slot.restart_call.active():
                slot.restart_call.cancel()
            slot.restart_call = None
        for sock in self.sockets.values():
            sock.close()  # never port.stopListening(): it would shut the workers' socket down
        self.sockets = {}
        running = [slot for slot in self.slots if slot.process is not None]
        waits = [slot.exited for slot in running]
        for slot in running:
            self._signal(slot, "TERM")
        if running:
            log.info("waiting for {n} workers to finish their requests and exit", n=len(running))
        killer = self.reactor.callLater(STOP_SECONDS, self._kill_stragglers)
        await defer.gatherResults(waits)
        if killer.active():
            killer.cancel()
        if self.pools.running:
            await defer.maybeDeferred(self.pools.stopService)
        self.blobs.unlock()
        if self.node_lock is not None:
            self.node_lock.release()

    def _kill_stragglers(self) -> None:
        for slot in self.slots:
            if slot.process is not None:
                log.warn("worker {worker} (pid {pid}) still running {s} s after SIGTERM: killing it",
                         worker=slot.index, pid=slot.pid, s=STOP_SECONDS)
                self._signal(slot, "KILL")

    @staticmethod
    def _signal(slot: WorkerSlot, name: str) -> None:
        try:
            slot.process.transport.signalProcess(name)
        except (error.ProcessExitedAlready, OSError):
            pass


def _close_database(db) -> None:
    """(database thread) The supervisor needs the database only to start up."""
    if not db.is_closed():
        db.close()
    close_all = getattr(db, "close_all", None)  # a PostgreSQL pool's idle connections
    if close_all is not None:
        close_all()
