"""Grounding: a value that identifies someone or something must be in the conversation's own words.

A language model may fill `email` with an address the customer never typed, or an order id it
made up; acting on that would identify another customer or touch another order. So an email, an
order id, a name or a zip that understanding returns is kept only when it appears (normalised)
in what the customer wrote in this conversation (or was offered to them: a listed order they pick by
number); otherwise it is dropped, as if never said.
Descriptions ("the pending one", "the kettle order") are not ids: the process resolves them
against the customer's own orders.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from pydantic import JsonValue

from ...state.commands import SetSlot, SlotValue, StartProcess, Understanding
from ..customer_text import plain_text
from .base import UnderstandingRequest

log = logging.getLogger("procall.understanding.grounding")

GROUNDED_SLOTS = frozenset({"email", "order_id", "first_name", "last_name", "zip"})
DIGITS = re.compile(r"\d+")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.lower())


def said(slot: str, value: JsonValue, words: str) -> bool:
    """Does `value` for `slot` appear in the customer's words (`words`, already plain)?"""
    if isinstance(value, list):
        return all(said(slot, v, words) for v in value)
    text = _plain(str(value)).strip()
    if not text:
        return True
    if slot == "email":
        return text.replace(" ", "") in words.replace(" ", "")
    if slot in ("order_id", "zip"):
        numbers = DIGITS.findall(text)
        if not numbers:
            return True  # a description, resolved against the customer's own data by the process
        spoken = set(DIGITS.findall(words))
        return all(n in spoken for n in numbers)
    # a name: every word of it, as a word of theirs
    spoken_words = set(re.findall(r"[a-z'\-]+", words))
    return all(w in spoken_words for w in re.findall(r"[a-z'\-]+", text))


def _plain_values(value: JsonValue) -> JsonValue:
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, list):
        return [_plain_values(v) for v in value]
    return value


def ground(understanding: Understanding, request: UnderstandingRequest) -> Understanding:
    """Drop identity and order values the customer did not write; keep every value plain text (a model
    may put markup in a value the customer never typed)."""
    understanding = understanding.model_copy(update={"commands": [
        c.model_copy(update={"value": _plain_values(c.value)}) if isinstance(c, SetSlot) else
        c.model_copy(update={"slots": [s.model_copy(update={"value": _plain_values(s.value)}) for s in c.slots]})
        if isinstance(c, StartProcess) else c for c in understanding.commands]})
    # What was offered counts as said: "the first one" picks an order id the assistant listed from the
    # customer's own orders, and the assistant only ever shows the identified customer's data.
    offered = [str(c.value) for c in request.question.choices] if request.question else []
    words = _plain(" ".join([request.text, *(t for _, t in request.history), *offered]))
    commands = []
    for command in understanding.commands:
        if isinstance(command, SetSlot) and command.slot in GROUNDED_SLOTS and not said(command.slot, command.value,
                                                                                          words):
            log.warning("dropped %s=%r: not in the customer's words", command.slot, command.value)
            continue
        if isinstance(command, StartProcess):
            kept: list[SlotValue] = [s for s in command.slots
                                     if s.name not in GROUNDED_SLOTS or said(s.name, s.value, words)]
            if len(kept) != len(command.slots):
                log.warning("dropped ungrounded values from a start of %s", command.process)
                command = command.model_copy(update={"slots": kept})
        commands.append(command)
    return understanding.model_copy(update={"commands": commands})
