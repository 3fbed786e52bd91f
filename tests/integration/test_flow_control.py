"""Flow control against a real ramod: misbehaving clients cannot make the server buffer."""

import socket
import time

from ramod_process import RamodProcess, signed_headers, unique_bucket_name


def _raw_request(method: str, endpoint: str, path: str, extra: dict | None = None) -> bytes:
    headers, _, _ = signed_headers(method, f"{endpoint}{path}", headers=extra)
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_client_not_reading_a_get_cannot_grow_server_memory(tmp_path, s3_factory):
    """A client that stops reading a large GET and keeps sending pipelined bytes is paused."""
    with RamodProcess(tmp_path) as server:
        s3 = s3_factory(server)
        bucket = unique_bucket_name("flow")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="big", Body=b"b" * (32 << 20))
        before = server.memory_status()["VmRSS"]
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(_raw_request("GET", server.endpoint, f"/{bucket}/big"))
        time.sleep(0.5)
        sock.setblocking(False)
        junk, sent, deadline = b"j" * (1 << 20), 0, time.time() + 10
        while time.time() < deadline and sent < (512 << 20):
            try:
                sent += sock.send(junk)
            except BlockingIOError:
                time.sleep(0.05)
        grown = server.memory_status()["VmRSS"] - before
        sock.close()
        assert sent < (64 << 20), f"the server kept reading: {sent} bytes accepted"
        assert grown < (64 << 20), f"server memory grew by {grown} bytes"
        assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == 32 << 20
