"""One turn at a time per conversation across instances: a Postgres advisory lock per conversation,
held on a connection of its own for the whole turn. A second message waits for it (Postgres's
lock_timeout bounds the wait); if the holding instance dies, its connection drops and Postgres
releases the lock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from .locks import ConversationBusy


def lock_key(conversation: str) -> int:
    """A signed 64-bit key (Postgres's bigint) for the conversation."""
    digest = hashlib.sha256(b"procall-conversation:" + conversation.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLocks:
    def __init__(self, url: str, pool_size: int = 12):
        # Its own pool: a turn holds one of these connections while it uses others for its work.
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True, name="procall-turn-locks",
                                   kwargs={"autocommit": True})

    @contextmanager
    def hold(self, conversation: str, wait_s: float) -> Iterator[None]:
        key = lock_key(conversation)
        try:
            with self.pool.connection(timeout=wait_s) as conn:
                conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{max(1, int(wait_s * 1000))}ms",))
                try:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                except psycopg.errors.LockNotAvailable:
                    raise ConversationBusy(conversation) from None
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        except PoolTimeout:
            raise ConversationBusy(conversation) from None

    def close(self) -> None:
        self.pool.close()
