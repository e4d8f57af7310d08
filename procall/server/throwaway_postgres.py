"""A throwaway Postgres server on 127.0.0.1 (Debian's `postgresql` package: initdb and pg_ctl), in a
temporary folder, for tests and the load test. Postgres refuses to run as root, so as root it runs as
the `postgres` user the package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No Postgres server binaries here, or the server did not start."""


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self, durable: bool = False, max_connections: int = 400):
        """`durable=False` turns fsync off: faster, and nothing here must survive a power cut."""
        self.initdb, self.pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise PostgresUnavailable("initdb/pg_ctl not found (install Debian's 'postgresql' package)")
        self.durable, self.max_connections = durable, max_connections
        self.folder = Path(tempfile.mkdtemp(prefix="procall-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server as") \
                    from None
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)

    @property
    def admin_url(self) -> str:
        return f"postgresql://procall@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://procall@127.0.0.1:{self.port}/{database}"

    def start(self) -> ThrowawayPostgres:
        done = self._run(self.initdb, "-D", str(self.data), "-U", "procall", "--auth=trust", "-E", "UTF8",
                         "--no-sync", "--no-instructions")
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
        options = [f"-h 127.0.0.1 -p {self.port} -k {self.folder}", f"-c max_connections={self.max_connections}"]
        if not self.durable:
            options.append("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        done = self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
                         "-t", "60", "-o", " ".join(options), "start")
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text() if (self.folder / "server.log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()[-300:]} {log[-500:]}")
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
