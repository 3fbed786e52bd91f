"""https:// pointed at ramod's plain-HTTP ports fails at once instead of hanging."""

import socket
import ssl
import time

import pytest


def ports(server):
    return {"S3": server.port, "management API": server.admin_port}


def test_tls_handshake_to_a_plain_port_fails_at_once(ramod):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for name, port in ports(ramod).items():
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            with pytest.raises(ssl.SSLError):
                context.wrap_socket(raw, server_hostname="127.0.0.1")
        assert time.monotonic() - started < 5, name


def test_the_refusal_is_a_plain_400_that_says_why(ramod):
    for port in ports(ramod).values():
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            raw.sendall(b"\x16\x03\x01\x00\x05hello")
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert answer.endswith(b"This port speaks plain HTTP, not TLS: use an http:// URL.\n")


def test_plain_requests_still_work_afterwards(ramod, s3):
    s3.list_buckets()
    with socket.create_connection(("127.0.0.1", ramod.admin_port), timeout=20) as raw:
        raw.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 200")
