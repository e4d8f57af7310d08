"""Building a business process as a compiled LangGraph `StateGraph`.

A process module lists its steps in order with the node kinds from `nodes/` (collect, confirm,
call a tool, say) and names its branches as plain functions of state with `Literal` return
types. This builder adds what every process shares:

- an `enter` node that continues at the step where the process paused (`frame.step`);
- after every step, a pause check: a step that asked the customer something, ended the
  process, or put another frame on top hands control back to the router (END);
- after every tool step, a `failed` path for errors about the system rather than the request
  (timeouts, outages, refusals by the gateway), so a process only branches on business outcomes;
- before a write (a call that needs the customer's yes), a stop until the turn is saved: the step hands
  control back to the router, whose `save` step makes the turn durable, and runs again from `enter`.

In the router a process is one node (`router_node`): the compiled subgraph is what LangGraph draws
inside the router and Studio shows, and its steps run in the router's step, one after another in
this thread (`run`), with the same nodes, edges and state updates. A nested graph run per process
(its own loop, executor threads and checkpoints of the whole state) cost more than all the steps'
work; a process never pauses mid-way (only `listen` interrupts), so nothing needs its own checkpoint.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphRecursionError, InvalidUpdateError
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from ..nodes.call_tool import SYSTEM_ERRORS, Args, Calls, call_many, call_tool
from ..nodes.catalogue import ProcessEntry
from ..nodes.collect import collect
from ..nodes.confirm import confirm, confirmed
from ..nodes.failure import failed
from ..nodes.process_spec import ProcessSpec
from ..nodes.say import Extra, say
from ..nodes.services import Services
from ..nodes.step import frame_of, update
from ..state.conversation import REDUCERS, STATE_KEYS, ConversationState
from ..state.stack import top

Router = Callable[[ConversationState], str]
Then = str | Router
# How a router step ends (graphs/router.py): given the state the step left and what it changed so far, add its
# last updates to both and say which node runs next.
Leave = Callable[[dict[str, Any], dict[str, Any]], str]
DEFAULT_RECURSION_LIMIT = 25  # LangGraph's default steps per graph run


class Step:
    """One node of a process as `run` calls it: its action and where it leads (a node name, END, or a
    router choosing one from the state after the action)."""

    def __init__(self, action: Callable[..., Any], then: Then = END):
        self.action = action
        self.then = then
        # LangGraph passes the run's config to a node with a `config` parameter; so does `run`.
        self.takes_config = "config" in inspect.signature(action).parameters

    def __call__(self, state: ConversationState, config: RunnableConfig) -> dict | None:
        return self.action(state, config=config) if self.takes_config else self.action(state)

    def next(self, state: ConversationState) -> str:
        return self.then if isinstance(self.then, str) else self.then(state)

def _targets(router: Router) -> list[str]:
    hint = typing.get_type_hints(router).get("return")
    targets = [a for a in typing.get_args(hint) if isinstance(a, str)]
    if not targets:
        raise TypeError(f"router {router.__name__} must return a Literal of step names")
    return targets


def absorb(values: dict[str, Any], changed: dict[str, Any], update: dict | None, where: str) -> None:
    """Apply one step's update to `values` as LangGraph applies a node's update to the state (a key with a reducer
    is reduced, any other replaced), and add it to `changed`: what the steps run so far return together, a key
    with a reducer as the list of its updates (for the graph to reduce once), any other as its last value."""
    for key, value in (update or {}).items():
        if key not in STATE_KEYS:
            raise InvalidUpdateError(f"{where}: unknown state key {key!r}")
        reducer = REDUCERS.get(key)
        if reducer is None:
            values[key] = changed[key] = value
        else:
            values[key] = reducer(values.get(key) or [], value)
            changed[key] = [*changed.get(key, []), *(value if isinstance(value, list) else [value])]


def saved(state: ConversationState) -> bool:
    """Was this turn saved (the router's `save` step) since the customer's message?"""
    return state.get("saved_turn") == state.get("turn")


def _once_saved(step: str, node: Callable[..., dict]) -> Callable[..., dict]:
    """A write step that runs only once the turn is saved: a crash after the write then finishes the
    turn from right before it (the write is found by its idempotency key), with the customer's message."""

    def write(state: ConversationState, config: RunnableConfig) -> dict:
        if not saved(state):
            return update(state, frame_of(state).with_(step=step))  # continue here after `save`
        return node(state, config)

    write.__name__ = getattr(node, "__name__", step)
    return write


def enter(state: ConversationState) -> dict:
    """Forget the question asked last turn: the process asks again if it still needs the answer."""
    frame = top(state)
    if frame is None or frame.asking is None:
        return {}
    return {"stack": [*state["stack"][:-1], frame.with_(asking=None)]}


class ProcessGraph:
    def __init__(self, spec: ProcessSpec, services: Services):
        self.spec = spec
        self.services = services
        self.graph = StateGraph(ConversationState)
        self.graph.add_node("enter", enter)
        self.graph.add_edge(START, "enter")
        self.plan: dict[str, Step] = {"enter": Step(enter)}  # the same nodes and edges, for `run`
        self._first: str | None = None
        self._resumable: list[str] = []
        self.steps: list[str] = []
        self.slot_steps: dict[str, str] = {}
        self.tools: dict[str, str] = {}          # step -> the tool it calls
        self.write_steps: list[str] = []         # steps that wait for the turn to be saved

    # -- steps -------------------------------------------------------------------------

    def collect(self, step: str, slot: str, then: Then, *, needs: str | None = None) -> ProcessGraph:
        """Get `slot`; `needs` is the step that loads what the question offers (run only to ask or assume)."""
        self.slot_steps[slot] = step
        if needs is None:
            self._add(step, collect(self.spec, slot, step), then, resumable=True)
            return self

        def route(state: ConversationState) -> str:
            frame = top(state)
            if slot in frame.slots:
                return then if isinstance(then, str) else then(state)
            return needs  # nothing given yet: load the choices, then ask

        targets = [then] if isinstance(then, str) else _targets(then)
        self._add(step, collect(self.spec, slot, step, needs=needs), route, resumable=True,
                  targets=[*targets, needs])
        return self

    def confirm(self, step: str, template: str, *, yes: str, no: str) -> ProcessGraph:
        def answer(state: ConversationState) -> str:
            return yes if confirmed(state, step) else no

        self._add(step, confirm(self.spec, template, step), answer, resumable=True, targets=[yes, no])
        return self

    def call(self, step: str, tool: str, args: Args, then: Then, *, confirm_step: str | None = None,
             confirmed_by: Callable[[ConversationState], bool] | None = None,
             targets: list[str] | None = None) -> ProcessGraph:
        node = call_tool(self.services, step, tool, args, confirm_step=confirm_step, confirmed_by=confirmed_by)
        self.tools[step] = tool
        write = confirm_step is not None or confirmed_by is not None  # the gateway refuses a write without
        if write:
            node = _once_saved(step, node)
            self.write_steps.append(step)
        self._add(step, node, then, failures=True, targets=targets, resumable=write)
        return self

    def confirm_and_write(self, step: str, tool: str, args: Args, *, done: str = "done",
                          done_extra: Extra | None = None, after: str | None = None) -> ProcessGraph:
        """The end every changing process shares: list the details (template `confirm`) and get an explicit
        yes; then the write. It leads to `after` (default: saying `done`); a no says `kept`, a refusal by the
        store's rules says `rule`; nothing is written without the yes."""
        success = after or done

        def written(state: ConversationState) -> str:
            result = top(state).results.get(step)
            return "rule" if result is not None and not result.ok else success

        written.__name__ = f"after_{step}"
        self.confirm("confirm", "confirm", yes=step, no="kept")
        self.call(step, tool, args, then=written, confirm_step="confirm", targets=[success, "rule"])
        if after is None:
            self.say(done, done, extra=done_extra)
        self.say("kept", "kept", outcome="cancelled")
        self.say("rule", "rule", extra=lambda frame, state: {"error": frame.results[step].error_message})
        return self

    def call_many(self, step: str, calls: Calls, then: Then) -> ProcessGraph:
        self._add(step, call_many(self.services, step, calls), then, failures=True)
        return self

    def say(self, step: str, template: str, *, then: Then | None = None, outcome: str = "completed",
            extra: Extra | None = None) -> ProcessGraph:
        node = say(self.spec, template, step, end=then is None, outcome=outcome, extra=extra)
        self._add(step, node, then)
        return self

    def decide(self, step: str, router: Router) -> ProcessGraph:
        """A named branch point with no work of its own (it reads like a question in the drawing)."""
        self._add(step, lambda state: {}, router)
        return self

    def node(self, step: str, action: Callable[..., dict], then: Then | None = None) -> ProcessGraph:
        """A process-specific deterministic step (no model, no backend call)."""
        self._add(step, action, then)
        return self

    # -- wiring ------------------------------------------------------------------------

    def _add(self, step: str, action: Callable[..., Any], then: Then | None, *, resumable: bool = False,
             failures: bool = False, targets: list[str] | None = None) -> None:
        self.graph.add_node(step, action)
        self.steps.append(step)
        if failures and "failed" not in self.graph.nodes:  # only processes that call tools can fail that way
            handle = failed(self.spec, self.services)
            self.graph.add_node("failed", handle)
            self.graph.add_edge("failed", END)
            self.plan["failed"] = Step(handle)
        if self._first is None:
            self._first = step
        if resumable:
            self._resumable.append(step)
        if then is None:
            self.graph.add_edge(step, END)
            self.plan[step] = Step(action)
            return
        route, path = self._route(step, then, failures, targets)
        self.graph.add_conditional_edges(step, route, path)
        self.plan[step] = Step(action, route)

    def _route(self, step: str, then: Then, failures: bool, targets: list[str] | None):
        name = self.spec.name
        choose = (lambda state: then) if isinstance(then, str) else then
        options = [then] if isinstance(then, str) else (targets or _targets(then))
        write = step in self.write_steps

        def route(state: ConversationState) -> str:
            frame = top(state)
            if frame is None or frame.process != name or frame.status != "active" or frame.asking is not None:
                return END
            if write and not saved(state):
                return END  # the router saves the turn first
            if failures:
                result = frame.results.get(step)
                if result is not None and result.error_code in SYSTEM_ERRORS:
                    return "failed"
            return choose(state)

        route.__name__ = f"after_{step}"
        path = list(dict.fromkeys([*options, END, *(["failed"] if failures else [])]))
        return route, path

    def entry(self) -> ProcessEntry:
        return ProcessEntry(spec=self.spec, steps=tuple(self.steps), slot_steps=dict(self.slot_steps))

    def compile(self, checkpointer: Any = None) -> CompiledStateGraph:
        if "enter" not in self.graph.branches:
            first = self._first
            resumable = [s for s in self._resumable if s != first]

            def resume(state: ConversationState) -> str:
                frame = top(state)
                step = frame.step if frame is not None else None
                return step if step in resumable else first

            self.graph.add_conditional_edges("enter", resume, [first, *resumable])
            self.plan["enter"] = Step(enter, resume)
        return self.graph.compile(checkpointer=checkpointer, name=self.spec.name)

    # -- running inside the router -----------------------------------------------------

    def router_node(self, leave: Leave | None = None) -> Callable[[ConversationState, RunnableConfig], dict | Command]:
        """The process as a node of the router graph; `leave`, the router's way out of a step (graphs/router.py:
        settle, pick the next node, reply if the turn ends), runs on the state the process left, in the same
        step, and the node returns a `Command` going where it says."""
        subgraph = self.compile()
        run = self.run

        def process(state: ConversationState, config: RunnableConfig) -> dict | Command:
            # LangGraph finds `subgraph` among this function's nonlocals, so it is drawn inside the router
            # and shown in Studio; `run` runs its steps.
            return run(state, config, subgraph, leave)

        process.__name__ = self.spec.name
        return process

    def run(self, state: ConversationState, config: RunnableConfig, subgraph: CompiledStateGraph,
            leave: Leave | None = None) -> dict | Command:
        """Run the subgraph's steps from `enter` to END, as LangGraph would, in this thread: each step sees
        the state with the updates of the steps before it (reducers applied), each edge chooses from the
        state after its step. Returns only what changed; a key with a reducer returns its updates, for the
        router to reduce once (no copy of the message history); with `leave`, as a `Command` going where
        `leave` says from the state the process left (its own updates added)."""
        values = dict(state)
        changed: dict[str, Any] = {}
        limit = (config or {}).get("recursion_limit", DEFAULT_RECURSION_LIMIT)
        node = "enter"
        for _ in range(limit):
            step = self.plan[node]
            absorb(values, changed, step(values, config), f"process {subgraph.name}, step {node}")
            node = step.next(values)
            if node == END:
                return changed if leave is None else Command(update=changed, goto=leave(values, changed))
        raise GraphRecursionError(f"process {subgraph.name} took more than {limit} steps without ending")
