"""Order status and details: list the customer's orders, show one.

1. which order (assumed when they have only one; otherwise their orders are listed to pick from)
2. show it: status, items, shipping address, payments, parcels
"""

from __future__ import annotations

from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.templates import listing, money
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ..retail import orders, payments
from ..retail.items import item_label
from ..retail.process import RetailProcess


def details(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None:
        return {}
    paid = [f"{money(p.amount)} {'paid with' if p.transaction_type == 'payment' else 'refunded to'} "
            f"{payments.named(state, p.payment_method_id)}" for p in order.payment_history]
    parcels = [", ".join(f.tracking_id) for f in order.fulfillments]
    return {
        "status": orders.STATUS_WORDS.get(order.status, order.status),
        "items": "\n".join(f"  - {item_label(i)}: {money(i.price)}" for i in order.items),
        "address": order.address.one_line(),
        "payments": listing(paid) or "none",
        "tracking": listing(parcels) or "not shipped yet",
    }


SPEC = ProcessSpec(
    name="order_status",
    description="Show the status and details of one of the customer's orders, or list their orders",
    summary="looking up your order",
    offer="check an order's status or details",
    examples=(
        "where is my order", "what's the status of my order", "has my order shipped yet",
        "can you check order #W1234567", "show me my orders", "what did I order", "list my orders",
        "when will my package arrive", "order status please", "I want to know about my recent order",
        "what's in my order #W7654321", "did my order go out", "track my order", "how much did I pay for my order",
        "I forgot my order number, can you look it up", "what are my order ids",
        'check my order',
        'can you check on my order',
        "what's going on with my order",
        'is my order on its way',
        'status of #W1234567',
        'what is the status',
        'look up my orders',
        'i need an update on my order',
        'what orders do i have',
        'which orders are pending',
        'when does my order arrive',
        'has it shipped',
        'show order details',
        'what items are in my order',
        "i'd like to see my order history",
        "where's my stuff",
        'tell me about my last order',
        'whats the status of order #W1234567',
        'status of order #W7654321 please',
        'whats the staus of my order',
        'can you tell me the status of #W1234567',
        "what's going on with order #W1234567",
        'is order #W1234567 shipped',
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the order to show, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolve_order, choices=orders.order_choices(None),
                 default=orders.only_one(orders.STATUS_WORDS)),
    ),
    facts=details,
    templates={
        "ask_order": "Here are your orders:\n{choices}\nWhich one would you like to see in detail?",
        "no_order_id": "I don't see any orders on your account.",
        "show": "Order {order_id} is {status}.\nItems:\n{items}\nShipping to: {address}\nPayments: {payments}\n"
                "Tracking: {tracking}",
    },
)


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then="show")
        .say("show", "show")
    )
