"""S3's naming rules for new buckets (pure: the server and the desktop app both check them)."""

import ipaddress
import re

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name_problem(name: str) -> str | None:
    """Which rule ``name`` breaks, as the end of "the name ..." (``None``: it is valid)."""
    if not 3 <= len(name) <= 63:
        return "must be between 3 and 63 characters long"
    if not _BUCKET_CHARS.match(name):
        return ("may only contain lowercase letters, digits, dots and hyphens, and must begin "
                "and end with a letter or digit")
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain two adjacent periods, or a period next to a hyphen"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return "must not start with 'xn--', 'sthree-' or 'amzn-s3-demo-'"
    if name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")):
        return "must not end with a reserved suffix such as '-s3alias' or '--ol-s3'"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return None
    return "must not be formatted as an IP address"
