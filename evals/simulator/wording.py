"""How the simulated customer words things: orders, items, new options, payment methods,
addresses, reasons, questions; plus the slips people make (typos, all lower case).

Everything is chosen by the conversation's random generator (`Voice.rng`), so the same seed
gives the same words. Names are a customer's own ("the kettle", "my PayPal", "the Visa ending
1234", "a white optical one"), never ids, except order numbers, which customers do quote.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence

from procall.tools.backend.models import Order, PaymentMethod, Product

from .agenda import Address, ItemChange, ItemRef, OrderHint, Question
from .customer import Customer
from .lexicon import GENERIC_HEADS

TYPO_RATE = 1 / 8
LOWER_RATE = 1 / 7
# Never touched by a typo: order ids, emails, numbers and anything with a digit, and a few short words.
PROTECTED = re.compile(r"#?W\d{7}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\S*\d\S*")
US_STATES = {"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
             "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
             "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
             "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
             "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
             "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
             "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
             "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
             "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
             "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
             "DC": "District of Columbia"}
# Option values that are words of every day: said with their option's name ("waterproof: yes").
PLAIN_WORDS = {"yes", "no", "none", "full", "half", "standard", "basic", "fixed", "manual", "custom", "plain",
               "light", "dark", "medium", "small", "large", "low", "high", "art", "fresh", "men", "women", "road",
               "gas", "electric", "camera", "laptop", "portable", "s", "m", "l", "xs", "xl", "xxl"}


class Voice:
    """The customer's way of speaking: phrase choices, typos and lower case, all from one seed."""

    def __init__(self, rng: random.Random, keep: Sequence[str] = ()):
        self.rng = rng
        self.keep = {w.lower() for w in keep}  # words never misspelt (the customer's own name)

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def finish(self, text: str, protect: Sequence[str] = ()) -> str:
        """The message as typed: now and then a typo in a longer word (never inside `protect`, e.g. an
        address, which must arrive as it is), sometimes all lower case."""
        if self.chance(TYPO_RATE):
            text = self.typo(text, protect)
        if self.chance(LOWER_RATE):
            kept = [(m.start(), m.end()) for phrase in protect for m in re.finditer(re.escape(phrase), text)]
            text = "".join(ch if any(a <= i < b for a, b in kept) else ch.lower() for i, ch in enumerate(text))
        return text

    def typo(self, text: str, protect: Sequence[str] = ()) -> str:
        blocked = [m.span() for m in PROTECTED.finditer(text)]
        for phrase in protect:
            blocked += [m.span() for m in re.finditer(re.escape(phrase), text)]
        words = [m for m in re.finditer(r"[A-Za-z]{5,}", text)
                 if m.group().lower() not in self.keep and not any(a < m.end() and m.start() < b for a, b in blocked)]
        if not words:
            return text
        m = self.rng.choice(words)
        w = m.group()
        i = self.rng.randrange(1, len(w) - 2)
        kind = self.rng.choice(("swap", "drop", "double"))
        if kind == "swap" and w[i] != w[i + 1]:
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        elif kind == "drop":
            w = w[:i] + w[i + 1:]
        else:
            w = w[:i] + w[i] + w[i:]
        return text[:m.start()] + w + text[m.end():]


# -- orders ----------------------------------------------------------------------------------


def order_words(order_id: str, voice: Voice) -> str:
    return voice.pick((f"order {order_id}", f"order {order_id}", f"my order {order_id}", order_id,
                       f"order {order_id[1:]}", f"order number {order_id}"))


def hint_words(hint: OrderHint, voice: Voice) -> str:
    """How a customer who doesn't know the number points to the order."""
    if hint.id_suffix:
        return voice.pick((f"the order ending in {hint.id_suffix}", f"my order, the number ends in {hint.id_suffix}",
                           f"the order whose number ends with {hint.id_suffix}"))
    names = [p.lower() for p in hint.products]
    things = names[0] if len(names) == 1 else " and ".join(names[:2])
    return voice.pick((f"the order with the {things}", f"my {things} order", f"the {things} order",
                       f"the order that had the {things} in it"))


def hint_answer(hint: OrderHint, voice: Voice) -> str:
    """Answering 'which order?' with the orders listed."""
    if hint.id_suffix:
        return voice.pick((f"The one ending in {hint.id_suffix}.", f"it's the one that ends in {hint.id_suffix}",
                           f"The number ends in {hint.id_suffix}, I think."))
    names = [p.lower() for p in hint.products]
    things = " and the ".join(names[:2])
    return voice.pick((f"The one with the {things}.", f"the {things} one", f"It's the order with the {things}."))


# -- items -----------------------------------------------------------------------------------


def product_words(name: str, order: Order | None, voice: Voice, plain: bool = False) -> str:
    """'electric kettle', or just 'kettle' when the order holds no other kind of kettle."""
    lower = name.lower()
    words = lower.split()
    if plain or order is None or len(words) < 2 or words[-1] in GENERIC_HEADS:
        return lower
    heads = Counter(n.lower().split()[-1] for n in {it.name for it in order.items})
    return words[-1] if heads[words[-1]] == 1 and voice.chance(0.4) else lower


def plural(words: str) -> str:
    if words.endswith(("s", "sh", "ch", "x")):
        return words if words.endswith("s") else words + "es"
    return words + "s"


def distinguishing(ref: ItemRef, order: Order) -> list[str]:
    """The option values that tell this item from the order's other items of the same product."""
    if not ref.options:
        return []
    others = [it.options for it in order.items if it.name == ref.product and it.item_id != ref.item_id]
    chosen, left = [], [o for o in others if o != ref.options]
    for k, v in ref.options.items():  # a person names just enough of them ('the stainless steel coffee maker')
        if any(o.get(k) != v for o in left):
            chosen.append(v)
            left = [o for o in left if o.get(k) == v]
        if not left:
            break
    return chosen


def item_phrases(refs: list[ItemRef], order: Order, voice: Voice, plain: bool = False) -> list[str]:
    """One phrase per item ('the kettle', 'the black gaming mouse'), in order; several items of one
    product make one phrase when they are all the order has of it ('both mugs', 'all three mugs').
    `plain`: the full product names."""
    wanted = Counter(r.product for r in refs)
    in_order = Counter(it.name for it in order.items)
    chosen = Counter(r.item_id for r in refs)
    copies = Counter(it.item_id for it in order.items)
    phrases, seen_products, seen_items = [], set(), set()
    for ref in refs:
        name = product_words(ref.product, order, voice, plain)
        n = wanted[ref.product]
        if n > 1 and n == in_order[ref.product]:  # every one of them
            if ref.product not in seen_products:
                seen_products.add(ref.product)
                lead = "both" if n == 2 else f"all {({3: 'three', 4: 'four'}).get(n, str(n))}"
                phrases.append(f"{lead} {plural(name)}")
            continue
        if ref.item_id in seen_items:
            continue
        seen_items.add(ref.item_id)
        values = distinguishing(ref, order)
        k = chosen[ref.item_id]
        if k > 1:
            phrases.append(f"{({2: 'two', 3: 'three'}).get(k, str(k))} of the {plural(name)}"
                           if k < copies[ref.item_id] else f"both {plural(name)}")
        elif values:
            phrases.append(voice.pick((f"the {' '.join(values)} {name}", f"the {name} in {', '.join(values)}",
                                       f"the {name} ({', '.join(values)})")))
        else:
            phrases.append(f"the {name}")
    return phrases


def join(parts: list[str], voice: Voice | None = None) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


# -- new options -----------------------------------------------------------------------------


def _values_by_option(product: Product) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for variant in product.variants.values():
        for option, value in variant.options.items():
            found.setdefault(value.lower(), set()).add(option)
    return found


def option_phrase(option: str, value: str, product: Product, voice: Voice, plain: bool = False) -> str:
    """One wanted option in words: 'white', 'size 12', 'a 9 bar pressure', 'waterproof: yes'."""
    if plain:
        return f"{option} {value}"
    owners = _values_by_option(product).get(value.lower(), set())
    if value.lower() in PLAIN_WORDS or len(owners) > 1:
        return voice.pick((f"{option}: {value}", f"{value} {option}", f"{option} {value}"))
    if option == "size" or value.isdigit():
        return f"{option} {value}"
    return voice.pick((value, value, value, f"{value} {option}", f"{option} {value}"))


def change_phrase(change: ItemChange, product: Product, order: Order, voice: Voice, with_item: bool = True,
                  explicit: bool = False, plain: bool = False) -> str:
    """'the coffee maker to a stainless steel, drip one with built-in grinder'. `explicit`: also the
    values of the options the customer doesn't mind, as the variant they want has them."""
    name = product_words(change.item.product, order, voice, plain)
    values = distinguishing(change.item, order)
    item = f"the {' '.join(values)} {name}" if values else f"the {name}"
    wanted = dict(change.wanted)
    if explicit and change.new_item_id in product.variants:
        current = next(it.options for it in order.items if it.item_id == change.item.item_id)
        target = product.variants[change.new_item_id].options
        wanted.update({k: v for k, v in target.items() if current.get(k) != v})
    if not wanted and change.asked_as:
        what = change.asked_as
    elif not wanted:
        what = voice.pick(("an identical replacement", "a new identical one", "the exact same one"))
    else:
        parts = [option_phrase(k, v, product, voice, plain) for k, v in wanted.items()]
        style = 0 if plain else voice.rng.randrange(3)
        if style == 0:
            what = f"{join(parts)}"
        elif style == 1:
            what = f"a {', '.join(parts)} one"
        else:
            what = f"one in {join(parts)}"
        free = [o for o in change.flexible if o not in wanted]
        if free:
            cheap = " (whichever is cheaper)" if change.cheapest else ""
            what += f", I don't mind the {join(free)}{cheap}"
    if not with_item:
        return what
    return voice.pick((f"{item} to {what}", f"{item} for {what}", f"{item}: {what}"))


# -- payment ---------------------------------------------------------------------------------


def payment_words(method: PaymentMethod, customer: Customer, voice: Voice) -> str:
    """'my PayPal', 'my credit card', 'the Visa ending 1234', 'my gift card', 'the gift card ending 5678'."""
    same_source = [m for m in customer.user.payment_methods.values() if m.source == method.source]
    if method.source == "paypal":
        return voice.pick(("PayPal", "my PayPal", "my paypal account", "paypal"))
    if method.source == "credit_card":
        brand = (method.brand or "credit").title() if method.brand else "credit"
        if len(same_source) == 1:
            return voice.pick(("my credit card", f"my {brand} card", f"the {brand}", "the credit card",
                               f"my {brand} ending in {method.last_four}"))
        return voice.pick((f"the {brand} ending in {method.last_four}", f"my card ending {method.last_four}",
                           f"the credit card ending in {method.last_four}"))
    number = method.id.rsplit("_", 1)[-1]
    if len(same_source) == 1:
        return voice.pick(("my gift card", "the gift card", "gift card", "my gift card balance"))
    return voice.pick((f"the gift card ending in {number[-4:]}", f"gift card {number}"))


# -- addresses -------------------------------------------------------------------------------


def address_words(address: Address, voice: Voice) -> str:
    state = address.state
    if state in US_STATES and voice.chance(0.3):
        state = US_STATES[state]
    parts = [address.address1, address.address2, address.city, f"{state} {address.zip}"]
    text = ", ".join(p for p in parts if p)
    return text + (", USA" if voice.chance(0.3) else "")


# -- reasons ---------------------------------------------------------------------------------

REASON_WORDS = {
    "no longer needed": ("I don't need it anymore", "I no longer need it", "it's no longer needed",
                         "I don't need it any more, to be honest", "I won't need it after all"),
    "ordered by mistake": ("I ordered it by mistake", "it was ordered by mistake", "I placed it by accident",
                           "I accidentally ordered it", "it was a mistake, I didn't mean to order it"),
}


def reason_words(reason: str, voice: Voice) -> str:
    return voice.pick(REASON_WORDS.get(reason, (reason,)))


# -- questions -------------------------------------------------------------------------------


def question_words(question: Question, customer: Customer, voice: Voice, plain: bool = False,
                   mid: bool = False) -> str:
    """The question as the customer asks it. `plain`: asked again, in the plainest words; `mid`: asked at
    the confirmation of the request it is about, which needs no naming ('how much would I get back?')."""
    v = voice
    if mid and question.topic != "tracking" and not plain:
        lead = v.pick(("Before I confirm, ", "Wait, before that: ", "Hold on. ", "One question first: ", ""))
        ask = v.pick({"return_refund": ("how much will I get back?", "how much would the refund be?",
                                        "what would I get back for that?"),
                      "cancel_refund": ("how much would I get back?", "how much will be refunded?",
                                        "what would the refund be?"),
                      "change_difference": ("what's the price difference?", "what's the difference in price?",
                                            "would I pay extra for that, or get money back? What's the "
                                            "difference?")}[question.topic])
        return lead + (ask if lead else _capital(ask))
    order = question.order_ids[0] if question.order_ids else ""
    if question.topic == "tracking":
        o = f"order {order}" if plain else order_words(order, v)
        lead = v.pick(("Before I confirm, ", "Wait, ", "Oh, and before that: ")) if mid else ""
        ask = v.pick((f"what's the tracking number of {o}?", f"can you give me the tracking number for {o}?",
                      f"could you tell me the tracking id of {o}?", f"what's the tracking number for {o}?"))
        if plain:
            ask = f"what is the tracking number of order {order}?"
        return lead + (ask if lead else _capital(ask))
    if question.topic in ("variant_count", "cheapest_price"):
        name = question.product.lower()
        if question.topic == "variant_count":
            if plain:
                return f"How many {name} options are available?"
            return v.pick((f"How many {name} options are available?", f"How many variants of the {name} are available?",
                           f"How many {plural(name)} do you have available?",
                           f"how many {name} options do you have in stock?"))
        if plain:
            return f"What's the cheapest available {name}?"
        return v.pick((f"What's the cheapest {name} you have available?", f"What's the cheapest available {name}?",
                       f"Which {name} is the least expensive one in stock?",
                       f"what's the cheapest {name} in stock?"))
    if question.topic == "gift_card_balance":
        method = customer.user.payment_methods[question.payment_method_id]
        cards = [m for m in customer.user.payment_methods.values() if m.source == "gift_card"]
        number = method.id.rsplit("_", 1)[-1]
        card = "my gift card" if len(cards) == 1 and not plain else f"gift card {number}"
        if plain:
            return f"What is the balance of {card}?"
        return v.pick((f"What's the balance of {card}?", f"How much is left on {card}?",
                       f"how much money is on {card}?", f"Can you tell me the balance on {card}?"))
    if question.topic == "orders_total":
        said = join(question.order_ids)
        if plain:
            return f"What is the total I paid for orders {said}?"
        return v.pick((f"How much did I spend on orders {said} together?", f"What's the total I paid for {said}?",
                       f"what did orders {said} cost me altogether?", f"How much did I pay for {said} in total?"))
    o = f"order {order}" if plain else order_words(order, v)
    known = customer.orders[order]
    if question.topic == "return_refund":
        items = join(item_phrases(question.items, known, v, plain=plain))
        if plain:
            return f"How much would I get back if I returned {items} from order {order}?"
        return v.pick((f"How much would I get back if I returned {items} from {o}?",
                       f"If I return {items} from {o}, what would the refund be?",
                       f"what refund would I get for returning {items} from {o}?"))
    if question.topic == "cancel_refund":
        if plain:
            return f"How much would I get back if I cancelled order {order}?"
        return v.pick((f"If I cancel {o}, how much do I get back?", f"How much would be refunded if I cancelled {o}?",
                       f"what would I get back if I cancel {o}?"))
    changes = [(item_phrases([c.item], known, v, plain=plain)[0],
                change_phrase(c, customer.products[_item_of(known, c.item.item_id).product_id], known, v,
                              with_item=False, plain=plain)) for c in question.changes]
    swaps = join([f"{item} for {what}" for item, what in changes])
    if plain:
        return f"What is the price difference if I exchange {swaps} in order {order}?"
    if question.pending:
        return v.pick((f"What would the price difference be if I switched {swaps} in {o}?",
                       f"If I swap {swaps} in {o}, what's the difference in price?",
                       f"would I pay more or less if I switched {swaps} in {o}? What's the difference?"))
    return v.pick((f"What's the price difference if I exchange {swaps} in {o}?",
                   f"If I swap {swaps} in {o}, how much would I pay or get back? What's the difference?",
                   f"what would the difference in price be to exchange {swaps} from {o}?"))


def _item_of(order: Order, item_id: str):
    return next(it for it in order.items if it.item_id == item_id)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
