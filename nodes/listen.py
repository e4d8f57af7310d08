"""The listen node: the conversation's only interrupt. It waits for the customer's message.

LangGraph re-runs an interrupted node from its start when it resumes, so this node does
nothing before `interrupt()` but read state. Resume it with `Command(resume="text")`.

The message enters the conversation here, so here it becomes what the conversation may keep:
plain text, cut to what understanding reads (`customer_text.py`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import interrupt

from ..state.conversation import ConversationState
from .conversation_lines import TEMPLATES
from .customer_text import customer_message


def _as_text(value: Any) -> str:
    if isinstance(value, dict):  # {"text": ...} or {"message": ...} from an HTTP client
        value = value.get("text", value.get("message", ""))
    return "" if value is None else str(value)


def listen(state: ConversationState) -> dict:
    messages = state.get("messages") or []
    new_turn = {"outbox": [], "trace": [], "hops": 0, "turn": (state.get("turn") or 0) + 1}
    if messages and isinstance(messages[-1], HumanMessage):
        # A message passed in with the input: understand it, don't wait for another. It is kept as
        # plain, bounded text from here on (same id: it replaces the one passed in).
        given = messages[-1]
        kept = customer_message(str(given.content))
        if kept == given.content:
            return new_turn
        return {**new_turn, "messages": [HumanMessage(content=kept, id=given.id)]}
    last_bot = next((m.content for m in reversed(messages) if isinstance(m, AIMessage)), TEMPLATES["greeting"])
    text = _as_text(interrupt({"prompt": last_bot}))
    return {**new_turn, "messages": [HumanMessage(content=customer_message(text))]}


def greet(state: ConversationState) -> dict:
    """Open a new conversation with the greeting (once)."""
    messages = state.get("messages") or []
    if any(isinstance(m, AIMessage) for m in messages) or (messages and isinstance(messages[-1], HumanMessage)):
        return {}
    return {"messages": [AIMessage(content=TEMPLATES["greeting"])], "stack": [], "turn": 0, "frames_started": 0}
