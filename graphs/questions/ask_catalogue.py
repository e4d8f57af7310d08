"""Questions about the catalogue (no identification needed): how many variants of a product are
available, which ones have an option ("which ones come in black?"), the cheapest or most expensive
available one, a comparison of two variants, or simply its variants with prices and availability.

1. the question's words; the product types, loaded now
2. which product: the one named; else the product of the items the interrupted request is about; else
   the one the customer named last; else asked (the products are listed)
3. the product, loaded now
4. the answer for what the words ask
"""

from __future__ import annotations

import re
from typing import Literal

from ...nodes.process_spec import ProcessSpec, Resolved, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of
from ...nodes.templates import money, render
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import ProductResult
from ...tools.backend.models import Product, Variant
from ..process import ProcessGraph
from ..processes.product_info import product_types, resolve_product
from ..retail import orders as retail_orders
from ..retail.items import available_options, options_text, wanted_options
from . import context

Topic = Literal["compare", "cheapest", "priciest", "count", "list"]
COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b", re.I)
CHEAPEST = re.compile(r"\b(cheapest|least expensive|lowest[- ]priced?|lowest price|most affordable|cheaper one)\b",
                      re.I)
PRICIEST = re.compile(r"\b(most expensive|priciest|highest[- ]priced?|highest price|dearest)\b", re.I)
COMPARE = re.compile(r"\b(compare|comparison|difference between|vs\.?|versus|cheaper|pricier|more expensive|"
                     r"less expensive|which is better)\b", re.I)
SIDES = re.compile(r"\b(?:or|vs\.?|versus|and|compared (?:to|with)|than|with)\b|,", re.I)
SHORT_LIST = 10  # a count is followed by the list when it is at most this long


def product_of(frame: Frame) -> Product | None:
    result = output_of(frame, "load_product", ProductResult)
    return result.product if result else None


def _interrupted_product(state: ConversationState) -> str | None:
    """The product the interrupted request is about: its product slot, or the one product of its items."""
    below = context.context_frame(state)
    if below is None:
        return None
    if isinstance(below.slots.get("product"), str):
        return str(below.slots["product"])
    order = retail_orders.maybe_order(below)
    chosen = below.slots.get("items")
    if order is None or not isinstance(chosen, list):
        return None
    products = {i.product_id for i in order.items if i.item_id in chosen}
    return products.pop() if len(products) == 1 else None


def find_product(state: ConversationState) -> dict:
    """The product the question is about, when it can be told without asking."""
    frame = frame_of(state)
    if "product" in frame.slots:
        return {}
    types = product_types(frame)
    found: str | None = None
    for text in (str(frame.mentions.get("product") or ""), context.words(frame)):
        resolution = resolve_product(text, frame, state) if text else None
        if isinstance(resolution, Resolved):
            found = str(resolution.value)
            break
    if found is None:
        found = _interrupted_product(state)
    if found is None:
        for text in context.earlier_customer_texts(state):
            resolution = resolve_product(text, frame, state)
            if isinstance(resolution, Resolved):
                found = str(resolution.value)
                break
    mentions = {k: v for k, v in frame.mentions.items() if k != "product"}
    slots = {**frame.slots, "product": found} if found in types.values() else frame.slots
    return {"stack": [*state["stack"][:-1], frame.with_(slots=slots, mentions=mentions)]}


def topic(frame: Frame) -> Topic:
    text = context.words(frame)
    product = product_of(frame)
    if product is not None and COMPARE.search(text) and len(_sides(product, text)) >= 2:
        return "compare"
    if CHEAPEST.search(text):
        return "cheapest"
    if PRICIEST.search(text):
        return "priciest"
    if COUNT.search(text):
        return "count"
    return "list"


def _sides(product: Product, text: str) -> list[dict[str, str]]:
    """The option sets the text compares ("the 8 inch or the 10 inch one"), one per side."""
    parts = [p for p in SIDES.split(context.for_options(text)) if p and p.strip()]
    sides = [wanted_options(product, {}, part) for part in parts]
    return [s for s in sides if s]


def _matching(product: Product, wanted: dict[str, str]) -> list[Variant]:
    return [v for v in product.variants.values() if all(v.options.get(k) == w for k, w in wanted.items())]


def _line(key: str, **values) -> str:
    return render(SPEC.templates, key, values)


def _variant(v: Variant) -> str:
    return _line("variant", options=options_text(v.options), price=money(v.price),
                 availability=_line("available" if v.available else "sold_out"))


def _side(product: Product, wanted: dict[str, str]) -> str:
    variants = _matching(product, wanted)
    if len(variants) == 1:
        return _variant(variants[0])
    if not variants:
        return _line("side_none", product=product.name, options=options_text(wanted))
    prices = sorted(v.price for v in variants)
    return _line("side_range", count=len(variants), options=options_text(wanted), low=money(prices[0]),
                 high=money(prices[-1]))


def answer(frame: Frame, state: ConversationState) -> dict:
    product = product_of(frame)
    if product is None:
        return {}
    text = context.words(frame)
    kind = topic(frame)
    values: dict = {"product": product.name, "options": available_options(product)}
    if kind == "compare":
        first, second = _sides(product, text)[:2]
        a, b = _matching(product, first), _matching(product, second)
        values["first"], values["second"] = _side(product, first), _side(product, second)
        verdict = ""
        if len(a) == 1 and len(b) == 1 and a[0].price != b[0].price:
            cheaper, dearer = sorted((a[0], b[0]), key=lambda v: v.price)
            verdict = "\n" + _line("cheaper", cheaper=options_text(cheaper.options),
                                   dearer=options_text(dearer.options),
                                   difference=money(round(dearer.price - cheaper.price, 2)))
        elif len(a) == 1 and len(b) == 1:
            verdict = "\n" + _line("same_price")
        elif a and b:  # several variants on a side: compare the lowest prices
            (low, low_side), (high, high_side) = sorted(((min(v.price for v in a), first),
                                                         (min(v.price for v in b), second)), key=lambda s: s[0])
            if low != high:
                verdict = "\n" + _line("cheaper_from", cheaper=options_text(low_side), dearer=options_text(high_side),
                                       low=money(low), high=money(high), difference=money(round(high - low, 2)))
        values["verdict"] = verdict
        return values
    wanted = wanted_options(product, {}, context.for_options(text))
    variants = _matching(product, wanted)
    available = [v for v in variants if v.available]
    values["filter"] = _line("filter", options=options_text(wanted)) if wanted else ""
    values["count"] = len(available)
    values["total"] = len(variants)
    values["options_word"], values["are"] = ("option", "is") if len(available) == 1 else ("options", "are")
    sold_out = len(variants) - len(available)
    values["sold_out"] = _line("sold_out_note", count=sold_out) if sold_out else ""
    if kind in ("cheapest", "priciest") and available:
        pick = min if kind == "cheapest" else max
        best = pick(available, key=lambda v: v.price)
        ties = [v for v in available if v.price == best.price]
        values["best"] = " and ".join(options_text(v.options) for v in ties)
        values["price"] = money(best.price)
    shown = available if kind == "count" else variants
    values["variants"] = "\n".join(f"  - {_variant(v)}" for v in sorted(shown, key=lambda v: v.price))
    return values


def which_answer(state: ConversationState) -> Literal["say_compare", "say_cheapest", "say_priciest", "say_count",
                                                      "say_count_long", "say_list", "say_none"]:
    frame = frame_of(state)
    product = product_of(frame)
    kind = topic(frame)
    if kind == "compare":
        return "say_compare"
    wanted = wanted_options(product, {}, context.for_options(context.words(frame))) if product else {}
    variants = _matching(product, wanted) if product else []
    available = [v for v in variants if v.available]
    if not variants or (kind in ("cheapest", "priciest") and not available):
        return "say_none"
    if kind == "cheapest":
        return "say_cheapest"
    if kind == "priciest":
        return "say_priciest"
    if kind == "count":
        return "say_count" if 0 < len(available) <= SHORT_LIST else "say_count_long"
    return "say_list"


SPEC = ProcessSpec(
    name="ask_catalogue",
    description="A question about a product: how many variants are available, which have an option, the "
                "cheapest, a comparison",
    summary="your question about our products",
    offer="answer a question about our products",
    question=True,
    requires_identity=False,
    examples=(
        "how many t-shirt options are available", "how many variants of the kettle are in stock",
        "how many colors does the backpack come in", "how many kinds of headphones do you have",
        "which ones come in black", "which of them come in black", "are any of them available in white",
        "any full-size clicky keyboards", "which keyboards have clicky switches", "which ones are in stock",
        "what's the cheapest t-shirt in stock", "what's the cheapest available office chair",
        "which is the least expensive water bottle", "what's the most expensive backpack you have",
        "which one is the priciest", "which tablet is cheaper, the 8 inch or the 10 inch",
        "compare the black and the white kettle", "what's the difference in price between the 1L and the 2L kettle",
        "is the leather one more expensive than the silicone one", "which is cheaper, the red or the blue one",
        "which of them is the cheapest", "what's the cheapest one", "how many of them are available",
    ),
    slots=(
        SlotSpec("product", "product", "the product asked about, by name", ask="ask_product",
                 resolve=resolve_product,
                 choices=lambda f, s: [Choice(value=pid, label=name) for name, pid in product_types(f).items()]),
        context.words_slot("the question, in the customer's words"),
    ),
    templates={
        "ask_product": "Which product do you mean? We sell:\n{choices}",
        "no_product": "I couldn't load our product list just now.",
        "variant": "{options}: {price}, {availability}",
        "available": "available",
        "sold_out": "sold out",
        "filter": " with {options}",
        "sold_out_note": " ({count} more sold out)",
        "side_none": "no {product} has {options}",
        "side_range": "{count} variants with {options}, from {low} to {high}",
        "cheaper": "The {cheaper} one is {difference} cheaper than the {dearer} one.",
        "same_price": "They cost the same.",
        "cheaper_from": "With {cheaper} the lowest price is {low}, {difference} less than with {dearer} (from {high}).",
        "say_compare": "{product}:\n  - {first}\n  - {second}{verdict}",
        "say_cheapest": "The cheapest available {product}{filter} is {best}, at {price}.",
        "say_priciest": "The most expensive available {product}{filter} is {best}, at {price}.",
        "say_count": "{count} {product} {options_word}{filter} {are} available{sold_out}:\n{variants}",
        "say_count_long": "{count} {product} {options_word}{filter} {are} available{sold_out}. The options are: "
                          "{options}.",
        "say_list": "{product}{filter}:\n{variants}",
        "say_none": "There is no available {product}{filter}. The available options are: {options}.",
    },
    facts=answer,
)


def graph(services: Services) -> ProcessGraph:
    graph = (
        ProcessGraph(SPEC, services)
        .node("keep_words", context.keep_words, then="list_products")
        .call("list_products", "list_all_product_types", lambda f, s: {}, then="find_product")
        .node("find_product", find_product, then="ask_product")
        .collect("ask_product", "product", then="load_product")
        .call("load_product", "get_product_details", lambda f, s: {"product_id": f.slots["product"]}, then="answer")
        .decide("answer", which_answer)
    )
    for key in ("say_compare", "say_cheapest", "say_priciest", "say_count", "say_count_long", "say_list", "say_none"):
        graph.say(key, key)
    return graph

