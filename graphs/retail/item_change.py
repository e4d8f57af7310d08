"""What exchanging delivered items and changing a pending order's items share: the same
rules (each item to an available variant of the same product, all items at once, a payment
method for the difference that a gift card must cover), on orders of different status."""

from __future__ import annotations

from pydantic import JsonValue

from ...nodes.process_spec import Resolution, Resolver, SlotSpec, Unrecognised
from ...nodes.step import output_of, outputs_of
from ...nodes.templates import listing, money, numbered
from ...state.conversation import ConversationState, TraceEvent
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import ProductResult, UserResult
from ...tools.backend.models import Product
from . import orders, payments
from .items import (
    available_options,
    describe_changes,
    item_label,
    options_text,
    pick_items,
    pick_variants,
    price_difference,
)


def products(frame: Frame) -> dict[str, Product]:
    return {r.product.product_id: r.product for r in outputs_of(frame, "load_products", ProductResult) if r}


def product_calls(frame: Frame, state: ConversationState) -> list[tuple[str, dict]]:
    order = orders.the_order(frame)
    wanted = {i.product_id for i in order.items if i.item_id in frame.slots["items"]}
    return [("get_product_details", {"product_id": pid}) for pid in sorted(wanted)]


def items_resolver(new_ids_follow: bool) -> Resolver:
    """Which items of the order; `new_ids_follow`: the customer may give the new items' ids in the same words
    (an exchange or item change), so an id not in the order is not refused for that alone."""

    def resolve(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
        order = orders.the_order(frame)
        others = [o for o in orders.listed_orders(frame) if o.order_id != order.order_id]
        return pick_items(order, mention, elsewhere=others, new_ids_follow=new_ids_follow)

    return resolve


resolve_items = items_resolver(new_ids_follow=True)


def resolve_changes(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    if "load_products" not in frame.results:
        return Unrecognised()
    return pick_variants(orders.the_order(frame), frame.slots["items"], products(frame), mention)


def difference(frame: Frame) -> float:
    return price_difference(orders.the_order(frame), products(frame), frame.slots.get("changes") or [])


def resolve_payment(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    profile = output_of(frame, "load_profile", UserResult)
    if profile is None:
        return Unrecognised()
    methods = list(profile.user.payment_methods.values())
    owed = difference(frame)
    usable = [m for m in methods if m.source != "gift_card" or (m.balance or 0) >= owed]
    return payments.resolve(mention, usable, payments.original_method(orders.the_order(frame)),
                            not_allowed_reason=f"that gift card doesn't have enough balance to pay the "
                                               f"{money(owed)} difference", all_methods=methods,
                            current=frame.slots.get("payment_method"))


def payment_choices(frame: Frame, state: ConversationState) -> list[Choice]:
    profile = output_of(frame, "load_profile", UserResult)
    owed = difference(frame)
    methods = [m for m in profile.user.payment_methods.values()
               if m.source != "gift_card" or (m.balance or 0) >= owed]
    return payments.choices(methods, original_id=payments.original_method(orders.the_order(frame)))


def item_choices(frame: Frame, state: ConversationState) -> list[Choice]:
    return [Choice(value=i.item_id, label=item_label(i), aliases=(i.name,)) for i in orders.the_order(frame).items]


def slots(status: str, other: str, refusal: str) -> tuple[SlotSpec, ...]:
    """`status`: the orders this process is for; `other`: the status it hands over to the other process;
    `refusal`: why an order of any other status can't be used ("… only delivered orders can")."""
    return (
        SlotSpec("order_id", "order_id", "the order whose items change, e.g. #W1234567", ask="ask_order",
                 resolve=orders.resolver((status, other), refusal), choices=orders.order_choices((status, other)),
                 default=orders.only_one([status], otherwise=[other])),
        SlotSpec("items", "items", "every item to change, by name as the customer says it", ask="ask_items",
                 resolve=resolve_items, choices=item_choices, multiple=True, depends_on=("order_id",)),
        SlotSpec("changes", "item_changes", "the new options wanted for each item, in the customer's words",
                 ask="ask_changes", resolve=resolve_changes, depends_on=("items",)),
        SlotSpec("payment_method", "payment_method", "the payment method that pays or receives the price "
                 "difference (paypal, credit card, a gift card)", ask="ask_payment", resolve=resolve_payment,
                 choices=payment_choices),
    )


def facts(frame: Frame, state: ConversationState) -> dict:
    order = orders.maybe_order(frame)
    if order is None or order.order_id != frame.slots.get("order_id"):
        # an order assumed or described, not loaded yet: its status as listed
        listed = next((o for o in orders.listed_orders(frame) if o.order_id == frame.slots.get("order_id")), None)
        return {"status": orders.STATUS_WORDS.get(listed.status, listed.status)} if listed else {}
    values = {"status": orders.STATUS_WORDS.get(order.status, order.status)}
    chosen = frame.slots.get("items") or []
    if chosen and "load_products" in frame.results:
        catalogue = products(frame)
        # each chosen item as it is now, then what its product comes in (players asked "which one do I have?")
        shown = {i.product_id for i in order.items if i.item_id in chosen}
        now = {p: listing(list(dict.fromkeys(options_text(i.options) for i in order.items
                                             if i.product_id == p and i.item_id in chosen))) for p in shown}
        values["options"] = "\n".join(f"  - {catalogue[p].name}: {available_options(catalogue[p])} (yours: {now[p]})"
                                      for p in sorted(shown) if p in catalogue)
    if frame.slots.get("changes"):
        catalogue = products(frame)
        values["change_list"] = numbered(describe_changes(order, catalogue, frame.slots["changes"]))
        owed = difference(frame)
        values["difference"] = (f"You pay the difference of {money(owed)}" if owed > 0 else
                                f"You get {money(-owed)} back" if owed < 0 else "The price is the same")
        # The write names a payment method even when nothing is owed; asked so it doesn't sound like a charge.
        values["pay_for"] = "for the difference" if owed else "for this change (nothing will be charged)"
        # when no method can pay, what each gift card holds (players asked for it right after the refusal)
        customer = state.get("customer")
        cards = [m for m in customer.payment_methods.values() if m.source == "gift_card"] if customer else []
        values["gift_balances"] = "".join(f"; your {m.label(balance=False)} has {money(m.balance or 0)}"
                                          for m in cards)
    if frame.slots.get("payment_method"):
        values["method"] = payments.named(state, frame.slots["payment_method"])
    return values


def hand_over_to(process: str, summary: str):
    """The other item-change process takes over the frame with what was said (slots, the loaded order)."""

    def hand_over(state: ConversationState) -> dict:
        stack = list(state["stack"])
        me = stack.pop()
        counter = (state.get("frames_started") or 0) + 1
        # What was said comes along; the answers were to the other process's questions, so words it
        # cannot use are not "didn't catch that" here, only not yet asked for.
        successor = me.with_(frame_id=f"{counter}-{process}", process=process, step=None, status="active", said=[],
                             results={k: v for k, v in me.results.items() if k in ("load_order", "list_orders")},
                             summary=summary, answered=[])
        return {"stack": [*stack, successor], "frames_started": counter,
                "trace": [*(state.get("trace") or []), TraceEvent(event="started", process=process)]}

    return hand_over


def write_args(frame: Frame, state: ConversationState) -> dict:
    """The one write of an items change: every item with its new item, and who pays the difference."""
    return {"order_id": frame.slots["order_id"],
            "item_ids": [c["item_id"] for c in frame.slots["changes"]],
            "new_item_ids": [c["new_item_id"] for c in frame.slots["changes"]],
            "payment_method_id": frame.slots["payment_method"]}
