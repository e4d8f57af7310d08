"""Questions about the customer's orders: list them, find them by what they hold, where they go or their
status, and any detail of one or several: status, items with options and prices, where it ships, parcels
(tracking id, carrier, status, dates, who took it), payments and refunds, whether it can still be changed.

1. the question's words; the customer's orders, loaded now
2. which orders it is about: the ids named; else the ones that hold the products, go to the place or have
   the status named; else all of them when it asks about all ("list my orders"); else the order of the
   request it interrupted; else the only order, or all of them
3. their parcels, when the answer needs them
4. the answer: a line per order, with the details the question asks for (all of them for one order)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ...nodes.matching import has_phrase
from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import outputs_of
from ...nodes.templates import listing, money, render
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ...tools.backend.contracts import ShipmentResult
from ...tools.backend.models import Order, Shipment
from ..process import ProcessGraph
from ..retail import orders as retail_orders
from ..retail import payments
from ..retail.items import item_label, mentions_of
from . import context

Part = Literal["summary", "items", "ships_to", "parcels", "payments", "changeable"]

TOPICS: dict[Part, re.Pattern[str]] = {
    "items": re.compile(r"\b(items?|what(?:'s| is| was| did i \w+)? in|inside|contents?|what did i (?:order|buy|get)|"
                        r"products?|options?|holds?|contains?)\b", re.I),
    "ships_to": re.compile(r"\b(ships?|shipping|sent|going|deliver(?:ed|ing)?|goes|go|headed)\s+to\b|\baddress\b|"
                           r"\bdestination\b", re.I),
    "parcels": re.compile(r"\b(track(?:ing)?|parcels?|packages?|carriers?|courier|shipments?|in transit|left with|"
                          r"neighbou?r|arriv\w*|expected)\b|\bwhere(?:'s| is| are)\b|\bwhen (?:was|will|did|does)\b",
                          re.I),
    "payments": re.compile(r"\b(cards?|paypal|gift ?cards?|payment(?: method)?s?|paid|pay|charged|how much|amounts?|"
                           r"refund\w*|cost|spent|spend|total)\b", re.I),
    "changeable": re.compile(r"\b(?:change|modify|cancel|edit|update)\b|\bstill\b", re.I),
}
STATUS_ONLY = re.compile(r"\bstatus\b|\bshipped yet\b|\bgone out\b", re.I)
ALL = re.compile(r"\b(all|every|each|list|how many)\b|\b(?:my|the|your|of)\s+orders\b|\borders (?:do|did|have) i\b|"
                 r"\bwhat orders\b|\bany orders\b|\border history\b", re.I)
FINDING = re.compile(r"\b(which|any|list|all|how many|find|what orders|are there)\b", re.I)
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    r"\bpending\b|\bnot (?:yet )?shipped\b|\bhaven'?t shipped\b": ("pending", "pending (item modified)"),
    r"\bdelivered\b|\breceived\b": ("delivered",),
    r"\b(?:shipped|in transit|on (?:its|their|the) way|processed)\b": ("processed",),
    r"\bcancell?ed\b": ("cancelled",),
    r"\breturned\b|\breturn requested\b": ("return requested",),
    r"\bexchanged\b|\bexchange requested\b": ("exchange requested",),
}
STATE_CODE = re.compile(r"\b[A-Z]{2}\b")
# What was just talked about: "the return", "that order", "it"
THAT_ONE = re.compile(r"\b(?:the|that|this)\s+(?:return|exchange|cancell?ation|refund|order|change|changes)\b|"
                      r"\b(?:it|they)\b", re.I)
# "ships to New York": the place asked about, even if no order goes there
PLACE = re.compile(r"\b(?:ships?|shipping|sent|going|deliver\w*|goes|go|headed)\s+to\s+"
                   r"(?!(?:my|me|the|your|our|this|that|a|an|which|what|where|it)\b)([a-z][\w .'-]*?)\s*(?:[?.,!]|$|"
                   r"\b(?:or|and|please)\b)", re.I)
ZIP = re.compile(r"(?<![\d#W])\b\d{5}\b")


@dataclass(frozen=True)
class Scope:
    """The orders the question is about, and how they were picked."""
    kind: Literal["one", "all", "found", "none_found", "not_yours", "no_orders"]
    orders: list[Order] = field(default_factory=list)
    described: tuple[tuple[str, dict], ...] = ()  # ("hold", {"names": "Desk Lamp"}): how they were picked
    missing: str = ""          # an order id that is not the customer's


def listed(frame: Frame) -> list[Order]:
    return retail_orders.listed_orders(frame, "list_orders")


Filter = tuple[list[Order], tuple[str, dict] | None]


def _by_place(order_list: list[Order], text: str) -> Filter:
    lowered = text.lower()
    places = []
    for order in order_list:
        address = order.address
        if has_phrase(address.city.lower(), lowered):
            places.append(address.city)
        elif address.zip in ZIP.findall(text):
            places.append(address.zip)
        elif address.state in STATE_CODE.findall(text):
            places.append(address.state)
    named = set(places)
    if not named:
        asked = PLACE.search(text)
        # A place none of their orders goes to is still answered ("none ship to Boston") when it is written as a
        # name: "i hope this isn't going to be complicated" names no place.
        if asked is None or not asked.group(1)[:1].isupper():
            return [], None
        return [], ("go_to", {"place": asked.group(1).strip()})
    fitting = [o for o in order_list if named & {o.address.city, o.address.zip, o.address.state}]
    return fitting, ("go_to", {"place": listing(sorted(named))})


def _by_items(order_list: list[Order], text: str) -> Filter:
    fitting, names = [], []
    for order in order_list:
        found = mentions_of(order, text)
        if found:
            fitting.append(order)
            names += [order.items[i].name for _, indexes in found for i in indexes]
    if not fitting:
        return [], None
    return fitting, ("hold", {"names": listing(list(dict.fromkeys(names)))})


def _by_status(order_list: list[Order], text: str) -> Filter:
    wanted: list[str] = []
    for pattern, statuses in STATUS_FILTERS.items():
        if re.search(pattern, text, re.I):
            wanted += statuses
    if not wanted:
        return [], None
    words = listing(list(dict.fromkeys(retail_orders.STATUS_WORDS.get(s, s) for s in wanted)))
    return [o for o in order_list if o.status in wanted], ("are", {"status": words})


def scope(frame: Frame, state: ConversationState) -> Scope:
    order_list = listed(frame)
    if not order_list:
        return Scope("no_orders")
    text = context.words(frame)
    mine = {o.order_id: o for o in order_list}
    named = context.order_ids_in(text)
    if named:
        missing = [i for i in named if i not in mine]
        if missing:
            return Scope("not_yours", missing=missing[0])
        return Scope("one" if len(named) == 1 else "found", [mine[i] for i in named], described=(("named", {}),))
    picked, described = order_list, ()
    for narrow in (_by_items, _by_place, _by_status):
        if narrow is _by_status and not (FINDING.search(text) or ALL.search(text)):
            continue  # "has it shipped?" asks for a status; "which ones have shipped?" picks by it
        fitting, description = narrow(picked, text)
        if description is not None:
            picked, described = fitting, (*described, description)
    if described:
        if not picked:
            return Scope("none_found", described=described)
        if len(picked) == 1 and not FINDING.search(text):
            return Scope("one", picked)
        return Scope("found", picked, described=described)
    latest = retail_orders.by_description(text, order_list)
    if latest is not None and not ALL.search(text):
        return Scope("one", [mine[latest]])
    interrupted = context.context_slot(state, "order_id")
    if not ALL.search(text) and isinstance(interrupted, str) and interrupted in mine:
        return Scope("one", [mine[interrupted]])
    # "so both items are on the return?" right after "Done: the return for order #W… is requested": the order
    # the last reply was about, when it named just one
    shown = [i for i in dict.fromkeys(context.order_ids_in(context.latest_bot_text(state))) if i in mine]
    if THAT_ONE.search(text) and not ALL.search(text) and len(shown) == 1:
        return Scope("one", [mine[shown[0]]])
    if len(order_list) == 1:
        return Scope("one", order_list)
    return Scope("all", order_list)


def parts(frame: Frame, state: ConversationState) -> list[Part]:
    """The details the question asks for; for one order without a particular question, all of them."""
    text = context.words(frame)
    asked = [p for p, pattern in TOPICS.items() if pattern.search(text)]
    if asked:
        return asked
    if STATUS_ONLY.search(text):
        return []
    if scope(frame, state).kind == "one":
        return ["items", "ships_to", "parcels", "payments", "changeable"]
    return ["summary", "ships_to"]


def parcel_calls(frame: Frame, state: ConversationState) -> list[tuple[str, dict]]:
    if "parcels" not in parts(frame, state):
        return []
    ids = [t for o in scope(frame, state).orders for f in o.fulfillments for t in f.tracking_id]
    return [("get_shipment_status", {"tracking_id": t}) for t in dict.fromkeys(ids)]


def shipments(frame: Frame) -> dict[str, Shipment]:
    return {r.shipment.tracking_id: r.shipment for r in outputs_of(frame, "load_parcels", ShipmentResult) if r}


def _line(key: str, **values) -> str:
    return render(SPEC.templates, key, values)


def _parcel(tracking_id: str, shipment: Shipment | None) -> str:
    if shipment is None:
        return _line("parcel_unknown", tracking_id=tracking_id)
    if shipment.status == "delivered":
        key = "parcel_left_with" if shipment.left_with else "parcel_delivered"
    elif shipment.status == "in_transit":
        key = "parcel_in_transit" if shipment.expected_date else "parcel_in_transit_undated"
    else:
        key = "parcel_label"
    return _line(key, tracking_id=tracking_id, carrier=shipment.carrier, date=shipment.delivered_date or
                 shipment.expected_date or "", left_with=shipment.left_with or "")


def describe(order: Order, wanted: list[Part], state: ConversationState, parcels: dict[str, Shipment]) -> list[str]:
    lines: list[str] = []
    for part in wanted:
        if part == "summary":
            lines.append(_line("summary", items=retail_orders.item_summary(order)))
        elif part == "items":
            lines.append(_line("items", items=listing([f"{item_label(i)} at {money(i.price)}" for i in order.items])))
        elif part == "ships_to":
            lines.append(_line("ships_to", address=order.address.one_line()))
        elif part == "parcels":
            ids = [t for f in order.fulfillments for t in f.tracking_id]
            lines += [_parcel(t, parcels.get(t)) for t in ids] or [_line("no_parcels")]
        elif part == "payments":
            for payment in order.payment_history:
                key = "paid" if payment.transaction_type == "payment" else "refunded"
                lines.append(_line(key, amount=money(payment.amount),
                                   method=payments.named(state, payment.payment_method_id)))
        elif part == "changeable":
            lines.append(_line(f"changeable_{order.status}".replace(" ", "_").replace("(", "").replace(")", "")))
    return lines


def answer(frame: Frame, state: ConversationState) -> dict:
    found = scope(frame, state)
    wanted = parts(frame, state)
    parcels = shipments(frame)
    blocks = []
    for order in found.orders:
        status = retail_orders.STATUS_WORDS.get(order.status, order.status)
        lines = describe(order, wanted, state, parcels)
        if found.kind == "one":
            blocks.append(_line("one", order_id=order.order_id, status=status) +
                          "".join(f"\n  - {line}" for line in lines))
        else:
            blocks.append(_line("entry", order_id=order.order_id, status=status) +
                          "".join(f"\n    - {line}" for line in lines))
    totals = ""
    if "payments" in wanted and len(found.orders) > 1:
        paid = sum(t.amount for o in found.orders for t in o.payment_history if t.transaction_type == "payment")
        back = sum(t.amount for o in found.orders for t in o.payment_history if t.transaction_type == "refund")
        totals = "\n" + _line("totals", paid=money(round(paid, 2)), refunded=money(round(back, 2)))
    count = len(found.orders)
    # "2 of your orders hold the Kettle" / "1 of your orders holds the Kettle"
    number = "one" if count == 1 else "many"
    described = listing([_line(f"{key}_{number}", **values) for key, values in found.described])
    return {"blocks": "\n".join(blocks) + totals, "count": count,
            "orders_word": "order" if count == 1 else "orders", "described": described, "missing": found.missing}


Answer = Literal["say_one", "say_all", "say_found", "say_none_found", "say_not_yours", "say_no_orders"]
ANSWERS: dict[str, Answer] = {"one": "say_one", "all": "say_all", "found": "say_found", "none_found": "say_none_found",
                              "not_yours": "say_not_yours", "no_orders": "say_no_orders"}


def which_answer(state: ConversationState) -> Answer:
    return ANSWERS[scope(state["stack"][-1], state).kind]


SPEC = ProcessSpec(
    name="ask_orders",
    description="A question about their orders: list them, which holds an item or ships where, tracking, "
                "payments, refunds, whether it can still change",
    summary="your question about your orders",
    offer="answer a question about your orders",
    question=True,
    examples=(
        "can you list all my orders", "list all my orders with their status", "how many orders do I have",
        "which of my orders ships to New York", "which order has the kettle in it", "which order was the lamp in",
        "what's the tracking number", "what's the tracking number of my order", "which carrier is delivering it",
        "give me the tracking ids of my orders", "which card did each order use", "what did I pay with",
        "how did I pay for that order", "which payment method did I use for #W1234567",
        "where does that order ship to", "what address is that order going to",
        "was anything refunded on that order", "how much was refunded on it", "which of my orders are still open",
        "which of my orders are pending", "which of my orders have been delivered", "any of my orders in transit",
        "who was the parcel left with", "when was it delivered", "what's the expected delivery date",
        "which order was sent to my old address", "which carrier has my parcel", "find the order with the headphones",
        "what's the order number of the one with the yoga mat", "give me all my order numbers",
        "do I have any pending orders", "how many parcels was it sent in", "what's the status of each of my orders",
        "are both items on the return", "did the return go through", "is the order cancelled now",
        "has the exchange been requested", "is that order still pending",
    ),
    slots=(context.words_slot("the question, in the customer's words"),),
    templates={
        "one": "Order {order_id} is {status}.",
        "entry": "- {order_id}, {status}",
        "say_one": "{blocks}",
        "say_all": "You have {count} {orders_word}:\n{blocks}",
        "say_found": "{count} of your orders {described}:\n{blocks}",
        "say_none_found": "None of your orders {described}.",
        "say_not_yours": "I can't find order {missing} on your account.",
        "say_no_orders": "I don't see any orders on your account.",
        "named_one": "is the one you named",
        "named_many": "are the ones you named",
        "hold_one": "holds the {names}",
        "hold_many": "hold the {names}",
        "go_to_one": "ships to {place}",
        "go_to_many": "ship to {place}",
        "are_one": "is {status}",
        "are_many": "are {status}",
        "summary": "{items}",
        "items": "Items: {items}",
        "ships_to": "Ships to: {address}",
        "no_parcels": "Not sent yet, so there is no tracking number.",
        "parcel_delivered": "Parcel {tracking_id} ({carrier}): delivered on {date}",
        "parcel_left_with": "Parcel {tracking_id} ({carrier}): delivered on {date}, left with {left_with}",
        "parcel_in_transit": "Parcel {tracking_id} ({carrier}): in transit, expected on {date}",
        "parcel_in_transit_undated": "Parcel {tracking_id} ({carrier}): in transit",
        "parcel_label": "Parcel {tracking_id} ({carrier}): a label was created, but it was never sent",
        "parcel_unknown": "Parcel {tracking_id}: the carrier has no news of it yet",
        "paid": "Paid {amount} with {method}",
        "refunded": "Refunded {amount} to {method}",
        "totals": "In all: {paid} paid, {refunded} refunded.",
        "changeable_pending": "It hasn't shipped yet, so it can still be cancelled, and its address, payment "
                              "method or items can still be changed.",
        "changeable_pending_item_modified": "Its items were already changed, so it can't be changed or "
                                            "cancelled any more.",
        "changeable_processed": "It has shipped, so it can't be changed or cancelled any more; once it's delivered, "
                                "its items can be returned or exchanged.",
        "changeable_delivered": "It was delivered, so it can't be changed or cancelled, but its items can be "
                                "returned or exchanged.",
        "changeable_cancelled": "It was cancelled, so nothing more can be done with it.",
        "changeable_return_requested": "A return was requested for it, so it can't be changed any more.",
        "changeable_exchange_requested": "An exchange was requested for it, so it can't be changed any more.",
    },
    facts=answer,
)


def graph(services: Services) -> ProcessGraph:
    graph = (
        ProcessGraph(SPEC, services)
        .node("keep_words", context.keep_words, then="list_orders")
        .call_many("list_orders", retail_orders.list_calls, then="load_parcels")
        .call_many("load_parcels", parcel_calls, then="answer")
        .decide("answer", which_answer)
    )
    for key in ("say_one", "say_all", "say_found", "say_none_found", "say_not_yours", "say_no_orders"):
        graph.say(key, key)
    return graph
