"""Payment methods: how they are named to the customer and how what they say picks one."""

from __future__ import annotations

import re

from pydantic import JsonValue

from ...nodes.process_spec import Rejected, Resolution, Resolved, Unrecognised
from ...state.conversation import ConversationState
from ...state.frames import Choice
from ...tools.backend.models import Order, PaymentMethod

SOURCE_WORDS = {
    "paypal": ("paypal", "pay pal"),
    "credit_card": ("credit card", "card", "visa", "mastercard", "amex", "american express", "discover", "credit"),
    "gift_card": ("gift card", "giftcard", "gift", "store credit", "website credit", "gc"),
}
ORIGINAL_WORDS = ("original", "same", "the one i paid", "paid with", "as before", "usual", "whatever", "default")


def named(state: ConversationState, method_id: str) -> str:
    customer = state.get("customer")
    method = customer.payment_methods.get(method_id) if customer else None
    return method.label(balance=False) if method else method_id


def original_method(order: Order) -> str:
    return order.payment_history[0].payment_method_id if order.payment_history else ""


def choices(methods: list[PaymentMethod], balance: bool = True) -> list[Choice]:
    return [Choice(value=m.id, label=m.label(balance=balance), aliases=_aliases(m)) for m in methods]


def _aliases(method: PaymentMethod) -> tuple[str, ...]:
    words = list(SOURCE_WORDS[method.source])
    if method.last_four:
        words.append(method.last_four)
    if method.brand:
        words.append(method.brand)
    words.append(method.id.rsplit("_", 1)[-1])
    return tuple(words)


def resolve(mention: JsonValue, allowed: list[PaymentMethod], original_id: str | None = None,
            not_allowed_reason: str | None = None, all_methods: list[PaymentMethod] | None = None) -> Resolution:
    """Pick one of `allowed` from the customer's words (id, source, brand, last four digits, 'original')."""
    text = str(mention).lower()
    by_id = {m.id: m for m in (all_methods or allowed)}
    ids = re.findall(r"(?:gift_card|paypal|credit_card)_\d+", text)
    candidates: list[PaymentMethod] = [by_id[i] for i in ids if i in by_id]
    if not candidates:  # "ending 4321", "gift card 1005004": the last four digits or the card's number
        numbers = re.findall(r"\b\d{4,}\b", text)
        candidates = [m for m in (all_methods or allowed)
                      if any((m.last_four and n.endswith(m.last_four)) or m.id.endswith(n) for n in numbers)]
    if not candidates:
        matched_sources = [s for s, words in SOURCE_WORDS.items() if any(_word_in(w, text) for w in words)]
        if "gift_card" in matched_sources and "credit_card" in matched_sources and "gift card" in text:
            matched_sources.remove("credit_card")  # "gift card" also contains "card"
        candidates = [m for m in (all_methods or allowed) if m.source in matched_sources]
    if not candidates and original_id and any(w in text for w in ORIGINAL_WORDS):
        candidates = [m for m in (all_methods or allowed) if m.id == original_id]
    if not candidates:
        return Unrecognised()
    usable = [m for m in candidates if m.id in {a.id for a in allowed}]
    if not usable:
        return Rejected(not_allowed_reason or f"{candidates[0].label()} can't be used for this")
    if len({m.id for m in usable}) > 1:
        gift = [m for m in usable if m.source == "gift_card"]
        if len(gift) > 1 or len({m.source for m in usable}) > 1:
            return Unrecognised()  # ambiguous: the question offers them one by one
    return Resolved(usable[0].id)


def _word_in(word: str, text: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None
