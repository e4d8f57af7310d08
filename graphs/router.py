"""The router graph: the conversation loop.

    greet -> listen -> understand -> apply -> [(save ->) process subgraph (-> next_process)]* -> listen

`listen` is the only interrupt (resume it with `Command(resume=text)`); `understand` is the
only node that may call a model; every process is a compiled subgraph with deterministic
edges. Each step after `understand` ends the same way (`make_leave`): the stack settled (nodes/settle.py:
release finished processes, pick what runs next), the next node picked, and, when nothing runs next, the
turn's reply made (nodes/respond.py: the bot lines become one assistant message) before `listen` waits again.

That ending runs inside the step, on the state the step left, as a next step would run it, because every
LangGraph step costs a fixed share of a turn (scheduling, channel updates, metadata, a checkpoint's
bookkeeping), more than settling or replying itself: a message that runs one process is four steps (listen,
understand, apply, the process) and `listen`'s wait. A process is followed by `save` or `listen` directly; when another
process runs next, the edge goes through `next_process`, a step that changes nothing, so the drawing needs no
edge from every process to every other.

Each router step after `understand` picks the next node itself: the edge (`route`, `after_process`: plain
functions of state) runs on the state the step leaves, the state a conditional edge after the step would be
given, and the step returns `Command(update=..., goto=...)`; the nodes declare where they may lead
(`destinations`), so the drawing shows the same edges. A LangGraph conditional edge builds that state by
copying every channel of the graph (about 40 here: one per node and state key), twice a turn.

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
RESPOND = "respond"  # what `route` answers when the turn ends: the reply (nodes/respond.py), then `listen`
NEXT = "next_process"


def make_leave(settle: Callable[[ConversationState], dict], route: Callable[[ConversationState], str]
               ) -> Callable[[dict, dict], str]:
    """How a router step ends, in the step itself (see above): the stack settled on the state the step left, the
    next node picked by `route`; when that is the reply, the reply is made here and the turn goes back to
    `listen`. Adds its updates to `values` (the state so far) and `changed` (the step's update)."""

    def leave(values: dict, changed: dict) -> str:
        absorb(values, changed, settle(values), "settle")
        choice = route(values)
        if choice != RESPOND:
            return choice
        absorb(values, changed, respond(values), RESPOND)
        return "listen"

    return leave


def make_save(route: Callable[[ConversationState], str]) -> Callable[[ConversationState], Command]:
    def save(state: ConversationState) -> Command:
        """The turn is saved here (see above): from now on this turn's writes may run."""
        values, changed = dict(state), {"saved_turn": state.get("turn") or 0}
        values.update(changed)
        choice = route(values)
        if choice == RESPOND:  # nothing left to write (the stack settled before the save)
            absorb(values, changed, respond(values), RESPOND)
            choice = "listen"
        return Command(update=changed, goto=choice)

    return save


def applied_then_settled(apply: Callable[[ConversationState], dict], leave: Callable[[dict, dict], str]
                         ) -> Callable[[ConversationState], Command]:
    """The apply node: the commands applied, then the step left as `leave` says (settled, routed, the reply made
    if the turn ends), in one step (see above)."""

    def apply_and_settle(state: ConversationState) -> Command:
        values, changed = dict(state), {}
        absorb(values, changed, apply(state), "apply")
        return Command(update=changed, goto=leave(values, changed))

    apply_and_settle.__name__ = "apply"
    return apply_and_settle


def make_next_process(route: Callable[[ConversationState], str]) -> Callable[[ConversationState], Command]:
    def next_process(state: ConversationState) -> Command:
        """A process ended and settled, and another one runs next: `route` picks it (see above)."""
        return Command(goto=route(state))

    return next_process


def make_process_leave(leave: Callable[[dict, dict], str]) -> Callable[[dict, dict], str]:
    """Where a process step leads: `save`, or `listen` (the reply made), as `leave` says; another process
    through `next_process`, so that the drawing needs no edge from every process to every other."""

    def after_process(values: dict, changed: dict) -> Literal["next_process", "save", "listen"]:
        choice = leave(values, changed)
        if choice in (SAVE, "listen"):
            return choice
        return "next_process"

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
    route = make_route(catalogue, {name: set(p.write_steps) for name, p in processes.items()})
    leave = make_leave(make_settle(catalogue), route)
    graph.add_node("apply", applied_then_settled(make_apply(catalogue), leave),
                   destinations=(*processes, SAVE, "listen"))
    graph.add_node(NEXT, make_next_process(route), destinations=tuple(processes))
    graph.add_node(SAVE, make_save(route), destinations=(*processes, "listen"))
    for name, process in processes.items():
        # A subgraph: drawn, shown in Studio (see ProcessGraph.run); settles, routes and replies in the same step.
        graph.add_node(name, process.router_node(leave=make_process_leave(leave)),
                       destinations=(NEXT, SAVE, "listen"))
    graph.add_edge(START, "greet")
    graph.add_edge("greet", "listen")
    graph.add_edge("listen", "understand")
    graph.add_edge("understand", "apply")
    return graph.compile(checkpointer=checkpointer, name="procall")
