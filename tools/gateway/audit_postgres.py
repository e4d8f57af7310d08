"""The audit log in Postgres: the same `AuditLog` (its queries, masking, reconciliation), over a
connection that speaks sqlite3's interface (`tools/backend/postgres.py`), so every instance writes
one log."""

from __future__ import annotations

import threading

import psycopg

from ..backend.postgres import SqliteLikeConnection, postgres_schema, setup_lock
from . import audit as sqlite_audit
from .audit import AuditLog


class PostgresAuditLog(AuditLog):
    def __init__(self, url: str):  # not super().__init__: that opens a SQLite file
        self.path = None
        self._url = url
        self._lock = threading.Lock()  # AuditLog's methods serialise on it: one connection is enough
        self._conn = SqliteLikeConnection(psycopg.connect(url, autocommit=True))
        schema = sqlite_audit.SCHEMA + getattr(sqlite_audit, "ONE_OK_PER_WRITE", "")
        with setup_lock(url):
            for statement in postgres_schema(schema):
                self._conn.raw.execute(statement)
