"""Payment methods: how they are named to the customer and how what they say picks one."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import JsonValue
from rapidfuzz import fuzz

from ...nodes.matching import without_not_meant
from ...nodes.process_spec import Ambiguous, Rejected, Resolution, Resolved, Unrecognised
from ...nodes.templates import listing
from ...state.conversation import ConversationState
from ...state.frames import Choice
from ...tools.backend.models import Order, PaymentMethod

SOURCE_WORDS = {
    "paypal": ("paypal", "pay pal"),
    "credit_card": ("credit card", "card", "visa", "mastercard", "amex", "american express", "discover", "credit"),
    "gift_card": ("gift card", "giftcard", "gift", "store credit", "website credit", "gc"),
}
ORIGINAL_WORDS = ("original", "same card", "same method", "same payment", "same account", "the one i paid",
                  "paid with", "i paid", "as before", "usual", "whatever i")


def named(state: ConversationState, method_id: str) -> str:
    customer = state.get("customer")
    method = customer.payment_methods.get(method_id) if customer else None
    return method.label(balance=False) if method else method_id


def original_method(order: Order) -> str:
    return order.payment_history[0].payment_method_id if order.payment_history else ""


def choices(methods: list[PaymentMethod], balance: bool = True, original_id: str | None = None) -> list[Choice]:
    """`original_id`: the method the order was paid with, which "the original one" or "same as I paid" pick."""
    return [Choice(value=m.id, label=m.label(balance=balance),
                   aliases=_aliases(m) + (ORIGINAL_WORDS if m.id == original_id else ()),
                   not_when=SOURCE_WORDS["gift_card"][:3] if m.source == "credit_card" else ()) for m in methods]


def _aliases(method: PaymentMethod) -> tuple[str, ...]:
    words = [w for w in SOURCE_WORDS[method.source] if w not in BRANDS]  # a card answers to its own brand only
    if method.last_four:
        words.append(method.last_four)
    if method.brand:
        words.append(method.brand)
    words.append(method.id.rsplit("_", 1)[-1])
    return tuple(words)


BRANDS = ("visa", "mastercard", "amex", "american express", "discover")
OTHER_WORDS = re.compile(r"\b(other|another|different|second)\b")


def resolve(mention: JsonValue, allowed: list[PaymentMethod], original_id: str | None = None,
            not_allowed_reason: str | Callable[[PaymentMethod], str] | None = None,
            all_methods: list[PaymentMethod] | None = None, current: str | None = None) -> Resolution:
    """Pick one of `allowed` from the customer's words: an id, the last four digits or the gift card's
    number, a gift card's balance ("the one with $12.50"), a brand, a kind ("paypal", "gift card"),
    "the original one", or "the other one" (not `current`). Words that fit several methods pick none:
    the question then lists them."""
    text = without_not_meant(str(mention).lower())  # "my card instead of paypal": paypal is not the pick
    methods = all_methods or allowed
    elsewhere = _not_theirs(text, methods)
    if elsewhere:  # "gift card 1001003" that isn't theirs is never read as the gift card they do have
        return Rejected(f"I don't see {elsewhere} among your payment methods")
    candidates = _named(text, methods, original_id)
    if current and OTHER_WORDS.search(text):
        candidates = [m for m in (candidates or methods) if m.id != current]
    brands = [b for b in BRANDS if _word_in(b, text)]
    if brands and not any(m.brand and m.brand.lower() in brands for m in methods):
        return Rejected(f"I don't see a {brands[0].title()} card among your payment methods")
    if not candidates:
        kind = next((name for source, (name, words) in KINDS.items()
                     if any(_word_in(w, text) for w in words) and not any(m.source == source for m in methods)), None)
        return Rejected(f"I don't see {kind} among your payment methods") if kind else Unrecognised()
    if len(candidates) > 1:
        # several fit ("my credit card" with two cards): said, and the question lists them all again
        fitting = [m for m in candidates if m.id in {a.id for a in allowed}]
        if len(fitting) == 1:
            return Resolved(fitting[0].id)  # only one of them may be used here: that one is meant
        return Ambiguous(listing([m.label(balance=False) for m in fitting or candidates]))
    chosen = candidates[0]
    if chosen.id not in {a.id for a in allowed}:
        if callable(not_allowed_reason):  # why this very method can't be used ("… has $60.00 left")
            return Rejected(not_allowed_reason(chosen))
        return Rejected(not_allowed_reason or f"{chosen.label()} can't be used for this")
    return Resolved(chosen.id)


# A method named by its number: "gift card 1001003", "visa ending 9999", "card number 4821", "gift_card_1001003".
METHOD_ID = re.compile(r"\b(gift_card|paypal|credit_card)_(\d+)\b")
NUMBERED = re.compile(r"\b(gift ?card|card|visa|mastercard|amex|discover|ending|ends|digits)"
                      r"(?:\s+(?:in|with|number|no\.?|is|of))*\s*#?\s*(\d{4,})\b")
# Kinds named plainly; "card" alone is not one (a customer may call a gift card their card).
KINDS = {"paypal": ("PayPal", ("paypal", "pay pal")), "credit_card": ("a credit card", ("credit card",)),
         "gift_card": ("a gift card", ("gift card", "giftcard", "store credit", "website credit"))}


def _not_theirs(text: str, methods: list[PaymentMethod]) -> str | None:
    """The method the text names by id or number when none of the customer's methods has it: how to name it
    ("gift card 1001003", "a card ending 9999"), else None."""
    for source, number in METHOD_ID.findall(text):
        if not any(m.id == f"{source}_{number}" for m in methods):
            return "PayPal account " + number if source == "paypal" else f"{source.replace('_', ' ')} {number}"
    for word, number in NUMBERED.findall(text):
        if any((m.last_four and number.endswith(m.last_four)) or m.id.endswith(number) for m in methods):
            continue
        return f"gift card {number}" if word.startswith("gift") else f"a card ending {number[-4:]}"
    return None


def _named(text: str, methods: list[PaymentMethod], original_id: str | None) -> list[PaymentMethod]:
    by_id = {m.id: m for m in methods}
    found = [by_id[i] for i in re.findall(r"(?:gift_card|paypal|credit_card)_\d+", text) if i in by_id]
    if found:
        return found
    numbers = re.findall(r"\b\d{4,}\b", text)
    found = [m for m in methods if any((m.last_four and n.endswith(m.last_four)) or m.id.endswith(n) for n in numbers)]
    if found:
        return found
    amounts = [float(a.replace(",", "")) for a in re.findall(r"\$?\b(\d[\d,]*\.\d{2}|\d+)\s*(?:dollars|\$|bucks)?",
                                                             text)]
    found = [m for m in methods if m.source == "gift_card" and any(abs((m.balance or -1) - a) < 0.005
                                                                   for a in amounts)]
    if found:
        return found
    brands = [b for b in BRANDS if _word_in(b, text)]
    if brands:
        return [m for m in methods if m.brand and m.brand.lower() in brands]
    sources = [s for s, words in SOURCE_WORDS.items() if any(_word_in(w, text) for w in words)]
    if "gift_card" in sources and "credit_card" in sources and "gift card" in text:
        sources.remove("credit_card")  # "gift card" also contains "card"
    found = [m for m in methods if m.source in sources]
    if found:
        return found
    if original_id and any(w in text for w in ORIGINAL_WORDS):
        return [m for m in methods if m.id == original_id]
    return []


def _word_in(word: str, text: str) -> bool:
    if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None:
        return True
    # "payapl", "mastercrad": a typo in a long single word
    return " " not in word and len(word) >= 6 and any(
        t[:1] == word[0] and abs(len(t) - len(word)) <= 1 and fuzz.ratio(t, word) >= 80
        for t in re.findall(r"[a-z]+", text))
