"""Running a real ``twistd -n ramod`` as a child process, and talking to it raw.

``RamodProcess`` owns one server process: it starts it on a free loopback port
(``--listen tcp:0:... --port-file F``), waits until the port file names a port
that accepts connections, and stops it with SIGTERM (``stop``) or SIGKILL
(``kill``).  The data directory outlives the process, so ``start`` after
``kill`` is a restart on the same data.  Only the processes this object started are
ever signalled, by their PIDs: the server, and with ``workers`` > 1 the worker
processes its supervisor started (``worker_pids``, read from /proc).

``signed_headers`` signs one request with botocore's own SigV4 signer, for tests
and benchmarks that send bodies with ``http.client`` instead of boto3.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
ROOT_ACCESS_KEY = "RAMOTESTROOTACCESSKEY"
ROOT_SECRET_KEY = "ramo-test-root-secret-key/+0123456789"
ADMIN_API_KEY = "ramo-test-admin-api-key-0123456789"
REGION = "us-east-1"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class RamodStartError(RuntimeError):
    """The server did not come up; the message carries the end of its log."""


class RamodProcess:
    """One ``twistd -n ramod`` child process with its own work and data directories.

    :param workdir: directory for the log, the port file and (by default) the data.
    :param listen: a strports description; its port should be ``0``.
    :param scheme: ``"http"`` or ``"https"``, used to build ``endpoint``.
    :param extra_args: more ``ramod`` options, e.g. ``["--domain", "localhost"]``.
    :param workers: ``--workers``; 1 (a single process) unless a test asks for more.

    Each instance is a gateway of its own: unless ``extra_args`` names one, it gets a
    ``--node-id`` nobody else has (kept across its restarts), so two servers on one
    PostgreSQL database are two nodes, not one node id claimed twice.
    """

    def __init__(self, workdir, *, listen="tcp:0:interface=127.0.0.1", scheme="http",
                 data_dir=None, extra_args=(), access_key=ROOT_ACCESS_KEY,
                 secret_key=ROOT_SECRET_KEY, workers=1):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port_file = self.workdir / "port"
        self.admin_port_file = self.workdir / "admin-port"
        self.log_file = self.workdir / "ramod.log"
        self.listen, self.scheme, self.extra_args = listen, scheme, list(extra_args)
        self.workers = workers
        self.node_id = (self.extra_args[self.extra_args.index("--node-id") + 1]
                        if "--node-id" in self.extra_args else f"t-{uuid.uuid4().hex[:8]}")
        self.access_key, self.secret_key = access_key, secret_key
        self.port = None
        self.admin_port = None
        self.admin_key = ADMIN_API_KEY
        self._proc = None

    # -- lifecycle ---------------------------------------------------------

    def command(self):
        """The argv that starts the server."""
        return [
            # ``python -m twisted`` is the newer ``twist`` runner, not twistd
            sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "-n",
            "--logfile", str(self.log_file), "--pidfile", "",
            "ramod",
            "--listen", self.listen,
            "--port-file", str(self.port_file),
            "--admin-listen", "tcp:0:interface=127.0.0.1",
            "--admin-port-file", str(self.admin_port_file),
            "--data-dir", str(self.data_dir),
            "--region", REGION,
            "--workers", str(self.workers),
            *([] if "--node-id" in self.extra_args else ["--node-id", self.node_id]),
            *self.extra_args,
        ]

    def environment(self):
        """The child's environment: root credentials and this checkout first on the path."""
        env = dict(os.environ)
        env["RAMO_ROOT_ACCESS_KEY"] = self.access_key
        env["RAMO_ROOT_SECRET_KEY"] = self.secret_key
        env["RAMO_ADMIN_API_KEY"] = self.admin_key
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout=30.0):
        """Start the server and return once it accepts connections on its port."""
        if self.running:
            raise RuntimeError("ramod is already running")
        for path in (self.port_file, self.admin_port_file):
            if path.exists():
                path.unlink()
        self.port = self.admin_port = None
        self._stdout = open(self.workdir / "stdout.txt", "ab")
        self._proc = subprocess.Popen(
            self.command(), cwd=self.workdir, env=self.environment(),
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RamodStartError(
                    f"ramod exited with status {self._proc.returncode}\n{self.log_tail()}")
            port = _read_port(self.port_file)
            if port is not None and _accepts_connections(port):
                self.port = port
                self.admin_port = _read_port(self.admin_port_file)
                return self
            time.sleep(0.05)
        self.kill()
        raise RamodStartError(f"ramod not ready after {timeout}s\n{self.log_tail()}")

    def stop(self, timeout=20.0):
        """Send SIGTERM, wait for the exit and return the exit status.

        After a clean shutdown twistd re-raises the signal that stopped it, so the
        status is normally ``-SIGTERM``, not 0.
        """
        return self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self, timeout=20.0):
        """Send SIGKILL, wait for the exit and return the exit status.  With workers the
        whole gateway goes: the supervisor and every worker, all at once."""
        workers = list(self.worker_pids().values())
        for pid in workers:
            _kill_quietly(pid, signal.SIGKILL)
        status = self._signal_and_wait(signal.SIGKILL, timeout)
        wait_for_exit(workers, timeout)
        return status

    def restart(self, timeout=30.0):
        """Stop the server if it runs, then start it again on the same data directory."""
        if self.running:
            self.stop()
        return self.start(timeout)

    def kill_supervisor(self, timeout=20.0):
        """SIGKILL the supervisor alone; return its workers' PIDs (still running: they
        stop by themselves once they notice)."""
        workers = list(self.worker_pids().values())
        self._signal_and_wait(signal.SIGKILL, timeout)
        return workers

    def worker_pids(self):
        """Worker number -> PID of the worker processes the supervisor runs now (none for
        a single server), read from /proc."""
        if not self.running:
            return {}
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return {}
        workers = {}
        for pid in map(int, children):
            worker_id = _worker_id(pid)
            if worker_id is not None:
                workers[worker_id] = pid
        return dict(sorted(workers.items()))

    def wait_for_workers(self, exclude=(), timeout=30.0):
        """Wait until all ``workers`` run and serve (the supervisor logged each one's
        "(pid P) serving"), none of them in ``exclude`` (PIDs of workers that were
        killed); return worker number -> PID."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            if (len(pids) == self.workers and not set(pids.values()) & set(exclude)
                    and all(f"(pid {pid}) serving" in log for pid in pids.values())):
                return pids
            time.sleep(0.05)
        raise AssertionError(f"{self.workers} workers not serving after {timeout}s\n"
                             f"{self.log_tail()}")

    def _signal_and_wait(self, signum, timeout):
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            os.kill(self._proc.pid, signum)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout)
                raise RuntimeError(f"ramod ignored signal {signum}; killed\n{self.log_tail()}")
        self._stdout.close()
        return self._proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- inspection --------------------------------------------------------

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self):
        return self._proc.pid

    @property
    def endpoint(self):
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        if self.port is None:
            raise RuntimeError("ramod is not listening")
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def log_tail(self, lines=60):
        """The last lines of the server log and of its stdout, for failure messages."""
        parts = []
        for path in (self.log_file, self.workdir / "stdout.txt"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def memory_status(self):
        """``VmRSS`` and ``VmHWM`` of the server process, in bytes."""
        values = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
        return values

    @property
    def admin_url(self):
        """The management API's base URL, e.g. ``http://127.0.0.1:41235``."""
        if self.admin_port is None:
            raise RuntimeError("ramod's management API is not listening")
        return f"http://127.0.0.1:{self.admin_port}"


def _worker_id(pid):
    """The ``--worker-id`` of process ``pid`` (None if it is not a ramod worker)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"--worker-id" not in argv[:-1]:
        return None
    return int(argv[argv.index(b"--worker-id") + 1])


def _kill_quietly(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _alive(pid):
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def wait_for_exit(pids, timeout=20.0):
    """Wait until none of ``pids`` (not our children: a supervisor's workers) runs."""
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes {[p for p in pids if _alive(p)]} still running")
        time.sleep(0.05)


def _read_port(path):
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def _accepts_connections(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def admin_call(server, method, path, body=None):
    """One management API call to ``server``; returns ``(status, parsed JSON body or None)``."""
    conn = http.client.HTTPConnection("127.0.0.1", server.admin_port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, "/api/v1" + path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def no_retry_client(server, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY,
                    max_pool_connections=10):
    """A path-style SigV4 boto3 client that never retries (``max_attempts`` would count
    retries, not attempts: 1 means one retry)."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=max_pool_connections)
    return boto3.session.Session().client(
        "s3", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, config=config)


def refusal(call):
    """Run ``call``, which must fail with a boto3 ``ClientError``; return ``(error code,
    HTTP status, message)``."""
    try:
        call()
    except ClientError as exc:
        response = exc.response
    else:
        raise AssertionError("the call succeeded but should have been refused")
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"].get("Message", ""))


def xml_text(body, tag):
    """The text of the first ``<tag>`` of an XML body (None if absent)."""
    text = body.decode(errors="replace")
    return text.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0] if f"<{tag}>" in text else None


def unique_bucket_name(prefix="t"):
    """A valid bucket name that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def signed_headers(method, url, *, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY,
                   payload_hash=UNSIGNED_PAYLOAD, headers=None):
    """Sign a request with SigV4 (header form) and return all headers to send.

    :param url: the full URL with an already percent-encoded path and query.
    :param payload_hash: the ``x-amz-content-sha256`` value (a hex digest,
        ``UNSIGNED-PAYLOAD`` or a ``STREAMING-...`` constant).
    :returns: ``(headers, signer, request)``; the signer and the signed request let a
        caller derive chunk signatures (``signer.signature(sts, request)``).
    """
    signer = _PresetPayloadSigner(Credentials(access_key, secret_key), "s3", REGION)
    signer.preset_payload = payload_hash
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    request.headers["Host"] = urlsplit(url).netloc
    signer.add_auth(request)
    return dict(request.headers.items()), signer, request


class _PresetPayloadSigner(S3SigV4Auth):
    """botocore's S3 SigV4 signer with a payload hash chosen by the caller."""

    preset_payload = UNSIGNED_PAYLOAD

    def payload(self, request):
        return self.preset_payload


def _count_blob_files(server) -> int:
    return sum(len(files) for _, _, files in os.walk(server.data_dir / "blobs"))


def blob_files(server, timeout=5.0) -> int:
    """How many blob files ``server`` holds, once settled: unreferenced blobs are removed in
    the I/O pool after the response that freed them, so the count is read until it is the
    same twice, 0.1 s apart."""
    deadline, count = time.monotonic() + timeout, _count_blob_files(server)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        again = _count_blob_files(server)
        if again == count:
            return count
        count = again
    return count


def blob_files_reach(server, expected: int, timeout=10.0) -> int:
    """Wait (up to ``timeout`` s) until ``server`` holds ``expected`` blob files, for a
    removal that happens after its response; the last count seen."""
    deadline = time.monotonic() + timeout
    count = _count_blob_files(server)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = _count_blob_files(server)
    return count


def put_across_sigterm(server, bucket: str, key: str, body: bytes) -> http.client.HTTPResponse:
    """PUT ``body`` on a raw connection: send half, SIGTERM the server once the request is
    in flight (its headers read), then the rest; return the response (status read)."""
    headers, _, _ = signed_headers("PUT", f"{server.endpoint}/{bucket}/{key}",
                                   headers={"Content-Length": str(len(body))})
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = f"PUT /{bucket}/{key} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode() + body[: len(body) // 2])
    time.sleep(1.0)  # the server has read the headers: the request is in flight
    os.kill(server.pid, signal.SIGTERM)
    time.sleep(0.3)
    sock.sendall(body[len(body) // 2:])
    response = http.client.HTTPResponse(sock)
    response.begin()
    sock.close()         # the response keeps the socket's file object until it is read
    return response

