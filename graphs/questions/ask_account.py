"""Questions about the customer's account: the default address, the payment methods, gift-card balances.

1. the question's words; the profile, loaded now (balances change during a conversation)
2. the answer: what the words ask about, or all three when they name none of them
"""

from __future__ import annotations

import re
from typing import Literal

from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import output_of
from ...nodes.templates import listing, money, render
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ...tools.backend.contracts import UserResult
from ...tools.backend.models import PaymentMethod
from ..process import ProcessGraph
from . import context

Topic = Literal["address", "methods", "gift_cards"]
TOPICS: dict[Topic, re.Pattern[str]] = {
    "address": re.compile(r"\b(address|live|on file|ship(?:ping)? to by default|where do you send)\b", re.I),
    "gift_cards": re.compile(r"\b(gift ?cards?|balances?|store credit|credit left|how much (?:money )?(?:is )?left)\b",
                             re.I),
    "methods": re.compile(r"\b(payment methods?|ways? to pay|cards?|paypal|pay with|payment options?)\b", re.I),
}

BALANCE = re.compile(r"\b(balance|how much|left|worth)\b", re.I)


def topics(frame: Frame) -> list[Topic]:
    text = context.words(frame)
    asked = [t for t, pattern in TOPICS.items() if pattern.search(text)]
    if "gift_cards" in asked and "methods" in asked and not re.search(r"payment methods?|paypal|credit cards?", text,
                                                                       re.I):
        asked.remove("methods")  # "gift card" also says "card"
    if not asked and BALANCE.search(text):
        return ["gift_cards"]  # "how much is on it?": a gift card's balance is the only amount an account holds
    return asked or ["address", "methods", "gift_cards"]


def named_methods(frame: Frame, methods: list[PaymentMethod]) -> list[PaymentMethod]:
    """The customer's payment methods the words name by their id ("is the Mastercard my credit_card_7039111?",
    "credit card 7039111"): the id as the store writes it, or its number."""
    text = context.words(frame).lower()
    joined = re.sub(r"[\s\-]+", "_", text)
    named = []
    for method in methods:
        number = re.search(r"(\d{5,})$", method.id)
        if method.id.lower() in joined or (number and re.search(rf"(?<!\d){number.group(1)}(?!\d)", text)):
            named.append(method)
    return named


def _line(key: str, **values) -> str:
    return render(SPEC.templates, key, values)


def answer(frame: Frame, state: ConversationState) -> dict:
    result = output_of(frame, "load_profile", UserResult)
    if result is None:
        return {}
    user = result.user
    lines = []
    named = named_methods(frame, list(user.payment_methods.values()))
    balance = BALANCE.search(context.words(frame))
    for method in named:
        if balance and method.source == "gift_card":  # "what's the balance on gift card 1005004?"
            lines.append(_line("gift_card", card=method.label(balance=False), balance=money(method.balance or 0)))
        else:  # "which card is credit_card_7039111?": that one, by what the customer sees
            lines.append(_line("method_id", id=method.id, method=method.label(balance=False)))
    for topic in topics(frame) if not named else []:
        if topic == "address":
            lines.append(_line("address", address=user.address.one_line()))
        elif topic == "methods":
            methods = [m.label(balance=False) for m in user.payment_methods.values()]
            key = "methods_one" if len(methods) == 1 else "methods"
            lines.append(_line(key, count=len(methods), methods=listing(methods)))
        else:
            cards = [m for m in user.payment_methods.values() if m.source == "gift_card"]
            if not cards:
                lines.append(_line("no_gift_cards"))
            elif len(cards) == 1:
                card = cards[0]
                lines.append(_line("gift_card", card=card.label(balance=False), balance=money(card.balance or 0)))
            else:
                each = listing([_line("gift_card_each", card=c.label(balance=False), balance=money(c.balance or 0))
                                for c in cards])
                total = money(round(sum(c.balance or 0 for c in cards), 2))
                lines.append(_line("gift_cards", count=len(cards), each=each, total=total))
    return {"lines": "\n".join(lines)}


SPEC = ProcessSpec(
    name="ask_account",
    description="A question about their account: default address, payment methods, gift-card balances",
    summary="your question about your account",
    offer="answer a question about your account",
    question=True,
    examples=(
        "what's my gift card balance", "how much is left on my gift card", "what's the balance of my gift cards",
        "do I have any store credit", "how much money is on my gift card", "what address do you have on my account",
        "which address is on file", "what's the address on my profile",
        "what payment methods do I have", "which cards do I have on file", "what payment methods are on my account",
        "do I have paypal on my account", "which payment options are saved on my account",
        "what's on my account", "can you tell me my account details", "how much credit do I have left",
        "what are my gift card balances",
        "what cards are on my profile", "what's the balance on gift card 1234567",
        "which card is credit_card_1234567", "is the visa ending 1234 my credit card 7654321",
        "is that my paypal_1234567 account", "which of my cards is credit card 1234567",
    ),
    slots=(context.words_slot("the question, in the customer's words"),),
    templates={
        "answer": "{lines}",
        "address": "The default address on your account is {address}.",
        "methods": "You have {count} payment methods on your account: {methods}.",
        "methods_one": "You have one payment method on your account: {methods}.",
        "method_id": "{id} is your {method}.",
        "gift_card": "Your {card} has {balance} left.",
        "gift_card_each": "{card} has {balance}",
        "gift_cards": "You have {count} gift cards: {each}; {total} in all.",
        "no_gift_cards": "You don't have a gift card on your account.",
    },
    facts=answer,
)


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .node("keep_words", context.keep_words, then="load_profile")
        .call("load_profile", "get_user_details", lambda f, s: {"user_id": s["customer"].user_id}, then="answer")
        .say("answer", "answer")
    )
