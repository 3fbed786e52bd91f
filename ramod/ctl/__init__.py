"""``ramoctl``: ramod's management API from the command line, for hosts without a desktop.

``args`` parses the command line, ``connection`` finds the server and its admin key,
``commands`` runs one command through ``ramoclient.admin.AdminClient`` and ``render`` turns
its answer into text; :func:`main` ties them together.  Imports only the standard library
and ``ramoclient`` (no Twisted), so it runs wherever Python does.
"""

import os
import sys

from ramoclient.admin import AdminApiError, AdminConnectionError
from ramod.ctl.args import parse_args
from ramod.ctl.commands import EXIT_API_ERROR, EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from ramod.ctl.connection import UsageError, make_client

# What to type instead, for API errors whose message speaks of the API's own fields.
HINTS = {
    "bucket_not_empty": "'buckets delete NAME --force' deletes its objects and uploads too",
    "credential_in_use": "'buckets owner NAME ID' gives a bucket to another key",
}


def main(argv=None) -> int:
    """Run one ramoctl command; returns the exit status (see ``args.EXIT_RULES``)."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(make_client(args, os.environ), args)
    except UsageError as exc:
        print(f"ramoctl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AdminApiError as exc:
        print(f"ramoctl: {exc.code}: {exc.message}", file=sys.stderr)
        if exc.code in HINTS:
            print(f"ramoctl: hint: {HINTS[exc.code]}", file=sys.stderr)
        return EXIT_API_ERROR
    except AdminConnectionError as exc:
        print(f"ramoctl: {exc}", file=sys.stderr)
        return EXIT_CONNECTION
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
