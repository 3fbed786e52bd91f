"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl on a free loopback port.

PostgreSQL refuses to run as root; when the tests run as root the cluster is created
and started as the ``postgres`` system user (through ``runuser``).
"""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """``initdb`` a data directory, start it with ``pg_ctl``, stop and remove it at the end."""

    def __init__(self):
        # not under pytest's tmp_path: its parents are root-only, and the cluster may
        # run as the postgres user
        self.workdir = Path(tempfile.mkdtemp(prefix="ramo-pg-"))
        self.datadir = self.workdir / "pgdata"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("initdb") and shutil.which("pg_ctl"))

    def _run(self, *argv: str) -> None:
        cmd = list(argv)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)

    def start(self) -> "PostgresCluster":
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=on"
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.workdir / "pg.log"),
                  "-o", options, "-w", "start")
        return self

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` in the cluster; return its URL."""
        import psycopg2  # a test dependency; the cluster itself needs only the binaries

        conn = psycopg2.connect(self.url)
        conn.autocommit = True  # CREATE DATABASE can't run in a transaction
        try:
            conn.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)
