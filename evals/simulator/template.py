"""The train instructions' fixed template: one regular expression per segment kind.

The request part of a train instruction is a sequence of these segments (counted over the 500
train tasks):
    Cancel order #W... because <reason>.
    For #W..., change address to {...} (same as #W...).
    For #W..., change payment to <pm>.
    Return #W... via <pm>: <Product>[ {options}]; <Product>; ...
    For #W..., exchange|modify <Product> {current} to {wanted}; ...; via <pm>.
`to {}` means the same item again. Whether "exchange" is an exchange or a modify is decided by
the order's status (free-form instructions say "exchange" for pending orders too).

The tasks with outputs (`evals/output_tasks.py`) add question segments ("Ask the balance of
gift_card_...", "Before confirming, ask the refund."), read by `question_template.py`.
"""

from __future__ import annotations

import ast
import re

from .agenda import Address, Cancel, ChangeOrderAddress, ChangeOrderPayment, Exchange, ItemChange, ModifyItems, Return
from .customer import Customer, ParseError
from .lexicon import cancel_reason

PM = r"(?:gift_card|paypal|credit_card)_\d+"
ORDER = r"#W\d{7}"
DICT = r"\{[^{}]*\}"

# Where a question segment starts: only these exact phrases, so that free-form text never splits there.
QUESTION_START = (r"(?=\bAsk (?:for the tracking id of|how many variants of|the balance of|the total paid for|"
                  r"the refund of|the price difference of|the cheapest available price of) )|"
                  r"(?=\bBefore confirming, ask )")
# Where a segment starts; the request part of an instruction is split there.
SEGMENT_START = re.compile(rf"(?=\bFor {ORDER}, )|(?=\bCancel order {ORDER} )|(?=\bReturn {ORDER} via )|"
                           rf"{QUESTION_START}")

SEGMENTS = {
    "cancel": re.compile(rf"Cancel order (?P<order>{ORDER}) because (?P<reason>[^.]+)\.\s*"),
    "address": re.compile(rf"For (?P<order>{ORDER}), change address to (?P<address>{DICT})"
                          rf"(?: \(same as (?P<same>{ORDER})\))?\.\s*"),
    "payment": re.compile(rf"For (?P<order>{ORDER}), change payment to (?P<pm>{PM})\.\s*"),
    "return": re.compile(rf"Return (?P<order>{ORDER}) via (?P<pm>{PM}): (?P<items>(?:[^;{{}}]+?(?: {DICT})?; )+)\s*"),
    "change": re.compile(rf"For (?P<order>{ORDER}), (?P<verb>exchange|modify) "
                         rf"(?P<changes>(?:[^;{{}}]+? {DICT} to {DICT}; )+)via (?P<pm>{PM})\.\s*"),
}
RETURN_ITEM = re.compile(rf"(?P<product>[^;{{}}]+?)(?: (?P<options>{DICT}))?; ")
PRODUCT = r"[A-Z][\w-]*(?: [A-Z][\w-]*)*"  # product names are title-case words ('LED Light Bulb', 'T-Shirt')
CHANGE_ITEM = re.compile(rf"(?P<product>{PRODUCT}) (?P<current>{DICT}) to (?P<wanted>{DICT})[;,]")


def split_segments(body: str) -> list[str]:
    return [s for s in SEGMENT_START.split(body) if s.strip()]


def literal_dict(text: str) -> dict[str, str]:
    """A `{'k': 'v'}` of the template, read safely (never evaluated)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ParseError(f"unreadable options {text!r}") from exc
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ParseError(f"options are not a dict of strings: {text!r}")
    return value


def parse_segment(segment: str, customer: Customer):
    """The request of one template segment, or None when the segment is not in the template."""
    for kind, pattern in SEGMENTS.items():
        m = pattern.fullmatch(segment)
        if m:
            return _BUILDERS[kind](m, customer)
    return None


def _cancel(m: re.Match, customer: Customer) -> Cancel:
    customer.order(m["order"])
    return Cancel(order_id=m["order"], reason=cancel_reason(m["reason"].lower()))


def _address(m: re.Match, customer: Customer) -> ChangeOrderAddress:
    customer.order(m["order"])
    fields = literal_dict(m["address"])
    fields.pop("order_id", None)  # the template repeats the order id inside the address
    return ChangeOrderAddress(order_id=m["order"], address=Address(**fields), same_as_order=m["same"])


def _payment(m: re.Match, customer: Customer) -> ChangeOrderPayment:
    customer.order(m["order"])
    customer.payment_now[m["order"]] = m["pm"]
    return ChangeOrderPayment(order_id=m["order"], payment_method_id=m["pm"])


def _return(m: re.Match, customer: Customer) -> Return:
    order = customer.order(m["order"])
    taken: list[int] = []
    items = [customer.find_item(order, i["product"].strip(),
                                literal_dict(i["options"]) if i["options"] else None, taken)
             for i in RETURN_ITEM.finditer(m["items"])]
    return Return(order_id=order.order_id, items=items, payment_method_id=m["pm"], payment_words=m["pm"],
                  order_payment_method_id=customer.order_method(order))


def _change(m: re.Match, customer: Customer) -> Exchange | ModifyItems:
    order = customer.order(m["order"])
    changes = structured_changes(m["changes"], order, customer)
    return items_change(order, m["verb"], changes, customer, payment_method_id=m["pm"], payment_words=m["pm"])


def structured_changes(text: str, order, customer: Customer) -> list[ItemChange]:
    """Every `<Product> {current} to {wanted};` in `text`, resolved to item ids."""
    taken: list[int] = []
    changes = []
    for i in CHANGE_ITEM.finditer(text):
        current, wanted = literal_dict(i["current"]), literal_dict(i["wanted"])
        ref = customer.find_item(order, i["product"].strip(), current, taken)
        changes.append(resolve_change(ref, current, wanted, order, customer))
    return changes


def resolve_change(ref, current: dict[str, str], wanted: dict[str, str], order, customer: Customer,
                   flexible: list[str] = (), cheapest: bool = False, required: bool = True) -> ItemChange:
    """The change of item `ref` to the variant with `wanted` options; `required=False` lets a change the
    customer will decline anyway name a variant that does not exist."""
    product = customer.product_of(customer.item_at(order, ref))
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    variant = customer.variant_for(product, current, changed, list(flexible), cheapest)
    if variant is None and required:
        raise ParseError(f"{product.name} has no variant {({**current, **changed})}")
    return ItemChange(item=ref, wanted=changed, new_item_id=variant.item_id if variant else None,
                      flexible=list(flexible), cheapest=cheapest)


def items_change(order, verb: str, changes: list[ItemChange], customer: Customer, **fields) -> Exchange | ModifyItems:
    """An exchange (delivered order) or a modify (pending order): the status decides, not the verb."""
    if order.status == "delivered":
        cls = Exchange
    elif order.status == "pending":
        cls = ModifyItems
    else:
        cls = Exchange if verb == "exchange" else ModifyItems
    fields.setdefault("order_payment_method_id", customer.order_method(order))
    return cls(order_id=order.order_id, changes=changes, **fields)


_BUILDERS = {"cancel": _cancel, "address": _address, "payment": _payment, "return": _return, "change": _change}
