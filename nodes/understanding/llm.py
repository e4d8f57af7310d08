"""Understanding with a language model: one structured-output call per customer message into
the same typed commands the local understander gives.

Works with any OpenAI-compatible endpoint through `langchain_openai.ChatOpenAI` (or any
LangChain chat model that can call tools). No retries: a failed call raises
`UnderstandingUnavailable`, and the understand node falls back to local understanding.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.utils.function_calling import convert_to_openai_tool

from ...state.commands import Clarify, StartProcess, Understanding
from ..catalogue import Catalogue
from .base import UnderstandingRequest, UnderstandingUnavailable
from .local.classifier import classifier_for
from .prompt import build_messages

log = logging.getLogger("procall.understanding.llm")

RELEVANT_PROCESSES = 6  # how many processes the prompt lists besides the active and paused ones


@dataclass
class Call:
    """One model call, for cost accounting."""
    input_tokens: int
    output_tokens: int
    estimated: bool  # True when counted with count_tokens_approximately (no usage from the endpoint)
    seconds: float = 0.0


@dataclass
class Usage:
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)


def chat_model(settings) -> BaseChatModel:
    """ChatOpenAI for the configured endpoint (OPENAI_BASE_URL / OPENAI_API_KEY / PROCALL_MODEL)."""
    from langchain_openai import ChatOpenAI

    if not settings.openai_api_key and not settings.openai_base_url:
        raise UnderstandingUnavailable("--nlu llm needs OPENAI_API_KEY, or OPENAI_BASE_URL for a compatible server")
    return ChatOpenAI(model=settings.model, base_url=settings.openai_base_url,
                      api_key=settings.openai_api_key or "not-needed", timeout=settings.llm_timeout_s,
                      max_retries=0, temperature=0)


class LLMUnderstander:
    name = "llm"

    def __init__(self, catalogue: Catalogue, model: BaseChatModel, method: str = "function_calling"):
        self.catalogue = catalogue
        self.requests = {s.name: s for s in catalogue.requests}
        self.model = model
        self.structured = model.with_structured_output(Understanding, method=method, include_raw=True)
        self.schema = convert_to_openai_tool(Understanding)
        self.usage = Usage()
        examples = {n: s.examples for n, s in self.requests.items() if s.examples}
        self._ranker = classifier_for(examples) if examples else None

    def relevant(self, request: UnderstandingRequest) -> list:
        """The processes the prompt lists: active and paused ones, then the best guesses for the text."""
        names = [n for n in [request.active_process, *request.paused_processes] if n in self.requests]
        if self._ranker is not None:
            names += [n for n, _ in self._ranker.rank(request.text) if n in self.requests][:RELEVANT_PROCESSES]
        return [self.requests[n] for n in dict.fromkeys(names)]

    def messages(self, request: UnderstandingRequest) -> list[BaseMessage]:
        return build_messages(request, self.relevant(request))

    def understand(self, request: UnderstandingRequest) -> Understanding:
        messages = self.messages(request)
        started = time.perf_counter()
        try:
            result = self.structured.invoke(messages)
        except Exception as exc:  # any endpoint failure: no retry here (one call per message)
            raise UnderstandingUnavailable(f"the model endpoint failed: {type(exc).__name__}: {exc}") from exc
        raw, parsed = result.get("raw"), result.get("parsed")
        self._account(messages, raw, time.perf_counter() - started)
        if parsed is None:
            raise UnderstandingUnavailable(f"the model's answer did not parse: {result.get('parsing_error')}")
        return self._clean(parsed)

    def _account(self, messages: list[BaseMessage], raw, seconds: float) -> None:
        usage = getattr(raw, "usage_metadata", None) or {}
        if usage.get("input_tokens"):
            self.usage.add(Call(usage["input_tokens"], usage.get("output_tokens", 0), estimated=False, seconds=seconds))
        else:
            sent = count_tokens_approximately(messages, tools=[self.schema])
            answered = count_tokens_approximately([raw]) if raw is not None else 0
            self.usage.add(Call(sent, answered, estimated=True, seconds=seconds))

    def _clean(self, understanding: Understanding) -> Understanding:
        """Drop what names no known process (a model may invent one)."""
        commands = []
        for command in understanding.commands:
            if isinstance(command, StartProcess) and command.process not in self.requests:
                log.warning("dropped a start of unknown process %r", command.process)
                continue
            if isinstance(command, Clarify):
                options = [o for o in command.options if o in self.requests]
                if len(options) < 2:
                    continue
                command = Clarify(options=options)
            commands.append(command)
        return Understanding(commands=commands, confidence=understanding.confidence)
