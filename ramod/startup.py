"""A node's one-time start-up work, shared by the single server and the supervisor.

A *node* is one gateway: a single server (``--workers 1``, ``ramod.service.RamoService``)
or a supervisor and its workers (``ramod.supervisor``).  Its main process, and only that
one, at start:

1. creates the data directory tree;
2. takes the node's lock: with SQLite the data directory's (``ramod.lock``: one server
   per data directory, whatever its node id, since SQLite over a shared filesystem is not
   safe), with PostgreSQL the node id's (``ramod.metadata.node_lock``: gateways with
   different node ids share the database and the data directory);
3. migrates the schema;
4. recovers the staging areas no live process holds: the old flat ``staging/`` and the
   node's slots (``ramod.storage.filesystem``);
5. makes sure the root credential exists, and loads or creates the management API key;

and once listening, writes the port files and prints the "how to connect" banner.
Workers skip all of it except recovering their own staging slot.
"""

import os
import secrets
import string
import sys
from dataclasses import dataclass

from twisted.internet import defer, task
from twisted.logger import Logger

from ramoclient.limits import ADMIN_KEY_FILE
from ramod.metadata.node_lock import CHECK_SECONDS, NodeLock

log = Logger(namespace="ramod")


@dataclass
class NodeStart:
    """What the start-up work found: the root credential and the management API key."""

    root: object
    root_created: bool
    admin_key: str | None
    admin_key_created: bool


async def claim_node(config, blobs, pools) -> NodeLock | None:
    """Steps 1-2; returns the PostgreSQL node lock to release at the end (None on SQLite).
    Raises DataDirInUse / NodeIdInUse when another server has it."""
    await pools.run_io(blobs.prepare)
    if config.is_sqlite:
        blobs.lock()
        return None
    node_lock = NodeLock(config.db_url, config.node_id)
    await pools.run_io(node_lock.acquire)
    return node_lock


def fail_start(reactor, failure) -> None:
    """A node or worker could not start: say why, stop, and exit with status 1 (twistd would
    exit 0 after ``reactor.stop()``; a failed start must say so to its caller)."""
    log.failure("ramod could not start", failure)
    print(f"ramod: could not start: {failure.getErrorMessage()}", file=sys.stderr, flush=True)
    reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
    reactor.stop()


def watch_node_lock(reactor, pools, node_lock, node_id: str):
    """PostgreSQL: check the node lock every CHECK_SECONDS (a LoopingCall to stop at the
    end; None on SQLite); stop the reactor if another gateway took this node id while
    the database was out of reach."""
    if node_lock is None:
        return None

    async def check():
        try:
            held = await pools.run_io(node_lock.check)
        except Exception as e:
            log.warn("cannot check the node lock ({e}); will try again", e=e)
            return
        if not held:
            log.critical("another gateway took node id {node} while the database was out "
                         "of reach: stopping", node=node_id)
            reactor.stop()

    loop = task.LoopingCall(lambda: defer.Deferred.fromCoroutine(check()))
    loop.clock = reactor
    loop.start(CHECK_SECONDS, now=False)
    return loop


async def recover_staging(store, blobs, pools, area=None) -> None:
    """Roll the uploads interrupted in ``area`` (default: this process's own) forward or
    back (``BlobStore.recover``)."""
    staged = await pools.run_io(blobs.staged_ids, area)
    committed = await store.blobs_exist(staged) if staged else set()
    removed = await pools.run_io(blobs.recover, committed, staged, area)
    if staged:
        where = (area or blobs.staging).path
        log.info("recovered {n} interrupted uploads in {where} ({r} removed)",
                 n=len(staged), where=str(where), r=removed)


async def prepare_node(config, store, blobs, pools, make_keys) -> NodeStart:
    """Steps 3-5 (the node is claimed and the database open)."""
    await store.migrate()
    # SQLite: this server has the whole data directory, every node id's slots with it
    for area in await pools.run_io(blobs.idle_staging_areas, config.is_sqlite):
        try:
            await recover_staging(store, blobs, pools, area)
        finally:
            area.unlock()
    root, created = await store.ensure_root(config.root_access_key, config.root_secret_key,
                                            make_keys)
    admin_key, admin_created = None, False
    if config.admin_listen is not None:
        admin_key, admin_created = await pools.run_io(load_admin_key, config)
    return NodeStart(root, created, admin_key, admin_created)


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


def write_port_file(path, port: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(path)


def base_url(address, tls: bool = False) -> str:
    """``http(s)://host:port`` of a listening address (127.0.0.1 for a wildcard one)."""
    host = "127.0.0.1" if address.host in ("0.0.0.0", "::") else address.host
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{host}:{address.port}"


def is_tls(description: str) -> bool:
    return description.startswith(("ssl:", "tls:"))


def print_banner(config, start: NodeStart, url: str, workers: str = "") -> None:
    """The S3 listener's "how to connect" lines (the secret only when just created)."""
    root, created = start.root, start.root_created
    if config.root_secret_key:
        secret = "(from RAMO_ROOT_SECRET_KEY)"
    elif created:
        secret = root.secret_key
    else:
        secret = "(printed when the data directory was created)"
    shown = root.secret_key if created and not config.root_secret_key else "<secret>"
    print(
        f"\nRamo S3 server listening on {url} (data: {config.data_dir}){workers}\n"
        f"  access key: {root.access_key}\n"
        f"  secret key: {secret}\n"
        f"  region:     {config.region}\n\n"
        f"  AWS CLI: AWS_ACCESS_KEY_ID={root.access_key} AWS_SECRET_ACCESS_KEY={shown} "
        f"aws --endpoint-url {url} s3 ls\n"
        f"  boto3:   boto3.client('s3', endpoint_url='{url}', aws_access_key_id="
        f"'{root.access_key}', aws_secret_access_key='{shown}', region_name="
        f"'{config.region}')\n", flush=True)
    log.info("listening on {url}", url=url)


def print_admin_banner(config, start: NodeStart, url: str) -> None:
    if config.admin_api_key:
        shown = "(from RAMO_ADMIN_API_KEY)"
    elif start.admin_key_created:
        shown = f"{start.admin_key}  (kept in {config.data_dir / ADMIN_KEY_FILE})"
    else:
        shown = f"(in {config.data_dir / ADMIN_KEY_FILE})"
    print(f"Management API on {url}/api/v1 (OpenAPI: {url}/openapi.json)\n"
          f"  admin API key: {shown}\n"
          f"  ramoctl --url {url} stats\n", flush=True)
    log.info("management API listening on {url}", url=url)
