"""Amounts a customer needs to decide, to the cent: the refund of a return (per item, in all, and where it
goes), the price difference of an exchange or an item change (and who pays it), the refund of a
cancellation, and totals over several orders or items.

1. the question's words; the customer's orders, loaded now
2. what is asked: a return, an exchange, a cancellation or a total (from the words, else from the
   request the question interrupted)
3. which order: the one named, the interrupted request's, the one holding the items named, or the only
   one that fits; otherwise asked. A total may be over several orders ("these two", "all my orders")
4. the order and, for an exchange, its products, loaded now; the figure, computed from them
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import ProcessSpec, Resolved, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import frame_of, outputs_of
from ...nodes.templates import listing, money, render
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ...tools.backend.contracts import OrderResult, ProductResult
from ...tools.backend.models import Order, OrderItem, Product
from ..process import ProcessGraph
from ..retail import orders as retail_orders
from ..retail import payments
from ..retail.items import ALL_WORDS, mentions_of, options_text, pick_items, pick_variants
from . import context

Kind = Literal["return", "exchange", "cancel", "total"]
# What the customer says they would do; failing that, a total; failing that, the interrupted request; then
# the words that only hint at it ("how much would I get back?").
ACTIONS: dict[Kind, re.Pattern[str]] = {
    "cancel": re.compile(r"\bcancel\w*\b", re.I),
    "exchange": re.compile(r"\b(exchang\w*|swap\w*|switch\w*|chang\w* (?:it|them|the \w+|my \w+) (?:to|for|into))\b",
                           re.I),
    "return": re.compile(r"\b(return\w*|send(?:ing)? (?:it |them )?back)\b", re.I),
}
TOTAL = re.compile(r"\b(total|spent|spend|altogether|together|combined|sum|in all|did i pay|have i paid|cost me|"
                   r"add up)\b", re.I)
HINTS: dict[Kind, re.Pattern[str]] = {
    # ... or that suppose another variant: "how much more or less would it be in memory foam instead?",
    # "how much would the price change if it was 28 inch?" (outputs-24, outputs-26)
    "exchange": re.compile(r"\b(price difference|difference|pay extra|pay more|owe|extra|more or less|instead|"
                           r"price change|cost more|cost less|cheaper|pricier|if (?:it|they|that) (?:was|were|is))\b",
                           re.I),
    "return": re.compile(r"\b(get back|money back|refund\w*)\b", re.I),
}
FROM_PROCESS: dict[str, Kind] = {"return_items": "return", "exchange_items": "exchange",
                                 "change_order_items": "exchange", "cancel_order": "cancel"}
STATUSES: dict[Kind, tuple[str, ...]] = {"return": ("delivered",), "exchange": ("delivered", "pending"),
                                         "cancel": ("pending",), "total": ()}
EVERY = re.compile(r"\b(all|every|each)\b", re.I)
THESE = re.compile(r"\b(these|those|both|them|the two|all three)\b", re.I)


def kind(frame: Frame, state: ConversationState) -> Kind:
    text = context.words(frame)
    for name, pattern in ACTIONS.items():
        if pattern.search(text):
            return name
    if TOTAL.search(text):
        return "total"
    below = context.context_frame(state)
    if below is not None and below.process in FROM_PROCESS:
        return FROM_PROCESS[below.process]
    return next((name for name, pattern in HINTS.items() if pattern.search(text)), "total")


def listed(frame: Frame) -> list[Order]:
    return retail_orders.listed_orders(frame, "list_orders")


def _mine(state: ConversationState) -> set[str]:
    customer = state.get("customer")
    return set(customer.order_ids) if customer else set()


def total_orders(frame: Frame, state: ConversationState) -> list[str]:
    """The orders a total is over: those named, all of them, the ones just talked about, the interrupted
    request's, or all of them."""
    text = context.words(frame)
    mine = [o.order_id for o in listed(frame)]
    named = [i for i in context.order_ids_in(text) if i in mine]
    if named:
        return named
    if EVERY.search(text):
        return mine
    if THESE.search(text):
        shown = [i for i in context.order_ids_in(context.latest_bot_text(state)) if i in mine]
        if shown:
            return shown
    interrupted = context.context_slot(state, "order_id")
    if isinstance(interrupted, str) and interrupted in mine:
        return [interrupted]
    holding = [o.order_id for o in listed(frame) if mentions_of(o, text)]
    return holding or mine


def find_order(state: ConversationState) -> dict:
    """The order the figure is about, when it can be told without asking (a total needs none)."""
    frame = frame_of(state)
    if "order_id" in frame.slots:
        return {}
    asked = kind(frame, state)
    said = frame.mentions.get("order_id")
    frame = frame.with_(mentions={k: v for k, v in frame.mentions.items() if k != "order_id"})
    if asked == "total":
        return {"stack": [*state["stack"][:-1], frame]}
    named = resolve_order(said, frame, state) if said is not None else None
    if named is not None and not isinstance(named, Unrecognised):
        # an order id (even one that isn't theirs: the question then refuses it) or a description of one
        return {"stack": [*state["stack"][:-1], frame.with_(mentions={**frame.mentions, "order_id": said})]}
    text = context.words(frame)
    fitting = [o for o in listed(frame) if o.status in STATUSES[asked]]
    found: str | None = None
    interrupted = context.context_slot(state, "order_id")
    if isinstance(interrupted, str) and interrupted in {o.order_id for o in listed(frame)}:
        found = interrupted
    holding = [o.order_id for o in fitting if mentions_of(o, text)]
    if found is None and len(holding) == 1:
        found = holding[0]
    if found is None and len(fitting) == 1:
        found = fitting[0].order_id
    if found is None:
        return {"stack": [*state["stack"][:-1], frame]}
    return {"stack": [*state["stack"][:-1], frame.with_(slots={**frame.slots, "order_id": found})]}


def needs_order(state: ConversationState) -> Literal["ask_order", "load_orders"]:
    return "load_orders" if kind(frame_of(state), state) == "total" else "ask_order"


def order_choices(frame: Frame, state: ConversationState):
    return retail_orders.order_choices(STATUSES[kind(frame, state)] or None)(frame, state)


def resolve_order(mention: JsonValue, frame: Frame, state: ConversationState):
    return retail_orders.resolve_order(mention, frame, state)


def load_calls(frame: Frame, state: ConversationState) -> list[tuple[str, dict]]:
    """The orders the figure is computed from, loaded now."""
    ids = total_orders(frame, state) if kind(frame, state) == "total" else [str(frame.slots["order_id"])]
    return [("get_order_details", {"order_id": i}) for i in ids]


def loaded(frame: Frame) -> list[Order]:
    return [r.order for r in outputs_of(frame, "load_orders", OrderResult) if r is not None]


def product_calls(frame: Frame, state: ConversationState) -> list[tuple[str, dict]]:
    if kind(frame, state) != "exchange" or not loaded(frame):
        return []
    order = loaded(frame)[0]
    return [("get_product_details", {"product_id": p}) for p in sorted({i.product_id for i in order.items})]


def products(frame: Frame) -> dict[str, Product]:
    return {r.product.product_id: r.product for r in outputs_of(frame, "load_products", ProductResult) if r}


def _line(key: str, **values) -> str:
    return render(SPEC.templates, key, values)


def _items_of(order: Order, item_ids: list[str]) -> list[OrderItem]:
    remaining, chosen = list(item_ids), []
    for item in order.items:
        if item.item_id in remaining:
            remaining.remove(item.item_id)
            chosen.append(item)
    return chosen


def _chosen_items(order: Order, frame: Frame, state: ConversationState) -> list[str] | None:
    """The items named in the question; else the interrupted request's items (same order); else None."""
    text = context.words(frame)
    if mentions_of(order, text) or ALL_WORDS.search(text):
        picked = pick_items(order, text)
        if isinstance(picked, Resolved) and isinstance(picked.value, list):
            return [str(i) for i in picked.value]
    below = context.context_frame(state)
    if below is not None and below.slots.get("order_id") == order.order_id and isinstance(below.slots.get("items"),
                                                                                            list):
        return [str(i) for i in below.slots["items"]]
    return None


def _refund_method(order: Order, frame: Frame, state: ConversationState) -> str:
    """Where a return's refund would go: the method named (the original one or a gift card), the one the
    interrupted return chose, or the original payment method."""
    original = payments.original_method(order)
    methods = state["customer"].payment_methods
    allowed = [methods[m] for m in methods if m == original or methods[m].source == "gift_card"]
    picked = payments.resolve(context.words(frame), allowed, original)
    if isinstance(picked, Resolved):
        return str(picked.value)
    below = context.context_frame(state)
    if below is not None and below.slots.get("order_id") == order.order_id and below.slots.get("refund_method"):
        return str(below.slots["refund_method"])
    return original


def _paid(order: Order) -> float:
    paid = sum(t.amount for t in order.payment_history if t.transaction_type == "payment")
    back = sum(t.amount for t in order.payment_history if t.transaction_type == "refund")
    return round(paid - back, 2)


def _return(order: Order, frame: Frame, state: ConversationState) -> dict:
    chosen = _chosen_items(order, frame, state)
    items = _items_of(order, chosen) if chosen else list(order.items)
    total = round(sum(i.price for i in items), 2)
    return {"order_id": order.order_id, "per_item": listing([f"{i.name} {money(i.price)}" for i in items]),
            "amount": money(total), "method": payments.named(state, _refund_method(order, frame, state))}


def _cancel(order: Order, state: ConversationState) -> dict:
    payment = next((t for t in order.payment_history if t.transaction_type == "payment"), None)
    method_id = payment.payment_method_id if payment else ""
    gift = method_id.startswith("gift_card")
    return {"order_id": order.order_id, "amount": money(_paid(order)), "method": payments.named(state, method_id),
            "when": _line("at_once" if gift else "in_days")}


def _exchange(order: Order, frame: Frame, state: ConversationState) -> tuple[str, dict]:
    catalogue = products(frame)
    below = context.context_frame(state)
    changes: list[dict] | None = None
    chosen = _chosen_items(order, frame, state)
    if chosen:
        picked = pick_variants(order, chosen, catalogue, context.for_options(context.words(frame)))
        if isinstance(picked, Resolved) and isinstance(picked.value, list):
            changes = [dict(c) for c in picked.value if isinstance(c, dict)]
    if changes is None and below is not None and below.slots.get("order_id") == order.order_id \
            and isinstance(below.slots.get("changes"), list):
        changes = [dict(c) for c in below.slots["changes"] if isinstance(c, dict)]
    if not changes:
        names = listing([i.name for i in _items_of(order, chosen)]) if chosen else _line("the_items")
        return "say_need_changes", {"items": names}
    lines, difference = [], 0.0
    for change in changes:
        item = next(i for i in order.items if i.item_id == change["item_id"])
        variant = catalogue[item.product_id].variants[str(change["new_item_id"])]
        difference += variant.price - item.price
        lines.append(_line("change", name=item.name, old=options_text(item.options), old_price=money(item.price),
                           new=options_text(variant.options), new_price=money(variant.price)))
    difference = round(difference, 2)
    method_id = below.slots.get("payment_method") if below is not None else None
    method = payments.named(state, str(method_id)) if method_id else _line("your_method")
    key = "you_pay" if difference > 0 else "you_get" if difference < 0 else "no_difference"
    return "say_exchange", {"order_id": order.order_id, "changes": "\n".join(f"  - {c}" for c in lines),
                            "outcome": _line(key, amount=money(abs(difference)), method=method)}


def _total(frame: Frame, state: ConversationState) -> tuple[str, dict]:
    order_list = loaded(frame)
    text = context.words(frame)
    if len(order_list) == 1 and mentions_of(order_list[0], text) and not EVERY.search(text):
        order = order_list[0]
        chosen = _chosen_items(order, frame, state) or [i.item_id for i in order.items]
        items = _items_of(order, chosen)
        return "say_items_total", {"order_id": order.order_id, "amount": money(round(sum(i.price for i in items), 2)),
                                   "per_item": listing([f"{i.name} {money(i.price)}" for i in items])}
    paid = round(sum(t.amount for o in order_list for t in o.payment_history if t.transaction_type == "payment"), 2)
    back = round(sum(t.amount for o in order_list for t in o.payment_history if t.transaction_type == "refund"), 2)
    each = listing([_line("order_paid", order_id=o.order_id,
                          amount=money(round(sum(t.amount for t in o.payment_history
                                                 if t.transaction_type == "payment"), 2)))
                    for o in order_list])
    refunded = _line("refunded_part", refunded=money(back), net=money(round(paid - back, 2))) if back else ""
    key = "say_total_one" if len(order_list) == 1 else "say_total"
    return key, {"count": len(order_list), "amount": money(paid), "each": each, "refunded": refunded,
                 "order_id": order_list[0].order_id if order_list else ""}


def answer_of(frame: Frame, state: ConversationState) -> tuple[str, dict]:
    asked = kind(frame, state)
    if asked == "total":
        return _total(frame, state)
    order_list = loaded(frame)
    if not order_list:
        return "say_no_order", {}
    order = order_list[0]
    status = retail_orders.STATUS_WORDS.get(order.status, order.status)
    if order.status not in STATUSES[asked]:
        return f"say_not_{asked}", {"order_id": order.order_id, "status": status}
    if asked == "return":
        return "say_return", _return(order, frame, state)
    if asked == "cancel":
        return "say_cancel", _cancel(order, state)
    return _exchange(order, frame, state)


Answer = Literal["say_return", "say_cancel", "say_exchange", "say_need_changes", "say_items_total", "say_total",
                 "say_total_one", "say_not_return", "say_not_exchange", "say_not_cancel", "say_no_order"]


def which_answer(state: ConversationState) -> Answer:
    key, _ = answer_of(frame_of(state), state)
    return next(a for a in ANSWERS if a == key)


ANSWERS: tuple[Answer, ...] = ("say_return", "say_cancel", "say_exchange", "say_need_changes", "say_items_total",
                               "say_total", "say_total_one", "say_not_return", "say_not_exchange", "say_not_cancel",
                               "say_no_order")


def facts(frame: Frame, state: ConversationState) -> dict:
    if "load_orders" not in frame.results:
        return {}
    return answer_of(frame, state)[1]


SPEC = ProcessSpec(
    name="ask_amounts",
    description="A question about an amount: a return's or cancellation's refund, an exchange's price "
                "difference, a total spent",
    summary="your question about the amounts",
    offer="work out a refund, a price difference or a total",
    question=True,
    examples=(
        "how much would I get back if I return the backpack", "what refund would I get for returning it",
        "what would the refund be", "what's my refund for the return", "how much money do I get back",
        "what would the refund be for returning both items", "where does the refund go and how much is it",
        "what's the price difference for the exchange", "what do I have to pay for the exchange",
        "will I pay more or get money back for the new one", "would I owe extra for the new item",
        "what's the difference in price if I switch to the large one", "do I owe anything for the change",
        "what would I get back if I cancel", "what is refunded if I cancel the order",
        "how much did I spend on these two orders", "what's the total of all my orders",
        "what have I spent in total", "what did I pay for both orders together",
        "what do the kettle and the lamp cost together", "what's the total for those orders",
        "what did my orders cost altogether", "how much will i get back", "what will my refund be",
        "what would the exchange cost me", "what's the difference",
        "the refund goes back to the gift card, right", "the money goes back to my card right",
        "will the refund go to my paypal", "where does the money go", "does the refund go to the original card",
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the order the amount is about, e.g. #W1234567", ask="ask_order",
                 resolve=resolve_order, choices=order_choices),
        context.words_slot("the question, in the customer's words"),
    ),
    templates={
        "ask_order": "Which order do you mean?\n{choices}",
        "no_order_id": "None of your orders fits that question.",
        "say_return": "Returning {per_item} from order {order_id} would refund {amount}, to {method}.",
        "say_cancel": "Cancelling order {order_id} would refund {amount} to {method}, {when}.",
        "at_once": "at once",
        "in_days": "within 5 to 7 business days",
        "say_exchange": "For order {order_id}:\n{changes}\n{outcome}",
        "change": "{name}: {old} ({old_price}) -> {new} ({new_price})",
        "you_pay": "You would pay the difference of {amount}, with {method}.",
        "you_get": "You would get {amount} back, to {method}.",
        "no_difference": "The price is the same, so nothing is paid or refunded.",
        "your_method": "the payment method you choose",
        "say_need_changes": "Tell me which new options you'd like for {items}, and I'll work out the price "
                            "difference.",
        "the_items": "the items",
        "say_items_total": "From order {order_id}, {per_item} come to {amount} together.",
        "say_total": "You paid {amount} for these {count} orders: {each}.{refunded}",
        "say_total_one": "You paid {amount} for order {order_id}.{refunded}",
        "order_paid": "{amount} for {order_id}",
        "refunded_part": " Of that, {refunded} was refunded, so {net} in the end.",
        "say_not_return": "Order {order_id} is {status}; only delivered orders can be returned.",
        "say_not_exchange": "Order {order_id} is {status}; only delivered orders can be exchanged, and only pending "
                            "ones changed.",
        "say_not_cancel": "Order {order_id} is {status}; only pending orders can be cancelled.",
        "say_no_order": "I couldn't load that order just now.",
    },
    facts=facts,
)


def graph(services: Services) -> ProcessGraph:
    graph = (
        ProcessGraph(SPEC, services)
        .node("keep_words", context.keep_words, then="list_orders")
        .call_many("list_orders", retail_orders.list_calls, then="find_order")
        .node("find_order", find_order, then=needs_order)
        .collect("ask_order", "order_id", then="load_orders")
        .call_many("load_orders", load_calls, then="load_products")
        .call_many("load_products", product_calls, then="answer")
        .decide("answer", which_answer)
    )
    for key in ANSWERS:
        graph.say(key, key)
    return graph
