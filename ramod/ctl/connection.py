"""Which management API ramoctl talks to, and with which admin key: options first, then the
environment, then the key file in the server's data directory."""

from pathlib import Path

from ramoclient.admin import AdminClient
from ramoclient.limits import ADMIN_KEY_FILE

DEFAULT_URL = "http://127.0.0.1:9001"
DEFAULT_DATA_DIR = "./ramo-data"


class UsageError(Exception):
    """The command line or the environment cannot be used (exit status 2)."""


def resolve_connection(args, environ) -> tuple[str, str]:
    """The management API's URL and admin key from the options, environment or data dir."""
    url = args.url or environ.get("RAMO_ADMIN_URL") or DEFAULT_URL
    key = args.api_key or environ.get("RAMO_ADMIN_API_KEY")
    if key:
        return url, key
    data_dir = args.data_dir or environ.get("RAMO_DATA_DIR") or DEFAULT_DATA_DIR
    path = Path(data_dir) / ADMIN_KEY_FILE
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        raise UsageError(
            f"no admin API key: pass --api-key, set RAMO_ADMIN_API_KEY or point --data-dir at "
            f"the server's data directory ({path} does not exist)") from None
    except OSError as exc:
        raise UsageError(f"cannot read the admin API key from {path}: {exc.strerror}") from None
    if not key:
        raise UsageError(f"the admin API key file {path} is empty")
    return url, key


def make_client(args, environ) -> AdminClient:
    url, key = resolve_connection(args, environ)
    try:
        return AdminClient(url, key, timeout=args.timeout, verify=not args.insecure,
                           cafile=args.cacert)
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
    except OSError as exc:  # an unreadable --cacert
        raise UsageError(f"--cacert: {exc.strerror or exc}") from None
