"""What the benchmarks share: free ports, child servers, the load generator and CPU accounting.

``run_load`` sends pre-signed S3 requests (every one signed before the clock starts) over
keep-alive connections from several client processes x threads and returns a ``LoadResult``:
requests per second, bytes per second, latencies, and the CPU spent meanwhile by the server
(its process and every descendant: a supervisor and its workers), by the client processes and
by the whole machine (what is left over is someone else's load).  Only 127.0.0.1 is ever
contacted; every request loop is bounded by its key list and every wait by a timeout.
"""

import dataclasses
import http.client
import multiprocessing
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from ramod_process import (  # noqa: E402
    REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, signed_headers)

MIB = 1024 * 1024
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


# -- ports, clients, child servers ---------------------------------------------------------


def free_port():
    """A loopback TCP port nobody listens on right now."""
    return free_ports(1)[0]


def free_ports(count):
    """``count`` distinct free loopback ports (all held open together while chosen)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def accepts_connections(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def boto3_client(endpoint):
    """A path-style boto3 client with the benchmark's root credentials and no retries."""
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ROOT_ACCESS_KEY,
        aws_secret_access_key=ROOT_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


class ChildServer:
    """A server program run as a child process, listening on ``port`` of 127.0.0.1.

    ``start`` waits until the port accepts connections; ``stop`` sends SIGTERM to the
    child's PID, then SIGKILL after ``stop_timeout`` seconds.  Output goes to
    ``<workdir>/<name>.log``.
    """

    stop_timeout = 20.0

    def __init__(self, name, argv, workdir, port, env=None):
        self.name, self.argv, self.port = name, list(argv), port
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.endpoint = f"http://{HOST}:{port}"
        self.log_path = self.workdir / f"{name}.log"
        self._proc = None

    def start(self, timeout=60):
        log = open(self.log_path, "wb")
        self._proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self._proc.returncode}; "
                                   f"see {self.log_path}\n{self.log_tail()}")
            if accepts_connections(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen within {timeout}s\n{self.log_tail()}")

    @property
    def pid(self):
        return self._proc.pid

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL if it has not exited after ``stop_timeout`` seconds."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)

    def log_tail(self, lines=15):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


# -- CPU accounting -----------------------------------------------------------------------------


def _stat_fields(pid):
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 is index 0)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads) and of its children that it
    has waited for, in seconds."""
    fields = _stat_fields(pid)
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICK


def process_tree(pid):
    """``pid`` and all its live descendants, parents first."""
    found, index = [pid], 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:
            continue
        for tid in tasks:
            try:
                text = Path(f"/proc/{current}/task/{tid}/children").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            found.extend(int(child) for child in text.split())
    return found


def process_identity(pid):
    """``(pid, start time)``: names one process even after its PID is reused."""
    return pid, int(_stat_fields(pid)[19])


def tree_cpu(pid):
    """``{(pid, start time): (command name, CPU seconds)}`` for ``pid`` and its descendants."""
    result = {}
    for member in process_tree(pid):
        try:
            name = Path(f"/proc/{member}/comm").read_text().strip()
            result[process_identity(member)] = (name, cpu_seconds(member))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return result


def connections_by_process(pid, port):
    """``{pid: established TCP connections to local ``port``}`` over ``pid``'s process tree:
    how the connections were spread over a server's workers."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    counts = {}
    for member in process_tree(pid):
        try:
            fds = os.listdir(f"/proc/{member}/fd")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        counts[member] = 0
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{member}/fd/{fd}")
            except OSError:  # closed meanwhile: the server opens and closes files all the time
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                counts[member] += 1
    return counts


def machine_busy_seconds():
    """CPU seconds all cores of the machine have spent busy (not idle, not iowait) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return (total - fields[3] - fields[4]) / CLOCK_TICK


def kill_leftovers(identities):
    """SIGKILL the processes of ``identities`` (from ``process_identity``) that still run:
    a server's descendants that outlived it.  A PID now used by another process is left alone."""
    killed = []
    for pid, started in identities:
        try:
            if process_identity(pid)[1] != started:
                continue
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return killed


# -- the load generator -------------------------------------------------------------------------


@dataclasses.dataclass
class LoadResult:
    method: str
    requests: int
    body_size: int
    wall: float              # seconds from the first request sent to the last answered
    latencies: list          # milliseconds, sorted
    server_cpu: float        # CPU seconds of the server's processes during the run
    server_processes: dict   # (pid, start time) -> (command name, CPU seconds during the run)
    client_cpu: float        # CPU seconds of the client processes while sending
    machine_cpu: float       # busy CPU seconds of the whole machine (every core) during the run
    connections: dict = dataclasses.field(default_factory=dict)  # server pid -> connections held

    @property
    def ops_per_s(self):
        return self.requests / self.wall

    @property
    def mb_per_s(self):
        return self.requests * self.body_size / 1e6 / self.wall

    @property
    def server_ms_per_op(self):
        return 1000 * self.server_cpu / self.requests

    @property
    def client_ms_per_op(self):
        return 1000 * self.client_cpu / self.requests

    @property
    def server_cores(self):
        return self.server_cpu / self.wall

    @property
    def other_cores(self):
        """Cores busy with neither the server nor the client: other people's work."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.client_cpu) / self.wall

    def latency(self, fraction):
        return percentile(self.latencies, fraction)


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def _client_process(port, bucket, method, keys, threads, body_size, barrier, results):
    """One client process: signs its requests, waits at ``barrier``, then ``threads``
    keep-alive connections share them.  Puts ``(requests, start, end, errors, latencies,
    cpu seconds)`` on ``results`` (``monotonic`` clock, comparable across processes)."""
    try:
        extra = {"Content-Length": str(body_size)} if method == "PUT" else {}
        prepared = [(f"/{bucket}/{key}", signed_headers(
            method, f"http://{HOST}:{port}/{bucket}/{key}", headers=extra)[0]) for key in keys]
        slices = [prepared[i::threads] for i in range(threads)]
        done, errors, latencies = [0] * threads, [], [[] for _ in range(threads)]

        def run(index):
            # a distinct body per PUT (a counter in its first bytes), without a copy per request
            buffer = bytearray(b"x" * max(body_size, 16))
            view = memoryview(buffer)

            def body(method):
                if method != "PUT":
                    return None
                # small bodies as bytes: http.client sends them with the headers, in one write
                return bytes(view[:body_size]) if body_size <= 65536 else view[:body_size]

            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            for number, (path, headers) in enumerate(slices[index]):
                if method == "PUT":
                    buffer[:16] = (index * 10**9 + number).to_bytes(16, "big")
                for attempt in (1, 2):
                    try:
                        started = time.perf_counter()
                        conn.request(method, path, headers=headers, body=body(method))
                        response = conn.getresponse()
                        received = 0
                        while n := response.readinto(view):
                            received += n
                        latencies[index].append((time.perf_counter() - started) * 1000)
                        break
                    except (http.client.HTTPException, OSError):
                        conn.close()
                        conn = http.client.HTTPConnection(HOST, port, timeout=60)
                        if attempt == 2:
                            raise
                if response.status != 200:
                    errors.append(f"{method} {path}: {response.status}")
                elif method == "GET" and received != body_size:
                    errors.append(f"GET {path}: {received} bytes, expected {body_size}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=60)
                done[index] += 1
            conn.close()

        def guarded(index):
            try:
                run(index)
            except Exception as exc:  # reported, never hidden
                errors.append(f"client thread: {exc!r}")

        pool = [threading.Thread(target=guarded, args=(i,)) for i in range(threads)]
        barrier.wait(timeout=300)
        cpu_start, start = os.times(), time.monotonic()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        end, cpu_end = time.monotonic(), os.times()
        cpu = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
        results.put((sum(done), start, end, errors[:5], [x for lat in latencies for x in lat], cpu))
    except BaseException as exc:
        barrier.abort()
        results.put((0, 0.0, 0.0, [f"client process: {exc!r}"], [], 0.0))


def run_load(port, bucket, method, keys, *, body_size, concurrency, processes, server_pid,
             timeout=600):
    """Send one ``method`` request per key in ``keys`` (a key may repeat) with bodies or
    answers of ``body_size`` bytes, from ``processes`` client processes of
    ``concurrency / processes`` connections each; returns a ``LoadResult``.

    Raises ``RuntimeError`` if any request failed or the run took longer than ``timeout``.
    """
    processes = max(1, min(processes, concurrency))
    threads = max(1, concurrency // processes)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    clients = [context.Process(target=_client_process, daemon=True, args=(
        port, bucket, method, keys[p::processes], threads, body_size, barrier, results))
        for p in range(processes)]
    for client in clients:
        client.start()
    collected = []
    try:
        barrier.wait(timeout=300)  # every client has signed its requests
        server_before, machine_before = tree_cpu(server_pid), machine_busy_seconds()
        deadline = time.monotonic() + timeout
        connections = {}
        sampler = threading.Timer(0.3, lambda: connections.update(
            connections_by_process(server_pid, port)))
        sampler.start()
        for _ in clients:
            collected.append(results.get(timeout=max(1.0, deadline - time.monotonic())))
        server_after, machine_after = tree_cpu(server_pid), machine_busy_seconds()
    except threading.BrokenBarrierError:
        collected.extend(_drain(results))
        raise RuntimeError(f"{method}: a client process failed before starting: "
                           f"{[e for r in collected for e in r[3]]}") from None
    except queue.Empty:
        raise RuntimeError(f"{method}: clients still running after {timeout}s") from None
    finally:
        if "sampler" in locals():
            sampler.cancel()
            sampler.join()
        for client in clients:
            client.join(5)
            if client.is_alive():
                client.kill()
                client.join(5)
    errors = [e for r in collected for e in r[3]]
    if errors:
        raise RuntimeError(f"{method} failed: {errors[:5]}")
    per_process = {ident: (name, cpu - server_before.get(ident, (name, 0.0))[1])
                   for ident, (name, cpu) in server_after.items()}
    return LoadResult(
        method=method, requests=sum(r[0] for r in collected), body_size=body_size,
        wall=max(r[2] for r in collected) - min(r[1] for r in collected),
        latencies=sorted(x for r in collected for x in r[4]),
        server_cpu=sum(cpu for _, cpu in per_process.values()), server_processes=per_process,
        client_cpu=sum(r[5] for r in collected), machine_cpu=machine_after - machine_before,
        connections=dict(connections))


def _drain(results):
    items = []
    while True:
        try:
            items.append(results.get(timeout=0.5))
        except queue.Empty:
            return items


def small_ops(port, bucket, method, count, concurrency, processes, server_pid):
    """``(ops/s, server CPU use)`` for ``count`` 1 KiB requests spread over the clients.

    Server CPU use is CPU seconds per wall second (1.0 = one core busy) of the server's
    processes: near 1.0 for a single-threaded server means the server, not the client, is
    the bottleneck.
    """
    keys = [f"small/{i:07d}" for i in range(count)]
    result = run_load(port, bucket, method, keys, body_size=1024, concurrency=concurrency,
                      processes=processes, server_pid=server_pid)
    return result.ops_per_s, result.server_cores
