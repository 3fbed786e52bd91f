"""Throughput benchmark: ramod against this machine's MD5 speed and against moto's server.

Starts a ramod (temp data dir, free loopback port) and, unless ``--skip-moto``, a moto
server, then prints one table.  The client is kept cheap so that it is not what is
measured: big transfers use ``socket.sendfile`` and ``readinto`` a reused buffer, small
requests are signed before the clock starts and sent from several processes over
keep-alive connections.  Run: ``.venv/bin/python benchmarks/bench.py``.
"""

import argparse
import hashlib
import http.client
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from loadgen import ChildServer, boto3_client, free_port, percentile, small_ops
from ramod_process import RamodProcess, signed_headers

MIB = 1024 * 1024


# -- servers -----------------------------------------------------------------------


class MotoServer(ChildServer):
    """``python -m moto.server`` on a free loopback port."""

    def __init__(self, workdir):
        port = free_port()
        super().__init__("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                  "-p", str(port)], workdir, port)


# -- measurements ----------------------------------------------------------------------


def md5_speed(total=512 * MIB, block=8 * MIB):
    """Single-core hashlib MD5 throughput in MiB/s."""
    data = os.urandom(block)
    md5 = hashlib.md5()
    start = time.perf_counter()
    for _ in range(total // block):
        md5.update(data)
    return total / MIB / (time.perf_counter() - start)


def make_file(path, size):
    """A file of ``size`` bytes made of a random 8 MiB block with a counter per block."""
    block = bytearray(os.urandom(8 * MIB))
    with open(path, "wb") as f:
        for index in range(0, size, len(block)):
            block[:8] = index.to_bytes(8, "big")
            f.write(block[:min(len(block), size - index)])


def put_file(endpoint_port, bucket, key, path):
    """PUT a file with one signed header block and ``sendfile``; returns seconds taken."""
    size = os.path.getsize(path)
    url = f"http://127.0.0.1:{endpoint_port}/{bucket}/{key}"
    headers, _, _ = signed_headers("PUT", url, headers={"Content-Length": str(size)})
    head = f"PUT /{bucket}/{key} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", endpoint_port)) as sock, open(path, "rb") as f:
        start = time.perf_counter()
        sock.sendall(head.encode())
        sock.sendfile(f)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"PUT failed: {response.status} {body[:300]!r}")
    return elapsed


def get_object(endpoint_port, bucket, key, buffer):
    """GET an object into a reused buffer; returns ``(bytes, seconds)``."""
    url = f"http://127.0.0.1:{endpoint_port}/{bucket}/{key}"
    headers, _, _ = signed_headers("GET", url)
    conn = http.client.HTTPConnection("127.0.0.1", endpoint_port)
    start = time.perf_counter()
    conn.request("GET", f"/{bucket}/{key}", headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET failed: {response.status} {response.read()[:300]!r}")
    received = 0
    while n := response.readinto(buffer):
        received += n
    elapsed = time.perf_counter() - start
    conn.close()
    return received, elapsed


def small_get_latencies(port, bucket, key, stop=None, count=300):
    """Latencies (ms) of sequential 1 KiB GETs on one keep-alive connection: ``count`` of
    them, or as many as fit until ``stop`` is set."""
    headers, _, _ = signed_headers("GET", f"http://127.0.0.1:{port}/{bucket}/{key}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    while (stop is None and len(latencies) < count) or (stop is not None and not stop.is_set()):
        start = time.perf_counter()
        conn.request("GET", f"/{bucket}/{key}", headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise RuntimeError(f"small GET failed: {response.status}")
    conn.close()
    return sorted(latencies)


def reactor_responsiveness(port, bucket, path, rows, name):
    """Small-GET latency idle and while a big PUT streams: the reactor must keep serving."""
    boto3_client(f"http://127.0.0.1:{port}").put_object(Bucket=bucket, Key="probe", Body=b"p" * 1024)
    idle = small_get_latencies(port, bucket, "probe")
    stop = threading.Event()
    result = {}
    prober = threading.Thread(target=lambda: result.update(
        lat=small_get_latencies(port, bucket, "probe", stop=stop)))
    prober.start()
    try:
        put_file(port, bucket, "big-during-probe.bin", path)
    finally:
        stop.set()
        prober.join()
    busy = result["lat"]
    rows[(name, "lat_idle_p50")] = percentile(idle, 0.5)
    rows[(name, "lat_busy_p50")] = percentile(busy, 0.5)
    rows[(name, "lat_busy_p99")] = percentile(busy, 0.99)


# -- driver ---------------------------------------------------------------------------


def bench_server(name, endpoint, port, pid, args, workdir, rows, big=True):
    client = boto3_client(endpoint)
    bucket = f"bench-{name}"
    client.create_bucket(Bucket=bucket)
    if big:
        path = workdir / "big.bin"
        if not path.exists():
            make_file(path, args.size_mib * MIB)
        size = path.stat().st_size
        seconds = put_file(port, bucket, "big.bin", path)
        rows[(name, "put_mib_s")] = size / MIB / seconds
        buffer = memoryview(bytearray(4 * MIB))
        for label in ("get1_gb_s", "get2_gb_s"):
            received, seconds = get_object(port, bucket, "big.bin", buffer)
            assert received == size, (received, size)
            rows[(name, label)] = size / 1e9 / seconds
        if name == "ramod":
            reactor_responsiveness(port, bucket, path, rows, name)
    for method in ("PUT", "GET"):
        ops, cpu = small_ops(port, bucket, method, args.small_count, args.concurrency,
                             args.processes, pid)
        rows[(name, f"small_{method.lower()}_ops")] = ops
        rows[(name, f"small_{method.lower()}_cpu")] = cpu


def print_table(rows, md5, args):
    def fmt(key, spec):
        value = rows.get(key)
        return "-" if value is None else format(value, spec)

    print()
    print(f"single-core MD5 (hashlib)            {md5:10.0f} MiB/s   ({os.cpu_count()} CPUs)")
    print()
    print(f"{'measurement':<44}{'ramod':>12}{'moto':>12}{'ramod/moto':>12}  aim")
    lines = [
        (f"PUT {args.size_mib} MiB, single stream (MiB/s)", "put_mib_s", ".0f", None),
        (f"GET {args.size_mib} MiB, first (GB/s)", "get1_gb_s", ".2f", None),
        (f"GET {args.size_mib} MiB, second/cached (GB/s)", "get2_gb_s", ".2f", ">= 1.5 GB/s"),
        (f"PUT 1 KiB x{args.small_count}, {args.concurrency} clients (ops/s)",
         "small_put_ops", ".0f", "ratio >= 5x"),
        (f"GET 1 KiB x{args.small_count}, {args.concurrency} clients (ops/s)",
         "small_get_ops", ".0f", "ratio >= 10x"),
        ("  server CPU during small PUTs (cores)", "small_put_cpu", ".2f", None),
        ("  server CPU during small GETs (cores)", "small_get_cpu", ".2f", None),
        ("1 KiB GET latency, idle, p50 (ms)", "lat_idle_p50", ".2f", None),
        (f"  same during a {args.size_mib} MiB PUT, p50 (ms)", "lat_busy_p50", ".2f", None),
        (f"  same during a {args.size_mib} MiB PUT, p99 (ms)", "lat_busy_p99", ".2f",
         "reactor never blocks"),
    ]
    for label, key, spec, aim in lines:
        ramo, moto = rows.get(("ramod", key)), rows.get(("moto", key))
        ratio = (f"{ramo / moto:.1f}x" if ramo and moto and key.startswith(("small_", "put", "get"))
                 and not key.endswith("_cpu") else "-")
        print(f"{label:<44}{fmt(('ramod', key), spec):>12}{fmt(('moto', key), spec):>12}"
              f"{ratio:>12}  {aim or ''}")
    put = rows.get(("ramod", "put_mib_s"))
    if put:
        print(f"\nramod PUT = {100 * put / md5:.0f}% of single-core MD5 speed (aim >= 70%)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="big object size (MiB)")
    parser.add_argument("--small-count", type=int, default=5000, help="1 KiB requests per op")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent small clients")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--skip-moto", action="store_true", help="do not run moto")
    parser.add_argument("--moto-big", action="store_true",
                        help="also PUT/GET the big object on moto (slow, memory hungry)")
    args = parser.parse_args(argv)

    md5 = md5_speed()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="ramo-bench-") as tmp:
        workdir = Path(tmp)
        ramod = RamodProcess(workdir / "ramod")
        ramod.start()
        try:
            print(f"ramod pid {ramod.pid} at {ramod.endpoint}", file=sys.stderr)
            bench_server("ramod", ramod.endpoint, ramod.port, ramod.pid, args, workdir, rows)
            print(f"ramod VmHWM {ramod.memory_status()['VmHWM'] >> 20} MiB", file=sys.stderr)
        finally:
            ramod.stop()
        if not args.skip_moto:
            moto = MotoServer(workdir).start()
            try:
                print(f"moto at {moto.endpoint}", file=sys.stderr)
                bench_server("moto", moto.endpoint, moto.port, moto.pid, args, workdir, rows,
                             big=args.moto_big)
            finally:
                moto.stop()
    print_table(rows, md5, args)


if __name__ == "__main__":
    main()
