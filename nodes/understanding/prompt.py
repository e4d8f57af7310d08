"""The prompt for understanding with a language model.

It holds the processes the customer may mean (one line each: name, slots, what it is for), the
active process with its filled slots and the question it asked (with the offered choices), and the
last few turns; never tool schemas: the model understands, the processes act. Only the most
relevant processes are listed (plus the active and paused ones), so the prompt does not grow with
the catalogue. What each command means is said once, here in the rules; the command schema
(`command_schema.py`) carries only names and types. Every part is kept short because it is sent
on every call: about 600 tokens a call on average in the oracle evals, schema included (issue 14 asks
for at most 700; the previous prompt took about 1,950).
"""

from __future__ import annotations

import json
import re

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ...state.frames import Choice
from ..process_spec import ProcessSpec
from .base import UnderstandingRequest

RULES = """Say what the customer's last message means, as commands (never reply):
- start_process(process, slots): a request for a process below, one per request; slots: {slot: value} they gave
- set_slot(slot, value, extend): a value they give: the answer, or a fact or correction for the active process; \
yes/no: "yes" or "no"; choices: the chosen value(s); extend=true adds to a list
- cancel_process: stop the active one. clarify(options): unsure which 2-3 processes. human_handoff: wants a person. \
other_customer: someone else's account. out_of_scope(request). chitchat. goodbye.
Values in their words, never invented; names only as listed. email, first_name, last_name, zip identify them."""

PROCESSES_MARK = "Processes:\n"
STATE_MARK = "Now:\n"  # the conversation state starts here (the prompt-reading fake model reads it back)
HISTORY_MESSAGES = 2          # the last turns the model sees; the state says where the conversation is
HISTORY_CHARS = 120           # an older message is cut to its last characters ...
LAST_REPLY_CHARS = 300        # ... the assistant's last one, which the customer answers, less so
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_LISTED = re.compile(r"^\s*\d+\.\s+")  # "  2. #W1, pending: Lamp", a choice as the assistant listed it


def describe(spec: ProcessSpec) -> str:
    """One line: `- cancel_order(order_id, reason): Cancel an order that has not shipped yet (pending)`."""
    return f"- {spec.name}({', '.join(s.name for s in spec.slots)}): {spec.description}"


def label_names(label: str) -> list[str]:
    """The names a label shows, which a reader can pick a choice by without being told:
    '#W1, delivered: Lamp and Kettle' -> '#W1', 'delivered', 'Lamp', 'Kettle';
    'Lamp (white, 1L)' -> 'Lamp'."""
    parts = re.split(r":|,| and ", _PARENTHESES.sub("", label))
    return [p.strip() for p in parts if len(p.strip()) > 2]


def extra_aliases(choice: Choice) -> list[str]:
    """A choice's aliases that its value and label do not already say (no repeated 'Lamp' for 'Lamp')."""
    said = {str(choice.value).casefold(), *(n.casefold() for n in label_names(choice.label))}
    extra: list[str] = []
    for alias in map(str, choice.aliases):
        if alias.casefold() not in said:
            said.add(alias.casefold())
            extra.append(alias)
    return extra


def choice_line(choice: Choice) -> str:
    """`- value: label [also: a; b]`; the value alone when it is its own label."""
    line = f"- {choice.value}" + (f": {choice.label}" if choice.label != str(choice.value) else "")
    extra = extra_aliases(choice)
    return line + (f" [also: {'; '.join(extra)}]" if extra else "")


def state_lines(request: UnderstandingRequest) -> list[str]:
    lines = ["customer identified" if request.customer_identified else "customer not identified yet"]
    if request.active_process:
        filled = json.dumps(request.filled_slots, default=str, separators=(",", ":"), ensure_ascii=False)
        lines.append(f"active: {request.active_process} {filled}")
    if request.paused_processes:
        lines.append(f"paused: {', '.join(request.paused_processes)}")
    q = request.question
    if q is not None:
        several = ", several" if q.multiple else ""
        lines.append(f"question: {q.slot} ({q.kind}{several})" + (", choices:" if q.choices else ""))
        lines += [choice_line(c) for c in q.choices]
    return lines


def _without_listed(text: str, request: UnderstandingRequest) -> str:
    """An assistant message without the numbered lines that only repeat the choices the state lists."""
    labels = {c.label for c in request.question.choices} if request.question is not None else set()
    if not labels:
        return text
    return "\n".join(line for line in text.splitlines() if _LISTED.sub("", line) not in labels)


def _cut(text: str, limit: int) -> str:
    """The end of a long message: a question comes last."""
    return text if len(text) <= limit else "…" + text[-limit:].lstrip()


def build_messages(request: UnderstandingRequest, processes: list[ProcessSpec]) -> list[BaseMessage]:
    catalogue = "\n".join(describe(p) for p in processes)
    system = f"{RULES}\n\n{PROCESSES_MARK}{catalogue}\n\n{STATE_MARK}" + "\n".join(state_lines(request))
    messages: list[BaseMessage] = [SystemMessage(content=system)]
    history = request.history[-HISTORY_MESSAGES:]
    for i, (role, text) in enumerate(history):
        last = i == len(history) - 1
        if role == "customer":
            messages.append(HumanMessage(content=_cut(text, HISTORY_CHARS)))
        else:
            text = _without_listed(text, request)
            messages.append(AIMessage(content=_cut(text, LAST_REPLY_CHARS if last else HISTORY_CHARS)))
    messages.append(HumanMessage(content=request.text))
    return messages
