"""The SQLite file behind the store, with one connection per thread.

The gateway runs independent reads concurrently, so each thread gets its own
connection; WAL mode lets those readers proceed while a writer commits.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path


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
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front, so check-then-act is atomic."""
        conn = self.connection
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
