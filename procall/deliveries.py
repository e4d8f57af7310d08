"""Which turn of each conversation the caller was last given a reply to.

A turn can end in the checkpoints and still never reach the customer: the program may stop after
the turn's last checkpoint and before `Assistant.send` returns. Comparing the conversation's turn
with the last one handed out tells `Assistant` that the customer has not heard that reply yet.

The record lives next to the checkpoints: a table in the same SQLite database when the
checkpointer is SQLite, otherwise in memory for as long as the `Assistant` lives.

With SQLite it also keeps which checkpoint that reply was read from. While that is still the
conversation's latest checkpoint, the conversation waits for the next message in `listen` and the
customer heard everything: `Assistant.send` then skips reading (and deserialising) the saved state
before the turn, since the graph run loads it anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

_SCHEMA = "CREATE TABLE IF NOT EXISTS procall_delivered (thread_id TEXT PRIMARY KEY, turn INTEGER NOT NULL)"
_CHECKPOINT_COLUMN = "ALTER TABLE procall_delivered ADD COLUMN checkpoint_id TEXT"  # SQLite: which checkpoint
# The conversation's latest checkpoint, as SqliteSaver finds it (its ids grow with time).
_LATEST = ("(SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
           "ORDER BY checkpoint_id DESC LIMIT 1)")


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
        self._sqlite = isinstance(checkpointer, SqliteSaver)  # its tables are known: `_LATEST` reads them
        if self._sqlite:
            checkpointer.setup()
        if self._conn is not None:
            with self._lock:
                self._conn.execute(_SCHEMA)
                if self._sqlite and "checkpoint_id" not in {
                        row[1] for row in self._conn.execute("PRAGMA table_info(procall_delivered)")}:
                    self._conn.execute(_CHECKPOINT_COLUMN)  # a record made before it was kept
                self._conn.commit()

    def last(self, thread_id: str) -> int | None:
        """The last turn whose reply was handed out, or None if no record says (an older conversation)."""
        if self._conn is None:
            return self._memory.get(thread_id)
        with self._lock:
            row = self._conn.execute("SELECT turn FROM procall_delivered WHERE thread_id = ?", (thread_id,)).fetchone()
        return None if row is None else int(row[0])

    def up_to_date(self, thread_id: str) -> bool:
        """Is the conversation's latest checkpoint the one the last reply handed out was read from, with nothing
        saved on it since but the wait for the next message? Then nothing is unfinished or untold. False whenever
        that is not known (no record, a checkpoint or a write saved since, a checkpointer other than SQLite)."""
        if not self._sqlite:
            return False
        # Any write saved on it since, but the interrupt's, is a turn begun on it (the customer's message, a
        # finished step's update) that a restart must finish first: LangGraph would otherwise go on with it.
        with self._lock:
            row = self._conn.execute(
                f"SELECT checkpoint_id = {_LATEST} AND NOT EXISTS (SELECT 1 FROM writes w WHERE w.thread_id = ? "
                "AND w.checkpoint_ns = '' AND w.checkpoint_id = d.checkpoint_id AND w.channel != '__interrupt__') "
                "FROM procall_delivered d WHERE d.thread_id = ?", (thread_id, thread_id, thread_id)).fetchone()
        return bool(row and row[0])

    def mark(self, thread_id: str, turn: int) -> None:
        """Record that the reply of `turn` was handed out (with SQLite: read from the latest checkpoint)."""
        if self._conn is None:
            self._memory[thread_id] = turn
            return
        with self._lock:
            if self._sqlite:
                self._conn.execute("INSERT INTO procall_delivered (thread_id, turn, checkpoint_id) "
                                   f"VALUES (?, ?, {_LATEST}) ON CONFLICT(thread_id) DO UPDATE SET "
                                   "turn = excluded.turn, checkpoint_id = excluded.checkpoint_id",
                                   (thread_id, turn, thread_id))
            else:
                self._conn.execute("INSERT INTO procall_delivered (thread_id, turn) VALUES (?, ?) ON CONFLICT"
                                   "(thread_id) DO UPDATE SET turn = excluded.turn", (thread_id, turn))
            self._conn.commit()
