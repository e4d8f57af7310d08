"""Cancel a pending order (policy: "Cancel pending order").

1. which order (the customer's pending orders are offered when they don't say)
2. check its status: only a pending order can be cancelled
3. the reason: "no longer needed" or "ordered by mistake"
4. list the details and get an explicit yes (a no changes nothing)
5. cancel; the refund goes back to how they paid (gift cards at once, others in 5-7 business days)
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import Ambiguous, ProcessSpec, Resolution, Resolved, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of
from ...nodes.templates import money
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import OrderResult
from ..retail import orders, payments
from ..retail.process import RetailProcess

REASONS = {
    "no longer needed": ("no longer need", "not need", "don't need", "dont need", "do not need", "no need",
                         "won't need", "wont need", "will not need", "not going to need", "need it anymore",
                         "changed my mind", "not needed", "needed anymore", "no longer want", "don't want",
                         "found it cheaper", "cheaper", "elsewhere", "won't be able", "traveling", "travelling"),
    "ordered by mistake": ("mistake", "by accident", "accidentally", "wrong order", "didn't mean", "did not mean",
                           "mistakenly", "in error", "accident", "unintentional"),
}


NOT_ELIGIBLE = "it can't be cancelled: only pending orders can"


def resolve_reason(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    """The reason the words give; one said with "not" before it is the one not meant ("ordered by mistake, not no
    longer needed"). Words that give both reasons pick neither: the question is asked, never a reason guessed."""
    text = str(mention).lower()
    said = [reason for reason, words in REASONS.items()
            if text.strip() == reason or any(not re.search(rf"\bnot\s+{re.escape(w)}", text) and w in text
                                             for w in words if w in text)]
    if len(said) == 1:
        return Resolved(said[0])
    return Ambiguous(" and ".join(said)) if said else Unrecognised()


def order_facts(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None:
        return {}
    return {
        "status": orders.STATUS_WORDS.get(order.status, order.status),
        "items": orders.item_summary(order),
        "total": money(sum(p.amount for p in order.payment_history if p.transaction_type == "payment")),
        "paid_with": payments.named(state, payments.original_method(order)),
    }


SPEC = ProcessSpec(
    name="cancel_order",
    description="Cancel an order that has not shipped yet (pending)",
    summary="cancelling your order",
    offer="cancel an order that hasn't shipped yet",
    examples=(
        "I want to cancel my order", "cancel order #W1234567", "please cancel the order I just placed",
        "I don't need the order anymore, cancel it", "I ordered by mistake, can you cancel it",
        "can I still cancel my purchase?", "stop my order from shipping", "I'd like a full refund on an order that "
        "hasn't shipped", "I need to cancel, I won't be home to receive it", "cancel #W7654321 please",
        "kill that order", "how do I cancel an order", "I accidentally placed an order", "call off my order",
        'cancel',
        'please cancel it',
        'cancel my pending order',
        'i need to cancel my order',
        'cancel the order with the tea kettle',
        'i want my order cancelled and a full refund',
        'can you stop the order i just placed',
        "i'd like to cancel #W1234567",
        'cancel it, i found it cheaper elsewhere',
        'i placed an order by accident, cancel it',
        "i won't be around to receive it so cancel",
        "don't send my order, cancel it",
        'cancel everything i ordered',
        'i wanna cancel',
        'cancle my ordr',
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the order to cancel, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolver(["pending"], NOT_ELIGIBLE), choices=orders.order_choices(["pending"])),
        SlotSpec("reason", "reason", "why: 'no longer needed' or 'ordered by mistake'", ask="ask_reason",
                 resolve=resolve_reason,
                 choices=lambda f, s: [Choice(value=r, label=r, aliases=words) for r, words in REASONS.items()]),
    ),
    facts=order_facts,
    templates={
        "assumed_order_id": "Your pending order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order would you like to cancel? These can still be cancelled:\n{choices}",
        "no_order_id": "None of your orders can be cancelled: only orders that haven't shipped yet (pending) can.",
        "not_pending": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "ask_reason": "Why would you like to cancel it?\n{choices}",
        "confirm": "To confirm: cancel order {order_id} ({items}), reason: {reason}. The {total} paid with "
                   "{paid_with} will be refunded. Shall I go ahead (yes/no)?",
        "cancelled": "Done: order {order_id} is cancelled. {refund_note}",
        "kept": "Okay, I haven't cancelled anything: order {order_id} stays as it is.",
        "rule": "I couldn't cancel order {order_id}: {error}.",
        "didnt_catch_reason": "Sorry, I can only cancel an order for one of these two reasons.",
    },
)


def can_be_cancelled(state: ConversationState) -> Literal["ask_reason", "not_pending"]:
    return "ask_reason" if orders.the_order(frame_of(state)).status == "pending" else "not_pending"


def refund_note(frame: Frame, state: ConversationState) -> dict:
    order = output_of(frame, "cancel", OrderResult).order
    gift = any(p.payment_method_id.startswith("gift_card") for p in order.payment_history)
    note = ("The refund is already back on your gift card." if gift else
            "The refund will reach your original payment method in 5 to 7 business days.")
    return {"refund_note": note}


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=can_be_cancelled)
        .not_eligible("not_pending", "not_pending")
        .collect("ask_reason", "reason", then="confirm")
        .confirm_and_write("cancel", "cancel_pending_order",
                           lambda f, s: {"order_id": f.slots["order_id"], "reason": f.slots["reason"]},
                           done="cancelled", done_extra=refund_note)
    )
