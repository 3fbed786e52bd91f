"""Stopping a real ramod lets requests in flight finish."""

import os

from ramod_process import RamodProcess, put_across_sigterm, unique_bucket_name


def test_sigterm_lets_an_upload_in_flight_finish(tmp_path, s3_factory):
    """An upload half sent when SIGTERM arrives completes with 200 and is there after restart."""
    server = RamodProcess(tmp_path)
    with server:
        s3 = s3_factory(server)
        bucket = unique_bucket_name("drain")
        s3.create_bucket(Bucket=bucket)
        body = os.urandom(4 << 20)
        response = put_across_sigterm(server, bucket, "k", body)
        assert response.status == 200, response.read()[:300]
        server.stop()
        assert "Server Shut Down" in server.log_tail()
    with server:
        got = s3_factory(server).get_object(Bucket=bucket, Key="k")["Body"].read()
        assert got == body
