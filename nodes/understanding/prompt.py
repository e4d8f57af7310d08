"""The prompt for understanding with a language model.

It holds the processes the customer may mean (names, descriptions, slots), the active
process and the question it asked (with the offered choices), and the last few turns; never
tool schemas: the model understands, the processes act. Only the most relevant processes
are listed (plus the active and paused ones), so the prompt does not grow with the catalogue.
"""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ..process_spec import ProcessSpec
from .base import UnderstandingRequest

RULES = """You understand messages from a customer of an online store. You never answer the customer and
never act; you only say what the latest message means, as commands:
- start_process: the customer asks for one of the processes below (several requests: several commands, in
  the order they said them). Put any values they already gave into its slots, in their own words.
- set_slot: the customer gives a value: an answer to the question being asked (use that slot's name), or a
  fact for a slot of the active process. A new value for a filled slot is fine (a correction). For a yes/no
  question answer "yes" or "no". For a question with numbered choices give the chosen choice's value. Set
  extend=true when they add to a list ("also the lamp").
- cancel_process: they want to stop what is going on ("never mind", "forget it").
- clarify: you cannot tell which of two or three processes they mean (give their names as options).
- human_handoff: they ask for a person. other_customer: they ask about someone else's account or orders.
- out_of_scope: a request none of the processes covers (put it in `request`). chitchat: small talk.
- goodbye: they are done.
Use only process and slot names listed below. Never invent values the customer did not say.
Emails, names and zip codes go to the slots email, first_name, last_name, zip."""


def describe(spec: ProcessSpec) -> str:
    slots = "; ".join(f"{s.name}: {s.description}" for s in spec.slots)
    return f"- {spec.name}: {spec.description}" + (f" (slots: {slots})" if slots else "")


def build_messages(request: UnderstandingRequest, processes: list[ProcessSpec]) -> list[BaseMessage]:
    state = {
        "customer_identified": request.customer_identified,
        "active_process": request.active_process,
        "filled_slots": request.filled_slots,
        "paused_processes": request.paused_processes,
    }
    if request.question is not None:
        q = request.question
        state["question"] = {
            "slot": q.slot, "kind": q.kind, "multiple": q.multiple,
            "choices": [{"value": c.value, "label": c.label, **({"also": list(c.aliases)} if c.aliases else {})}
                        for c in q.choices],
        }
    catalogue = "\n".join(describe(p) for p in processes)
    system = f"{RULES}\n\nProcesses:\n{catalogue}\n\nConversation state:\n{json.dumps(state, default=str)}"
    messages: list[BaseMessage] = [SystemMessage(content=system)]
    for role, text in request.history:
        messages.append(HumanMessage(content=text) if role == "customer" else AIMessage(content=text))
    messages.append(HumanMessage(content=request.text))
    return messages
