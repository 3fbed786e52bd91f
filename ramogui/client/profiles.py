"""Connection profiles: where a Ramo server is and which keys to use.

A ``Profile`` holds what is not secret; the admin API key and the secret access key are
``Secrets``, kept apart (in the desktop's keyring where there is one, see ``secret_store``).
"""

from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"


@dataclass
class Profile:
    """One server as the app connects to it.

    :param s3_url: the S3 endpoint, e.g. ``http://127.0.0.1:9000``.
    :param admin_url: the management API, e.g. ``http://127.0.0.1:9001``.
    :param access_key: the S3 access key uploads and downloads are signed with.
    :param verify_tls: check the servers' certificates (https).
    :param cafile: a PEM file of CA certificates to trust instead of the system's.
    """

    name: str
    s3_url: str
    admin_url: str
    access_key: str
    region: str = DEFAULT_REGION
    verify_tls: bool = True
    cafile: str | None = None


@dataclass
class Secrets:
    """The secret half of a profile."""

    admin_key: str
    secret_key: str
