"""A stand-in for a language model, for tests and offline evals: it reads the understanding
prompt (the conversation state in the system message, the history, the customer's message)
and answers with the local understander's commands as a structured-output tool call.

So the whole LLM code path runs (prompt building, `with_structured_output`, parsing, clean-up,
token accounting) without a model, and its answers are only as good as what the prompt carries.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from ..nodes.understanding.base import ActiveQuestion, UnderstandingRequest
from ..state.frames import Choice

STATE_MARK = "Conversation state:\n"


def request_from_prompt(messages: list[BaseMessage]) -> UnderstandingRequest:
    system = str(messages[0].content)
    state = json.loads(system.split(STATE_MARK, 1)[1])
    question = None
    if state.get("question"):
        q = state["question"]
        choices = [Choice(value=c["value"], label=c["label"], aliases=tuple(c.get("also") or _aliases(c["label"])))
                   for c in q["choices"]]
        question = ActiveQuestion(process=state.get("active_process") or "", slot=q["slot"], kind=q["kind"],
                                  choices=choices, multiple=q.get("multiple", False))
    history = [("customer" if isinstance(m, HumanMessage) else "assistant", str(m.content)) for m in messages[1:-1]]
    return UnderstandingRequest(text=str(messages[-1].content), active_process=state.get("active_process"),
                                question=question, filled_slots=state.get("filled_slots") or {},
                                paused_processes=state.get("paused_processes") or [],
                                customer_identified=bool(state.get("customer_identified")), history=history)


def _aliases(label: str) -> tuple[str, ...]:
    """Words a reader would pick a choice by: the names after the colon of 'id, status: A, B and C'."""
    tail = label.split(":", 1)[-1]
    return tuple(p.strip() for p in re.split(r",| and ", tail) if len(p.strip()) > 2)


class PromptReadingChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    _understander: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "prompt-reading-fake"

    def _local(self):
        if self._understander is None:
            from ..graphs.catalogue import build_processes
            from ..nodes.services import Services
            from ..nodes.understanding.local.understander import LocalUnderstander

            catalogue, _ = build_processes(Services(gateway=None))
            self._understander = LocalUnderstander(catalogue)
        return self._understander

    def bind_tools(self, tools: Any, **kwargs: Any) -> PromptReadingChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        understanding = self._local().understand(request_from_prompt(messages))
        args = understanding.model_dump(mode="json")
        message = AIMessage(content="", tool_calls=[{"name": "Understanding", "args": args, "id": "call_fake"}])
        sent = count_tokens_approximately(messages)
        answered = count_tokens_approximately([message])
        message.usage_metadata = {"input_tokens": sent, "output_tokens": answered, "total_tokens": sent + answered}
        return ChatResult(generations=[ChatGeneration(message=message)])
