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
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from ..nodes.understanding.base import ActiveQuestion, UnderstandingRequest
from ..nodes.understanding.command_schema import TOOL_NAME, written
from ..nodes.understanding.prompt import STATE_MARK, label_names
from ..state.frames import Choice

_QUESTION = re.compile(r"question: (?P<slot>\S+) \((?P<kind>[^,)]+)(?P<several>, several)?\)")
_CHOICE = re.compile(r"- (?P<value>.+?)(?:: (?P<label>.+?))?(?: \[also: (?P<also>.*)\])?$")


def request_from_prompt(messages: list[BaseMessage]) -> UnderstandingRequest:
    """The request the prompt was built from, as far as the prompt says it (what a model can know)."""
    lines = str(messages[0].content).split(STATE_MARK, 1)[1].splitlines()
    active, filled, paused, question = None, {}, [], None
    for line in lines[1:]:
        if line.startswith("active: "):
            active, _, slots = line.removeprefix("active: ").partition(" ")
            filled = json.loads(slots)
        elif line.startswith("paused: "):
            paused = line.removeprefix("paused: ").split(", ")
        elif (asked := _QUESTION.match(line)) is not None:
            question = ActiveQuestion(process=active or "", slot=asked["slot"], kind=asked["kind"],
                                      multiple=bool(asked["several"]))
        elif (offered := _CHOICE.match(line)) is not None and question is not None:
            label = offered["label"] or offered["value"]
            extra = offered["also"].split("; ") if offered["also"] else []
            question.choices.append(Choice(value=offered["value"], label=label,
                                           aliases=tuple(dict.fromkeys([*extra, *label_names(label)]))))
    history = [("customer" if isinstance(m, HumanMessage) else "assistant", str(m.content)) for m in messages[1:-1]]
    return UnderstandingRequest(text=str(messages[-1].content), active_process=active, question=question,
                                filled_slots=filled, paused_processes=paused,
                                customer_identified=lines[0] == "customer identified", history=history)


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
        message = AIMessage(content="", tool_calls=[{"name": TOOL_NAME, "args": written(understanding),
                                                     "id": "call_fake"}])
        sent = count_tokens_approximately(messages)
        answered = count_tokens_approximately([message])
        message.usage_metadata = {"input_tokens": sent, "output_tokens": answered, "total_tokens": sent + answered}
        return ChatResult(generations=[ChatGeneration(message=message)])


class ScriptedModel(GenericFakeChatModel):
    """Answers each call with the next scripted tool call (what `with_structured_output` expects); tests use it
    to drive the LLM path with chosen understandings."""

    def bind_tools(self, tools, **kwargs):
        return self


def command_calls(*commands: list[dict]):
    """The scripted replies: one tool call carrying each list of commands."""
    return iter(AIMessage(content="", tool_calls=[{"name": TOOL_NAME, "args": {"commands": c}, "id": f"c{i}"}])
                for i, c in enumerate(commands))


# The commands a model gives for the demo's opening "please cancel my order W1001002, I'm mia.castillo@example.com"
# (the tests that script a cancellation through the LLM path start with them).
CANCEL_OPENING = [
    {"kind": "start_process", "process": "cancel_order", "slots": [{"name": "order_id", "value": "#W1001002"}]},
    {"kind": "set_slot", "slot": "email", "value": "mia.castillo@example.com"},
]
