"""The question segments of the tasks with outputs (`evals/output_tasks.py`), one regular expression each:

    Ask for the tracking id of #W....
    Ask how many variants of <Product> are available.
    Ask the balance of gift_card_....
    Ask the total paid for #W... and #W....
    Ask the refund of returning #W...: <Product>; <Product>; ...
    Ask the price difference of changing #W...: <Product> {current} to {wanted}; ...
    Ask the cheapest available price of <Product>.
    Ask the refund of cancelling #W....
    Before confirming, ask the refund. | Before confirming, ask the price difference.
    Before confirming, ask for the tracking id of #W....

"Before confirming" questions are asked when the request before them is to be confirmed; a refund or
a price difference asked that way is about that request (its order, items or changes).
"""

from __future__ import annotations

import re

from .agenda import Cancel, Exchange, ModifyItems, Question, Return
from .customer import Customer, ParseError
from .template import DICT, ORDER, PRODUCT, RETURN_ITEM, literal_dict, structured_changes

QUESTIONS = {
    "tracking": re.compile(rf"(?P<mid>Before confirming, a|A)sk for the tracking id of (?P<order>{ORDER})\.\s*"),
    "variant_count": re.compile(rf"Ask how many variants of (?P<product>{PRODUCT}) are available\.\s*"),
    "gift_card_balance": re.compile(r"Ask the balance of (?P<pm>gift_card_\d+)\.\s*"),
    "orders_total": re.compile(rf"Ask the total paid for (?P<orders>{ORDER}(?: and {ORDER})+)\.\s*"),
    "return_refund": re.compile(rf"Ask the refund of returning (?P<order>{ORDER}): "
                                rf"(?P<items>(?:[^;{{}}]+?(?: {DICT})?; )+)\s*"),
    "change_difference": re.compile(rf"Ask the price difference of changing (?P<order>{ORDER}): "
                                    rf"(?P<changes>(?:[^;{{}}]+? {DICT} to {DICT}; )+)\s*"),
    "cheapest_price": re.compile(rf"Ask the cheapest available price of (?P<product>{PRODUCT})\.\s*"),
    "cancel_refund": re.compile(rf"Ask the refund of cancelling (?P<order>{ORDER})\.\s*"),
    "about_previous": re.compile(r"Before confirming, ask the (?P<what>refund|price difference)\.\s*"),
}


def parse_question(segment: str, customer: Customer, previous=None) -> Question | None:
    """The question of one segment, or None when the segment is not a question segment. `previous` is the
    request before it (what a "before confirming" question is about)."""
    for topic, pattern in QUESTIONS.items():
        m = pattern.fullmatch(segment)
        if m is None:
            continue
        if topic == "about_previous":
            return _about(m["what"], previous)
        return _question(topic, m, customer, previous)
    return None


def _question(topic: str, m: re.Match, customer: Customer, previous) -> Question:
    groups = m.groupdict()
    fields: dict = {"topic": topic}
    if groups.get("order"):
        fields["order_ids"] = [customer.order(m["order"]).order_id]
    if groups.get("orders"):
        fields["order_ids"] = [customer.order(o).order_id for o in re.findall(ORDER, m["orders"])]
    if groups.get("product"):
        fields["product"] = m["product"]
    if groups.get("pm"):
        method = customer.user.payment_methods.get(m["pm"])
        if method is None or method.source != "gift_card":
            raise ParseError(f"{m['pm']} is not one of {customer.user.user_id}'s gift cards")
        fields["payment_method_id"] = m["pm"]
    if topic == "return_refund":
        order = customer.order(m["order"])
        taken: list[int] = []
        fields["items"] = [customer.find_item(order, i["product"].strip(),
                                              literal_dict(i["options"]) if i["options"] else None, taken)
                           for i in RETURN_ITEM.finditer(m["items"])]
    if topic == "change_difference":
        order = customer.order(m["order"])
        fields["changes"] = structured_changes(m["changes"], order, customer)
        fields["pending"] = order.status == "pending"
    if (groups.get("mid") or "").startswith("Before"):
        _needs_confirmation(previous)
        fields["before_confirming"] = True
    return Question(**fields)


def _needs_confirmation(previous) -> None:
    if previous is None or isinstance(previous, Question):
        raise ParseError("'Before confirming, ask …' follows no request that is confirmed")


def _about(what: str, previous) -> Question:
    """A refund or a price difference asked at the confirmation of the request before it."""
    _needs_confirmation(previous)
    if what == "refund" and isinstance(previous, Return):
        return Question(topic="return_refund", order_ids=[previous.order_id], items=previous.items,
                        before_confirming=True)
    if what == "refund" and isinstance(previous, Cancel):
        return Question(topic="cancel_refund", order_ids=[previous.order_id], before_confirming=True)
    if what == "price difference" and isinstance(previous, (Exchange, ModifyItems)):
        return Question(topic="change_difference", order_ids=[previous.order_id], changes=previous.changes,
                        pending=isinstance(previous, ModifyItems), before_confirming=True)
    raise ParseError(f"'Before confirming, ask the {what}' does not fit a {previous.kind} request")
