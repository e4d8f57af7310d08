"""Wiring: from settings to a running assistant's parts (store, audit log, gateway,
understanding, checkpointer). The one place that knows how the pieces fit together."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from .config import Settings
from .graphs.catalogue import build_processes
from .nodes.catalogue import Catalogue
from .nodes.services import Services
from .nodes.understanding.base import Understander, UnderstandingRequest
from .nodes.understanding.local.understander import LocalUnderstander
from .nodes.understanding.typed_answers import typed_answer
from .state import SERDE_TYPES
from .tools.backend.database import setup_lock
from .tools.backend.loader import check_data_folder
from .tools.backend.store import RetailBackend
from .tools.backend.stores import open_store
from .tools.gateway.audit import AuditLog
from .tools.gateway.faults import FaultPlan
from .tools.gateway.gateway import Gateway
from .tools.gateway.policy import GatewayPolicy


def serializer() -> JsonPlusSerializer:
    """Checkpoint serializer that may rebuild exactly our state types (and LangChain messages)."""
    from langchain_core import messages

    types = (*SERDE_TYPES, messages.HumanMessage, messages.AIMessage, messages.SystemMessage, messages.ToolMessage)
    allowed = [(t.__module__, t.__name__) for t in types]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


def sqlite_checkpointer(path: str | Path) -> SqliteSaver:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    # Processes starting on one home at once take turns: switching a new file to WAL and creating the
    # tables are not safe to interleave ("database is locked").
    with setup_lock(path):
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn, serde=serializer())
        saver.setup()
    # In WAL mode, NORMAL syncs at WAL checkpoints, not at every commit: a killed program loses no
    # committed checkpoint (the OS has the WAL), only a power cut may lose the last turns' checkpoints,
    # and a write those turns made is then found by its idempotency key when the turn is said again.
    conn.execute("PRAGMA synchronous=NORMAL")
    return saver


def checkpointer_for(settings: Settings) -> Any:
    """Where conversations are saved: SQLite under home, or Postgres when `database_url` is set."""
    if settings.database_url:
        from .postgres import postgres_checkpointer

        return postgres_checkpointer(settings, serializer())
    return sqlite_checkpointer(settings.checkpoints_path)


def prepare_shared(settings: Settings) -> None:
    """Create the shared tables once (several instances starting together would race to)."""
    if settings.database_url:
        from .postgres import prepare

        prepare(settings, serializer())


def open_backend(settings: Settings) -> RetailBackend:
    if settings.data is not None:
        check_data_folder(settings.data)
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.database_url:
        from .postgres import open_postgres_store

        return open_postgres_store(settings)
    return open_store(settings.store_path, settings.data)


def open_audit(settings: Settings) -> AuditLog:
    if settings.database_url:
        from .postgres import open_postgres_audit

        return open_postgres_audit(settings)
    return AuditLog(settings.audit_path)


def make_gateway(settings: Settings, backend: RetailBackend, faults: FaultPlan | None = None,
                 audit: AuditLog | None = None) -> Gateway:
    policy = GatewayPolicy.load(settings.gateway_policy)
    return Gateway(backend, audit or open_audit(settings), policy, faults)


@dataclass
class UnderstandingSetup:
    """What understands: the configured understander, what to fall back to if it fails, and the reading of
    typed answers that needs no model."""
    primary: Understander
    fallback: Understander | None = None
    shortcut: Callable[[UnderstandingRequest], Any] | None = None


def make_understander(settings: Settings, services: Services, model=None, catalogue: Catalogue | None = None,
                      cached: bool = True) -> UnderstandingSetup:
    """`cached=False` trains in memory and touches no file (LangGraph's dev server builds graphs on its event
    loop, where file I/O is refused)."""
    catalogue = catalogue or build_processes(services)[0]
    cache = settings.model_cache if cached else None
    local = LocalUnderstander(catalogue, cache)
    if settings.nlu == "local" and model is None:
        return UnderstandingSetup(local)
    from .nodes.understanding.llm import LLMUnderstander, chat_model

    llm = LLMUnderstander(catalogue, model or chat_model(settings), cache_dir=cache)
    shortcut = partial(typed_answer, local) if settings.typed_answers_without_model else None
    return UnderstandingSetup(llm, local if settings.llm_fallback_to_local else None, shortcut)


class LazyGateway:
    """A gateway that opens the store and audit log on first use, so importing or drawing a graph
    (LangGraph Studio, `procall draw`) touches no files."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._gateway: Gateway | None = None

    def _real(self) -> Gateway:
        if self._gateway is None:
            self._gateway = make_gateway(self._settings, open_backend(self._settings))
        return self._gateway

    def __getattr__(self, name: str):
        return getattr(self._real(), name)
