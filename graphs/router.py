"""The router graph: the conversation loop.

    greet -> listen -> understand -> apply -> settle -> [process subgraph -> settle]* -> respond -> listen

`listen` is the only interrupt (resume it with `Command(resume=text)`); `understand` is the
only node that may call a model; every process is a compiled subgraph with deterministic
edges; `settle` releases finished processes and picks what runs next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from ..nodes.apply import make_apply
from ..nodes.catalogue import Catalogue
from ..nodes.listen import greet, listen
from ..nodes.respond import respond
from ..nodes.services import Services
from ..nodes.settle import make_next_step, make_settle
from ..nodes.understand import make_understand
from ..nodes.understanding.base import Understander
from ..state.conversation import ConversationState, RouterInput
from .catalogue import build_processes
from .process import ProcessGraph


def build_router(services: Services, understander: Understander, *, fallback: Understander | None = None,
                 shortcut: Callable | None = None, checkpointer: Any = None,
                 processes: tuple[Catalogue, dict[str, ProcessGraph]] | None = None) -> CompiledStateGraph:
    catalogue, processes = processes or build_processes(services)
    graph = StateGraph(ConversationState, input_schema=RouterInput)
    graph.add_node("greet", greet)
    graph.add_node("listen", listen)
    graph.add_node("understand", make_understand(understander, fallback, shortcut))
    graph.add_node("apply", make_apply(catalogue))
    graph.add_node("settle", make_settle(catalogue))
    graph.add_node("respond", respond)
    for name, process in processes.items():
        graph.add_node(name, process.router_node())  # a subgraph: drawn, shown in Studio (see ProcessGraph.run)
        graph.add_edge(name, "settle")
    graph.add_edge(START, "greet")
    graph.add_edge("greet", "listen")
    graph.add_edge("listen", "understand")
    graph.add_edge("understand", "apply")
    graph.add_edge("apply", "settle")
    graph.add_conditional_edges("settle", make_next_step(catalogue), [*processes, "respond"])
    graph.add_edge("respond", "listen")
    return graph.compile(checkpointer=checkpointer, name="procall")
