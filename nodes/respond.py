"""The reply: this turn's bot lines become one assistant message. No step of its own: the router step that ends
the turn makes it (graphs/router.py, `make_leave`), then `listen` waits for the next message.

Lines are templates, but some fill in what a customer or a model gave (an address, a name, a
request); listen already keeps the customer's messages as plain text, and this is the last check
that no markup reaches a reply, whatever filled the template (a model's answer, a data folder).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage

from ..state.conversation import ConversationState
from .conversation_lines import TEMPLATES
from .customer_text import plain_text


def respond(state: ConversationState) -> dict:
    outbox = [u if "<" not in u.text else u.model_copy(update={"text": plain_text(u.text)})
              for u in state.get("outbox") or []]
    lines = [u.text for u in outbox]
    text = "\n".join(dict.fromkeys(lines)) if lines else TEMPLATES["not_understood"]
    return {"outbox": outbox, "messages": [AIMessage(content=text, additional_kwargs={
        "template_keys": [u.key for u in outbox]})]}
