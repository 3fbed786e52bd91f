"""A connected profile: the management API client and the S3 client, made once."""

import ssl

from ramoclient.admin import AdminClient
from ramogui.client.errors import ClientError
from ramogui.client.profiles import Profile, Secrets
from ramogui.client.s3 import S3Client


class Session:
    """What every view and job talks to.  Both clients are thread-safe (a connection per
    call), so one ``Session`` serves every worker thread.

    :param timeout: seconds to wait for a connection and for each read.
    :raises ClientError: the profile's CA file is missing or holds no certificate.
    """

    def __init__(self, profile: Profile, secrets: Secrets, timeout: float = 30.0):
        self.profile = profile
        try:
            self.admin = AdminClient(profile.admin_url, secrets.admin_key, timeout,
                                     verify=profile.verify_tls, cafile=profile.cafile)
            self.s3 = S3Client(profile.s3_url, profile.access_key, secrets.secret_key,
                               region=profile.region, timeout=timeout,
                               verify=profile.verify_tls, cafile=profile.cafile)
        except FileNotFoundError as exc:
            raise ClientError(f"The CA file {profile.cafile} does not exist.") from exc
        except ssl.SSLError as exc:
            raise ClientError(f"The CA file {profile.cafile} holds no usable PEM certificate "
                              f"({exc.reason or exc}).") from exc
