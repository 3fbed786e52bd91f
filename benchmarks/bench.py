"""Throughput benchmark: ramod against this machine's MD5 speed and against moto's server.

Starts a ramod (temp data dir, free loopback port) and, unless ``--skip-moto``, a moto
server, then prints one table.  The client is kept cheap so that it is not what is
measured: big transfers use ``socket.sendfile`` and ``readinto`` a reused buffer, small
requests are signed before the clock starts and sent from several processes over
keep-alive connections.  Run: ``.venv/bin/python benchmarks/bench.py``.
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from ramod_process import (  # noqa: E402
    REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, signed_headers)

MIB = 1024 * 1024


# -- servers -----------------------------------------------------------------------


class MotoServer:
    """``python -m moto.server`` on a free loopback port."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        log = open(self.workdir / "moto.log", "wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError("moto server exited; see moto.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    @property
    def pid(self):
        return self._proc.pid

    def stop(self):
        self._proc.terminate()
        self._proc.wait(20)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def boto3_client(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ROOT_ACCESS_KEY,
        aws_secret_access_key=ROOT_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


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


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


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


# -- small objects: many processes x threads, pre-signed requests ---------------------------------


def _small_worker(port, bucket, method, keys, threads, start_at):
    """One process: ``threads`` keep-alive connections share ``keys``; returns (ops, end time)."""
    body = b"x" * 1024
    extra = {"Content-Length": "1024"} if method == "PUT" else {}
    prepared = [(f"/{bucket}/{key}", signed_headers(
        method, f"http://127.0.0.1:{port}/{bucket}/{key}", headers=extra)[0]) for key in keys]
    slices = [prepared[i::threads] for i in range(threads)]
    done, errors = [0] * threads, []

    def run(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path, headers in slices[index]:
            for attempt in (1, 2):
                try:
                    conn.request(method, path, body=body if method == "PUT" else None,
                                 headers=headers)
                    response = conn.getresponse()
                    response.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        raise
            if response.status != 200:
                errors.append(response.status)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            done[index] += 1
        conn.close()

    time.sleep(max(0.0, start_at - time.time()))
    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done), time.time(), errors[:5]


def small_ops(port, bucket, method, count, concurrency, processes, server_pid):
    """``(ops/s, server CPU use)`` for ``count`` 1 KiB requests spread over the workers.

    Server CPU use is CPU seconds per wall second (1.0 = one core busy): near 1.0 for a
    single-threaded server means the server, not the client, is the bottleneck.
    """
    keys = [f"small/{i:07d}" for i in range(count)]
    threads = max(1, concurrency // processes)
    start_at = time.time() + 2.0 + count * 0.0003  # every worker signs its requests first
    with concurrent.futures.ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(_small_worker, port, bucket, method, keys[p::processes],
                               threads, start_at) for p in range(processes)]
        time.sleep(max(0.0, start_at - time.time()))
        cpu_start = cpu_seconds(server_pid)
        results = [f.result() for f in futures]
        cpu_end = cpu_seconds(server_pid)
    ops = sum(r[0] for r in results)
    errors = [e for r in results for e in r[2]]
    if errors:
        raise RuntimeError(f"{method} small objects failed with statuses {errors}")
    wall = max(r[1] for r in results) - start_at
    return ops / wall, (cpu_end - cpu_start) / wall


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
