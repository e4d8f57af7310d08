"""The audit log: one row per call attempt (allowed, refused, failed, retried, held), in SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..backend.database import setup_lock
from .context import CallContext

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    time          TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    customer      TEXT,
    role          TEXT NOT NULL,
    process       TEXT,
    step          TEXT,
    tool          TEXT NOT NULL,
    version       TEXT,
    system        TEXT,
    arguments     TEXT NOT NULL,
    outcome       TEXT NOT NULL,  -- ok | replayed | refused | held | retried | failed
    error_code    TEXT,
    attempt       INTEGER NOT NULL,
    latency_ms    REAL NOT NULL,
    write_key     TEXT            -- a write's commit id (the store's idempotency record): see reconcile()
);
CREATE INDEX IF NOT EXISTS audit_conversation ON audit (conversation);
CREATE INDEX IF NOT EXISTS audit_tool ON audit (tool);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
"""

# Created after the column exists (logs from before it get the column first, in _setup).
ONE_OK_PER_WRITE = """
CREATE UNIQUE INDEX IF NOT EXISTS audit_one_ok_per_write ON audit (write_key) WHERE outcome = 'ok';
"""

_COLUMNS = ("time", "conversation", "customer", "role", "process", "step", "tool", "version", "system",
            "arguments", "outcome", "error_code", "attempt", "latency_ms", "write_key")

_SECRET_KEYS = re.compile(r"card[_ -]?number|cvv|cvc|password|secret|token|api[_ -]?key", re.I)
_CARD_NUMBER = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def mask(value: Any) -> Any:
    """Mask secrets: values under secret-looking keys, and anything shaped like a card number."""
    if isinstance(value, dict):
        return {k: "***" if _SECRET_KEYS.search(str(k)) else mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        masked = mask(str(value))  # a card number sent as a JSON number
        return value if masked == str(value) else masked
    if isinstance(value, str):
        return _CARD_NUMBER.sub(lambda m: "*" * (len(re.sub(r"\D", "", m.group())) - 4) + m.group()[-4:], value)
    return value


class AuditEntry(BaseModel):
    """One row as written (the database adds its id)."""

    time: str
    conversation: str
    customer: str | None
    role: str
    process: str | None
    step: str | None
    tool: str
    version: str | None
    system: str | None
    arguments: str
    outcome: str
    error_code: str | None
    attempt: int
    latency_ms: float
    write_key: str | None = None


class AuditRow(AuditEntry):
    id: int


class AuditLog:
    """Every committed write has exactly one `ok` row: the gateway writes it after the commit, keyed by
    the commit's id (`write_key`, unique among `ok` rows), and `reconcile` adds the ones a dead process
    never wrote from the rows the store committed with its writes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with setup_lock(self.path):  # several processes may open a new log at once
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
            columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(audit)")}
            if "write_key" not in columns:  # a log from before write keys
                self._conn.execute("ALTER TABLE audit ADD COLUMN write_key TEXT")
            self._conn.executescript(ONE_OK_PER_WRITE)

    @staticmethod
    def entry(ctx: CallContext, tool: str, version: str | None, system: str | None, arguments: Any,
              outcome: str, error_code: str | None, attempt: int, latency_ms: float,
              write_key: str | None = None) -> AuditEntry:
        return AuditEntry(time=datetime.now(UTC).isoformat(timespec="microseconds"), conversation=ctx.conversation_id,
                          customer=ctx.customer_id, role=ctx.role, process=ctx.process, step=ctx.step, tool=tool,
                          version=version, system=system, arguments=json.dumps(mask(arguments), default=str),
                          outcome=outcome, error_code=error_code, attempt=attempt, latency_ms=round(latency_ms, 3),
                          write_key=write_key)

    def record(self, ctx: CallContext, tool: str, version: str | None, system: str | None, arguments: Any,
               outcome: str, error_code: str | None, attempt: int, latency_ms: float,
               write_key: str | None = None) -> None:
        self._insert([self.entry(ctx, tool, version, system, arguments, outcome, error_code, attempt, latency_ms,
                                 write_key)])

    def _insert(self, entries: list[AuditEntry]) -> int:
        # OR IGNORE: a write's `ok` row that is already there (reconciled by a process that started
        # between this one's commit and this insert) is not written twice.
        sql = (f"INSERT OR IGNORE INTO audit ({', '.join(_COLUMNS)})"
               f" VALUES ({', '.join('?' for _ in _COLUMNS)})")
        with self._lock:
            if len(entries) == 1:
                return self._conn.execute(sql, tuple(getattr(entries[0], c) for c in _COLUMNS)).rowcount
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                added = sum(self._conn.execute(sql, tuple(getattr(e, c) for c in _COLUMNS)).rowcount
                            for e in entries)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return added

    def reconcile(self, committed: list[tuple[str, str]]) -> int:
        """Add the `ok` row of every committed write that has none: `committed` is the store's
        (write id, audit row JSON) list. Returns how many rows were added (the process that made those
        writes died between the commit and its audit insert)."""
        with self._lock:
            have = {r["write_key"] for r in self._conn.execute(
                "SELECT write_key FROM audit WHERE outcome = 'ok' AND write_key IS NOT NULL")}
        missing = []
        for write_id, row in committed:
            if write_id not in have:
                entry = AuditEntry.model_validate_json(row)
                missing.append(entry.model_copy(update={"outcome": "ok", "write_key": write_id}))
        return self._insert(missing) if missing else 0

    def rows(self, conversation: str | None = None, tool: str | None = None, since: str | None = None,
             limit: int | None = None) -> list[AuditRow]:
        where, params = [], []
        for column, value, op in (("conversation", conversation, "="), ("tool", tool, "="), ("time", since, ">=")):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = "SELECT * FROM audit" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            return [AuditRow(**dict(r)) for r in self._conn.execute(sql, params).fetchall()]

    def systems_used(self, conversation: str) -> set[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT system FROM audit WHERE conversation = ? AND outcome IN ('ok', 'replayed')",
                (conversation,),
            ).fetchall()
        return {r["system"] for r in rows if r["system"]}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
