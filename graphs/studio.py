"""Graphs for LangGraph Studio / `langgraph dev` (see langgraph.json), compiled without a
checkpointer: the server supplies persistence. Built from the environment's settings
(PROCALL_*); the store opens on the first backend call, not at import.

Absolute imports on purpose: `langgraph dev` may load this file by its path.
"""

from __future__ import annotations

from functools import cache

from langgraph.graph.state import CompiledStateGraph

from procall.config import Settings
from procall.graphs.catalogue import build_processes
from procall.graphs.react import build_react_agent
from procall.graphs.router import build_router
from procall.nodes.services import Services
from procall.runtime import LazyGateway, make_understander


@cache
def _services() -> Services:
    settings = Settings()
    return Services(gateway=LazyGateway(settings), role=settings.role)


@cache
def _processes():
    return build_processes(_services())


def router_graph() -> CompiledStateGraph:
    settings = Settings()
    catalogue, builders = _processes()
    setup = make_understander(settings, _services(), catalogue=catalogue, cached=False)
    return build_router(_services(), setup.primary, fallback=setup.fallback, shortcut=setup.shortcut,
                        processes=(catalogue, builders))


def process_graph(name: str) -> CompiledStateGraph:
    _, builders = _processes()
    return builders[name].compile()


def react_graph() -> CompiledStateGraph:
    """The ReAct baseline on the configured model endpoint (it needs one to run; it draws without)."""
    from langchain_openai import ChatOpenAI

    settings = Settings()
    model = ChatOpenAI(model=settings.model, base_url=settings.openai_base_url,
                       api_key=settings.openai_api_key or "not-set", max_retries=0)
    return build_react_agent(_services().gateway, model)


def graph_names() -> list[str]:
    _, builders = _processes()
    return ["router", "react", *builders]


def graph_for(name: str) -> CompiledStateGraph:
    if name == "router":
        return router_graph()
    if name == "react":
        return react_graph()
    return process_graph(name)


@cache
def __getattr__(name: str) -> CompiledStateGraph:
    """`studio.router`, `studio.react`, `studio.cancel_order`, ...: what langgraph.json points at."""
    if name.startswith("__") or name not in graph_names():
        raise AttributeError(name)
    return graph_for(name)


def _factory(name: str):
    def make() -> CompiledStateGraph:
        return __getattr__(name)  # compiled once, cached
    make.__name__ = make.__qualname__ = name
    return make


# The dev server reads module.__dict__[name] (it never calls a module __getattr__): export one
# zero-argument factory per graph, which it accepts.
globals().update({name: _factory(name) for name in graph_names()})
