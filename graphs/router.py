"""The router graph: the conversation loop.

    greet -> listen -> understand -> apply -> [(save ->) process subgraph (-> next_process)]* -> respond -> listen

`listen` is the only interrupt (resume it with `Command(resume=text)`); `understand` is the
only node that may call a model; every process is a compiled subgraph with deterministic
edges; settling (nodes/settle.py: release finished processes, pick what runs next) ends the apply
step and every process step.

Settling runs inside those steps (`applied_then_settled`, `ProcessGraph.router_node(after=...)`: the settle
function on the state the step left, as a next step would run it) because every LangGraph step costs a fixed
share of a turn (scheduling, channel updates, the edge's copy of every channel), more than settling itself: a
message that runs one process takes two steps less. A process is followed by `respond` or `save` directly;
when another process runs next, the edge goes through `next_process`, a step that changes nothing, so the
drawing needs no edge from every process to every other.

Each router step after `understand` picks the next node itself: the edge (`route`, `after_process`: plain
functions of state with `Literal` returns) runs on the state the step leaves, the state a conditional edge after
the step would be given, and the step returns `Command(update=..., goto=...)`; the nodes declare where they may
lead (`destinations`), so the drawing shows the same edges. A LangGraph conditional edge builds that state by
copying every channel of the graph (about 45 here: one per node and state key), twice a turn.

`save` does nothing itself: it is where a turn is made durable before a write. A process stops right
before a write step until the turn was saved (graphs/process.py); the router then goes to `save`, and
`Assistant.send` runs the turn with `interrupt_before=["save"]`, so the run stops there and its
checkpoint, with the customer's message, is written before the write can happen. A crash after the
write finishes the turn from that checkpoint (the write is found by its idempotency key) and the
customer is told its outcome. A turn without a write is saved once, at its end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

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
NEXT = "next_process"


def make_save(route: Callable[[ConversationState], str]) -> Callable[[ConversationState], Command]:
    def save(state: ConversationState) -> Command:
        """The turn is saved here (see above): from now on this turn's writes may run."""
        update = {"saved_turn": state.get("turn") or 0}
        return Command(update=update, goto=route({**state, **update}))

    return save


def applied_then_settled(apply: Callable[[ConversationState], dict], settle: Callable[[ConversationState], dict],
                         route: Callable[[ConversationState], str]) -> Callable[[ConversationState], Command]:
    """The apply node: the commands applied, then the stack settled, in one step, going where `route` says from
    the state they left (see above)."""

    def apply_and_settle(state: ConversationState) -> Command:
        values, changed = dict(state), {}
        absorb(values, changed, apply(state), "apply")
        absorb(values, changed, settle(values), "settle")
        return Command(update=changed, goto=route(values))

    apply_and_settle.__name__ = "apply"
    return apply_and_settle


def make_next_process(route: Callable[[ConversationState], str]) -> Callable[[ConversationState], Command]:
    def next_process(state: ConversationState) -> Command:
        """A process ended and settled, and another one runs next: `route` picks it (see above)."""
        return Command(goto=route(state))

    return next_process


def make_after_process(route: Callable[[ConversationState], str]
                       ) -> Callable[[ConversationState], Literal["next_process", "save", "respond"]]:
    """Where a process step (which settled) leads: `save` or `respond` as `route` says, another process through
    `next_process`."""

    def after_process(state: ConversationState) -> Literal["next_process", "save", "respond"]:
        choice = route(state)
        if choice == SAVE:
            return "save"
        return "respond" if choice == "respond" else "next_process"

    return after_process


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
    route = make_route(catalogue, {name: set(p.write_steps) for name, p in processes.items()})
    after_process = make_after_process(route)
    graph.add_node("apply", applied_then_settled(make_apply(catalogue), settle, route),
                   destinations=(*processes, SAVE, "respond"))
    graph.add_node(NEXT, make_next_process(route), destinations=tuple(processes))
    graph.add_node(SAVE, make_save(route), destinations=(*processes, "respond"))
    graph.add_node("respond", respond)
    for name, process in processes.items():
        # A subgraph: drawn, shown in Studio (see ProcessGraph.run); settles and routes in the same step.
        graph.add_node(name, process.router_node(after=settle, then=after_process),
                       destinations=(NEXT, SAVE, "respond"))
    graph.add_edge(START, "greet")
    graph.add_edge("greet", "listen")
    graph.add_edge("listen", "understand")
    graph.add_edge("understand", "apply")
    graph.add_edge("respond", "listen")
    return graph.compile(checkpointer=checkpointer, name="procall")
