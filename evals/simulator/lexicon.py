"""Keyword lexicons and mention finders for the free-form instructions.

All matching runs on `normalize(text)` (lower case, '5-feet' -> '5 ft'), so offsets found here
refer to the normalized text. The lexicons are general English cues, not task-specific phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from procall.tools.backend.models import Product


def normalize(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"(\d+(?:\.\d+)?)\s*-?\s*(?:feet|foot)\b", r"\1 ft", text)
    return re.sub(r"(\d+)\s*-?\s*inch(?:es)?\b", r"\1 inch", text)


def has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of `text`."""
    spans, start = [], 0
    for m in re.finditer(r"[.!?;](?=\s|$)", text):
        spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


# -- intents and behaviours ------------------------------------------------------------------

ORDER_ID = r"(?<!\w)#?w(\d{7})\b"
ID_SUFFIX = r"\bends? (?:in|with) (\d{1,6})\b|\bending (?:in|with) (\d{1,6})\b"
CANCEL = r"\bcancel"
# "return" with an object: "return the skateboard", "return #W..."; not "when you return".
RETURN = r"\breturn(?:ing)? (?:the|it|them|all|my|your|this|that|these|those|both|an?|everything|order|#?w\d{7})\b"
EXCHANGE = r"\bexchange|\bswap\b|\breplace\b|\bchange (?:it|them|this|that) (?:to|for)\b|\bpicked the wrong\b"
REFUND = r"\brefund|\bnot (?:to )?receive\b|\bdon'?t want (?:it|the item|the order)"
KEEP_ALL = r"\bkeep (?:all|everything|the items|them|it)\b"
DECLINE = (r"(?:chang\w* (?:your|their|her|his) mind|decide)[^.]{0,60}?\bnot (?:to )?"
           r"(?:exchange|return|modify|change|cancel)")
SWITCH = r"chang\w* (?:your|their|her|his) mind"
CONFIRM_CUE = (r"before confirming|asks? (?:you )?for (?:a )?confirmation|before (?:you )?confirm"
               r"|asks? (?:you )?to confirm")
ALL_ITEMS = r"\ball (?:of )?(?:the |your )?items\b|\breturn the items\b|\beverything\b|\b(?:whole|entire) order\b"
DONT_CARE = r"don'?t care|do not care|doesn'?t matter|does not matter|\bwhichever\b"
CHEAPEST = r"\bcheaper\b|\bcheapest\b|less expensive|lower price"
ASK_OPTIONS = r"what (?:\w+ )?options|options (?:are )?available|which (?:\w+ )?options"
UNDECIDED = r"\bunsure\b|not sure|indecisive|undecided"
RECEIVED = r"\breceived?\b|\bdelivered\b|\barrived\b"
PLACED = r"\bjust placed\b|\bplacing\b|\bplaced\b"

MISTAKE = r"by mistake|accidental|mistaken|\bmistake\b|didn'?t mean to|wrong order"


def cancel_reason(text: str) -> str:
    """'ordered by mistake' when the words say so; otherwise 'no longer needed' (the default reason)."""
    return "ordered by mistake" if has(MISTAKE, text) else "no longer needed"


OUT_OF_SCOPE = {
    "unsubscribe": r"unsubscrib|marketing e-?mails",
    "coupon": r"\bcoupon|\bvoucher|promo code|discount code",
    "price_match": r"match(?:es|ing)? the price|price[- ]match",
    "troubleshoot": r"troubleshoot",
}
INSIST = r"\bsupervisor\b|\bmanager\b|\binsist"


# -- payment words ---------------------------------------------------------------------------

PAYMENT_SOURCES = (  # (pattern, source, how the customer says it)
    (r"\bpaypal\b", "paypal", "paypal"),
    (r"\bgift[- ]?cards?\b|\bgc\b", "gift_card", "gift card"),
    (r"\b(?:website|store|site) credit\b", "gift_card", "website credit"),
    (r"\bcredit[- ]?cards?\b", "credit_card", "credit card"),
)
FULL_REFUND = r"full refund|original payment|same payment method"
PREFER = r"\bprefer\b"
PAYMENT_UNDECIDED = r"unsure which payment|not sure which payment|information about the payment methods"


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str  # a product name, or an option value
    option: str | None = None  # the option a value belongs to


def payment_mentions(text: str) -> list[Mention]:
    """Payment kinds named in `text`, in text order (`name` is the source, `option` the words)."""
    found = [Mention(m.start(), m.end(), source, words)
             for pattern, source, words in PAYMENT_SOURCES for m in re.finditer(pattern, text)]
    return sorted(found, key=lambda m: m.start)


# -- products --------------------------------------------------------------------------------

GENERIC_HEADS = {"set", "kit", "machine", "camera", "maker"}


def product_aliases(names: list[str]) -> list[tuple[str, str]]:
    """(alias, product name), longest first: the full name, and its last word when no other of the
    customer's products shares it ('mouse' for Gaming Mouse, but not 'camera' with two cameras)."""
    aliases = [(n.lower(), n) for n in names]
    heads: dict[str, list[str]] = {}
    for n in names:
        heads.setdefault(n.lower().split()[-1], []).append(n)
    aliases += [(h, ns[0]) for h, ns in heads.items() if len(ns) == 1 and h not in GENERIC_HEADS and h != ns[0].lower()]
    return sorted(aliases, key=lambda a: -len(a[0]))


def product_mentions(text: str, names: list[str]) -> list[Mention]:
    """Mentions of the given products in `text` (plural forms too), non-overlapping, in text order."""
    taken: list[Mention] = []
    for alias, name in product_aliases(names):
        for m in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?:e?s)?(?![\w-])", text):
            if not any(m.start() < t.end and t.start < m.end() for t in taken):
                taken.append(Mention(m.start(), m.end(), name))
    return sorted(taken, key=lambda m: m.start)


# -- option values ---------------------------------------------------------------------------

# Values that are ordinary words too: they count only next to their option's name ("medium brightness").
GENERIC_VALUES = {"yes", "no", "none", "low", "medium", "high", "small", "large", "full", "half", "standard",
                  "s", "m", "l", "camera", "laptop", "light", "dark", "art", "fresh", "men", "women", "basic",
                  "expert", "fixed", "manual", "custom", "plain", "timer", "gas", "road"}


def value_mentions(text: str, product: Product) -> list[Mention]:
    """Option values of `product`'s variants named in `text`, each with the option it belongs to."""
    by_value: dict[str, set[str]] = {}
    for variant in product.variants.values():
        for option, value in variant.options.items():
            by_value.setdefault(value.lower(), set()).add(option)
    found: list[Mention] = []
    for value in sorted(by_value, key=len, reverse=True):
        options = by_value[value]
        for m in re.finditer(rf"(?<![\w.]){re.escape(value)}(?![\w])", text):
            if any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            near = text[max(0, m.start() - 25): m.end() + 25]
            named = [o for o in options if o.lower() in near]
            if value in GENERIC_VALUES or len(options) > 1:
                if len(named) != 1:
                    continue
                options = set(named)
            found.append(Mention(m.start(), m.end(), value, next(iter(options))))
    return sorted(found, key=lambda m: m.start)


def option_value(product: Product, option: str, value_lower: str) -> str:
    """The value as the product spells it ('Wi-Fi' for 'wi-fi')."""
    for variant in product.variants.values():
        value = variant.options.get(option)
        if value is not None and value.lower() == value_lower:
            return value
    return value_lower
