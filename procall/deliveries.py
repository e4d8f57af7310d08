"""Which turn of each conversation the caller was last given a reply to.

A turn can end in the checkpoints and still never reach the customer: the program may stop after
the turn's last checkpoint and before `Assistant.send` returns. Comparing the conversation's turn
with the last one handed out tells `Assistant` that the customer has not heard that reply yet.

The record lives next to the checkpoints: a table in the same SQLite database when the
checkpointer is SQLite, otherwise in memory for as long as the `Assistant` lives.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS procall_delivered (thread_id TEXT PRIMARY KEY, turn INTEGER NOT NULL)"


class DeliveryLog:
    def __init__(self, checkpointer: Any):
        conn = getattr(checkpointer, "conn", None)
        self._conn: sqlite3.Connection | None = conn if isinstance(conn, sqlite3.Connection) else None
        if self._conn is None and conn is not None:
            from psycopg_pool import ConnectionPool

            if isinstance(conn, ConnectionPool):  # Postgres: one record for every instance
                from .tools.backend.postgres import PooledConnection

                self._conn = PooledConnection(conn)
        # The checkpointer's own lock: its connection is also used from LangGraph's background threads.
        self._lock = getattr(checkpointer, "lock", None) or threading.Lock()
        self._memory: dict[str, int] = {}
        if self._conn is not None:
            with self._lock:
                self._conn.execute(_SCHEMA)
                self._conn.commit()

    def last(self, thread_id: str) -> int | None:
        """The last turn whose reply was handed out, or None if no record says (an older conversation)."""
        if self._conn is None:
            return self._memory.get(thread_id)
        with self._lock:
            row = self._conn.execute("SELECT turn FROM procall_delivered WHERE thread_id = ?", (thread_id,)).fetchone()
        return None if row is None else int(row[0])

    def mark(self, thread_id: str, turn: int) -> None:
        if self._conn is None:
            self._memory[thread_id] = turn
            return
        with self._lock:
            self._conn.execute("INSERT INTO procall_delivered (thread_id, turn) VALUES (?, ?) "
                               "ON CONFLICT(thread_id) DO UPDATE SET turn = excluded.turn", (thread_id, turn))
            self._conn.commit()
