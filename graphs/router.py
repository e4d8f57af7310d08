"""The router graph: the conversation loop.

    greet -> listen -> understand -> apply (+ settle) -> [(save ->) process subgraph -> settle]* -> respond -> listen

`listen` is the only interrupt (resume it with `Command(resume=text)`); `understand` is the
only node that may call a model; every process is a compiled subgraph with deterministic
edges; `settle` releases finished processes and picks what runs next.

`apply` ends by settling (`applied_then_settled`: the settle node's function on the state apply left, as the
next step would run it): every LangGraph step costs a fixed share of a turn (scheduling, channel updates, the
edge's copy of the state), more than settle's own work, so a message takes one step less. The settle node is
what runs after a process.

`save` does nothing itself: it is where a turn is made durable before a write. A process stops right
before a write step until the turn was saved (graphs/process.py); the router then goes to `save`, and
`Assistant.send` runs the turn with `interrupt_before=["save"]`, so the run stops there and its
checkpoint, with the customer's message, is written before the write can happen. A crash after the
write finishes the turn from that checkpoint (the write is found by its idempotency key) and the
customer is told its outcome. A turn without a write is saved once, at its end.
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
from ..state.stack import top
from .catalogue import build_processes
from .process import ProcessGraph, absorb, saved

SAVE = "save"


def save(state: ConversationState) -> dict:
    """The turn is saved here (see above): from now on this turn's writes may run."""
    return {"saved_turn": state.get("turn") or 0}


def applied_then_settled(apply: Callable[[ConversationState], dict],
                         settle: Callable[[ConversationState], dict]) -> Callable[[ConversationState], dict]:
    """The apply node: the commands applied, then the stack settled, in one step (see above)."""

    def apply_and_settle(state: ConversationState) -> dict:
        values, changed = dict(state), {}
        absorb(values, changed, apply(state), "apply")
        absorb(values, changed, settle(values), "settle")
        return changed

    apply_and_settle.__name__ = "apply"
    return apply_and_settle


def make_route(catalogue: Catalogue, write_steps: dict[str, set[str]]) -> Callable[[ConversationState], str]:
    """What runs next (`make_next_step`), but `save` first when that is a process paused before a write."""
    next_step = make_next_step(catalogue)

    def route(state: ConversationState) -> str:
        choice = next_step(state)
        frame = top(state)
        if frame is not None and frame.step in write_steps.get(choice, ()) and not saved(state):
            return SAVE
        return choice

    return route


def build_router(services: Services, understander: Understander, *, fallback: Understander | None = None,
                 shortcut: Callable | None = None, checkpointer: Any = None,
                 processes: tuple[Catalogue, dict[str, ProcessGraph]] | None = None) -> CompiledStateGraph:
    catalogue, processes = processes or build_processes(services)
    graph = StateGraph(ConversationState, input_schema=RouterInput)
    graph.add_node("greet", greet)
    graph.add_node("listen", listen)
    graph.add_node("understand", make_understand(understander, fallback, shortcut))
    settle = make_settle(catalogue)
    graph.add_node("apply", applied_then_settled(make_apply(catalogue), settle))
    graph.add_node("settle", settle)
    graph.add_node(SAVE, save)
    graph.add_node("respond", respond)
    for name, process in processes.items():
        graph.add_node(name, process.router_node())  # a subgraph: drawn, shown in Studio (see ProcessGraph.run)
        graph.add_edge(name, "settle")
    graph.add_edge(START, "greet")
    graph.add_edge("greet", "listen")
    graph.add_edge("listen", "understand")
    graph.add_edge("understand", "apply")
    route = make_route(catalogue, {name: set(p.write_steps) for name, p in processes.items()})
    graph.add_conditional_edges("apply", route, [*processes, SAVE, "respond"])
    graph.add_conditional_edges("settle", route, [*processes, SAVE, "respond"])
    graph.add_conditional_edges(SAVE, route, [*processes, "respond"])
    graph.add_edge("respond", "listen")
    return graph.compile(checkpointer=checkpointer, name="procall")
