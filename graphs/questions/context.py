"""What every question reads besides the store: the customer's words, and the request it interrupted.

A question keeps its words in the slot `question` (understanding puts them there; without them, the
customer's latest message is the question). Asked in the middle of a process, a question is about that
process's order, items or changes unless it names others ("what's in that order?", "how much would I
get back?"), so the frame below is its context.
"""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage, HumanMessage

from ...nodes.matching import ANOTHER_ORDERS_ADDRESS
from ...nodes.process_spec import SlotSpec
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ...state.frames import Frame

WORDS = "question"
ORDER_ID = re.compile(r"(?:#\s*W?|\bW|\border\s*(?:number\s*)?#?)\s*(\d{7})\b", re.I)


def words_slot(description: str) -> SlotSpec:
    """The question in the customer's words: read by the process, never asked for."""
    return SlotSpec(WORDS, "text", description, ask="ask_question")


def keep_words(state: ConversationState) -> dict:
    """The words of the question stay with the frame (the first step of every question)."""
    frame = frame_of(state)
    said = frame.mentions.get(WORDS)
    if said is None and WORDS in frame.slots:
        return {}
    text = str(said) if said is not None else latest_customer_text(state)
    frame = frame.with_(slots={**frame.slots, WORDS: text},
                        mentions={k: v for k, v in frame.mentions.items() if k != WORDS})
    return {"stack": [*state["stack"][:-1], frame]}


def words(frame: Frame) -> str:
    return str(frame.slots.get(WORDS) or "")


def latest_customer_text(state: ConversationState) -> str:
    messages = state.get("messages") or []
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def earlier_customer_texts(state: ConversationState) -> list[str]:
    """The customer's messages before the latest one, most recent first."""
    texts = [str(m.content) for m in state.get("messages") or [] if isinstance(m, HumanMessage)]
    return list(reversed(texts[:-1]))


def latest_bot_text(state: ConversationState) -> str:
    messages = state.get("messages") or []
    return next((str(m.content) for m in reversed(messages) if isinstance(m, AIMessage)), "")


def context_frame(state: ConversationState) -> Frame | None:
    """The request the question interrupted: the nearest active frame below it that is not a repair."""
    stack = state.get("stack") or []
    return next((f for f in reversed(stack[:-1]) if f.status == "active" and f.kind != "pattern"), None)


def context_slot(state: ConversationState, slot: str):
    """The interrupted request's value for `slot`; or, for an order, the id it was just told and has not read yet
    ("W7866392. how does the refund work?" asks about the order being chosen)."""
    frame = context_frame(state)
    if frame is None:
        return None
    value = frame.slots.get(slot)
    told = frame.mentions.get(slot)
    if value is None and slot == "order_id" and isinstance(told, str):
        named = order_ids_in(told)
        return named[0] if len(named) == 1 else None
    return value


def order_ids_in(text: str) -> list[str]:
    """Every order id the text names, in order (not one named as 'the same address as #W…')."""
    found = [f"#W{m.group(1)}" for m in ORDER_ID.finditer(ANOTHER_ORDERS_ADDRESS.sub(" ", text))]
    return list(dict.fromkeys(found))


CONTRACTION = re.compile(r"(?<=[a-z])['’](?:s|re|ll|d|ve|m)\b", re.I)


def for_options(text: str) -> str:
    """The words with "'s", "'re", "'d" dropped: the "s" of "what's" is not size S."""
    return CONTRACTION.sub("", text)
