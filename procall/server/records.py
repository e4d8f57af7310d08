"""What the server itself keeps: which conversations exist (with a hash of each one's secret) and a
ledger of turns, so a message retried after a lost answer is answered once, not understood twice.

SQLite under home for one machine; Postgres (`postgres_records.py`) when several instances share a database.
Times are seconds since the epoch from one clock (the database's, on Postgres), so the turns of one
conversation can be checked for overlap across instances.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS server_conversations (
    id            TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    created_at    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS server_turns (
    conversation  TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    turn_before   INTEGER NOT NULL,   -- the conversation's turn counter when this message was taken up
    status        TEXT NOT NULL CHECK (status IN ('started', 'done')),
    reply         TEXT,               -- the reply's JSON once done
    instance      TEXT NOT NULL,
    started_at    REAL NOT NULL,
    ended_at      REAL,
    PRIMARY KEY (conversation, message_id)
);
"""


class TurnRecord(BaseModel):
    conversation: str
    message_id: str
    turn_before: int
    status: Literal["started", "done"]
    reply: str | None
    instance: str
    started_at: float
    ended_at: float | None


class ServerRecords(Protocol):
    def add_conversation(self, conversation: str, secret_sha256: str) -> None: ...
    def secret_of(self, conversation: str) -> str | None: ...
    def turn(self, conversation: str, message_id: str) -> TurnRecord | None: ...
    def start_turn(self, conversation: str, message_id: str, turn_before: int, instance: str) -> None: ...
    def finish_turn(self, conversation: str, message_id: str, reply_json: str) -> None: ...
    def turns(self) -> list[TurnRecord]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class SqliteRecords:
    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SQLITE_SCHEMA)
        self._lock = threading.Lock()

    def add_conversation(self, conversation: str, secret_sha256: str) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO server_conversations (id, secret_sha256, created_at) VALUES (?, ?, ?)",
                               (conversation, secret_sha256, time.time()))

    def secret_of(self, conversation: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT secret_sha256 FROM server_conversations WHERE id = ?",
                                     (conversation,)).fetchone()
        return row["secret_sha256"] if row else None

    def turn(self, conversation: str, message_id: str) -> TurnRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM server_turns WHERE conversation = ? AND message_id = ?",
                                     (conversation, message_id)).fetchone()
        return TurnRecord(**dict(row)) if row else None

    def start_turn(self, conversation: str, message_id: str, turn_before: int, instance: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO server_turns (conversation, message_id, turn_before, status, instance,"
                " started_at) VALUES (?, ?, ?, 'started', ?, ?)",
                (conversation, message_id, turn_before, instance, time.time()))

    def finish_turn(self, conversation: str, message_id: str, reply_json: str) -> None:
        with self._lock:
            self._conn.execute("UPDATE server_turns SET status = 'done', reply = ?, ended_at = ?"
                               " WHERE conversation = ? AND message_id = ?",
                               (reply_json, time.time(), conversation, message_id))

    def turns(self) -> list[TurnRecord]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM server_turns ORDER BY started_at").fetchall()
        return [TurnRecord(**dict(r)) for r in rows]

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
