"""The server's conversations and turn ledger in Postgres (see `records.py`), shared by all instances.
Times come from the database's clock, so turns handled by different instances compare."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ..tools.backend.postgres import setup_lock
from .records import TurnRecord

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS server_conversations (
        id            TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        created_at    DOUBLE PRECISION NOT NULL DEFAULT extract(epoch FROM clock_timestamp())
    )""",
    """CREATE TABLE IF NOT EXISTS server_turns (
        conversation  TEXT NOT NULL,
        message_id    TEXT NOT NULL,
        turn_before   INTEGER NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('started', 'done')),
        reply         TEXT,
        instance      TEXT NOT NULL,
        started_at    DOUBLE PRECISION NOT NULL,
        ended_at      DOUBLE PRECISION,
        PRIMARY KEY (conversation, message_id)
    )""",
]
NOW = "extract(epoch FROM clock_timestamp())"


class PostgresRecords:
    def __init__(self, url: str, pool_size: int = 4):
        self.pool = ConnectionPool(url, min_size=1, max_size=max(2, pool_size // 2), open=True,
                                   name="procall-server-records", kwargs={"autocommit": True, "row_factory": dict_row})
        with setup_lock(url), self.pool.connection() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    def add_conversation(self, conversation: str, secret_sha256: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO server_conversations (id, secret_sha256) VALUES (%s, %s)",
                         (conversation, secret_sha256))

    def secret_of(self, conversation: str) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT secret_sha256 FROM server_conversations WHERE id = %s",
                               (conversation,)).fetchone()
        return row["secret_sha256"] if row else None

    def turn(self, conversation: str, message_id: str) -> TurnRecord | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT * FROM server_turns WHERE conversation = %s AND message_id = %s",
                               (conversation, message_id)).fetchone()
        return TurnRecord(**row) if row else None

    def start_turn(self, conversation: str, message_id: str, turn_before: int, instance: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO server_turns (conversation, message_id, turn_before, status, instance, started_at)"
                f" VALUES (%s, %s, %s, 'started', %s, {NOW}) ON CONFLICT (conversation, message_id) DO UPDATE"
                f" SET turn_before = excluded.turn_before, status = 'started', instance = excluded.instance,"
                f" started_at = excluded.started_at, reply = NULL, ended_at = NULL",
                (conversation, message_id, turn_before, instance))

    def finish_turn(self, conversation: str, message_id: str, reply_json: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"UPDATE server_turns SET status = 'done', reply = %s, ended_at = {NOW}"
                         " WHERE conversation = %s AND message_id = %s", (reply_json, conversation, message_id))

    def turns(self) -> list[TurnRecord]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT * FROM server_turns ORDER BY started_at").fetchall()
        return [TurnRecord(**r) for r in rows]

    def ping(self) -> None:
        with self.pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self.pool.close()
