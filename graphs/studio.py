"""Graphs for LangGraph Studio / `langgraph dev` (see langgraph.json), compiled without a
checkpointer: the server supplies persistence. Built from the environment's settings
(PROCALL_*); the store opens on the first backend call, not at import."""

from __future__ import annotations

from functools import cache

from langgraph.graph.state import CompiledStateGraph

from ..config import Settings
from ..nodes.services import Services
from ..runtime import LazyGateway, make_understander
from .catalogue import build_processes
from .router import build_router


@cache
def _services() -> Services:
    settings = Settings()
    return Services(gateway=LazyGateway(settings), role=settings.role)


@cache
def _processes():
    return build_processes(_services())


def router_graph() -> CompiledStateGraph:
    settings = Settings()
    understander, fallback = make_understander(settings, _services())
    return build_router(_services(), understander, fallback=fallback)


def process_graph(name: str) -> CompiledStateGraph:
    _, builders = _processes()
    return builders[name].compile()


def graph_names() -> list[str]:
    _, builders = _processes()
    return ["router", *builders]


def graph_for(name: str) -> CompiledStateGraph:
    return router_graph() if name == "router" else process_graph(name)
