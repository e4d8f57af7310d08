"""Postgres for everything instances share (`PROCALL_DATABASE_URL`): conversation checkpoints
(langgraph-checkpoint-postgres, on a connection pool), the store with its idempotency records, and
the audit log. Each part has its own pool, closed with the part."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from .config import Settings
from .tools.backend.postgres import open_postgres_database, setup_lock
from .tools.backend.store import RetailBackend
from .tools.gateway.audit_postgres import PostgresAuditLog


def _url(settings: Settings) -> str:
    if not settings.database_url:
        raise ValueError("database_url is not set")
    return settings.database_url


def postgres_checkpointer(settings: Settings, serde: Any) -> PostgresSaver:
    # What PostgresSaver needs of its connections: autocommit, dict rows, no server-side prepares
    # (a pooled connection may meet a statement another user prepared).
    pool = ConnectionPool(_url(settings), min_size=1, max_size=settings.db_pool_size, open=True,
                          name="procall-checkpoints",
                          kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
    saver = PostgresSaver(pool, serde=serde)
    with setup_lock(_url(settings)):
        saver.setup()
    return saver


def prepare(settings: Settings, serde: Any) -> None:
    """Create every shared table once."""
    saver = postgres_checkpointer(settings, serde)
    saver.conn.close()
    open_postgres_audit(settings).close()


def open_postgres_store(settings: Settings) -> RetailBackend:
    return RetailBackend(open_postgres_database(_url(settings), settings.store_path.stem, settings.data,
                                                settings.db_pool_size))


def open_postgres_audit(settings: Settings) -> PostgresAuditLog:
    return PostgresAuditLog(_url(settings))
