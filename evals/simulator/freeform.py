"""Free-form instructions (the dev tasks): general keyword rules, no task-specific phrases.

One segment of text yields one request:
- the intent from verbs (cancel > return > exchange > "refund", which means cancel for a pending
  order and return for a delivered one), or "keep everything" (no write);
- the order from its id (also without '#'), "the number ends in 66", or the products named
  (the customer's orders holding them, in a status the intent allows);
- items from product names (or "all the items"), new variants from option values named in the text
  (each value belongs to the nearest product named in its sentence), "don't care ... whichever is
  cheaper" frees an option and picks the cheapest available variant;
- behaviours: "before confirming, also return X", "change your mind and not exchange", "initially A,
  then change your mind: B", payment in words ("prefer paypal over GC", "website credit", "full refund").
"""

from __future__ import annotations

import re

from procall.tools.backend.models import Order

from .agenda import Cancel, ItemChange, ItemRef, NoChange, OrderHint, Return
from .customer import Customer, ParseError
from .lexicon import (
    ALL_ITEMS,
    ASK_OPTIONS,
    CANCEL,
    CHEAPEST,
    CONFIRM_CUE,
    DECLINE,
    DONT_CARE,
    EXCHANGE,
    FULL_REFUND,
    ID_SUFFIX,
    KEEP_ALL,
    ORDER_ID,
    OUT_OF_SCOPE,
    PAYMENT_UNDECIDED,
    PLACED,
    PREFER,
    RECEIVED,
    REFUND,
    RETURN,
    SWITCH,
    UNDECIDED,
    Mention,
    cancel_reason,
    has,
    normalize,
    option_value,
    payment_mentions,
    product_mentions,
    sentences,
    value_mentions,
)
from .template import CHANGE_ITEM, DICT, PRODUCT, items_change, literal_dict, resolve_change, structured_changes

STATUSES = {  # which orders an intent can be about
    "cancel": {"pending"}, "return": {"delivered"}, "exchange": {"pending", "delivered"},
    "refund": {"pending", "delivered"}, "keep": None,
}
CURRENT_THEN_WORDS = re.compile(rf"(?P<product>{PRODUCT}) (?P<current>{DICT}) to (?P<rest>[^{{}}]*)")


def parse_free(segment: str, customer: Customer) -> list:
    """The request a free-form segment asks for ([] when it only holds an out-of-scope ask)."""
    text = normalize(segment)
    intent = _intent(text)
    if intent is None:
        if any(has(p, text) for p in OUT_OF_SCOPE.values()):
            return []
        raise ParseError(f"no request found in {segment.strip()[:100]!r}")
    order, hint = _find_order(text, intent, customer)
    if intent == "keep":
        about = _unique(m.name for m in product_mentions(text, _names(order)))
        return [NoChange(order_id=order.order_id, about=about, ask_options=has(ASK_OPTIONS, text))]
    if intent == "refund":
        intent = "cancel" if order.status == "pending" else "return"
    if intent == "cancel":
        return [Cancel(order_id=order.order_id, order_hint=hint, reason=cancel_reason(text))]
    if intent == "return":
        return [_return(text, order, hint, customer)]
    return [_change(segment, text, order, hint, customer)]


def _intent(text: str) -> str | None:
    if has(KEEP_ALL, text) and not has(DECLINE, text):
        return "keep"
    for intent, pattern in (("cancel", CANCEL), ("return", RETURN), ("exchange", EXCHANGE), ("refund", REFUND)):
        if has(pattern, text):
            return intent
    return None


def _names(order: Order) -> list[str]:
    return _unique(item.name for item in order.items)


def _unique(values) -> list:
    return list(dict.fromkeys(values))


# -- which order -----------------------------------------------------------------------------


def _find_order(text: str, intent: str, customer: Customer) -> tuple[Order, OrderHint | None]:
    ids = re.findall(ORDER_ID, text)
    if ids:
        return customer.order(f"#W{ids[0]}"), None
    allowed = STATUSES[intent]
    candidates = [o for o in customer.orders.values() if allowed is None or o.status in allowed]
    suffix = re.search(ID_SUFFIX, text)
    if suffix:
        digits = suffix.group(1) or suffix.group(2)
        hint = OrderHint(id_suffix=digits)
        candidates = [o for o in candidates if o.order_id.endswith(digits)]
    else:
        products = _unique(m.name for m in product_mentions(text, customer.product_names()))
        if not products:
            raise ParseError("the instruction names no order (no id, id ending or product)")
        hint = OrderHint(products=products)
        held = {o.order_id: len(set(products) & set(_names(o))) for o in candidates}
        best = max(held.values(), default=0)
        candidates = [o for o in candidates if best and held[o.order_id] == best]
    if len(candidates) > 1:  # "you've received" vs "you've just placed" tells delivered from pending
        wanted = "delivered" if has(RECEIVED, text) else "pending" if has(PLACED, text) else None
        candidates = [o for o in candidates if o.status == wanted] or candidates
    if len(candidates) != 1:
        found = ", ".join(o.order_id for o in candidates) or "none"
        raise ParseError(f"cannot tell which order ({hint.model_dump(exclude_defaults=True)}): {found}")
    return candidates[0], hint


# -- payment ---------------------------------------------------------------------------------


def _payment(text: str, order: Order, customer: Customer) -> dict:
    """The payment fields of a request: an id, kind words ('prefer paypal over GC'), 'full refund'
    (the original method) or nothing (the order's own method, accepted when the agent proposes it)."""
    fields = {"order_payment_method_id": customer.order_method(order),
              "payment_undecided": has(PAYMENT_UNDECIDED, text)}
    ids = re.findall(r"\b(?:gift_card|paypal|credit_card)_\d+\b", text)
    mentions = payment_mentions(text)
    prefer = re.search(PREFER, text)
    if ids:
        return {**fields, "payment_method_id": ids[0], "payment_words": ids[0]}
    if mentions:
        after = [m for m in mentions if prefer and m.start > prefer.start()]
        chosen = after[0] if after else mentions[-1]
        rather = next((m.option for m in after[1:] if m.name != chosen.name), None)
        return {**fields, "payment_method_id": customer.method_of_source(chosen.name),
                "payment_words": chosen.option, "payment_rather_than": rather}
    if has(FULL_REFUND, text):
        return {**fields, "payment_method_id": customer.order_method(order), "payment_words": "full refund"}
    return fields


# -- return ----------------------------------------------------------------------------------


def _return(text: str, order: Order, hint: OrderHint | None, customer: Customer) -> Return:
    later_spans = [s for s in sentences(text) if has(CONFIRM_CUE, text[s[0]:s[1]])]
    mentions = product_mentions(text, _names(order))
    later = _unique(m.name for m in mentions if any(a <= m.start < b for a, b in later_spans))
    first = [n for n in _unique(m.name for m in mentions) if n not in later]
    taken: list[int] = []
    if has(ALL_ITEMS, text):  # the products named first, in the customer's order, then the rest
        named = [it for n in first for it in order.items if it.name == n]
        rest = [it for it in order.items if it not in named]
        items = [customer.find_item(order, it.name, dict(it.options), taken) for it in named + rest]
    else:
        items = [customer.find_item(order, name, None, taken) for name in first]
    if not items:
        raise ParseError(f"cannot tell which items of {order.order_id} to return")
    added = [customer.find_item(order, name, None, taken) for name in later]
    return Return(order_id=order.order_id, order_hint=hint, items=items, add_at_confirmation=added,
                  **_payment(text, order, customer))


# -- exchange / modify -----------------------------------------------------------------------


def _change(segment: str, text: str, order: Order, hint: OrderHint | None, customer: Customer):
    declined = has(DECLINE, text)
    first_choice: list[ItemChange] = []
    if CHANGE_ITEM.search(segment):  # "<Product> {current} to {wanted}" as in the template
        changes = structured_changes(segment, order, customer)
    elif m := CURRENT_THEN_WORDS.search(segment):  # "<Product> {current} to a green one"
        changes = [_current_then_words(m, order, customer, declined)]
    else:
        changes, first_choice = _word_changes(text, order, customer, declined)
    return items_change(order, "exchange", changes, customer, order_hint=hint, first_choice=first_choice,
                        decline_at_confirmation=declined, ask_options=has(ASK_OPTIONS, text),
                        **_payment(text, order, customer))


def _current_then_words(m: re.Match, order: Order, customer: Customer, declined: bool) -> ItemChange:
    current = literal_dict(m["current"])
    ref = customer.find_item(order, m["product"].strip(), current, [])
    product = customer.product_of(customer.item_at(order, ref))
    rest = normalize(m["rest"])
    wanted = {v.option: option_value(product, v.option, v.name) for v in value_mentions(rest, product)}
    if not wanted and not declined:
        raise ParseError(f"cannot tell what the {product.name} should become: {m['rest'][:60]!r}")
    change = resolve_change(ref, current, wanted, order, customer, required=not declined)
    words = re.sub(r"^(?:to\s+)+", "", rest.split(",")[0].strip())
    return change if wanted else change.model_copy(update={"new_item_id": None, "asked_as": words})


def _word_changes(text: str, order: Order, customer: Customer, declined: bool):
    """Changes read from option values in the words; before 'change your mind' is the first choice."""
    switch = None if declined else re.search(SWITCH, text)
    cut = switch.start() if switch else 0
    owned = _values_by_product(text, order, customer)
    topics = _topics(text, product_mentions(text, _names(order)))
    changes, first = [], []
    for item_index, values in owned.items():
        item = order.items[item_index]
        product = customer.product_of(item)
        ref = customer.find_item(order, item.name, dict(item.options), [])
        about = [sentence for sentence, names in topics if item.name in names]
        flexible = _flexible(text, values)
        final = _wanted(values, item.options, product, lambda v: v.start >= cut, flexible)
        if not final and not flexible:
            continue
        cheapest = any(has(CHEAPEST, s) for s in about)
        change = resolve_change(ref, item.options, final, order, customer, flexible, cheapest, required=not declined)
        changes.append(change.model_copy(update={"undecided": _undecided(about, product)}))
        if switch:
            early = _wanted(values, item.options, product, lambda v: v.start < cut, [])
            if early:
                first.append(_loose_change(ref, item.options, early, order, customer))
    if not changes:
        raise ParseError(f"cannot tell which item of {order.order_id} should change, or to what")
    return changes, first


def _values_by_product(text: str, order: Order, customer: Customer) -> dict[int, list[Mention]]:
    """Option values named in the text, each given to one item of the order: the nearest product named
    in the same sentence, else the product named last before it, else the only product having it."""
    names = _names(order)
    products = {n: customer.product_of(next(it for it in order.items if it.name == n)) for n in names}
    mentions = product_mentions(text, names)
    spans = sentences(text)
    owned: dict[int, list[Mention]] = {}
    candidates: dict[tuple[int, int], list[tuple[str, Mention]]] = {}
    for name, product in products.items():
        for v in value_mentions(text, product):
            candidates.setdefault((v.start, v.end), []).append((name, v))
    for (start, _end), options in sorted(candidates.items()):
        sentence = next((s for s in spans if s[0] <= start < s[1]), (0, len(text)))
        having = {name for name, _ in options}
        near = [m for m in mentions if m.name in having and sentence[0] <= m.start < sentence[1]]
        before = [m for m in mentions if m.name in having and m.start < start]
        if near:
            owner = min(near, key=lambda m: abs(m.start - start)).name
        elif before:
            owner = before[-1].name
        elif len(having) == 1:
            owner = next(iter(having))
        else:
            continue
        value = next(v for name, v in options if name == owner)
        index = _item_index(order, owner)
        owned.setdefault(index, []).append(value)
    return owned


def _item_index(order: Order, name: str) -> int:
    """The order's item of product `name` (the first one; the value words cannot tell copies apart)."""
    return next(i for i, it in enumerate(order.items) if it.name == name)


def _wanted(values: list[Mention], current: dict[str, str], product, keep, flexible: list[str]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for v in values:  # later mentions override earlier ones: the final decision counts
        value = option_value(product, v.option, v.name)
        if keep(v) and v.option not in flexible and current.get(v.option) != value:
            wanted[v.option] = value
    return wanted


def _flexible(text: str, values: list[Mention]) -> list[str]:
    """Options whose values are named in a "don't care / whichever" sentence."""
    spans = [s for s in sentences(text) if has(DONT_CARE, text[s[0]:s[1]])]
    return _unique(v.option for v in values if any(a <= v.start < b for a, b in spans))


def _topics(text: str, mentions: list[Mention]) -> list[tuple[str, set[str]]]:
    """Each sentence with the products it is about: those it names, else the one named last before it."""
    topics, last = [], set()
    for a, b in sentences(text):
        named = {m.name for m in mentions if a <= m.start < b}
        if named:
            last = {max((m for m in mentions if a <= m.start < b), key=lambda m: m.start).name}
        topics.append((text[a:b], named or last))
    return topics


def _undecided(about: list[str], product) -> list[str]:
    """Options named in an 'unsure / indecisive' sentence about this product."""
    options = _unique(o for v in product.variants.values() for o in v.options)
    unsure = [s for s in about if has(UNDECIDED, s)]
    return [o for o in options if any(re.search(rf"\b{re.escape(o.lower())}\b", s) for s in unsure)]


def _loose_change(ref: ItemRef, current: dict[str, str], wanted: dict[str, str], order: Order,
                  customer: Customer) -> ItemChange:
    """A first choice as the customer says it ('a 1L black one'): options they do not name may vary."""
    change = resolve_change(ref, current, wanted, order, customer, required=False)
    if change.new_item_id is None:
        free = [o for o in current if o not in wanted]
        change = resolve_change(ref, current, wanted, order, customer, free, cheapest=True, required=False)
    return change
