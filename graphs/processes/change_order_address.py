"""Change the shipping address of a pending order (policy: "Modify pending order").

1. which order; only a pending order can be changed
2. the new address (or "the same as order #W…", whose address is looked up)
3. list the details, get a yes, change the address
"""

from __future__ import annotations

from typing import Literal

from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ..retail import address_change, orders
from ..retail.process import RetailProcess

NOT_ELIGIBLE = "its address can't be changed any more: only a pending order's can"


def facts(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None:
        return {}
    return {"status": orders.STATUS_WORDS.get(order.status, order.status), "old_address": order.address.one_line(),
            "new_address": address_change.one_line(frame.slots.get("address"))}


SPEC = ProcessSpec(
    name="change_order_address",
    description="Change the shipping address of a pending order",
    summary="changing the shipping address of your order",
    offer="change the shipping address of an order that hasn't shipped yet",
    examples=(
        "I need to change the shipping address of my order", "ship my order to a different address",
        "update the delivery address for #W1234567", "I moved, can you send my order to my new place",
        "wrong address on my order", "change where my order is going", "deliver it to my office instead",
        "can you change the address on my pending order", "send the order to the same address as my other order",
        "the shipping address on my order is wrong",
        'change the address',
        'change the shipping address',
        'ship it somewhere else',
        'update the address on #W1234567',
        'my order is going to the wrong address',
        'i need my order delivered to a new address',
        "change my order's address",
        'send it to my new apartment',
        'can you redirect my order',
        'the delivery address is wrong, please fix it',
        'change the address of my order to the same as my other order',
        'new shipping address for my order',
        'please ship #W1234567 to 953 Park Avenue, Apt 2, Boston, MA 02115 instead',
        'ship order #W1234567 to this address instead',
        'can you send #W1234567 to my office instead',
        'for #W1234567 the address should be 12 Oak Street, Austin, TX 78701',
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the pending order, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolver(["pending"], NOT_ELIGIBLE), choices=orders.order_choices(["pending"]),
                 default=orders.only_one(["pending"])),
        address_change.address_slot("the new shipping address: street, apartment/suite, city, state, zip",
                                    default_allowed=True),
    ),
    facts=facts,
    templates={
        "assumed_order_id": "Your pending order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order should go to a new address?\n{choices}",
        "no_order_id": "None of your orders is pending, and only a pending order's address can be changed.",
        "not_pending": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "ask_address": "What's the new shipping address (street, apartment or suite, city, state and zip code)?",
        "confirm": "To confirm: ship order {order_id} to {new_address} instead of {old_address}. Shall I go ahead "
                   "(yes/no)?",
        "already_there": "Order {order_id} already ships to {new_address}, so there's nothing to change.",
        "done": "Done: order {order_id} will be shipped to {new_address}.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't change the address: {error}.",
    },
)


def where_from(state: ConversationState) -> Literal["load_reference", "is_new"]:
    """Another order's address is looked up first; a typed one is checked at once."""
    return "load_reference" if address_change.points_to_order(state) == "load_reference" else "is_new"


def is_new(state: ConversationState) -> Literal["confirm", "already_there"]:
    """An address the order already ships to changes nothing: say so rather than ask to confirm a change that isn't
    one (a customer who named the wrong order sees it; "ship #W… to X instead of X" hid it)."""
    frame = frame_of(state)
    new = frame.slots.get("address") or {}
    old = orders.the_order(frame).address.model_dump()
    same = all(str(new.get(k) or "").strip().lower() == str(old.get(k) or "").strip().lower()
               for k in ("address1", "address2", "city", "state", "zip"))
    return "already_there" if same else "confirm"


def is_pending(state: ConversationState) -> Literal["ask_address", "not_pending"]:
    return "ask_address" if orders.the_order(frame_of(state)).status == "pending" else "not_pending"


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=is_pending)
        .not_eligible("not_pending", "not_pending")
        .collect("ask_address", "address", then=where_from)
        .call("load_reference", "get_order_details", address_change.reference_args, then="use_reference")
        .node("use_reference", address_change.use_reference, then="is_new")
        .decide("is_new", is_new)
        .say("already_there", "already_there")
        .confirm_and_write("change", "modify_pending_order_address",
                           lambda f, s: {"order_id": f.slots["order_id"], **address_change.address_args(f)})
    )
