"""Server configuration: one frozen dataclass, built from twistd options and an optional file.

Precedence: command line > ``--config`` file > defaults.  The file is INI with a
``[ramod]`` section using the long option names (``listen``, ``data-dir``, ...).
All validation happens here, so a bad setting stops ``twistd`` with a usage error.
"""

import configparser
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from twisted.python import usage

DEFAULTS = {
    "listen": "tcp:9000:interface=127.0.0.1",
    "data-dir": "ramo-data",
    "db": "",
    "region": "us-east-1",
    "domain": "",
    "port-file": "",
    "max-skew": "900",
    "max-object-size": str(5 * 1024**3),
    "io-threads": "16",
    "access-log": "",
    "multipart-max-age": str(7 * 24 * 3600),
    "admin-listen": "tcp:9001:interface=127.0.0.1",
    "admin-port-file": "",
    "public-url": "",
    "workers": "",
    "node-id": "",
    "garbage-grace": "3600",
}

#: the most worker processes --workers defaults to, whatever the machine has
MAX_DEFAULT_WORKERS = 8
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")

_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Config:
    """Everything ramod needs to start, validated."""

    listen: str
    data_dir: Path
    db_url: str
    region: str
    domain: str
    port_file: Path | None
    max_skew: int
    max_object_size: int
    io_threads: int
    access_log: str
    #: seconds after which an unfinished multipart upload is aborted and its parts freed
    multipart_max_age: int
    root_access_key: str | None
    root_secret_key: str | None
    #: the management API's listener (strports), None when switched off
    admin_listen: str | None = None
    admin_port_file: Path | None = None
    #: the management API key from RAMO_ADMIN_API_KEY (else generated and kept in the data dir)
    admin_api_key: str | None = None
    #: base URL of the S3 endpoint as clients reach it (presigned URLs); "" = the listener's
    public_url: str = ""
    #: worker processes behind the listeners (1: this process serves, as a single server)
    workers: int = 1
    #: this gateway's name in a cluster (staging area, leases); the host name by default
    node_id: str = "local"
    #: set in a worker process by its supervisor (1..workers); None in a single server
    #: and in the supervisor itself
    worker_id: int | None = None
    #: seconds an unreferenced blob's file is kept, for GETs (on any process) that read
    #: the object before it was overwritten or deleted
    garbage_grace: int = 3600

    @classmethod
    def from_options(cls, options, environ=os.environ) -> "Config":
        """Merge command-line options, the config file and defaults; raise UsageError on bad values."""
        values = dict(DEFAULTS)
        if options.get("config"):
            values.update(_read_file(options["config"]))
        for name in DEFAULTS:
            if options.get(name) is not None:
                values[name] = options[name]
        data_dir = Path(values["data-dir"]).expanduser().resolve()
        db_url = values["db"] or f"sqlite:///{data_dir / 'ramo.sqlite3'}"
        if not db_url.startswith(("sqlite:///", "postgres://", "postgresql://", "postgresext://")):
            raise usage.UsageError(f"--db must be a sqlite:/// or postgresql:// URL, got {db_url!r}")
        region = values["region"]
        if not _REGION.fullmatch(region):
            raise usage.UsageError(f"--region {region!r} is not a valid region name")
        access = environ.get("RAMO_ROOT_ACCESS_KEY") or None
        secret = environ.get("RAMO_ROOT_SECRET_KEY") or None
        if bool(access) != bool(secret):
            raise usage.UsageError("set both RAMO_ROOT_ACCESS_KEY and RAMO_ROOT_SECRET_KEY, or neither")
        admin_key = environ.get("RAMO_ADMIN_API_KEY") or None
        if admin_key is not None and len(admin_key) < 16:
            raise usage.UsageError("RAMO_ADMIN_API_KEY must be at least 16 characters long")
        public_url = values["public-url"].rstrip("/")
        if public_url and not re.fullmatch(r"https?://[^/?#\s]+", public_url):
            raise usage.UsageError(f"--public-url must be http(s)://host[:port], got {public_url!r}")
        return cls(
            admin_listen=None if values["admin-listen"] == "off" else values["admin-listen"],
            admin_port_file=(Path(values["admin-port-file"]).resolve()
                             if values["admin-port-file"] else None),
            admin_api_key=admin_key,
            public_url=public_url,
            listen=values["listen"],
            data_dir=data_dir,
            db_url=db_url,
            region=region,
            domain=values["domain"].strip(".").lower(),
            port_file=Path(values["port-file"]).resolve() if values["port-file"] else None,
            max_skew=_positive_int("max-skew", values["max-skew"]),
            max_object_size=_positive_int("max-object-size", values["max-object-size"]),
            io_threads=_positive_int("io-threads", values["io-threads"]),
            access_log=_access_log(values["access-log"], data_dir),
            multipart_max_age=_positive_int("multipart-max-age", values["multipart-max-age"]),
            root_access_key=access,
            root_secret_key=secret,
            workers=(_positive_int("workers", values["workers"]) if values["workers"]
                     else default_workers()),
            node_id=_node_id(values["node-id"] or socket.gethostname().split(".")[0]),
            garbage_grace=_non_negative_int("garbage-grace", values["garbage-grace"]),
            # internal, never from the file: the supervisor gives it to the workers it starts
            worker_id=(_positive_int("worker-id", options["worker-id"])
                       if options.get("worker-id") is not None else None),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite:")

    @property
    def process_name(self) -> str:
        """Who this process is in the cluster: ``node`` or ``node/worker``."""
        return self.node_id if self.worker_id is None else f"{self.node_id}/{self.worker_id}"


def default_workers() -> int:
    """The CPUs this process may run on, at most MAX_DEFAULT_WORKERS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def _node_id(value: str) -> str:
    if not _NODE_ID.fullmatch(value):
        raise usage.UsageError(
            f"--node-id must be 1 to 63 letters, digits, '.', '_' or '-', got {value!r}")
    return value


def _read_file(path: str) -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, configparser.Error) as e:
        raise usage.UsageError(f"cannot read config file {path}: {e}")
    if not parser.has_section("ramod"):
        raise usage.UsageError(f"config file {path} has no [ramod] section")
    values = dict(parser.items("ramod"))
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise usage.UsageError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
    return values


def _access_log(value: str, data_dir: Path) -> str:
    if value in ("-", "off"):
        return value
    return str(Path(value).expanduser().resolve()) if value else str(data_dir / "access.log")


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise usage.UsageError(f"--{name} must be a positive whole number, got {value!r}")
    return number


def _non_negative_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise usage.UsageError(f"--{name} must be a whole number of seconds, got {value!r}")
    return number
