"""Choosing an order: listing the customer's orders and resolving what they say to one of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from langchain_core.messages import AIMessage
from pydantic import JsonValue

from ...nodes.matching import ANOTHER_ORDER, ANOTHER_ORDERS_ADDRESS, alias_in
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


def order_choices(statuses: Iterable[str] | None,
                  step: str = "list_orders") -> Callable[[Frame, ConversationState], list[Choice]]:
    wanted = set(statuses) if statuses else None

    def choices(frame: Frame, state: ConversationState) -> list[Choice]:
        return [
            Choice(value=o.order_id, label=label(o), aliases=_aliases(o))
            for o in listed_orders(frame, step)
            if wanted is None or o.status in wanted
        ]

    return choices


def _aliases(order: Order) -> tuple[str, ...]:
    status = STATUS_WORDS.get(order.status, order.status)
    return (order.order_id[-4:], order.order_id[-2:], order.status, status, *{i.name for i in order.items})


def by_description(text: str, orders: list[Order]) -> str | None:
    """'the pending one', 'the order with the kettle', 'the latest': the one order it fits. A status
    counts only as a description ('my pending order'), not in a question ('has it shipped?')."""
    lowered = text.lower()
    if orders and re.search(r"\b(latest|most recent|newest|last order|last one)\b", lowered):
        return orders[-1].order_id
    described = {m.group(1) for m in re.finditer(r"\b(?:the|my|that)\s+(\w+(?: \(\w+\))?)\s+(?:one|order)\b",
                                                   lowered)}
    heads = [i.name.split()[-1] for o in orders for i in o.items]
    names = {i.name for o in orders for i in o.items}
    # "the kettle" names the Electric Kettle, unless another kind of kettle was ordered too
    unique_heads = {n.split()[-1]: n for n in names if sum(1 for m in names if m.split()[-1] == n.split()[-1]) == 1}
    said = {name for name in names if alias_in(name, lowered)}
    said |= {unique_heads[h] for h in set(heads) if h in unique_heads and alias_in(h, lowered)}
    # "the one with the perfume and the puzzle": the order holding most of what is named, if only one does
    # (two orders may each hold a perfume; one holds both).
    fit = {o.order_id: len(said & {i.name for i in o.items})
           + any(word in described for word in (o.status, STATUS_WORDS.get(o.status, o.status))) for o in orders}
    best = max(fit.values(), default=0)
    fitting = [order_id for order_id, n in fit.items() if n == best]
    return fitting[0] if best > 0 and len(fitting) == 1 else None


def resolve_order(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    """An order id the customer gave must be one of their own orders; without an id, a description
    that fits exactly one listed order picks it."""
    # "the same address as #W…" names another order
    order_id = normalise_order_id(ANOTHER_ORDERS_ADDRESS.sub(" ", str(mention)))
    if order_id is None:
        described = by_description(str(mention), listed_orders(frame))
        order_id = described or just_shown(str(mention), state)
        if order_id is None:
            return Unrecognised()
    customer = state.get("customer")
    if customer is None or order_id not in customer.order_ids:
        return Rejected(f"I can't find order {order_id} on your account")
    return Resolved(order_id)


# "cancel it", "that's the one", "this order": the order just talked about
# (an "it" only as what is acted on: "I don't need it anymore" points at nothing shown)
THAT_ORDER = re.compile(r"\b(?:that one|this one|that's the one|thats the one|that order|this order|same order|"
                        r"same one)\b|\b(?:cancel|return|exchange|change|modify|send back)\s+it\b", re.I)


def just_shown(text: str, state: ConversationState) -> str | None:
    """The order the customer points to with "it" or "that one": the one the assistant's last reply was about,
    when it named exactly one of their orders ("Order #W… is pending. Items: …" - "can you cancel it please?")."""
    customer = state.get("customer")
    text = ANOTHER_ORDERS_ADDRESS.sub(" ", text)  # "… the same address as my other order W…" lends an address only
    if customer is None or not THAT_ORDER.search(text) or ANOTHER_ORDER.search(text):
        return None  # ("my smart watch in another order … change it" points away from the one just shown)
    last = next((str(m.content) for m in reversed(state.get("messages") or []) if isinstance(m, AIMessage)), "")
    shown = {f"#W{digits}" for digits in ORDER_ID.findall(last)} & set(customer.order_ids)
    return shown.pop() if len(shown) == 1 else None


def resolver(statuses: Iterable[str] | None, refusal: str = "") -> Callable[..., Resolution]:
    """`resolve_order` for a process that can only use orders of `statuses`. When the customer's orders are
    already listed, an order of another status is refused at once with the reason ("order #W… is shipped,
    so `refusal`"), so it is never announced as "the one I'm looking at"; otherwise the process checks
    the status once the order is loaded (`RetailProcess.not_eligible`)."""
    wanted = set(statuses) if statuses is not None else None

    def resolve(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
        resolution = resolve_order(mention, frame, state)
        if wanted is None or not isinstance(resolution, Resolved):
            return resolution
        order = next((o for o in listed_orders(frame) if o.order_id == resolution.value), None)
        if order is not None and order.status not in wanted:
            return Rejected(f"order {order.order_id} is {STATUS_WORDS.get(order.status, order.status)}, so {refusal}")
        return resolution

    return resolve


def refused_before(frame: Frame) -> bool:
    """The customer named an order this process had to refuse: from then on the order is asked, never
    assumed, so another order never takes the place of the one they named without them choosing it."""
    return frame.attempts.get("order_id", 0) > 0


def maybe_order(frame: Frame, step: str = "load_order") -> Order | None:
    result = output_of(frame, step, OrderResult)
    return result.order if result else None


def the_order(frame: Frame, step: str = "load_order") -> Order:
    result = output_of(frame, step, OrderResult)
    if result is None:
        raise LookupError(f"{frame.process}: step {step} has no order")
    return result.order


def only_one(statuses: Iterable[str], otherwise: Iterable[str] = (), step: str = "list_orders"):
    """Assume the order when exactly one of the customer's orders qualifies; if none does, when exactly one
    has an `otherwise` status (an "exchange" of the only order, which is still pending)."""
    wanted, second = set(statuses), set(otherwise)

    def default(frame: Frame, state: ConversationState) -> JsonValue | None:
        if refused_before(frame):
            return None
        listed = listed_orders(frame, step)
        fitting = [o.order_id for o in listed if o.status in wanted]
        if not fitting:
            fitting = [o.order_id for o in listed if o.status in second]
        return fitting[0] if len(fitting) == 1 else None

    return default
