"""Pay a pending order with another payment method (policy: "Modify payment").

1. which order; only a pending order, paid with exactly one payment, can be changed
2. the new method: a single one, different from the current one; a gift card must cover the total
3. list the details, get a yes, change the payment (the old method is refunded)
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import ProcessSpec, Resolution, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of
from ...nodes.templates import money
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import UserResult
from ...tools.backend.models import PaymentMethod
from ..retail import orders, payments
from ..retail.process import RetailProcess

NOT_ELIGIBLE = "its payment can't be changed any more: only a pending order's can"


def total(frame: Frame) -> float:
    return sum(p.amount for p in orders.the_order(frame).payment_history if p.transaction_type == "payment")


def usable(frame: Frame) -> list[PaymentMethod]:
    profile = output_of(frame, "load_profile", UserResult)
    current = payments.original_method(orders.the_order(frame))
    return [m for m in profile.user.payment_methods.values()
            if m.id != current and (m.source != "gift_card" or (m.balance or 0) >= total(frame))]


def resolve_method(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    profile = output_of(frame, "load_profile", UserResult)
    if profile is None:
        return Unrecognised()
    return payments.resolve(mention, usable(frame), None, not_allowed_reason=lambda m: not_usable(frame, m),
                            all_methods=list(profile.user.payment_methods.values()),
                            current=frame.slots.get("payment_method"))


def not_usable(frame: Frame, method: PaymentMethod) -> str:
    """Why this method can't pay the order: the one rule it breaks, with the figures."""
    if method.id == payments.original_method(orders.the_order(frame)):
        return f"the order is already paid with {method.label(balance=False)}; it has to be a different method"
    return (f"{method.label(balance=False)} has {money(method.balance or 0)} left, and a gift card has to cover the "
            f"whole {money(total(frame))}")


def method_choices(frame: Frame, state: ConversationState) -> list[Choice]:
    return payments.choices(usable(frame))


def facts(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None:
        return {}
    return {"status": orders.STATUS_WORDS.get(order.status, order.status), "total": money(total(frame)),
            "current": payments.named(state, payments.original_method(order)),
            "method": payments.named(state, frame.slots.get("payment_method", ""))}


SPEC = ProcessSpec(
    name="change_order_payment",
    description="Pay a pending order with a different payment method",
    summary="changing how your order is paid",
    offer="change how an order that hasn't shipped yet is paid",
    examples=(
        "I want to change the payment method of my order", "pay with my gift card instead",
        "switch the payment on #W1234567 to paypal", "use a different card for my order",
        "can I pay for my pending order with my credit card instead", "change how I paid for my order",
        "charge my other card instead", "I'd like to use my gift card balance for that order",
        'change the payment',
        'change payment method',
        'pay with paypal instead',
        'use my gift card for the order',
        'switch to my credit card',
        "i'd like to pay differently",
        'change how my order is paid',
        'pay with another card',
        'can i change the payment on #W1234567',
        'move the payment to my gift card',
        'charge a different payment method',
        # in the words of role-played customers (evals/roleplay/transcripts)
        "switch how I'm paying",
        "switch that one to paypal too please",
        "I'd like to pay for it differently",
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the pending order, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolver(["pending"], NOT_ELIGIBLE), choices=orders.order_choices(["pending"]),
                 default=orders.only_one(["pending"])),
        SlotSpec("payment_method", "payment_method", "the new payment method (paypal, a credit card, a gift card)",
                 ask="ask_payment", resolve=resolve_method, choices=method_choices, depends_on=("order_id",)),
    ),
    facts=facts,
    templates={
        "assumed_order_id": "Your pending order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order would you like to pay differently?\n{choices}",
        "no_order_id": "None of your orders is pending, and only a pending order's payment can be changed.",
        "not_pending": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "no_payment_method": "You have no other payment method that can pay the {total} of this order.",
        "ask_payment": "Order {order_id} ({total}) is paid with {current}. Which method would you like to use "
                       "instead?\n{choices}",
        "confirm": "To confirm: pay order {order_id} ({total}) with {method} instead of {current}; {current} will "
                   "be refunded. Shall I go ahead (yes/no)?",
        "done": "Done: order {order_id} is now paid with {method}. The refund to {current} is on its way (at once "
                "for a gift card, otherwise in 5 to 7 business days).",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't change the payment: {error}.",
    },
)


def is_pending(state: ConversationState) -> Literal["load_profile", "not_pending"]:
    return "load_profile" if orders.the_order(frame_of(state)).status == "pending" else "not_pending"


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=is_pending)
        .not_eligible("not_pending", "not_pending")
        .call("load_profile", "get_user_details", lambda f, s: {"user_id": s["customer"].user_id},
              then="ask_payment")
        .collect("ask_payment", "payment_method", then="confirm")
        .confirm_and_write("change", "modify_pending_order_payment",
                           lambda f, s: {"order_id": f.slots["order_id"],
                                         "payment_method_id": f.slots["payment_method"]})
    )
