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
    latency_ms    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_conversation ON audit (conversation);
CREATE INDEX IF NOT EXISTS audit_tool ON audit (tool);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
"""

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


class AuditRow(BaseModel):
    id: int
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


class AuditLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def record(self, ctx: CallContext, tool: str, version: str | None, system: str | None, arguments: Any,
               outcome: str, error_code: str | None, attempt: int, latency_ms: float) -> None:
        row = (datetime.now(UTC).isoformat(timespec="microseconds"), ctx.conversation_id, ctx.customer_id,
               ctx.role, ctx.process, ctx.step, tool, version, system, json.dumps(mask(arguments), default=str),
               outcome, error_code, attempt, round(latency_ms, 3))
        with self._lock:
            self._conn.execute(
                "INSERT INTO audit (time, conversation, customer, role, process, step, tool, version, system,"
                " arguments, outcome, error_code, attempt, latency_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

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
