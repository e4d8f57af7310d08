"""The SQLite file behind the store, with one connection per thread.

The gateway runs independent reads concurrently, so each thread gets its own
connection; WAL mode lets those readers proceed while a writer commits.
"""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

# How long a connection waits for another one's lock when nobody set a shorter wait (SQLite's busy timeout).
LOCK_WAIT_S = 30.0


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def create_schema(self) -> None:
        schema = files("procall.tools.backend").joinpath("schema.sql").read_text()
        self.connection.executescript(schema)

    @contextmanager
    def transaction(self, lock_wait_s: float | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front, so check-then-act is atomic.

        `lock_wait_s`: how long to wait for the write lock (another process's write) before failing
        with "database is locked"; the gateway passes what is left of the tool's timeout. Default:
        LOCK_WAIT_S, for loading and maintenance, which nobody is waiting on."""
        conn = self.connection
        wait = LOCK_WAIT_S if lock_wait_s is None else lock_wait_s
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(wait * 1000))}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.connection.execute(sql, params).fetchall()

    def copy_to(self, target: str | Path) -> Database:
        """A consistent copy of this database (for fresh per-conversation stores in evals)."""
        target = Path(target)
        target.unlink(missing_ok=True)
        dest = sqlite3.connect(target)
        try:
            self.connection.backup(dest)
        finally:
            dest.close()
        return Database(target)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def copy_file_database(source: str | Path, target: str | Path) -> Database:
    """Copy a closed database file byte for byte (faster than the backup API for small stores)."""
    target = Path(target)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return Database(target)


@contextmanager
def setup_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock (fcntl, on `<path>.lock`) while a database file is created or its schema
    set up, so processes starting at once on one home take turns instead of racing (switching a new
    file to WAL, CREATE TABLE and ALTER TABLE are not safe to interleave). Released at exit, also when
    the process dies."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
