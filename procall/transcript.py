"""Every message of each conversation, in order: what `Assistant.view` shows and evals score.

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

import json
import sqlite3
import threading
from typing import Any, Literal, NamedTuple

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

_SCHEMA = ("CREATE TABLE IF NOT EXISTS procall_messages (thread_id TEXT NOT NULL, seq INTEGER NOT NULL, "
           "message_id TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, template_keys TEXT, "
           "PRIMARY KEY (thread_id, seq))")


class Entry(NamedTuple):
    message_id: str
    role: Literal["customer", "assistant"]
    text: str
    template_keys: list[str] | None  # an assistant message's lines' templates (the respond node keeps them)


def entry(message: AnyMessage) -> Entry | None:
    if isinstance(message, HumanMessage):
        return Entry(message.id or "", "customer", str(message.content), None)
    if isinstance(message, AIMessage):
        keys = message.additional_kwargs.get("template_keys")
        return Entry(message.id or "", "assistant", str(message.content), list(keys) if keys else None)
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
        self._memory: dict[str, list[Entry]] = {}
        if self._conn is not None:
            with self._lock:
                self._conn.execute(_SCHEMA)
                self._conn.commit()

    def record(self, thread_id: str, messages: list[AnyMessage]) -> None:
        """Append `messages` (the state's, oldest first) that come after the last one recorded."""
        if self._conn is None:
            kept = self._memory.setdefault(thread_id, [])
            kept += self._after(messages, kept[-1].message_id if kept else None)
            return
        with self._lock:
            row = self._conn.execute("SELECT seq, message_id FROM procall_messages WHERE thread_id = ? "
                                     "ORDER BY seq DESC LIMIT 1", (thread_id,)).fetchone()
            seq, last = (int(row[0]), row[1]) if row is not None else (0, None)
            rows = [(thread_id, seq + n, e.message_id, e.role, e.text,
                     json.dumps(e.template_keys) if e.template_keys is not None else None)
                    for n, e in enumerate(self._after(messages, last), 1)]
            if rows:
                self._conn.executemany("INSERT INTO procall_messages (thread_id, seq, message_id, role, text, "
                                       "template_keys) VALUES (?, ?, ?, ?, ?, ?)", rows)
                self._conn.commit()

    def entries(self, thread_id: str, messages: list[AnyMessage]) -> list[Entry]:
        """The whole conversation: what was recorded, then the state's `messages` not recorded yet."""
        if self._conn is None:
            recorded = list(self._memory.get(thread_id, []))
        else:
            with self._lock:
                rows = self._conn.execute("SELECT message_id, role, text, template_keys FROM procall_messages "
                                          "WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
            recorded = [Entry(r[0], r[1], r[2], json.loads(r[3]) if r[3] is not None else None) for r in rows]
        known = {e.message_id for e in recorded}
        return recorded + [e for m in messages if m.id not in known and (e := entry(m)) is not None]

    def lines(self, thread_id: str, messages: list[AnyMessage]) -> list[tuple[str, str]]:
        """(role, text) of every message, as `Assistant.view` shows them."""
        return [(e.role, e.text) for e in self.entries(thread_id, messages)]

    @staticmethod
    def _after(messages: list[AnyMessage], last_id: str | None) -> list[Entry]:
        ids = [m.id for m in messages]
        if last_id is not None and last_id in ids:
            messages = messages[ids.index(last_id) + 1:]
        # else: nothing recorded yet, or the state's whole window is newer than the record
        return [e for m in messages if (e := entry(m)) is not None]
