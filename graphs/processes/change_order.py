"""'I want to change my order': ask what to change (its items, its shipping address or its
payment), then the chosen process takes over."""

from __future__ import annotations

from ...nodes.services import Services
from ..process import ProcessGraph
from ..process_choice import choice_graph, choice_spec

SPEC = choice_spec(
    name="change_order",
    description="Change a pending order without saying what: ask whether the items, the address or the payment",
    summary="changing your order",
    offer="change an order that hasn't shipped yet (its items, address or payment)",
    question="Sure. What would you like to change?\n{choices}",
    options=(
        ("change_order_items", "the items (another size, color or version)",
         ("item", "items", "size", "color", "colour", "version", "option")),
        ("change_order_address", "the shipping address", ("address", "ship", "deliver", "shipping")),
        ("change_order_payment", "the payment method", ("payment", "pay", "card", "paypal", "gift card")),
    ),
    examples=(
        "change my order please", "I want to change my order", "I need to make changes to my order",
        "can I modify my order?", "I'd like to update my order", "something needs changing on my order",
        "can you help me change an order", "edit my order", "I want to make a change to an order I placed",
    ),
)


def graph(services: Services) -> ProcessGraph:
    return choice_graph(SPEC, services)
