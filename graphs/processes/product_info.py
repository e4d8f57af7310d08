"""Product information: a product's variants, options, prices and availability.

1. which product (matched against the store's product types, typos forgiven)
2. its variants; if the customer named options ("in white?"), the variants that have them
"""

from __future__ import annotations

from pydantic import JsonValue
from rapidfuzz import fuzz
from rapidfuzz import process as fuzzy

from ...nodes.matching import too_short_for_typos
from ...nodes.process_spec import ProcessSpec, Resolution, Resolved, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...nodes.step import output_of
from ...nodes.templates import money
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ...tools.backend.contracts import ProductResult, ProductTypes
from ..process import ProcessGraph
from ..questions.context import context_frame
from ..retail import item_change, orders
from ..retail.items import _has_phrase, _tokens, options_text, wanted_options


def product_types(frame: Frame) -> dict[str, str]:
    result = output_of(frame, "list_products", ProductTypes)
    return result.product_types if result else {}


def resolve_product(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    types = product_types(frame)
    if not types:
        return Unrecognised()
    text = str(mention)
    if text in types.values():  # picked from the list
        return Resolved(text)
    named = [name for name in types if _has_phrase(name, text)]
    if not named:
        heads = {}
        for name in types:
            heads.setdefault(_tokens(name)[-1], []).append(name)
        named = [names[0] for head, names in heads.items() if len(names) == 1 and _has_phrase(head, text)]
    if not named and not too_short_for_typos(text):
        best = fuzzy.extractOne(text.lower(), {n: n.lower() for n in types}, scorer=fuzz.partial_ratio,
                                score_cutoff=90)
        named = [best[2]] if best else []
    if not named:
        named = _in_context(text, state, types)
    return Resolved(types[max(named, key=len)]) if named else Unrecognised()


def _in_context(text: str, state: ConversationState, types: dict[str, str]) -> list[str]:
    """"What colors does the glass one come in?" asked while exchanging a kettle and a lamp: the item of the
    interrupted request it fits (the one chosen, or the one whose product has the options the question names)."""
    frame = context_frame(state)
    order = orders.maybe_order(frame) if frame is not None else None
    if order is None:
        return []
    chosen = frame.slots.get("items") or []
    items = [i for i in order.items if i.item_id in chosen] or list(order.items)
    catalogue = item_change.products(frame)
    fitting = [i for i in items if i.product_id in catalogue and wanted_options(catalogue[i.product_id], {}, text)]
    names = {i.name for i in fitting} or ({i.name for i in items} if len({i.name for i in items}) == 1 else set())
    return [n for n in names if n in types] if len(names) == 1 else []


def facts(frame: Frame, state: ConversationState) -> dict:
    result = output_of(frame, "load_product", ProductResult)
    if result is None:
        return {}
    product = result.product
    wanted = wanted_options(product, {}, str(frame.slots.get("question", "")))
    variants = [v for v in product.variants.values() if all(v.options.get(k) == w for k, w in wanted.items())]
    lines = [f"  - {options_text(v.options)}: {money(v.price)}, {'available' if v.available else 'sold out'}"
             for v in variants]
    return {"product": product.name, "variants": "\n".join(lines) or "  (none with those options)",
            "count": len(variants), "filter": f" with {options_text(wanted)}" if wanted else ""}


SPEC = ProcessSpec(
    name="product_info",
    description="Information about a product the store sells: variants, options, prices, availability",
    summary="looking up a product",
    offer="answer a question about one of our products",
    examples=(
        "what colors does the t-shirt come in", "do you have the kettle in white", "how much is the office chair",
        "what sizes are available for the running shoes", "is the gaming mouse available in wireless",
        "tell me about the backpack options", "what options are there for the bookshelf",
        "is the 1000ml water bottle in stock", "what's the price of the headphones", "which variants do you sell",
        "do you sell desk lamps", "what are the available options for the glass bookshelf",
        'what colors are available',
        'how much is the kettle',
        'do you have this in white',
        'what sizes do you have',
        'tell me about the skateboard options',
        'is the black laser mouse available',
        'what options does the tablet have',
        'what are the prices of the backpacks',
        'what glass bookshelf colors are there',
        'do you sell yoga mats',
        'is the 9 bar espresso machine available',
        'which variants are in stock',
        'got a question about a product',
        'i have a question about one of your products',
        'question about a product',
        'can you tell me about a product',
        'i want to know more about an item you sell',
    ),
    slots=(
        SlotSpec("product", "product", "the product the customer asks about, by name", ask="ask_product",
                 resolve=resolve_product,
                 choices=lambda f, s: [Choice(value=pid, label=name) for name, pid in product_types(f).items()]),
        SlotSpec("question", "text", "the options the customer asks about (e.g. 'white, 1.5L')", ask="ask_product"),
    ),
    facts=facts,
    templates={
        "ask_product": "Which product would you like to know about? We sell:\n{choices}",
        "no_product": "I couldn't load our product list just now.",
        "show": "{product}{filter}:\n{variants}",
    },
)


def keep_question(state: ConversationState) -> dict:
    """The words of the request stay with the frame: they say which options to show."""
    frame = state["stack"][-1]
    if "question" in frame.mentions:
        slots = {**frame.slots, "question": frame.mentions["question"]}
        frame = frame.with_(slots=slots, mentions={k: v for k, v in frame.mentions.items() if k != "question"})
    return {"stack": [*state["stack"][:-1], frame]}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .call("list_products", "list_all_product_types", lambda f, s: {}, then="keep_question")
        .node("keep_question", keep_question, then="ask_product")
        .collect("ask_product", "product", then="load_product")
        .call("load_product", "get_product_details", lambda f, s: {"product_id": f.slots["product"]}, then="show")
        .say("show", "show")
    )
