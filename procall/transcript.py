"""Every message of each conversation, in order: what `Assistant.view` shows.

The conversation state keeps only its last messages (`KEPT_MESSAGES` in state/conversation.py): every
checkpoint stores the whole state, so a full history made each turn's checkpoint, and the turn, grow with
the conversation. The record of what was said lives here instead, appended once per turn: the messages
the state holds after the last one recorded (matched by message id). A turn the graph ran without
`Assistant` (Studio, a direct `graph.invoke`) is shown from the state's messages until the next recording;
one that slid out of the state's window before that is missing here, and in the audit log only.

Like the delivery record (deliveries.py) it lives next to the checkpoints: a table in the same SQLite
database, or in Postgres; in memory for any other checkpointer.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

_SCHEMA = ("CREATE TABLE IF NOT EXISTS procall_transcript (thread_id TEXT NOT NULL, seq INTEGER NOT NULL, "
           "message_id TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (thread_id, seq))")

Line = tuple[str, str]  # ("customer" | "assistant", text)


def _line(message: AnyMessage) -> Line | None:
    if isinstance(message, HumanMessage):
        return "customer", str(message.content)
    if isinstance(message, AIMessage):
        return "assistant", str(message.content)
    return None


class Transcript:
    def __init__(self, checkpointer: Any):
        conn = getattr(checkpointer, "conn", None)
        self._conn: Any = conn if isinstance(conn, sqlite3.Connection) else None
        if self._conn is None and conn is not None:
            from psycopg_pool import ConnectionPool

            if isinstance(conn, ConnectionPool):  # Postgres: one record for every instance
                from .tools.backend.postgres import PooledConnection

                self._conn = PooledConnection(conn)
        # The checkpointer's own lock: its connection is also used from LangGraph's background threads.
        self._lock = getattr(checkpointer, "lock", None) or threading.Lock()
        self._memory: dict[str, list[tuple[str, str, str]]] = {}
        if self._conn is not None:
            with self._lock:
                self._conn.execute(_SCHEMA)
                self._conn.commit()

    def record(self, thread_id: str, messages: list[AnyMessage]) -> None:
        """Append `messages` (the state's, oldest first) that come after the last one recorded."""
        if self._conn is None:
            kept = self._memory.setdefault(thread_id, [])
            last = kept[-1][0] if kept else None
            kept.extend((m.id or "", *line) for m in self._after(messages, last) if (line := _line(m)))
            return
        with self._lock:
            row = self._conn.execute("SELECT seq, message_id FROM procall_transcript WHERE thread_id = ? "
                                     "ORDER BY seq DESC LIMIT 1", (thread_id,)).fetchone()
            seq, last = (int(row[0]), row[1]) if row is not None else (0, None)
            new = [(m.id or "", *line) for m in self._after(messages, last) if (line := _line(m)) is not None]
            if new:
                rows = [(thread_id, seq + n, *r) for n, r in enumerate(new, 1)]
                self._conn.executemany("INSERT INTO procall_transcript (thread_id, seq, message_id, role, text) "
                                       "VALUES (?, ?, ?, ?, ?)", rows)
                self._conn.commit()

    def lines(self, thread_id: str, messages: list[AnyMessage]) -> list[Line]:
        """The whole conversation: what was recorded, then the state's `messages` not recorded yet."""
        if self._conn is None:
            recorded = self._memory.get(thread_id, [])
        else:
            with self._lock:
                recorded = [tuple(r) for r in self._conn.execute(
                    "SELECT message_id, role, text FROM procall_transcript WHERE thread_id = ? ORDER BY seq",
                    (thread_id,)).fetchall()]
        known = {r[0] for r in recorded}
        newer = [line for m in messages if m.id not in known and (line := _line(m)) is not None]
        return [(r[1], r[2]) for r in recorded] + newer

    @staticmethod
    def _after(messages: list[AnyMessage], last_id: str | None) -> list[AnyMessage]:
        ids = [m.id for m in messages]
        if last_id is not None and last_id in ids:
            return messages[ids.index(last_id) + 1:]
        return messages  # nothing recorded yet, or the whole window is newer than the record
