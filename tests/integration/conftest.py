"""Fixtures that run real ramod servers and point boto3, the aws CLI and raw HTTP at them.

One plain-HTTP server (``ramod``, with ``--domain localhost`` for virtual-hosted
addressing) serves the whole session; tests that kill or restart a server start
their own ``RamodProcess``.  Names under ``.localhost`` do not resolve on this
machine's glibc, so ``virtual_s3`` resolves them to 127.0.0.1 inside this test
process only.
"""

import datetime
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from OpenSSL import crypto

from postgres_cluster import PostgresCluster
from ramod_process import (
    REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, unique_bucket_name)

DOMAIN = "localhost"


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster (initdb/pg_ctl on a free port) for one test module;
    modules that use it skip themselves when PostgresCluster.available() is false."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def ramod(tmp_path_factory):
    """A plain-HTTP ramod serving the whole test session."""
    server = RamodProcess(tmp_path_factory.mktemp("ramod"), extra_args=["--domain", DOMAIN])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: ``(cert_path, key_path)``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # pyOpenSSL 26 can no longer add a subjectAltName (X509Extension is gone), so the
    # certificate is built with cryptography and written out through pyOpenSSL.
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(crypto.dump_certificate(
        crypto.FILETYPE_PEM, crypto.X509.from_cryptography(cert)))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="session")
def tls_ramod(tmp_path_factory, tls_cert):
    """A ramod listening with TLS on a free loopback port."""
    cert_path, key_path = tls_cert
    listen = f"ssl:0:interface=127.0.0.1:privateKey={key_path}:certKey={cert_path}"
    server = RamodProcess(tmp_path_factory.mktemp("ramod-tls"), listen=listen, scheme="https")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_factory(ramod):
    """Build boto3 S3 clients; defaults: the session server, root keys, path style, SigV4."""

    def make(server=None, *, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY,
             addressing_style="path", signature_version="s3v4", verify=None,
             endpoint_url=None, **config):
        server = server or ramod
        cfg = Config(signature_version=signature_version, s3={"addressing_style": addressing_style},
                     retries={"max_attempts": 1, "mode": "standard"},
                     connect_timeout=10, read_timeout=120, **config)
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or server.endpoint, region_name=REGION,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=cfg, verify=verify)

    return make


@pytest.fixture
def s3(s3_factory):
    """A path-style SigV4 boto3 client with the root keys."""
    return s3_factory()


@pytest.fixture
def virtual_s3(s3_factory, ramod, monkeypatch):
    """A virtual-hosted-style client: buckets are sent as ``<bucket>.localhost:<port>``."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith("." + DOMAIN):
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return s3_factory(addressing_style="virtual", endpoint_url=f"http://{DOMAIN}:{ramod.port}")


@pytest.fixture
def bucket(s3):
    """A fresh, empty bucket on the session server, emptied and removed afterwards."""
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    yield name
    try:
        empty_bucket(s3, name)
        s3.delete_bucket(Bucket=name)
    except s3.exceptions.NoSuchBucket:
        pass  # the test removed it itself


def empty_bucket(s3, name: str) -> None:
    """Abort the bucket's multipart uploads and delete its objects."""
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [obj["Key"] for obj in page.get("Contents", [])]
        if any(ord(c) < 0x20 and c not in "\t\n\r" for key in keys for c in key):
            for key in keys:  # XML 1.0 cannot carry such keys in a DeleteObjects body
                s3.delete_object(Bucket=name, Key=key)
        elif keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": k} for k in keys],
                                                   "Quiet": True})


@pytest.fixture
def aws_cli(ramod, tmp_path):
    """Run the ``aws`` CLI against the session server; returns the CompletedProcess.

    The temporary config raises ``multipart_threshold`` so that ``aws s3 cp`` uses one
    PutObject (multipart upload is not implemented yet) and disables every source of
    credentials or regions other than the environment set here.
    """
    config = tmp_path / "aws-config"
    config.write_text(
        "[default]\n"
        f"region = {REGION}\n"
        "s3 =\n"
        "    multipart_threshold = 4GB\n"
        "    addressing_style = path\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": ROOT_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "NO_PROXY": "*",
    }
    aws = Path(sys.executable).parent / "aws"

    def run(*args, check=True, timeout=300):
        argv = [sys.executable, str(aws), "--endpoint-url", ramod.endpoint, *map(str, args)]
        result = subprocess.run(argv, env=env, capture_output=True, text=True,
                                timeout=timeout, cwd=tmp_path)
        if check and result.returncode != 0:
            raise AssertionError(
                f"aws {' '.join(map(str, args))} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    return run
