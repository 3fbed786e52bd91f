"""Several ramod gateways on one PostgreSQL database and one data directory, and the clients
that spread requests over them (tests/integration/test_gateways.py, test_gateway_crashes.py).

``Gateways`` starts N ``twistd ramod`` processes (``RamodProcess``), each with its own
``--node-id``, ports and work directory, all with the same ``--db`` and ``--data-dir``;
any of them may run worker processes.  ``RoundRobin`` looks like a boto3 S3 client but
sends each call to the next gateway in turn (a paginator's pages too), the way a load
balancer or DNS round robin would, skipping gateways that are down; ``RotatingServer``
stands in for the one server a reused test takes (``ramod``, ``server``): each reading of
its ``endpoint`` or ``admin_port`` names the next gateway, so the aws CLI fixture and the
management API calls go round the gateways too.  ``census`` counts blob files against
the database: what is referenced, queued as garbage, leaked or missing.
"""

import itertools
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import psycopg2
from botocore.config import Config

from ramod_process import REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess


class Gateways:
    """``len(workers)`` gateways ``gw0``, ``gw1``...: gateway i runs ``workers[i]`` worker
    processes (1: a single process), all on the database ``db_url`` and the data directory
    ``<workdir>/shared-data``.

    :param extra_args: more ``ramod`` options for every gateway (``--garbage-grace 8``).
    """

    def __init__(self, workdir, db_url: str, workers=(2, 1, 1), extra_args=()):
        self.workdir = Path(workdir)
        self.db_url = db_url
        self.data_dir = self.workdir / "shared-data"
        self.gateways = [
            RamodProcess(self.workdir / f"gw{i}", data_dir=self.data_dir, workers=count,
                         extra_args=["--db", db_url, "--node-id", f"gw{i}", *extra_args])
            for i, count in enumerate(workers)]
        self.started_at = None

    def __getitem__(self, index) -> RamodProcess:
        return self.gateways[index]

    def __iter__(self):
        return iter(self.gateways)

    def __len__(self):
        return len(self.gateways)

    def start(self) -> "Gateways":
        """Start every gateway at once (their schema migrations meet on the migration
        lock) and return once all serve, their workers included."""
        self.started_at = time.monotonic()
        with ThreadPoolExecutor(len(self.gateways)) as pool:
            started = [pool.submit(g.start) for g in self.gateways]
            errors = [f.exception() for f in started]
        if any(errors):
            self.stop()
            raise next(e for e in errors if e)
        for gateway in self.gateways:
            if gateway.workers > 1:
                gateway.wait_for_workers()
        return self

    def stop(self) -> None:
        """SIGTERM every gateway still running (they drain at once, in parallel)."""
        with ThreadPoolExecutor(len(self.gateways)) as pool:
            list(pool.map(lambda g: g.stop() if g.running else None, self.gateways))

    def client(self, **options) -> "RoundRobin":
        return RoundRobin(self.gateways, **options)

    def rotating(self) -> "RotatingServer":
        return RotatingServer(self.gateways)

    # -- what the database and the data directory hold ------------------------------------

    def sql(self, statement: str, params=()) -> list:
        """Run one statement on the gateways' database (committed); its rows, if any."""
        conn = psycopg2.connect(self.db_url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def census(self) -> "BlobCensus":
        """What is referenced and queued as garbage (read first), then the files there are:
        a sweep removing a garbage file in between can't pass for a leak."""
        referenced = {r[0] for r in self.sql("SELECT blob_id FROM blob")}
        garbage = {r[0] for r in self.sql("SELECT blob_id FROM garbageblob")}
        return BlobCensus(referenced, garbage, blob_files(self.data_dir),
                          staging_files(self.data_dir))

    def sweep_holder(self):
        """The process holding the garbage sweep's lease (``node`` or ``node/worker``)."""
        rows = self.sql("SELECT holder FROM lease WHERE name = 'garbage-sweep'")
        return rows[0][0] if rows else None


def blob_files(data_dir) -> set:
    """The blob ids that have a file under ``blobs/``."""
    found = set()
    for _, _, files in os.walk(Path(data_dir) / "blobs"):
        found.update(files)
    return found


def staging_files(data_dir) -> list:
    """Every file under ``staging/`` (relative paths): uploads in flight, or left by a crash."""
    root = Path(data_dir) / "staging"
    return sorted(str(Path(d, f).relative_to(root)) for d, _, files in os.walk(root) for f in files)


@dataclass
class BlobCensus:
    referenced: set          # blob ids the metadata holds (objects, their parts, upload parts)
    garbage: set             # blob ids queued for the sweep
    files: set               # blob ids with a file under blobs/
    staging: list = field(default_factory=list)

    @property
    def missing(self) -> set:
        """Referenced blobs without their file: data lost."""
        return self.referenced - self.files

    @property
    def leaked(self) -> set:
        """Files nothing references and nothing will remove."""
        return self.files - self.referenced - self.garbage

    def problems(self) -> list:
        """Everything wrong, for an assertion message; with no traffic running, staging
        must be empty too (recovery cleans what a crash left there)."""
        found = []
        if self.missing:
            found.append(f"{len(self.missing)} referenced blobs have no file: "
                         f"{sorted(self.missing)[:5]}")
        if self.leaked:
            found.append(f"{len(self.leaked)} blob files leaked (neither referenced nor "
                         f"queued): {sorted(self.leaked)[:5]}")
        if self.referenced & self.garbage:
            found.append(f"blobs both referenced and queued as garbage: "
                         f"{sorted(self.referenced & self.garbage)[:5]}")
        if self.staging:
            found.append(f"{len(self.staging)} files left in staging: {self.staging[:5]}")
        return found

    def __str__(self):
        return (f"{len(self.referenced)} referenced, {len(self.garbage)} queued as garbage, "
                f"{len(self.files)} files, {len(self.staging)} staged")


def client_config(max_pool_connections=10, signature_version="s3v4", addressing_style="path",
                  **config) -> Config:
    """boto3's configuration for the gateways: no retries (each call is one attempt, so a
    5xx fails the test and an acknowledgement means one request succeeded)."""
    config.setdefault("connect_timeout", 10)
    config.setdefault("read_timeout", 60)
    return Config(signature_version=signature_version, s3={"addressing_style": addressing_style},
                  retries={"total_max_attempts": 1, "mode": "standard"},
                  max_pool_connections=max_pool_connections, **config)


_session = None
_session_lock = threading.Lock()


def _client(endpoint, access_key, secret_key, config):
    """A boto3 S3 client from the one session all of them share: a client costs 10 ms
    then, not 200 (a session loads the service model once), and every client raises the
    same exception classes.  Sessions are not thread-safe: one client is made at a time."""
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("s3", endpoint_url=endpoint, region_name=REGION,
                               aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                               config=config)


class RoundRobin:
    """An S3 client over several gateways: each call goes to the next one in turn.

    Any boto3 client method works (``put_object``, ``generate_presigned_url``...);
    ``get_paginator`` sends each page to the next gateway.  Gateways that are not running
    (killed, or being restarted) are skipped, as a load balancer's health check would;
    a gateway restarted on a new port gets a new client.  ``on(i)`` is gateway i's own
    client; ``calls`` counts the calls each gateway got.  Thread-safe.

    :param options: ``client_config`` arguments (``signature_version``,
        ``max_pool_connections``...).
    """

    def __init__(self, gateways, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY,
                 **options):
        self.gateways = list(gateways)
        self.access_key, self.secret_key = access_key, secret_key
        self._config = client_config(**options)
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self._clients = {}
        self.calls = Counter()

    def on(self, index: int):
        """Gateway ``index``'s client (for its current port)."""
        endpoint = self.gateways[index].endpoint
        with self._lock:
            client = self._clients.get((index, endpoint))
            if client is None:
                client = self._clients[(index, endpoint)] = _client(
                    endpoint, self.access_key, self.secret_key, self._config)
        return client

    def pick(self) -> tuple:
        """``(index, client)`` of the next gateway that is up (of the next one anyway if
        none is)."""
        count = len(self.gateways)
        for _ in range(count):
            index = next(self._turn) % count
            gateway = self.gateways[index]
            if gateway.running and gateway.port is not None:
                break
        with self._lock:
            self.calls[index] += 1
        return index, self.on(index)

    def _any(self):
        for index, gateway in enumerate(self.gateways):
            if gateway.port is not None:
                return self.on(index)
        raise RuntimeError("no gateway has ever listened")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self._any(), name)
        if name in ("meta", "exceptions") or not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            return getattr(self.pick()[1], name)(*args, **kwargs)
        call.__name__ = name
        return call

    def get_paginator(self, operation: str):
        paginator = self._any().get_paginator(operation)
        # the paginator calls the client method it was made with for every page
        paginator._method = getattr(self, paginator._method.__name__)
        return paginator


class RotatingServer:
    """Where a test takes one server: the gateways' shared ``data_dir``, and each reading
    of ``endpoint``, ``admin_port`` or ``admin_url`` names the next gateway that is up."""

    def __init__(self, gateways):
        self.gateways = list(gateways)
        self.data_dir = self.gateways[0].data_dir
        self.admin_key = self.gateways[0].admin_key
        self._turn = itertools.count()

    def next(self) -> RamodProcess:
        for _ in range(len(self.gateways)):
            gateway = self.gateways[next(self._turn) % len(self.gateways)]
            if gateway.running and gateway.port is not None:
                return gateway
        raise RuntimeError("no gateway is running")

    @property
    def endpoint(self) -> str:
        return self.next().endpoint

    @property
    def admin_port(self) -> int:
        return self.next().admin_port

    @property
    def admin_url(self) -> str:
        return self.next().admin_url
