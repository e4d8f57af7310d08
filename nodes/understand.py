"""The understand node: the only node that may call a language model.

It turns the customer's latest message, read in the context of the active process's
question, into typed commands. A short typed answer to the pending question ("yes", an email,
"2") may be read without the model (`understanding/typed_answers.py`). If the configured
understander fails (an unreachable model endpoint), the local one answers instead, so the
conversation goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.messages import AIMessage, HumanMessage

from ..state.commands import Understanding
from ..state.conversation import ConversationState, Utterance
from ..state.stack import top
from .conversation_lines import TEMPLATES
from .customer_text import MAX_MESSAGE_CHARS
from .understanding.base import ActiveQuestion, Understander, UnderstandingRequest
from .understanding.grounding import ground

log = logging.getLogger("procall.understand")


HISTORY_TURNS = 6


def request_from(state: ConversationState) -> UnderstandingRequest:
    messages = state.get("messages") or []
    text = messages[-1].content if messages and isinstance(messages[-1], HumanMessage) else ""
    text = str(text)[:MAX_MESSAGE_CHARS]
    frame = top(state)
    stack = state.get("stack") or []
    history = [("customer" if isinstance(m, HumanMessage) else "assistant", str(m.content))
               for m in messages[:-1] if isinstance(m, (HumanMessage, AIMessage))][-HISTORY_TURNS:]
    question = None
    if frame is not None and frame.asking is not None:
        question = ActiveQuestion(process=frame.process, slot=frame.asking.slot, kind=frame.asking.kind,
                                  choices=frame.asking.choices, multiple=frame.asking.multiple)
    return UnderstandingRequest(
        text=text,
        active_process=frame.process if frame else None,
        question=question,
        filled_slots=dict(frame.slots) if frame else {},
        paused_processes=[f.process for f in stack[:-1]],
        customer_identified=state.get("customer") is not None,
        history=history,
    )


def make_understand(understander: Understander, fallback: Understander | None = None,
                    shortcut: Callable[[UnderstandingRequest], Understanding | None] | None = None):
    def understand(state: ConversationState) -> dict:
        request = request_from(state)
        changes: dict = {}
        raw = state["messages"][-1].content if state.get("messages") else ""
        if len(str(raw)) > MAX_MESSAGE_CHARS:
            changes["outbox"] = [*(state.get("outbox") or []),
                                 Utterance(key="conversation.too_long", text=TEMPLATES["too_long"])]
        if not request.text.strip():
            return {**changes, "understanding": Understanding(commands=[], confidence=0.0)}
        quick = shortcut(request) if shortcut is not None else None
        if quick is not None:
            return {**changes, "understanding": quick}
        try:
            result = understander.understand(request)
        except Exception as exc:  # the conversation must go on: fall back to local understanding
            if fallback is None:
                raise
            log.warning("understanding by %s failed (%s); using %s", understander.name, exc, fallback.name)
            result = fallback.understand(request)
        # Whatever understood the message, ids and identity facts must be the customer's own words.
        return {**changes, "understanding": ground(result, request)}

    return understand
