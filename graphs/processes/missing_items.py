"""Missing items: the customer did not get everything they ordered.

1. which order: with one shipped order, assume it; with several, ask which
2. look at the fulfilment: was the order split into several shipments?
3. each shipment's delivery status: if any is still on its way, say when it is expected, and stop
4. all delivered: if a parcel was left with a neighbour, tell them where, and stop
5. which items are missing; is each in stock?
   - all in stock: offer to send them again
   - any out of stock: ask whether they want a refund, or to wait one week for the restock
6. list the details, get a yes, and open the claim
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import ProcessSpec, Resolution, Resolved, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of, outputs_of
from ...nodes.templates import listing, money
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import ClaimResult, ShipmentResult, StockResult
from ...tools.backend.models import Shipment, Stock
from ..retail import orders, payments
from ..retail.items import pick_items
from ..retail.process import RetailProcess

SHIPPED = ("processed", "delivered")
NOT_ELIGIBLE = "nothing can be missing from it: it hasn't shipped"
RESOLUTIONS = {
    "refund": ("refund", "money back", "reimburse", "my money"),
    # not a bare "wait": "wait, do you have it in black?" is no answer
    "wait_for_restock": ("wait for", "i'll wait", "i will wait", "i can wait", "rather wait", "happy to wait",
                         "restock", "back in stock", "when it's back", "when it is back", "wait a week",
                         "waiting", "hold it for me"),
}


def shipments(frame: Frame) -> list[Shipment]:
    return [r.shipment for r in outputs_of(frame, "track_parcels", ShipmentResult) if r is not None]


def stock(frame: Frame) -> list[Stock]:
    return [r.stock for r in outputs_of(frame, "check_stock", StockResult) if r is not None]


def items_in(frame: Frame, tracking_id: str) -> str:
    order = orders.the_order(frame)
    item_ids = next((f.item_ids for f in order.fulfillments if tracking_id in f.tracking_id), [])
    return listing([i.name for i in order.items if i.item_id in item_ids])


def resolve_items(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    order = orders.the_order(frame)
    others = [o for o in orders.listed_orders(frame) if o.order_id != order.order_id]
    return pick_items(order, mention, elsewhere=others)


def resolve_resolution(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    text = str(mention).lower()
    for value, words in RESOLUTIONS.items():
        if text == value or any(w in text for w in words):
            return Resolved(value)
    return Unrecognised()


def facts(frame: Frame, state: ConversationState) -> dict:
    values: dict = {}
    order = orders.maybe_order(frame)
    if order is not None:
        values["status"] = orders.STATUS_WORDS.get(order.status, order.status)
        values["parcels"] = len({t for f in order.fulfillments for t in f.tracking_id})
        missing = [i for i in order.items if i.item_id in (frame.slots.get("items") or [])]
        values["missing"] = listing([i.name for i in missing])
        values["is_are"], values["it_them"] = ("are", "them") if len(missing) > 1 else ("is", "it")
        values["amount"] = money(sum(i.price for i in missing))
        values["refund_to"] = payments.named(state, payments.original_method(order))
    on_the_way = [s for s in shipments(frame) if s.status != "delivered"]
    if on_the_way:
        s = on_the_way[0]
        values.update(tracking=s.tracking_id, carrier=s.carrier, expected=s.expected_date or "soon",
                      contents=items_in(frame, s.tracking_id))
    neighbour = [s for s in shipments(frame) if s.left_with]
    if neighbour:
        s = neighbour[0]
        values.update(tracking=s.tracking_id, left_with=s.left_with, delivered=s.delivered_date,
                      contents=items_in(frame, s.tracking_id))
    out = [s for s in stock(frame) if not s.in_stock]
    if out:
        values["restock"] = max(s.restock_date or "" for s in out) or "in about a week"
        values["out_of_stock"] = listing([i.name for i in order.items if i.item_id in {s.item_id for s in out}])
    resolution = frame.slots.get("resolution") or ""
    words = {k: values.get(k, "") for k in ("missing", "amount", "refund_to", "restock")}
    values["plan"] = {"reship": "send {missing} again at no cost",
                      "refund": "refund {amount} for {missing} to {refund_to}",
                      "wait_for_restock": "send {missing} as soon as it is back in stock (expected {restock})",
                      }.get(resolution, "").format(**words)
    values["outcome"] = {"reship": "{missing} will be sent again at no cost",
                         "refund": "{amount} for {missing} is refunded to {refund_to}",
                         "wait_for_restock": "{missing} will be sent as soon as it is back in stock (expected "
                                             "{restock})",
                         }.get(resolution, "").format(**words)
    return values


SPEC = ProcessSpec(
    name="missing_items",
    description="Items missing from a delivered order or a package that has not arrived",
    summary="the missing items",
    offer="sort out an item that's missing or a package that hasn't arrived",
    examples=(
        "an item is missing from my order", "I didn't receive everything I ordered", "my package never arrived",
        "part of my order is missing", "where is the rest of my order", "I only got one of the two items",
        "the box was missing the lamp", "I received my order but something's missing",
        "my delivery says delivered but I don't have it", "one item never showed up",
        "I'm still waiting for part of my order", "the kettle wasn't in the package",
        "my order is incomplete", "I got the parcel but the charger is missing",
        'my order never came',
        'never came',
        "didn't arrive",
        'something never arrived',
        'it says delivered but i never got it',
        "the package didn't come",
        "i'm missing an item",
        'one of my items is missing',
        'only part of my order arrived',
        "where's the rest of my stuff",
        'i never received the headphones',
        'my parcel is lost',
        "my stuff didn't show up",
        'half my order is missing',
        'the water bottle never came',
        'the headphones never came',
        'i never got the lamp',
        "the charger didn't come with my order",
        "my package didn't show up",
        'one item is missing from order #W1234567',
    ),
    slots=(
        SlotSpec("order_id", "order_id", "the order with missing items", ask="ask_order",
                 resolve=orders.resolver(SHIPPED, NOT_ELIGIBLE), choices=orders.order_choices(SHIPPED),
                 default=orders.only_one(SHIPPED)),
        SlotSpec("items", "items", "which items are missing (names as the customer says them)", ask="ask_items",
                 resolve=resolve_items, multiple=True, depends_on=("order_id",),
                 choices=lambda f, s: [Choice(value=i.item_id, label=i.name, aliases=(i.name,))
                                       for i in orders.the_order(f).items],
                 default=lambda f, s: ([orders.the_order(f).items[0].item_id]
                                       if len(orders.the_order(f).items) == 1 else None)),
        SlotSpec("resolution", "choice", "'refund' or 'wait_for_restock' for items out of stock",
                 ask="ask_resolution", resolve=resolve_resolution, depends_on=("items",),
                 choices=lambda f, s: [Choice(value="refund", label="a refund", aliases=RESOLUTIONS["refund"]),
                                       Choice(value="wait_for_restock", label="wait for the restock",
                                              aliases=RESOLUTIONS["wait_for_restock"])]),
    ),
    facts=facts,
    templates={
        "ask_order": "I'm sorry to hear that. Which order is it about?\n{choices}",
        "assumed_order_id": "I'm sorry to hear that. I'm looking at your order {order_id}.",
        "found_order_id": "I'm sorry to hear that. I'm looking at your order {order_id}.",
        "no_order_id": "I don't see any shipped orders on your account, so nothing can be missing yet.",
        "not_shipped": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "split": "Your order was sent in {parcels} separate packages.",
        "in_transit": "The package with {contents} (tracking {tracking}, {carrier}) is still on its way and is "
                      "expected on {expected}. It should arrive by then.",
        "neighbour": "The package with {contents} (tracking {tracking}) was delivered on {delivered} and left "
                     "with {left_with}. Could you check with them?",
        "ask_items": "Which items are missing?\n{choices}",
        "reship_offer": "{missing} {is_are} in stock, so I can send {it_them} again at no cost.",
        "ask_resolution": "{out_of_stock} is out of stock right now; it should be back on {restock}. Would you "
                          "like a refund, or to wait for the restock (about a week) and we send it then?",
        "confirm": "To confirm: for order {order_id}, I'll {plan}. Shall I go ahead (yes/no)?",
        "done": "Done (claim {claim_id}): {outcome}.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't open the claim: {error}.",
    },
)


def order_shipped(state: ConversationState) -> Literal["track_parcels", "not_shipped"]:
    return "track_parcels" if orders.the_order(frame_of(state)).status in SHIPPED else "not_shipped"


def deliveries(state: ConversationState) -> Literal["split", "where_now"]:
    order = orders.the_order(frame_of(state))
    return "split" if len({t for f in order.fulfillments for t in f.tracking_id}) > 1 else "where_now"


def where_now(state: ConversationState) -> Literal["in_transit", "neighbour", "ask_items"]:
    parcels = shipments(frame_of(state))
    if any(s.status != "delivered" for s in parcels):
        return "in_transit"
    if any(s.left_with for s in parcels):
        return "neighbour"
    return "ask_items"


def in_stock(state: ConversationState) -> Literal["reship_offer", "ask_resolution"]:
    return "ask_resolution" if any(not s.in_stock for s in stock(frame_of(state))) else "reship_offer"


def plan_reship(state: ConversationState) -> dict:
    frame = frame_of(state)
    return {"stack": [*state["stack"][:-1], frame.with_(slots={**frame.slots, "resolution": "reship"})]}


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=order_shipped)
        .not_eligible("not_shipped", "not_shipped")
        .call_many("track_parcels",
                   lambda f, s: [("get_shipment_status", {"tracking_id": t})
                                 for ff in orders.the_order(f).fulfillments for t in ff.tracking_id],
                   then=deliveries)
        .say("split", "split", then="where_now")
        .decide("where_now", where_now)
        .say("in_transit", "in_transit")
        .say("neighbour", "neighbour")
        .collect("ask_items", "items", then="check_stock")
        .call_many("check_stock",
                   lambda f, s: [("get_item_stock", {"item_id": i}) for i in dict.fromkeys(f.slots["items"])],
                   then=in_stock)
        .say("reship_offer", "reship_offer", then="plan_reship")
        .node("plan_reship", plan_reship, then="confirm")
        .collect("ask_resolution", "resolution", then="confirm")
        .confirm_and_write("open_claim", "report_missing_items",
                           lambda f, s: {"order_id": f.slots["order_id"], "item_ids": f.slots["items"],
                                         "resolution": f.slots["resolution"]},
                           done_extra=lambda f, s: {"claim_id": output_of(f, "open_claim", ClaimResult).claim.claim_id})
    )
