"""twistd glue only: the ``ramod`` command-line options and ``makeService``."""

from pathlib import Path

from twisted.python import usage

from ramod.config import DEFAULTS, Config


class Options(usage.Options):
    """Options of ``twistd ramod``; unset ones fall back to ``--config`` then defaults."""

    optParameters = [
        ["listen", None, None, "S3 listener, a strports string [default: tcp:9000:interface=127.0.0.1]"],
        ["data-dir", None, None, "Directory for object data and the SQLite database [default: ./ramo-data]"],
        ["db", None, None, "Metadata database URL [default: sqlite:///<data-dir>/ramo.sqlite3]"],
        ["region", None, None, "Region reported and expected in signatures [default: us-east-1]"],
        ["domain", None, None, "Domain for virtual-hosted addressing (<bucket>.<domain>)"],
        ["config", None, None, "INI file with a [ramod] section holding any of these options"],
        ["port-file", None, None, "Write the bound S3 port number to this file once listening"],
        ["max-skew", None, None, "Allowed clock skew of signed requests, seconds [default: 900]"],
        ["max-object-size", None, None, "Largest single PUT in bytes [default: 5 GiB]"],
        ["io-threads", None, None, "Threads for disk writes, fsync and hashing [default: 16]"],
        ["multipart-max-age", None, None,
         "Abort multipart uploads left unfinished this many seconds [default: 604800, 7 days]"],
        ["admin-listen", None, None,
         "Management API listener, a strports string, or 'off' [default: tcp:9001:interface=127.0.0.1]"],
        ["admin-port-file", None, None, "Write the bound management API port to this file"],
        ["public-url", None, None,
         "S3 base URL clients use, for presigned URLs [default: the S3 listener's address]"],
        ["access-log", None, None,
         "Access log file, '-' for the twistd log, 'off' for none [default: <data-dir>/access.log]"],
        ["workers", None, None,
         "Worker processes behind the listeners; 1 = a single process [default: CPUs, at most 8]"],
        ["node-id", None, None,
         "This gateway's name when several share one database and data dir [default: host name]"],
        ["garbage-grace", None, None,
         "Keep unreferenced blobs this many seconds for reads still going on [default: 3600]"],
    ]

    #: internal, not for users: the supervisor starts each worker process with its number
    optParameters.append(["worker-id", None, None, "(internal: set by the supervisor)"])

    def postOptions(self):
        self["parsed"] = Config.from_options(self)


def worker_arguments(options) -> list:
    """The ``ramod`` options a supervisor's workers get: the ones it was given, so that
    each worker reads the same ``--config`` file and settings; no port files (the
    supervisor writes them) and no ``--worker-id`` (the supervisor adds each one's)."""
    args = []
    if options.get("config"):
        args += ["--config", str(Path(options["config"]).resolve())]
    for name in DEFAULTS:
        if name not in ("port-file", "admin-port-file") and options.get(name) is not None:
            args += [f"--{name}", options[name]]
    return args


def makeService(options, reactor=None):
    """Build the service tree for ``twistd ramod``: a single server (``--workers 1``, or a
    worker process), else a supervisor of ``--workers`` worker processes."""
    from ramod.glibc_malloc import tune_allocator

    tune_allocator()
    if reactor is None:
        from twisted.internet import reactor
    config = options["parsed"]
    if config.workers > 1 and config.worker_id is None:
        from ramod.supervisor import Supervisor
        return Supervisor(config, reactor, worker_arguments(options))
    from ramod.service import RamoService
    return RamoService(config, reactor)
