"""Questions about the store's rules ("can I cancel only part of an order?", "can the refund go to my
other card?", "can I change the items again?", "can a cancellation be undone?"), answered from the
policy: each rule is a template, picked by what the question is about. No identification needed.

1. the question's words
2. the rules they ask about (several if they ask several things), or what the assistant can do
"""

from __future__ import annotations

import re
from typing import Literal

from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ..process import ProcessGraph
from . import context

Rule = Literal["partial_cancel", "refund_elsewhere", "change_again", "undo_cancel", "refund_timing",
               "other_product", "after_shipping", "pending_changes", "returns", "gift_card_pays", "cancel_how"]
# In order of precedence: the first rules found are the ones answered.
RULES: dict[Rule, re.Pattern[str]] = {
    "partial_cancel": re.compile(r"\bcancel\w*\b.*\b(part|some|one|only|few|single|just|individual|certain|half)\b|"
                                 r"\b(part|some|one|only|just|single)\b.*\bcancel", re.I),
    "undo_cancel": re.compile(r"\b(undo\w*|undone|revers\w*|revert\w*|uncancel\w*|un-cancel\w*|take back|restor\w*|"
                              r"reactivat\w*|reinstat\w*|change my mind)\b", re.I),
    "refund_elsewhere": re.compile(r"\brefund\w*\b.*\b(other|another|different|new|second|paypal|card|account)\b|"
                                   r"\b(other|another|different|paypal)\b.*\brefund", re.I),
    "change_again": re.compile(r"\b(again|twice|second time|more than once|another time|one more time|later on|"
                               r"a second)\b", re.I),
    "refund_timing": re.compile(r"\b(how long|when|how soon|how many days)\b.*\b(refund\w*|money back|get it back|"
                                r"credited)\b|\brefund\w*\b.*\b(take|arrive|how long|when)\b", re.I),
    "other_product": re.compile(r"\b(different|another|other)\s+(product|item|kind|type|thing|model)\b|"
                                r"\bfor (?:a|an) (?!different|another|other)\w+ instead\b", re.I),
    "after_shipping": re.compile(r"\b(shipped|in transit|on its way|processed|after (?:it )?ship\w*|once (?:it )?"
                                 r"ship\w*|already sent)\b", re.I),
    "pending_changes": re.compile(r"\bwhat can (?:i|you|be) (?:change|modif)\w*|\b(?:change|modify)\w* (?:the )?"
                                  r"(?:address|payment|shipping)\b", re.I),
    "returns": re.compile(r"\breturn\w*\b", re.I),
    "gift_card_pays": re.compile(r"\bgift ?cards?\b", re.I),
    "cancel_how": re.compile(r"\bcancel\w*\b", re.I),
}
MAX_RULES = 2
GENERAL: tuple[Rule, ...] = ("returns", "gift_card_pays", "cancel_how")  # said only when nothing more specific is


def rules(frame: Frame) -> list[Rule]:
    text = context.words(frame)
    found = [r for r, pattern in RULES.items() if pattern.search(text)]
    specific = [r for r in found if r not in GENERAL]
    return specific[:MAX_RULES] if specific else found[:1]


def which_answer(state: ConversationState) -> Literal["answer", "overview"]:
    return "answer" if rules(frame_of(state)) else "overview"


def facts(frame: Frame, state: ConversationState) -> dict:
    return {"rules": "\n".join(SPEC.templates[f"rule_{r}"] for r in rules(frame))}


SPEC = ProcessSpec(
    name="ask_policy",
    description="A question about the store's rules: what can be cancelled, changed, returned, undone, where "
                "refunds go",
    summary="your question about our rules",
    offer="answer a question about what the store allows",
    question=True,
    requires_identity=False,
    examples=(
        "can I cancel only part of an order", "can I cancel just one item of my order",
        "is it possible to cancel only some of the items", "can the refund go to my other card",
        "can you refund it to a different card", "can I get the refund on paypal instead",
        "can I change the items again later", "can I modify the order a second time",
        "can I exchange it again if it doesn't fit", "can a cancellation be undone", "can I undo the cancellation",
        "if I cancel can I change my mind later", "how long does a refund take", "when will I get my money back",
        "how soon is the refund credited", "can I exchange it for a different product",
        "can I swap the shoes for another kind of item", "can I still change an order once it has shipped",
        "can I change an order that's already on its way", "what can I change on a pending order",
        "what's your return policy", "how do returns work", "can I pay the difference with my gift card",
        "can a gift card be used for the exchange", "what are the rules for exchanges",
        "is it possible to exchange twice",
        "how does cancelling work", "what are the rules", "can I return items from an order that hasn't arrived",
        "is there a limit on how many times I can change an order",
    ),
    slots=(context.words_slot("the question, in the customer's words"),),
    templates={
        "answer": "{rules}",
        "overview": "Here's what I can do: cancel an order that hasn't shipped; change a pending order's shipping "
                    "address, payment method or item options; return or exchange items of a delivered order; and "
                    "change your default address. What would you like to know more about?",
        "rule_partial_cancel": "An order can only be cancelled as a whole, not item by item. While it's pending you "
                               "can change its items to other options of the same product instead, and once it's "
                               "delivered you can return just the items you choose.",
        "rule_undo_cancel": "No: once an order is cancelled it stays cancelled, and its refund is on its way. The same "
                            "goes for a return or exchange once it's requested.",
        "rule_refund_elsewhere": "A refund goes back to the payment method the order was paid with. For a return, it "
                                 "can go to one of your gift cards instead; it can't go to any other card or PayPal "
                                 "account.",
        "rule_change_again": "The items of a pending order can be changed only once: after that the order can't be "
                             "changed or cancelled any more. A delivered order can be exchanged only once, too. So "
                             "it's best to name every item you want changed in one go.",
        "rule_refund_timing": "A refund to a gift card arrives at once; to any other payment method it takes 5 to 7 "
                              "business days.",
        "rule_other_product": "An item can only be changed or exchanged for another option of the same product (say, "
                              "another size or colour), not for a different product.",
        "rule_after_shipping": "Once an order has shipped it can't be changed or cancelled any more; when it's been "
                               "delivered, its items can be returned or exchanged.",
        "rule_pending_changes": "While an order is pending (not shipped yet), you can change its shipping address, "
                                "its payment method (to one other method), or its items' options, or cancel it.",
        "rule_returns": "Items of a delivered order can be returned. The refund goes to the original payment "
                        "method or to one of your gift cards, and you'll get an email explaining how to send the "
                        "items back.",
        "rule_gift_card_pays": "A gift card can pay for an order, a change of items or an exchange only if its "
                               "balance covers the whole amount.",
        "rule_cancel_how": "An order can be cancelled while it's pending (not shipped yet), for one of two reasons: "
                           "no longer needed, or ordered by mistake. The whole amount is refunded to the payment "
                           "method it was paid with.",
    },
    facts=facts,
)


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .node("keep_words", context.keep_words, then="which_rule")
        .decide("which_rule", which_answer)
        .say("answer", "answer")
        .say("overview", "overview")
    )
