"""Return delivered items (policy: "Return delivered order").

1. which order; only a delivered order can be returned
2. which items (all of them now, by name; the same item twice is fine)
3. where the refund goes: the original payment method or one of the customer's gift cards
4. list the details, get a yes, request the return (the customer gets an email on how to send it)
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import ProcessSpec, Resolution, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...nodes.templates import listing, money
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.models import PaymentMethod
from ..retail import orders, payments
from ..retail.item_change import item_choices, items_resolver
from ..retail.process import RetailProcess

NOT_ELIGIBLE = "it can't be returned: only delivered orders can"


def refund_methods(frame: Frame, state: ConversationState) -> list[PaymentMethod]:
    """The original payment method and every gift card (policy)."""
    methods = state["customer"].payment_methods
    original = payments.original_method(orders.the_order(frame))
    ids = [original] + [m for m, method in methods.items() if method.source == "gift_card" and m != original]
    return [methods[m] for m in ids if m in methods]


def refund_choices(frame: Frame, state: ConversationState) -> list[Choice]:
    original = payments.original_method(orders.the_order(frame))
    return [c.model_copy(update={"label": c.label + (" (how you paid)" if c.value == original else "")})
            for c in payments.choices(refund_methods(frame, state), balance=False, original_id=original)]


def resolve_refund(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    if orders.maybe_order(frame) is None:
        return Unrecognised()
    return payments.resolve(mention, refund_methods(frame, state), payments.original_method(orders.the_order(frame)),
                            not_allowed_reason="a refund can only go to the original payment method or a gift card",
                            all_methods=list(state["customer"].payment_methods.values()),
                            current=frame.slots.get("refund_method"))


def facts(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None:
        return {}
    chosen = frame.slots.get("items") or []
    returned = []
    remaining = list(chosen)
    for item in order.items:
        if item.item_id in remaining:
            remaining.remove(item.item_id)
            returned.append(item)
    return {
        # what the policy allows, said as the choices listed show it (never "or a gift card" when none is listed)
        "refund_rule": (
            "It can go to the original payment method or a gift card" if len(refund_methods(frame, state)) > 1
            else "It can only go back to the original payment method"),
        "status": orders.STATUS_WORDS.get(order.status, order.status),
        "returned": listing([f"{i.name} ({money(i.price)})" for i in returned]),
        "amount": money(sum(i.price for i in returned)),
        "method": payments.named(state, frame.slots.get("refund_method", "")),
    }


SPEC = ProcessSpec(
    name="return_items",
    description="Return items of a delivered order for a refund",
    summary="returning your items",
    offer="return items from a delivered order for a refund",
    examples=(
        "I want to return an item", "I'd like to return my order", "how do I send this back",
        "return the kettle please", "I want a refund for the shoes I received", "can I return #W1234567",
        "the item arrived damaged, I want my money back", "I don't like what I got, I want to return it",
        "return everything from my last order", "I need to return two items", "send back the headphones",
        "it doesn't fit, I want to return it", "I want a full refund for the item I received",
        "the puzzle is missing pieces, refund me", "the earbuds don't work, I want to return them",
        'return',
        'i want to return something',
        'can i return the tablet',
        "i'd like to send back the kettle and the clock",
        'return #W1234567 items',
        'refund for the items i received',
        "i want to return my skateboard, it's chipped",
        'return the whole order',
        'return everything',
        'i want to return it and get my money back',
        'how can i return an item',
        "i'd like to return two things from my order",
        'the item is faulty, i want a refund',
        'return it to my paypal',
        'i want to return the charger and the bookshelf',
        'retrun the kettle',
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the delivered order, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolver(["delivered"], NOT_ELIGIBLE), choices=orders.order_choices(["delivered"]),
                 default=orders.only_one(["delivered"])),
        SlotSpec("items", "items", "every item to return, by name as the customer says it", ask="ask_items",
                 resolve=items_resolver(new_ids_follow=False), choices=item_choices, multiple=True,
                 depends_on=("order_id",)),
        SlotSpec("refund_method", "payment_method", "where the refund goes: the original payment method or a "
                 "gift card", ask="ask_refund", resolve=resolve_refund, choices=refund_choices,
                 depends_on=("order_id",)),
    ),
    facts=facts,
    templates={
        "assumed_order_id": "Your delivered order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order would you like to return items from?\n{choices}",
        "no_order_id": "None of your orders is delivered, and only delivered orders can be returned.",
        "not_delivered": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "ask_items": "Which items would you like to return? Please list all of them.\n{choices}",
        "ask_refund": "Where should the refund go? {refund_rule}:\n{choices}",
        "confirm": "To confirm: return {returned} from order {order_id}, and refund {amount} to {method}. Shall I "
                   "go ahead (yes/no)?",
        "done": "Done: the return for order {order_id} is requested. You'll get an email explaining how to send "
                "the items back; the refund of {amount} goes to {method}.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't request the return: {error}.",
    },
)


def is_delivered(state: ConversationState) -> Literal["ask_items", "not_delivered"]:
    return "ask_items" if orders.the_order(frame_of(state)).status == "delivered" else "not_delivered"


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=is_delivered)
        .not_eligible("not_delivered", "not_delivered")
        .collect("ask_items", "items", then="ask_refund")
        .collect("ask_refund", "refund_method", then="confirm")
        .confirm_and_write("return", "return_delivered_order_items",
                           lambda f, s: {"order_id": f.slots["order_id"], "item_ids": f.slots["items"],
                                         "payment_method_id": f.slots["refund_method"]})
    )
