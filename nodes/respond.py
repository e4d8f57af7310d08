"""The respond node: this turn's bot lines become one assistant message."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from ..state.conversation import ConversationState
from .conversation_lines import TEMPLATES


def respond(state: ConversationState) -> dict:
    lines = [u.text for u in state.get("outbox") or []]
    text = "\n".join(dict.fromkeys(lines)) if lines else TEMPLATES["not_understood"]
    return {"messages": [AIMessage(content=text, additional_kwargs={
        "template_keys": [u.key for u in state.get("outbox") or []]})]}
