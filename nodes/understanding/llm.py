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
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.messages.utils import count_tokens_approximately

from ...state.commands import Clarify, StartProcess, Understanding
from ..catalogue import Catalogue
from .base import UnderstandingRequest, UnderstandingUnavailable
from .command_schema import FUNCTION, TOOL, UnreadableCommands, read
from .local.classifier import classifier_for
from .prompt import build_messages

log = logging.getLogger("procall.understanding.llm")

# Which processes the prompt lists besides the active and paused ones: the ranker's best guesses for
# the text, until they hold RELEVANT_MASS of its probability, at least RELEVANT_MIN, at most
# RELEVANT_PROCESSES. A sure guess lists few; an unsure one (an answer, a reply asking two things) more.
# (On 220 benchmark tasks in oracle mode every process the customer asked for was listed, 4.5 a call.)
RELEVANT_PROCESSES = 5
RELEVANT_MIN = 3
RELEVANT_MASS = 0.8
# Until the customer is identified this is listed too: the ranker reads the request, not the identity facts
# around it ("cancel my order, I'm mia@example.com"), and apply starts it for identity facts.
IDENTIFY = "identify_customer"


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

    def __init__(self, catalogue: Catalogue, model: BaseChatModel, method: str = "function_calling",
                 cache_dir: Path | None = None):
        """`cache_dir`: where the process ranker's classifier is kept between processes (None: trained
        in each process), as for the local understander."""
        self.catalogue = catalogue
        self.requests = {s.name: s for s in catalogue.requests}
        self.model = model
        # The compact schema, not `Understanding`'s own: the schema is sent on every call (see command_schema)
        self.structured = model.with_structured_output(FUNCTION, method=method, include_raw=True)
        self.schema = TOOL
        self.usage = Usage()
        examples = {n: s.examples for n, s in self.requests.items() if s.examples}
        self._ranker = classifier_for(examples, cache_dir) if examples else None

    def relevant(self, request: UnderstandingRequest) -> list:
        """The processes the prompt lists: active and paused ones, then the best guesses for the text."""
        names = [n for n in [request.active_process, *request.paused_processes] if n in self.requests]
        if not request.customer_identified and IDENTIFY in self.requests:
            names.append(IDENTIFY)
        if self._ranker is not None:
            guesses, mass = [], 0.0
            for name, probability in self._ranker.rank(request.text):
                if name not in self.requests:
                    continue
                if probability <= 0:
                    break  # only facts, nothing to rank the processes by
                if len(guesses) >= RELEVANT_PROCESSES or (len(guesses) >= RELEVANT_MIN and mass >= RELEVANT_MASS):
                    break
                guesses.append(name)
                mass += probability
            names += guesses
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
        try:
            understanding = read(parsed)
        except UnreadableCommands as exc:
            raise UnderstandingUnavailable(f"the model's answer is not commands: {exc}") from exc
        return self._clean(understanding)

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
