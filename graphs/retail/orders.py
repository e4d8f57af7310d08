"""Choosing an order: listing the customer's orders and resolving what they say to one of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pydantic import JsonValue

from ...nodes.process_spec import Rejected, Resolution, Resolved, Unrecognised
from ...nodes.step import output_of, outputs_of
from ...nodes.templates import listing
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import OrderResult
from ...tools.backend.models import Order

ORDER_ID = re.compile(r"#?\s*W\s*(\d{7})\b", re.I)
BARE_DIGITS = re.compile(r"\b(\d{7})\b")

STATUS_WORDS = {
    "pending": "pending",
    "processed": "shipped",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "pending (item modified)": "pending, items changed",
    "return requested": "return requested",
    "exchange requested": "exchange requested",
}


def normalise_order_id(text: str) -> str | None:
    match = ORDER_ID.search(text) or BARE_DIGITS.search(text)
    return f"#W{match.group(1)}" if match else None


def list_calls(frame: Frame, state: ConversationState) -> list[tuple[str, dict]]:
    customer = state.get("customer")
    return [("get_order_details", {"order_id": oid}) for oid in (customer.order_ids if customer else [])]


def listed_orders(frame: Frame, step: str = "list_orders") -> list[Order]:
    return [r.order for r in outputs_of(frame, step, OrderResult) if r is not None]


def item_summary(order: Order) -> str:
    counts: dict[str, int] = {}
    for item in order.items:
        counts[item.name] = counts.get(item.name, 0) + 1
    return listing([f"{n} x {name}" if n > 1 else name for name, n in counts.items()])


def label(order: Order) -> str:
    return f"{order.order_id}, {STATUS_WORDS.get(order.status, order.status)}: {item_summary(order)}"


def order_choices(statuses: Iterable[str] | None, step: str = "list_orders") -> Callable[[Frame, ConversationState], list[Choice]]:
    wanted = set(statuses) if statuses else None

    def choices(frame: Frame, state: ConversationState) -> list[Choice]:
        return [
            Choice(value=o.order_id, label=label(o),
                   aliases=(o.order_id[-4:], o.order_id[-2:], *{i.name for i in o.items}))
            for o in listed_orders(frame, step)
            if wanted is None or o.status in wanted
        ]

    return choices


def resolve_order(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    """An order id the customer gave must be one of their own orders."""
    order_id = normalise_order_id(str(mention))
    if order_id is None:
        return Unrecognised()
    customer = state.get("customer")
    if customer is None or order_id not in customer.order_ids:
        return Rejected(f"I can't find order {order_id} on your account")
    return Resolved(order_id)


def maybe_order(frame: Frame, step: str = "load_order") -> Order | None:
    result = output_of(frame, step, OrderResult)
    return result.order if result else None


def the_order(frame: Frame, step: str = "load_order") -> Order:
    result = output_of(frame, step, OrderResult)
    if result is None:
        raise LookupError(f"{frame.process}: step {step} has no order")
    return result.order


def only_one(statuses: Iterable[str], step: str = "list_orders"):
    """Assume the order when exactly one of the customer's orders qualifies."""
    wanted = set(statuses)

    def default(frame: Frame, state: ConversationState) -> JsonValue | None:
        fitting = [o.order_id for o in listed_orders(frame, step) if o.status in wanted]
        return fitting[0] if len(fitting) == 1 else None

    return default
