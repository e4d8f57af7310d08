"""Matching what a customer says against names: "tshirt" for "T-Shirt", "the kettle", "ending in 66"."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz


def has_phrase(phrase: str, text: str) -> bool:
    return re.search(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", text) is not None


def too_short_for_typos(text: str) -> bool:
    """Under four letters there is too little to forgive typos in ("no" is not "notebook")."""
    return len(re.sub(r"[^a-z]", "", text.lower())) < 4


def squash(text: str) -> str:
    """Only the letters and digits, lower-cased: "T-Shirt" and "tshirt", "#W9962383" and "W9962383" alike."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@lru_cache(maxsize=8192)  # understanding tries every offered choice's aliases on the same text, more than once a turn
def alias_in(alias: str, lowered: str) -> bool:
    """`alias` named in the text: as words, or written together ("tshirt" for "T-Shirt"), or with a typo in a
    long word; a number alias must stand alone ("66" in "ending in 66")."""
    alias = alias.lower().strip()
    if len(alias) < 2:
        return False
    if alias.isdigit():
        return re.search(rf"(?<![\dw#]){alias}(?!\d)", lowered) is not None  # not inside "#W1005002"
    if has_phrase(alias, lowered):
        return True
    words = re.findall(r"[a-z0-9]+", lowered)
    target = squash(alias)
    joined = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)} | {w.rstrip("s") for w in words}
    if target in joined or target.rstrip("s") in joined:
        return True
    return len(target) >= 6 and any(len(w) >= 5 and fuzz.ratio(target, w) >= 88 for w in joined)


_ID = r"#?\s?W?(\d{7})"
_OWN = r"(?:(?:my|the|for|in|on|that|of|other|one|order)[\s,:]+)*"  # "as my other order, W1603792"
# Another order's address: "same as my other order W1603792", "the same address as #W1603792", "ship it to the
# address on order W1603792", "the address W1603792 already has", "use W1603792's address"; not "the address of
# order W1092119", which is the order to change. The id of each form is the first group that matched
# (`referenced_order`).
_TO = r"\b(?:to|use|using|with|take|copy)\s+(?:the\s+|whatever\s+|whichever\s+)?"
ANOTHER_ORDERS_ADDRESS = re.compile(
    rf"same\s+(?:\w+\s+){{0,2}}as\s+{_OWN}{_ID}"
    rf"|{_TO}(?:shipping\s+)?address\s+(?:(?:that|which)(?:'s|\s+is)\s+|is\s+|'s\s+)?(?:of|on|from|in|for)\s+{_OWN}{_ID}"
    rf"|\baddress\s+(?:that\s+)?{_OWN}{_ID}\s+(?:already\s+)?(?:has|had|uses|used|is going to|goes to|went to|"
    rf"ships to|shipped to|was (?:sent|shipped|delivered) to)\b"
    rf"|{_TO}(?:order\s+)?{_ID}(?:'s|s)\s+(?:shipping\s+)?address", re.I)

# Another order than the one in view: "…, and swap a smart watch on another", "my smart watch in another order",
# "a different order". Understanding reads such a clause as a request of its own; an "it" said with it points away
# from the order just shown.
ANOTHER_ORDER = re.compile(r"\b(?:on|from|in|for|with)\s+(?:an)?other(?:\s+(?:one|order))?\b|\b(?:an)?other\s+order\b|"
                           r"\b(?:different|separate)\s+order\b", re.I)

# The thing not meant among offered values: "my card instead of paypal", "no, not the card then, just leave it":
# the span from the negator to the end of the phrase names what is not picked.
NOT_MEANT = re.compile(r"\b(?:instead of|rather than|not (?:my|the|on|to|with|a|that|this))\b[^,.;]*", re.I)


def without_not_meant(text: str) -> str:
    return NOT_MEANT.sub(" ", text)
