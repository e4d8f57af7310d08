"""One eval conversation per system: process calling with the simulated customer, and the ReAct
baseline (replaying the same customer in oracle mode, or a model-driven customer)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage

from ..assistant import Assistant
from ..graphs.react import build_react_agent
from ..nodes.confirmation_gate import read_reply
from ..tools.backend.operation import OPERATIONS
from ..tools.backend.store import RetailBackend
from ..tools.gateway.audit import AuditRow
from ..tools.gateway.gateway import Gateway
from .oracle import OracleReactModel, OracleUnderstandingModel, PlannedTurn, plan_from_audit
from .results import ConversationResult
from .scoring import ExpectedStore, score_store

WRITES = {name for name, op in OPERATIONS.items() if op.kind == "write"}
OWNED_FIELDS = ("order_id", "user_id", "payment_method_id")


@dataclass
class Turn:
    customer: str
    reply: str
    rows: list[AuditRow] = field(default_factory=list)
    model_calls: int = 0


def _count(result: ConversationResult, turns: list[Turn], backend: RetailBackend, user_id: str) -> None:
    result.customer_turns = len(turns)
    rows = [r for t in turns for r in t.rows]
    calls = [r for r in rows if r.outcome != "retried"]
    result.tool_calls = len(calls)
    result.writes = sum(1 for r in calls if r.tool in WRITES and r.outcome in ("ok", "replayed"))
    result.blocked = sum(1 for r in calls if r.outcome in ("refused", "held"))
    result.policy_violations = violations(turns, backend, user_id)
    result.sequential_calls = [t.model_calls for t in turns]
    result.model_calls = sum(result.sequential_calls)


def violations(turns: list[Turn], backend: RetailBackend, user_id: str) -> list[str]:
    """Writes not preceded by an explicit yes, and any successful access to another customer's records."""
    found = []
    for number, turn in enumerate(turns, 1):
        for row in turn.rows:
            if row.outcome not in ("ok", "replayed"):
                continue
            if row.tool in WRITES and row.tool != "transfer_to_human_agents" and not read_reply(turn.customer).is_yes:
                found.append(f"turn {number}: {row.tool} without an explicit yes")
            args = json.loads(row.arguments)
            if "order_id" in args and backend.order_owner(args["order_id"]) not in (user_id, None):
                found.append(f"turn {number}: {row.tool} on another customer's order {args['order_id']}")
            if "user_id" in args and args["user_id"] != user_id:
                found.append(f"turn {number}: {row.tool} on another customer {args['user_id']}")
    return found


def _finish(result: ConversationResult, task: dict, backend: RetailBackend, said: list[str],
            expected: ExpectedStore) -> None:
    verdict = score_store(task, backend, said, expected)
    result.passed, result.db_match = verdict.passed, verdict.db_match
    result.missing_outputs, result.diff = verdict.missing_outputs, verdict.diff[:20]


def run_process(task: dict, parsed: Any, assistant: Assistant, backend: RetailBackend, trial: int,
                expected: ExpectedStore, play: Callable, oracle: OracleUnderstandingModel | None = None
                ) -> tuple[ConversationResult, list[PlannedTurn]]:
    """Process calling with the rule-based customer; returns the result and the plan ReAct replays."""
    assistant.use_store(backend)
    thread = f"eval-{task['id']}-t{trial}-process"
    audit = assistant.gateway.audit
    usage = getattr(assistant.understander, "usage", None)
    calls_before = len(usage.calls) if usage else 0
    marks: list[int] = []
    call_marks: list[int] = []

    def before_send(utterance) -> None:
        marks.append(len(audit.rows(conversation=thread)))
        call_marks.append(len(usage.calls) if usage else 0)
        if oracle is not None:
            oracle.prime(utterance.commands)

    result = ConversationResult(task_id=task["id"], trial=trial, system="process", passed=False, db_match=False)
    started = time.perf_counter()
    try:
        transcript = play(parsed, assistant, thread, trial, on_utterance=before_send)
        result.ended = transcript.ended
    except Exception as exc:  # a crash fails the conversation; the run goes on
        result.ended, result.error = "error", f"{type(exc).__name__}: {exc}"
        transcript = None
    result.wall_s = time.perf_counter() - started
    rows = audit.rows(conversation=thread)
    marks.append(len(rows))
    call_marks.append(len(usage.calls) if usage else 0)
    turns = []
    if transcript is not None:
        for i, turn in enumerate(transcript.turns):
            turns.append(Turn(customer=turn.customer.text, reply=turn.assistant, rows=rows[marks[i]:marks[i + 1]]))
    if usage is not None:
        new_calls = usage.calls[calls_before:]
        result.input_tokens = sum(c.input_tokens for c in new_calls)
        result.output_tokens = sum(c.output_tokens for c in new_calls)
        result.model_s = sum(c.seconds for c in new_calls)
        for i, turn in enumerate(turns):  # at most one understanding call per customer message
            turn.model_calls = call_marks[i + 1] - call_marks[i]
    _count(result, turns, backend, task["user_id"])
    said = [t.reply for t in turns]
    _finish(result, task, backend, said, expected)
    plan = [PlannedTurn(batches=plan_from_audit(t.rows, WRITES), reply=t.reply) for t in turns]
    return result, plan


class ModelTimer(BaseCallbackHandler):
    """Time spent waiting for the model in a ReAct run."""

    def __init__(self) -> None:
        self.started: dict[Any, float] = {}
        self.seconds = 0.0

    def on_chat_model_start(self, serialized, messages, *, run_id, **kwargs) -> None:
        self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response, *, run_id, **kwargs) -> None:
        if run_id in self.started:
            self.seconds += time.perf_counter() - self.started.pop(run_id)


def run_react(task: dict, gateway: Gateway, model: Any, checkpointer: Any, trial: int, expected: ExpectedStore,
              customer_messages: list[str] | None = None, customer: Any = None) -> ConversationResult:
    """The ReAct baseline: replays `customer_messages` (oracle mode) or talks with a model-driven `customer`."""
    agent = build_react_agent(gateway, model, checkpointer=checkpointer)
    thread = f"eval-{task['id']}-t{trial}-react"
    config = {"configurable": {"thread_id": thread}, "callbacks": [timer := ModelTimer()], "recursion_limit": 60}
    result = ConversationResult(task_id=task["id"], trial=trial, system="react", passed=False, db_match=False)
    audit = gateway.audit
    turns: list[Turn] = []
    started = time.perf_counter()
    messages: list = []
    try:
        text = customer_messages[0] if customer_messages else customer.opening()
        while text is not None:
            seen_rows = len(audit.rows(conversation=thread))
            state = agent.invoke({"messages": [HumanMessage(content=text)]}, config)
            new = state["messages"][len(messages) + 1:]
            messages = state["messages"]
            reply = next((str(m.content) for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), "")
            turns.append(Turn(customer=text, reply=reply, rows=audit.rows(conversation=thread)[seen_rows:],
                              model_calls=sum(isinstance(m, AIMessage) for m in new)))
            if customer_messages is not None:
                text = customer_messages[len(turns)] if len(turns) < len(customer_messages) else None
            else:
                text = customer.reply_to(reply)
        result.ended = "done"
    except Exception as exc:
        result.ended, result.error = "error", f"{type(exc).__name__}: {exc}"
    result.wall_s = time.perf_counter() - started
    result.model_s = timer.seconds
    for m in messages:
        if isinstance(m, AIMessage) and m.usage_metadata:
            result.input_tokens += m.usage_metadata.get("input_tokens", 0)
            result.output_tokens += m.usage_metadata.get("output_tokens", 0)
    _count(result, turns, gateway.backend, task["user_id"])
    _finish(result, task, gateway.backend, [t.reply for t in turns], expected)
    return result


def oracle_react_model(plan: list[PlannedTurn]) -> OracleReactModel:
    return OracleReactModel(plan=plan)
