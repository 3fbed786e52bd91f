"""Stopping a real ramod lets requests in flight finish."""

import http.client
import os
import signal
import socket
import time

from ramod_process import RamodProcess, signed_headers, unique_bucket_name


def test_sigterm_lets_an_upload_in_flight_finish(tmp_path, s3_factory):
    """An upload half sent when SIGTERM arrives completes with 200 and is there after restart."""
    server = RamodProcess(tmp_path)
    with server:
        s3 = s3_factory(server)
        bucket = unique_bucket_name("drain")
        s3.create_bucket(Bucket=bucket)
        body = os.urandom(4 << 20)
        headers, _, _ = signed_headers("PUT", f"{server.endpoint}/{bucket}/k",
                                       headers={"Content-Length": str(len(body))})
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        head = f"PUT /{bucket}/k HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode() + body[: len(body) // 2])
        time.sleep(1.0)  # the server has read the headers: the request is in flight
        os.kill(server.pid, signal.SIGTERM)
        time.sleep(0.3)
        sock.sendall(body[len(body) // 2:])
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200, response.read()[:300]
        sock.close()
        server.stop()
        assert "Server Shut Down" in server.log_tail()
    with server:
        got = s3_factory(server).get_object(Bucket=bucket, Key="k")["Body"].read()
        assert got == body
