"""twistd glue only: the ``ramod`` command-line options and ``makeService``."""

from twisted.python import usage

from ramod.config import Config


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

    def postOptions(self):
        self["parsed"] = Config.from_options(self)


def makeService(options, reactor=None):
    """Build the service tree for ``twistd ramod``."""
    from ramod.glibc_malloc import tune_allocator
    from ramod.service import RamoService

    tune_allocator()
    if reactor is None:
        from twisted.internet import reactor
    return RamoService(options["parsed"], reactor)
