"""Scripted models for measuring cost structure honestly offline (`procall eval --model oracle`).

- `OracleUnderstandingModel`: process calling's understanding runs through the real LLM code path
  (the real prompt is built, sent and counted); the "model" answers with the commands the
  simulated customer meant, so understanding is perfect and only its cost is measured.
- `OracleReactModel`: the real `create_agent` loop with a model that, at each customer message,
  makes the same backend calls the process-calling run made at that message (one model call per
  write, one per batch of independent reads), then replies with the same text: a perfect ReAct
  agent, so its cost is a lower bound.

Both count tokens with `count_tokens_approximately` over exactly what would be sent (messages and
tool schemas) and put them in `usage_metadata`, as a real endpoint would.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, PrivateAttr

from ..nodes.understanding.command_schema import TOOL_NAME, written
from ..state.commands import Command, Understanding


def _with_usage(message: AIMessage, sent: list[BaseMessage], tools: list[dict]) -> AIMessage:
    inputs = count_tokens_approximately(sent, tools=tools or None)
    outputs = count_tokens_approximately([message])
    message.usage_metadata = {"input_tokens": inputs, "output_tokens": outputs, "total_tokens": inputs + outputs}
    return message


class OracleUnderstandingModel(BaseChatModel):
    """Returns the commands it was primed with for the next customer message."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _next: list[Command] = PrivateAttr(default_factory=list)
    _tools: list[dict] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "oracle-understanding"

    def prime(self, commands: list[Command]) -> None:
        self._next = list(commands)

    def bind_tools(self, tools: Any, **kwargs: Any) -> OracleUnderstandingModel:
        self._tools = [convert_to_openai_tool(t) for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        args = written(Understanding(commands=self._next))  # as a model following the compact schema answers
        message = AIMessage(content="", tool_calls=[{"name": TOOL_NAME, "args": args, "id": "oracle"}])
        return ChatResult(generations=[ChatGeneration(message=_with_usage(message, messages, self._tools))])


class PlannedTurn(BaseModel):
    """What the process-calling run did at one customer message."""
    batches: list[list[dict]]      # tool calls, grouped: a batch of independent reads, or a single write
    reply: str


def plan_from_audit(rows: list[Any], write_tools: set[str]) -> list[list[dict]]:
    """Group one turn's audit rows into the tool calls a perfect ReAct agent would make: consecutive
    reads of the same process step form one batch (they ran concurrently); each write is its own."""
    batches: list[list[dict]] = []
    last_step = None
    for row in rows:
        if row.outcome in ("retried",):
            continue  # the gateway's own retries are not the model's calls
        call = {"name": row.tool, "args": json.loads(row.arguments)}
        is_write = row.tool in write_tools
        step = (row.process, row.step)
        if batches and not is_write and step == last_step and batches[-1][0]["name"] not in write_tools:
            batches[-1].append(call)
        else:
            batches.append([call])
        last_step = step
    return batches


class OracleReactModel(BaseChatModel):
    """Replays a plan: for customer message n, the planned tool-call batches, then the planned reply."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    plan: list[PlannedTurn]
    _tools: list[dict] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "oracle-react"

    def bind_tools(self, tools: Any, **kwargs: Any) -> OracleReactModel:
        self._tools = [convert_to_openai_tool(t) for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        turn = sum(isinstance(m, HumanMessage) for m in messages) - 1
        since = messages[max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage)) + 1:]
        made = sum(1 for m in since if isinstance(m, AIMessage) and m.tool_calls)
        planned = self.plan[turn] if 0 <= turn < len(self.plan) else PlannedTurn(batches=[], reply="")
        if made < len(planned.batches):
            calls = [{"name": c["name"], "args": c["args"], "id": f"t{turn}-{made}-{i}"}
                     for i, c in enumerate(planned.batches[made])]
            message = AIMessage(content="", tool_calls=calls)
        else:
            message = AIMessage(content=planned.reply)
        return ChatResult(generations=[ChatGeneration(message=_with_usage(message, messages, self._tools))])


def tool_results(messages: list[BaseMessage]) -> list[str]:
    return [str(m.content) for m in messages if isinstance(m, ToolMessage)]
