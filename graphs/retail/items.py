"""Items: which items of an order the customer means, and which variant they want instead.

The customer says "the kettle and both chairs" or "a white optical one instead of the black
mouse"; these functions find the order's items and the product's variants they refer to,
or say plainly why they can't.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pydantic import JsonValue
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from ...nodes import meaning
from ...nodes.process_spec import Rejected, Resolution, Resolved, Unrecognised
from ...nodes.templates import listing
from ...tools.backend.models import Order, OrderItem, Product, Variant
from .item_phrases import phrases
from .option_presence import feature_wishes

# "everything else the same" speaks of the options, not of the items
ALL_WORDS = re.compile(r"\b(all (?:of )?(?:the |my )?(?:items|of them|things|products)|everything(?!\s+else)|"
                       r"whole order|entire order|all items|all of it|every item|all of them)\b", re.I)
ANOTHER = re.compile(r"\b(both|two|another|other one|second one|the other)\b", re.I)
BOTH_WORDS = re.compile(r"\b(both|two of|2 of|two \w+s|each)\b", re.I)
# "exactly the same", "a fresh one of the same kind", "just like what I picked": the same variant again (an
# exchange or item change may give the very variant the customer has, when it is available).
# ("the same address as my other order", "same reason", "same card" are the same something else, not the same item)
SAME_WORDS = re.compile(r"\b(same(?!\s+(?:shipping\s+|delivery\s+)?(?:address|reason|order|card|payment|method|"
                        r"day|time|as\s+(?:my\s+)?(?:other\s+)?order))|identical|replacement|(?:new|fresh) one|"
                        r"no changes?|as it is|unchanged|"
                        r"like (?:what|the one|the ones) i (?:have|had|got|picked|ordered|chose)|like mine|"
                        r"what i (?:have|had|got) now)\b", re.I)
# "black, everything else the same", "rest the same", "keep the rest": the options not named stay as they are;
# a variant that changes one of them is not what was asked for.
KEEP_REST = re.compile(r"\b(?:(?:everything|all)\s+else\s+(?:(?:the\s+)?same|stays|as\s+(?:it\s+)?is|unchanged)"
                       r"|(?:the\s+)?rest\s+(?:(?:the\s+)?same|stays|as\s+(?:it\s+)?is|unchanged)"
                       r"|(?:keep|leave)\s+(?:the\s+rest|everything\s+else|all\s+else|the\s+other\s+options)"
                       r"|(?:same|unchanged)\s+otherwise|otherwise\s+(?:the\s+)?same)\b", re.I)
ITEM_ID = re.compile(r"\b\d{10}\b")
# One of several identical items: "just one of them", "either one, doesn't matter", "any of them"
ONE_OF = re.compile(r"\b(?:(?:just|only)\s+one|one of (?:them|those|these|the two)|either(?: one)?|any (?:one|of them)|"
                    r"a single one|doesn'?t matter|does not matter)\b", re.I)
INSTEAD = re.compile(r"\binstead of\b|\brather than\b", re.I)


@lru_cache(maxsize=8192)
def _norm(text: str) -> str:
    text = text.lower().replace("-", " ").replace("_", " ")
    text = re.sub(r"(\d)\s*(?:\"|''|inches|inch|in)\b", r"\1 inch", text)
    text = re.sub(r"(\d)\s*(?:feet|foot|ft)\b", r"\1 ft", text)
    text = re.sub(r"(\d)\s*(?:hours|hour|hrs|hr|h)\b", r"\1 hour", text)  # "6 hr battery" is "6 hours"
    text = re.sub(r"(\d(?:\.\d+)?)\s*(?:liters|litres|liter|litre|l)\b", r"\1l", text)
    # a clitic is part of its word: "it's" is not "it s" (size S), "don't" not "don t"
    text = re.sub(r"(?<=[a-z])['’](?:s|t|d|ll|re|ve|m)\b", "", text)
    text = re.sub(r"[^a-z0-9.%+ ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]  # watches, boxes
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # accessories
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _tokens(text: str) -> list[str]:
    return list(_token_tuple(text))


@lru_cache(maxsize=8192)
def _token_tuple(text: str) -> tuple[str, ...]:
    """Cached: the same names, options and message are tokenised many times while one message is read."""
    return tuple(_base(_singular(t.strip("."))) for t in _norm(text).split() if t.strip("."))


def _base(word: str) -> str:
    """A material's adjective is its noun ("wooden" is wood, "golden" gold, "metallic" metal): names, options and
    the customer's words all go through it, so a word cut too short ("garden") still matches itself."""
    if len(word) > 5 and word.endswith("en") and word[-3] not in "aeiou":
        return word[:-2]
    if word.endswith("llic"):
        return word[:-3]
    return word


def _same_word(a: str, b: str) -> bool:
    """`a` (from a name) is `b` (from the text): the same word, or a typo in a long word. Short words and
    numbers must match exactly ("back" is not "black", "5000mah" is not "10000mah", "umbrella" is not
    "sunbrella")."""
    if a == b:
        return True
    if len(a) < 6 or a[0] != b[:1] or abs(len(a) - len(b)) > 1 or any(c.isdigit() for c in a + b):
        return False
    if fuzz.ratio(a, b) >= 87:  # "speaker" and "sneaker" (86) are two words
        return True
    # two letters swapped ("capusle"): one slip of the fingers, though it moves two letters
    return DamerauLevenshtein.distance(a, b) == 1 and Levenshtein.distance(a, b) == 2


def _has_phrase(phrase: str, text: str) -> bool:
    """`phrase` in `text` as whole words, forgiving a typo in longer words."""
    return bool(_positions(phrase, text))


def _positions(phrase: str, text: str) -> list[int]:
    """Where the phrase stands in the text. In a name of several words one word may carry a typo even if
    it is short ("running shooes"), as long as another word is exact."""
    words, target = _tokens(phrase), _tokens(text)
    n = len(words)
    if not n:
        return []
    found = []
    for i in range(len(target) - n + 1):
        window = target[i:i + n]
        if all(_same_word(a, b) for a, b in zip(words, window, strict=True)):
            found.append(i)
        elif n > 1 and sum(a == b for a, b in zip(words, window, strict=True)) == n - 1 and all(
                a == b or _near_word(a, b) for a, b in zip(words, window, strict=True)):
            found.append(i)
    return found


def _near_word(a: str, b: str) -> bool:
    return len(a) >= 4 and a[0] == b[:1] and not any(c.isdigit() for c in a + b) and fuzz.ratio(a, b) >= 75


def options_text(options: dict[str, str]) -> str:
    return ", ".join(options.values())


def item_label(item: OrderItem) -> str:
    return f"{item.name} ({options_text(item.options)})"


# -- which items ---------------------------------------------------------------------------


def mentions_of(order: Order, text: str, by_meaning: bool = True, bare: bool = True) -> list[tuple[int, list[int]]]:
    """(token position, indexes of the order's items) for each product the text names; `by_meaning`: also
    in the customer's own words ("my sneakers"), where no name is spelled; `bare`: even a short answer with no
    "the" or "my" ("sneakers"), which among options may well be one ("tan")."""
    found: list[tuple[int, list[int]]] = []
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(order.items):
        by_name.setdefault(item.name, []).append(index)
    heads = [_tokens(name)[-1] for name in by_name]
    option_words = {w for it in order.items for option in it.options for w in _tokens(option)} - GENERIC_OPTION_WORDS
    tokens = _tokens(text)

    def as_name(positions: list[int], size: int) -> list[int]:
        # "a laptop compartment", "compartment: laptop" name the Laptop only as an option of the backpack
        return [p for p in positions if (p + size >= len(tokens) or tokens[p + size] not in option_words)
                and (p == 0 or tokens[p - 1] not in option_words)]

    for name, indexes in by_name.items():
        size = len(_tokens(name))
        positions = as_name(_positions(name, text), size)
        head = _tokens(name)[-1]
        if heads.count(head) == 1:  # "the kettle", "the fixed chair": the head alone, when no other product has it
            full = {p + size - 1 for p in positions}
            positions += [p for p in as_name(_positions(head, text), 1) if p not in full]
        if not positions:  # "tshirt", "t shirt", "headphone": compare without spaces
            squashed = _norm(name).replace(" ", "")
            positions = [i for i, t in enumerate(_tokens(text)) if fuzz.ratio(_singular(squashed), t) >= 88]
        if not positions and size == 1 and heads.count(head) == 1:
            # "the watch" for the Wristwatch, "the shelf" for the Bookshelf: the last part of a compound name
            positions = as_name([i for i, t in enumerate(tokens) if len(t) >= 4 and head != t and head.endswith(t)
                                 and sum(h.endswith(t) for h in heads) == 1], 1)
        if not positions and size > 1:
            # "the vacuum" for the Vacuum Cleaner, "the luggage" for the Luggage Set: a word of a longer name that
            # no other product of the order has (not a mere adjective: "the electric one" names nothing)
            others = {w for n in by_name if n != name for w in _tokens(n)}
            words = [w for w in _tokens(name)[:-1] if len(w) >= 4 and w not in others and w not in NAME_ADJECTIVES
                     and w not in option_words]
            positions = as_name([i for i, t in enumerate(tokens) if t in words], 1)
        for position in sorted(set(positions)):
            found.append((position, indexes))
    if by_meaning:
        found += _meant(order, text, {p for p, _ in found}, option_words, bare)
    return sorted(found)


# Words of product names that only describe ("Electric Kettle", "Smart Watch"): never a name on their own
NAME_ADJECTIVES = {"electric", "smart", "wireless", "portable", "digital", "mechanical", "indoor", "outdoor"}
PHRASE_BREAKS = {"and", "or", "nor", "but", "plus", "also", "then"}
# "the coffee machine", "my sneakers" name what they have; "a tan one" describes what they want
NOUN_STARTS = {"the", "my", "this", "that", "these", "those", "your", "our", "his", "her"}
NOUN_ENDS = {"on", "in", "of", "from", "for", "to", "with", "at", "by", "into", "instead", "because", "since",
             "which", "who", "as", "i", "im", "it", "is", "are", "was", "were", "please", "if", "so", "like"}
# Words that describe an item without naming what it is ("the black one", "a fresh one of the same kind")
NOT_NAMES = {"one", "ones", "same", "new", "fresh", "brand", "kind", "order", "item", "items", "thing", "things",
             "size", "bigger", "smaller", "larger", "different", "other", "another", "version", "model", "exact",
             "exactly", "identical", "replacement", "both", "all", "everything", "whole", "first", "second",
             "third", "last", "number", "instead", "too", "also", "again", "as", "well", "available"}


def _meant(order: Order, text: str, spelled: set[int], option_words: set[str], bare: bool
           ) -> list[tuple[int, list[int]]]:
    """Items named in the customer's own words ("my sneakers", "the coffee machine"), found by meaning in the
    short noun phrases where spelling found no item name. A phrase counts only if it clearly means one of the
    order's products (`meaning.closest`)."""
    chunks = re.split(r"[,;:!?]|(?<!\d)\.(?!\d)", text)
    pieces = [_tokens(chunk) for chunk in chunks]
    if [t for piece in pieces for t in piece] != _tokens(text):
        return []  # the parts don't line up with the text's words: no positions to give
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(order.items):
        by_name.setdefault(item.name, []).append(index)
    names = list(by_name)
    # the words as written ("sneakers", not "sneaker"): the embeddings know the plural as customers say it
    words = [t.strip(".") for t in _norm(text).split() if t.strip(".")]
    if len(words) != len(_tokens(text)):
        return []
    found: list[tuple[int, list[int]]] = []
    start = 0
    for piece in pieces:
        phrase: list[int] = []
        for offset, token in enumerate([*piece, "and"]):
            if token not in PHRASE_BREAKS:
                phrase.append(start + offset)
                continue
            if phrase and not spelled & set(phrase):
                found += [(at, by_name[names[k]])
                          for at, k in _noun_phrases(phrase, words, names, option_words, bare and len(words) <= 3)]
            phrase = []
        start += len(piece)
    return found


def _noun_phrases(phrase: list[int], written: list[str], names: list[str], option_words: set[str], bare: bool
                  ) -> list[tuple[int, int]]:
    """(position, index of the name) for the noun phrases of a phrase that clearly mean one of `names`: the
    words after "the", "my", … up to a preposition, or, if `bare`, the whole phrase ("sneakers")."""
    words = [written[i] for i in phrase]
    starts = [n + 1 for n, w in enumerate(words) if w in NOUN_STARTS]
    if not starts and bare and not {"a", "an"} & set(words):
        starts = [0]
    found = []
    for begin in starts:
        end = begin
        while end < len(words) and end - begin < 3 and words[end] not in NOUN_ENDS | NOUN_STARTS | {"a", "an"}:
            end += 1
        kept = [w for w in words[begin:end] if _singular(w) not in NOT_NAMES | option_words | GENERIC_OPTION_WORDS
                and w not in COLOR_WORDS and len(w) >= 3 and w.isalpha()]
        if not kept:
            continue
        index = meaning.closest(" ".join(kept), names)
        if index is not None:
            found.append((phrase[begin], index))
    return found


def pick_items(order: Order, mention: JsonValue, elsewhere: Iterable[Order] = (),
               new_ids_follow: bool = False) -> Resolution:
    """The item ids the customer means (duplicates allowed), in the order they said them.

    A list starting with item ids is a change to items already chosen: "also the lamp" adds,
    "not the lamp" / "without the lamp" removes, "just the shoes" narrows, "the backpack instead of
    the t-shirt" swaps.

    An item named that is not in this order (an item id, or a product of `elsewhere`, the customer's other
    orders) is refused with where it is, never dropped while the rest goes ahead. With `new_ids_follow`
    (an exchange or item change, where the text may give the new item's id) an unknown id counts only if it
    is another order's item or nothing else was picked."""
    values = mention if isinstance(mention, list) else [mention]
    in_order = {it.item_id for it in order.items}
    chosen = [str(v) for v in values if ITEM_ID.fullmatch(str(v)) and str(v) in in_order]
    texts = [str(v) for v in values if not (ITEM_ID.fullmatch(str(v)) and str(v) in in_order)]
    # An id alone next to the customer's words was chosen earlier ("also the lamp" carries the choice so far):
    # if the order has changed since, it is void, not something they named now.
    said = texts if all(ITEM_ID.fullmatch(t) for t in texts) else [t for t in texts if not ITEM_ID.fullmatch(t)]
    foreign = _not_in_order(order, said, list(elsewhere), strict_ids=not new_ids_follow)
    unclear: list[str] = []
    if not chosen:  # a fresh choice, perhaps in two goes: "the t-shirt" … "both"
        texts = [" ".join(texts)] if texts else []
    for text in texts:
        new_part, old_part = _instead_of(text) if chosen and INSTEAD.search(text) else (text, "")
        if old_part and _named(order, old_part, [], [], among=chosen):
            # "the backpack instead of the t-shirt": what follows "instead of", to the end of its sentence, is
            # replaced ("white with AA batteries instead of rechargeable. and the espresso machine" replaces no item)
            chosen = _remove(chosen, _named(order, old_part, [], unclear, among=chosen))
            chosen += _named(order, new_part, chosen, unclear)
        else:
            chosen = _choose(order, text, chosen, unclear)
    if foreign and (foreign[1] or not chosen):
        return Rejected(foreign[0])
    if unclear:
        same = [item_label(it) for it in order.items if it.name in unclear]
        return Rejected(f"your order has more than one {listing(sorted(set(unclear)))} ({'; '.join(same)}); "
                        "tell me which one, or say both", hold=True, refusal=False)
    return Resolved(chosen) if chosen else Unrecognised()


def _instead_of(text: str) -> tuple[str, str]:
    """The text without what "instead of" governs, and what it governs (to the end of its sentence)."""
    before, after = INSTEAD.split(text, maxsplit=1)
    end = re.search(r"[.;!?]", after)
    governed = after[:end.start()] if end else after
    return f"{before} {after[len(governed):]}", governed


def _choose(order: Order, text: str, chosen: list[str], unclear: list[str]) -> list[str]:
    """The choice after the customer's words, read phrase by phrase: the items they name are added ("also the
    lamp"), are all of it ("just the notebook", "item 1 only"), or are taken out ("the watch is fine", "the
    makeup kit I'm keeping", "everything except the kettle", "not item 2").

    Once items are chosen, the customer mostly talks about options ("a tan one"), so an item named only by
    meaning can narrow or leave the choice but is never added to it."""
    said = phrases(text)

    def names(words: str, taken: list[str], notes: list[str]) -> list[str]:
        if not chosen:
            return _named(order, words, taken, notes)
        spelled = _named(order, words, taken, notes, by_meaning=False)
        return spelled + _named(order, words, taken + spelled, [], among=chosen)

    taken = " , ".join(p.text for p in said if p.way != "drop")
    if any(p.way == "only" and names(p.text, [], []) for p in said):
        picked = names(taken, [], unclear)
    else:
        picked = [*chosen, *_named(order, taken, chosen, unclear, by_meaning=not chosen)] \
            if taken.strip(" ,") else list(chosen)
    kept = " , ".join(p.text for p in said if p.way == "drop")
    if kept.strip(" ,") and picked:
        picked = _remove(picked, _named(order, kept, [], unclear, among=picked))
    return picked


def _not_in_order(order: Order, texts: list[str], elsewhere: list[Order], strict_ids: bool
                  ) -> tuple[str, bool] | None:
    """What the texts name that is not in the order, said for the customer, and whether it counts even
    next to items of the order (an id another order has, a product only another order has, or any unknown
    id when `strict_ids`); None if everything named is in the order."""
    text = " ".join(texts)
    in_order = {it.item_id for it in order.items}
    other_ids = {it.item_id: o.order_id for o in elsewhere for it in o.items}
    unknown = [i for i in dict.fromkeys(ITEM_ID.findall(text)) if i not in in_order]
    if unknown:
        where = sorted({other_ids[i] for i in unknown if i in other_ids})
        found = f"I can't find item {listing(unknown)} in order {order.order_id}" + (
            f" (it's in your order {listing(where)})" if where else "")
        return found, strict_ids or bool(where)
    names = {it.name for it in order.items}
    option_words = {w for it in order.items for value in it.options.values() for w in _tokens(value)}
    taken = option_words | {w for n in names for w in _tokens(n)}
    heads = [_tokens(it.name)[-1] for o in [order, *elsewhere] for it in o.items]
    products: dict[str, list[str]] = {}
    for other in elsewhere:
        for item in other.items:
            # "a laptop compartment" names an option of this order's backpack, not the other order's Laptop;
            # "Water Bottle" inside "Water Bottle Holder" names this order's item
            if item.name in names or set(_tokens(item.name)) <= taken:
                continue
            head = _tokens(item.name)[-1]
            # "the kettle" for the Electric Kettle, when no other product is a kettle and no word of this order's
            named = _has_phrase(item.name, text) or (
                len(head) >= 4 and head not in taken and heads.count(head) == 1 and _has_phrase(head, text))
            if named and other.order_id not in products.setdefault(item.name, []):
                products[item.name].append(other.order_id)
    if not products:
        return None
    where = sorted({o for ids in products.values() for o in ids})
    return (f"there's no {listing(sorted(products))} in order {order.order_id} (you ordered "
            f"{'it' if len(products) == 1 else 'them'} in {listing(where)})"), True


def _remove(chosen: list[str], gone: list[str]) -> list[str]:
    left = list(chosen)
    for item_id in gone:
        if item_id in left:
            left.remove(item_id)
    return left


def _named(order: Order, text: str, taken: list[str], unclear: list[str], among: list[str] | None = None,
           by_meaning: bool = True) -> list[str]:
    """Items the text names that are not already in `taken` (an item appearing twice can be named twice);
    with `among`, only those items are candidates (what to take out of a choice)."""
    used = _used(order, taken)
    if among is not None:
        used |= set(range(len(order.items))) - _used(order, among)
    picked: list[str] = []
    ids = [i for i in ITEM_ID.findall(text) if i in {it.item_id for it in order.items}]
    for item_id in ids:
        index = next((k for k, it in enumerate(order.items) if it.item_id == item_id and k not in used), None)
        if index is not None:
            used.add(index)
            picked.append(item_id)
    if ids:
        return picked
    if ALL_WORDS.search(text):
        return [it.item_id for k, it in enumerate(order.items) if k not in used]
    text = re.sub(r"[,;:]", " and ", text)  # commas part the items ("the black one, the kettle")
    mentions = mentions_of(order, text, by_meaning)
    named_here: set[int] = set()
    for position, indexes in mentions:
        free = [k for k in indexes if k not in used]
        if not free:
            continue
        if (set(indexes) & named_here or set(indexes) & used) and not ANOTHER.search(text):
            # Named again ("the steel kettle … the steel kettle to a glass one"): the same item, unless the
            # customer says another one; a twin is picked only if this mention describes it.
            again = _narrow(order, indexes, text, position)
            if len(again) != 1 or again[0] in named_here or again[0] in used:
                continue
            free = again
        named_here |= set(indexes)
        if len(free) > 1:
            narrowed = _narrow(order, free, text, position)
            positions = _positions_named(text, len(order.items))
            # "number 2": a place in the list shown, or, if that is another product, among these same ones
            named = [k for k in positions if k in narrowed] or [narrowed[p] for p in positions if p < len(narrowed)]
            if len(narrowed) > 1 and named:  # "the t-shirt … number 2": the position in the list shown
                narrowed = named
            if len(narrowed) > 1 and len({order.items[k].item_id for k in narrowed}) == 1 and (
                    ONE_OF.search(text) or (position > 0 and _tokens(text)[position - 1] in ("a", "an", "one"))):
                narrowed = narrowed[:1]  # two identical blenders: "a blender", "just one of them" is either one
            if len(narrowed) > 1 and not BOTH_WORDS.search(text):
                unclear.append(order.items[free[0]].name)
                continue
            free = narrowed if len(narrowed) == 1 else free
        for k in free:
            used.add(k)
            picked.append(order.items[k].item_id)
    if not mentions:  # "1 and 3", "the first and the last": positions in the list the question showed
        for position in _positions_named(text, len(order.items)):
            if position not in used:
                used.add(position)
                picked.append(order.items[position].item_id)
    return picked


def _used(order: Order, taken: list[str]) -> set[int]:
    used: set[int] = set()
    for item_id in taken:
        index = next((k for k, it in enumerate(order.items) if it.item_id == item_id and k not in used), None)
        if index is not None:
            used.add(index)
    return used


PLACE = re.compile(r"(?<![\d#w$.])\b([1-9])\b(?=\s*(?:,|and\b|or\b|only\b|&|\.(?!\d)|\)|$))")
ORDINAL_WORDS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}


def _positions_named(text: str, count: int) -> list[int]:
    lowered = text.lower()
    # "2", "number 2", "1 and 3" are places in the list; "4 hours" or "size 9" are not
    positions = [int(n) - 1 for n in PLACE.findall(lowered)]
    positions += [i for w, i in ORDINAL_WORDS.items() if re.search(rf"\b{w}\b", lowered)]
    if re.search(r"\blast (one|item)\b", lowered):
        positions.append(count - 1)
    return [p for p in dict.fromkeys(positions) if 0 <= p < count]


STOPS_RIGHT = {"to", "for", "into", "instead", "and", "also", "plus", "then", "but"}


def _narrow(order: Order, indexes: list[int], text: str, position: int | None = None) -> list[int]:
    """Same product twice: keep the ones whose options the text mentions, first those said right around
    the name ("the black toothbrush", "the toothbrush in black") rather than the wanted ones after "to"."""
    tokens = _tokens(text)
    windows = [text]
    if position is not None:
        size = len(_tokens(order.items[indexes[0]].name))
        left = position
        while left > 0 and position - left < 4 and tokens[left - 1] not in SEPARATORS:
            left -= 1
        right = position + size
        while right < len(tokens) and right - position - size < 3 and tokens[right] not in STOPS_RIGHT:
            right += 1
        windows.insert(0, " ".join(tokens[left:right]))
    for window in windows:
        scored = [(sum(1 for value in order.items[k].options.values() if _has_phrase(value, window)), k)
                  for k in indexes]
        best = max(h for h, _ in scored)
        if best > 0 and sum(1 for h, _ in scored if h == best) == 1:
            return [k for h, k in scored if h == best]
    return indexes


# -- which variant instead -------------------------------------------------------------------


def _option_values(product: Product) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for variant in product.variants.values():
        for name, value in variant.options.items():
            if value not in values.setdefault(name, []):
                values[name].append(value)
    return values


# Letter sizes said in words: "a large in black" is size L (unless "large" is itself one of the values).
SIZE_WORDS = {"xs": ("extra small",), "s": ("small",), "m": ("medium",), "l": ("large",),
              "xl": ("extra large", "x large"), "xxl": ("extra extra large", "2xl", "xx large")}
GENERIC_OPTION_WORDS = {"color", "colour", "type", "size", "material", "style", "level", "option"}


def wanted_options(product: Product, current: dict[str, str], text: str) -> dict[str, str]:
    """Option values the text asks for. When it names an old and a new value of the same option
    ("from black to white"), the new one is the value that differs from the current item's. A value two
    options share ("black" for frame and for lens) goes to the option named next to it ("black frame")."""
    values_of = _option_values(product)
    hits: dict[str, list[tuple[int, int, str]]] = {}
    own = _own_words(product, values_of)
    tokens = _tokens(text)
    for name, values in values_of.items():
        if {v.lower() for v in values} <= {"yes", "no"}:
            continue  # a bare "yes" or "no" answers; it names an option only next to it (option_presence)
        for value in values:
            # "red, not white": a value said with "not" before it is the one not wanted
            found = [(p, len(_tokens(value))) for p in _positions(value, text)
                     if not (p > 0 and tokens[p - 1] in ("not", "no", "non"))]
            found += [(p, n) for words in SIZE_WORDS.get(value.lower(), ()) for p in _positions(words, text)
                      for n in [len(_tokens(words))] if words not in {v.lower() for v in values}]
            for position, size in found or _loose_positions(value, text, own.get(value, set())):
                hits.setdefault(name, []).append((position, size, value))
    _settle_shared(hits, values_of, _tokens(text))
    wanted: dict[str, str] = {}
    for name, found in hits.items():
        if not found:
            continue
        new = [h for h in found if h[2] != current.get(name)]
        # A value that contains another ("5 ft" vs "15 ft"): keep the longest match at a place.
        wanted[name] = max(new or found, key=lambda h: (h[0], h[1]))[2]
    # "don't need to be waterproof", "no wifi": a feature named and denied (or wanted) decides its option,
    # over a value spelled inside the denial ("Wi-Fi" in "no wifi needed").
    wishes = feature_wishes(values_of, text)
    absent = {name: value for name, value in wishes.items() if value.lower() in ("no", "none")}
    return {**wishes, **wanted, **absent}  # a value the text spells wins, but not over a denial around it


def _own_words(product: Product, values_of: dict[str, list[str]]) -> dict[str, set[str]]:
    """For each value of several words, the words no other value of the product has ("75w" of "75W
    equivalent", "heather" and "grey" of "heather grey" when no colour is plain grey): naming one names the
    value. Bare numbers, short words and the product's own name are too weak to count."""
    values = [v for vs in values_of.values() for v in vs]
    count: dict[str, int] = {}
    for value in dict.fromkeys(values):
        for word in set(_tokens(value)):
            count[word] = count.get(word, 0) + 1
    name = set(_tokens(product.name))

    def strong(word: str) -> bool:  # "75w", "heather"; not "12", "aa"
        mixed = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        return not word.isdigit() and (len(word) >= 3 or mixed)

    return {value: {w for w in _tokens(value) if count[w] == 1 and w not in name and w not in GENERIC_OPTION_WORDS
                    and strong(w)}
            for value in values if len(_tokens(value)) > 1}


def _loose_positions(value: str, text: str, own: set[str]) -> list[tuple[int, int]]:
    """(position, size) where the text names a value not spelled out: run together or apart ("wifi" for
    "Wi-Fi", "soft cover" for "softcover"), or by a word only that value has ("the 75W one")."""
    tokens, words = _tokens(text), _tokens(value)
    squashed = "".join(words)
    found = [(i, 1) for i, t in enumerate(tokens) if len(words) > 1 and t == squashed]
    found += [(i, 2) for i in range(len(tokens) - 1) if len(words) == 1 and tokens[i] + tokens[i + 1] == squashed]
    return found or [(i, 1) for i, t in enumerate(tokens) if t in own]


def _settle_shared(hits: dict[str, list[tuple[int, int, str]]], values_of: dict[str, list[str]],
                   tokens: list[str]) -> None:
    """Where several options matched at one place, keep the option whose own word stands near it."""
    keywords = {name: [w for w in _tokens(name) if w not in GENERIC_OPTION_WORDS] for name in values_of}
    places: dict[int, list[str]] = {}
    for name, found in hits.items():
        for position, _, _ in found:
            places.setdefault(position, []).append(name)
    for position, names in places.items():
        if len(names) < 2:
            continue
        near = [n for n in names if any(w in tokens[max(0, position - 3):position + 4] for w in keywords[n])]
        if near:
            for name in set(names) - set(near):
                hits[name] = [h for h in hits[name] if h[0] != position]


def variant_for(product: Product, current: dict[str, str],
                wanted: dict[str, str]) -> tuple[Variant | None, list[Variant]]:
    """The available variant with the wanted options and otherwise the current ones; or, if there
    is none, the available variants that have the wanted options (to offer)."""
    target = {**current, **wanted}
    available = [v for v in product.variants.values() if v.available]
    exact = next((v for v in available if v.options == target), None)
    if exact is not None:
        return exact, []
    matching = [v for v in available if all(v.options.get(k) == val for k, val in wanted.items())]
    if len(matching) == 1:
        return matching[0], []
    # Closest to the current item among those with every wanted option.
    if matching:
        best = max(matching, key=lambda v: sum(v.options.get(k) == val for k, val in current.items()))
        ties = [v for v in matching if sum(v.options.get(k) == val for k, val in current.items())
                == sum(best.options.get(k) == val for k, val in current.items())]
        if len(ties) == 1:
            return best, []
        return None, ties
    return None, available


SEPARATORS = {"and", "also", "plus", "then"}


def _available_values(product: Product, option: str) -> list[str]:
    return sorted({v.options[option] for v in product.variants.values() if v.available and option in v.options})


# English auxiliaries and copulas, a closed class (with their "n't" forms as the text is normalised: "isn't" ->
# "isn"): "the color isn't working for me" says something about the colour, it names no colour.
AUXILIARIES = {"is", "isn", "was", "wasn", "are", "aren", "were", "weren", "be", "been", "do", "does", "doesn",
               "did", "didn", "don", "has", "hasn", "have", "haven", "had", "hadn", "will", "won", "would", "wouldn",
               "can", "cannot", "could", "couldn", "should", "shouldn", "must", "might", "may", "s", "looks", "seems"}
NOT_VALUES = {"order", "and", "or", "please", "option", "options", "instead", "to", "for", "of", "in", "on",
              "as", "the", "a", "an", "that", "this", "but", "too", "also", "then", "with", "same", *AUXILIARIES}


def _unknown_value(product: Product, text: str) -> str | None:
    """'size 10' when the product has no size 10: say which values there are."""
    for name, values in _option_values(product).items():
        # the word right after the option's name, in the same phrase ("a different color, order #W…" names none)
        match = next((m for phrase in re.split(r"[,;]", text)
                      if (m := re.search(rf"\b{re.escape(name)}\s+([a-z0-9.\-]+)", _norm(phrase)))), None)
        if match and match.group(1) not in NOT_VALUES and match.group(1) not in {_norm(v) for v in values}:
            offered = _available_values(product, name)
            return (f"the {product.name} doesn't come in {name} {match.group(1)}; the available {name}s are "
                    f"{listing(offered)}")
    return None


# Colours customers ask for by name. A colour the product does not come in is refused with the
# colours it has, rather than read as nothing at all ("a green one" for a kettle in white or black).
COLOR_WORDS = ("black", "white", "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "grey",
               "gray", "silver", "gold", "beige", "navy", "teal", "turquoise", "violet", "cream")


def _unknown_color(product: Product, current: dict[str, str], wanted: dict[str, str], text: str) -> str | None:
    """'a green one' when no colour option has green (and no other new colour was named): say which there are."""
    tokens = set(_tokens(text))
    for name, values in _option_values(product).items():
        if "color" not in name and "colour" not in name:
            continue
        if wanted.get(name) not in (None, current.get(name)):
            return None  # a colour it has was asked for; other colour words describe something else
        known = {t for v in values for t in _tokens(v)}
        asked = [c for c in COLOR_WORDS if c in tokens and c not in known]
        if asked:
            offered = _available_values(product, name)
            return f"the {product.name} doesn't come in {asked[0]}; the available {name}s are {listing(offered)}"
    return None


def segments(order: Order, item_ids: list[str], text: str) -> tuple[dict[int, str], str | None]:
    """Split the text into the part about each chosen item it names, and what it says before naming any
    (for the chosen items it doesn't name; None when it names none, so all of it is for every item).

    A part runs from the separator ("and", a comma) before its product's name to the separator before
    the next one, so the adjectives in front of a name stay with it ("a black backpack and a navy
    t-shirt"). When one product is named several times for several items ("the black t-shirt to red,
    and the blue t-shirt to green"), each part goes to the item whose current options it names. A text
    that names one item is all about it ("in red, the t-shirt"), but its words before that name may be
    about another ("size L, and the backpack in black"); "the phone in black, everything else the same"
    says nothing about the watch."""
    # Commas and sentence ends part the items' phrases: "bookshelf in brown, 6 ft. water bottle in black" gives
    # the 6 ft to the bookshelf (a decimal point, "1.5L", is no sentence end).
    words = re.sub(r"[,;!?]|\.(?=\s|$)", " and ", text)
    tokens = _tokens(words)
    chosen = [k for k, it in enumerate(order.items) if it.item_id in item_ids]
    marks = [(pos, [k for k in ks if k in chosen]) for pos, ks in mentions_of(order, words, bare=False)]
    marks = [(pos, ks) for pos, ks in marks if ks]
    described = _described_twins(order, chosen, tokens)
    if len({k for _, ks in described for k in ks}) > 1 and len({tuple(ks) for _, ks in marks}) < 2:
        marks = described  # "the green one in red, and the black one in blue": two speakers, each by its colour
    if not marks:
        return {}, None
    first = marks[0][0]
    rest = " ".join(tokens[:next((i for i in range(first - 1, -1, -1) if tokens[i] in SEPARATORS), 0)])
    if len(marks) < 2:
        return {k: text for k in marks[0][1]}, rest
    starts = [0]
    for n in range(1, len(marks)):
        previous, here = marks[n - 1][0], marks[n][0]
        starts.append(next((i for i in range(here - 1, previous, -1) if tokens[i] in SEPARATORS), here))
    pieces = [(ks, " ".join(tokens[starts[n]:starts[n + 1] if n + 1 < len(marks) else len(tokens)]),
               marks[n][0] - starts[n]) for n, (_, ks) in enumerate(marks)]
    parts: dict[int, str] = {}
    taken: set[int] = set()
    for ks, piece, at in pieces:
        if len(ks) > 1:  # the same product for several items: the piece belongs to the item it describes
            free = [k for k in ks if k not in taken] or ks
            described = _narrow(order, free, piece, at)  # "the fixed chair: …" describes by what's next to it
            ks = [described[0] if len(described) == 1 else free[0]]
        for k in ks:
            taken.add(k)
            parts[k] = f"{parts.get(k, '')} {piece}".strip()
    return parts, rest


def _described_twins(order: Order, chosen: list[int], tokens: list[str]) -> list[tuple[int, list[int]]]:
    """(position, [item]) where the text describes one of several chosen items of the same product by an option
    only it has now: "the green one", "the black speaker", "my black one"."""
    found: list[tuple[int, list[int]]] = []
    for k in chosen:
        item = order.items[k]
        twins = [j for j in chosen if j != k and order.items[j].name == item.name]
        if not twins:
            continue
        head = _tokens(item.name)[-1]
        own = [v for v in item.options.values() if all(v not in order.items[j].options.values() for j in twins)]
        for value in own:
            size = len(_tokens(value))
            for p in _positions(value, " ".join(tokens)):
                before = tokens[p - 1] if p > 0 else ""
                after = tokens[p + size] if p + size < len(tokens) else ""
                if before in ("the", "my", "that", "this") and after in ("one", head):
                    found.append((p, [k]))
    return sorted(found)


@dataclass(frozen=True)
class _Reading:
    """What one text says about one item: the new variant, or why there is none."""
    variant: Variant | None = None
    refusal: str | None = None


def _read(product: Product, item: OrderItem, part: str, earlier: dict[str, str] | None = None) -> _Reading | None:
    """The variant `part` asks for instead of `item`; None if it says nothing about it. `earlier`: the options
    an earlier answer asked for this item, which this one corrects or adds to ("intermediate, not beginner"
    after "500 pieces, art theme" keeps the 500 pieces and the art theme)."""
    wanted = wanted_options(product, item.options, part)
    same = bool(SAME_WORDS.search(part))
    if all(item.options.get(k) == v for k, v in wanted.items()) and not same:
        wanted = {}  # "my black t-shirt" names the item as it is, not a change to it
    if wanted and earlier:
        wanted = {**earlier, **wanted}
    color = _unknown_color(product, item.options, wanted, part)
    if color is not None:
        return _Reading(refusal=color)
    if not wanted and not same:
        named = _unknown_value(product, part)
        return _Reading(refusal=named) if named is not None else None
    current = product.variants.get(item.item_id)
    if not wanted and (current is None or not current.available):
        shown = "; ".join(f"{options_text(v.options)} (${v.price:,.2f})"
                          for v in [v for v in product.variants.values() if v.available][:8])
        return _Reading(refusal=f"the same {item.name} ({options_text(item.options)}) isn't available any more. "
                                f"Available: {shown}")
    variant, offers = variant_for(product, item.options, wanted)
    changed = {k: v for k, v in wanted.items() if item.options.get(k) != v}
    if variant is None and changed and len(changed) < len(wanted):
        # "the 5K black one … in 4K instead": "black" described the item they have; asked of the new one
        # only if a variant has it, the proposal then lists every option as it will be
        variant, offers = variant_for(product, item.options, changed)
    kept = {k: v for k, v in item.options.items() if k not in wanted}
    if variant is not None and KEEP_REST.search(part) and any(variant.options.get(k) != v for k, v in kept.items()):
        # the one variant with the wanted options changes others too: not what "the rest the same" asked for
        return _Reading(refusal=f"there is no available {item.name} with {options_text(wanted)} that keeps the rest "
                                f"as it is ({options_text(kept)}). Available with {options_text(wanted)}: "
                                f"{options_text(variant.options)} (${variant.price:,.2f})")
    if variant is None:
        shown = "; ".join(f"{options_text(v.options)} (${v.price:,.2f})" for v in offers[:8])
        return _Reading(refusal=f"there is no available {item.name} with {options_text(wanted) or 'that'} in place "
                                f"of your {options_text(item.options)}. Available: {shown}")
    return _Reading(variant=variant)


def pick_variants(order: Order, item_ids: list[str], products: dict[str, Product],
                  mention: JsonValue) -> Resolution:
    """For each item to change, the new item id, as a list of {"item_id", "new_item_id"} in item order.

    The mention may hold several answers (what was said before, held while an item's options were still
    missing, and the latest): each is read in turn, and a later one decides for the items it names. One that
    names none of the items is about those still without a new variant (or, if none is, about all)."""
    values = mention if isinstance(mention, list) else [mention]
    if values and all(isinstance(v, dict) and "new_item_id" in v for v in values):
        return Resolved(values)  # already resolved (a correction re-using earlier choices)
    texts = [str(v) for v in values if not isinstance(v, dict)]
    indexes: list[int] = []
    for item_id in item_ids:
        indexes.append(next(k for k, it in enumerate(order.items) if it.item_id == item_id and k not in indexes))
    readings: dict[int, _Reading] = {}
    asked: dict[int, dict[str, str]] = {}  # per item, the options its reading so far changes
    for earlier in (v for v in values if isinstance(v, dict) and "new_item_id" in v):
        # A change already resolved, now corrected ("no wait, stainless steel"): its options are kept
        index = next((k for k in indexes if order.items[k].item_id == earlier.get("item_id")), None)
        product = products.get(order.items[index].product_id) if index is not None else None
        variant = product.variants.get(str(earlier["new_item_id"])) if product is not None else None
        if variant is not None:
            readings[index] = _Reading(variant=variant)
            asked[index] = {k: v for k, v in variant.options.items() if order.items[index].options.get(k) != v}
    for text in texts:
        parts, rest = segments(order, item_ids, text)
        open_ = [k for k in indexes if readings.get(k, _Reading()).variant is None]
        for index in indexes:
            product = products.get(order.items[index].product_id)
            if index in parts:
                part = parts[index]
            elif rest is not None:
                part = rest
            elif index in open_:
                part = text
            elif not open_ and (len(indexes) == 1 or (product is not None and wanted_options(
                    product, order.items[index].options, text))):
                part = text  # every item has its variant: a text naming none corrects those it has options of
            else:
                continue
            item = order.items[index]
            reading = _read(product, item, part, asked.get(index)) if product is not None and part else None
            if reading is not None:
                readings[index] = reading
                if reading.variant is not None:
                    asked[index] = {k: v for k, v in reading.variant.options.items() if item.options.get(k) != v}
    changes = [{"item_id": order.items[k].item_id, "new_item_id": readings[k].variant.item_id}
               for k in indexes if k in readings and readings[k].variant is not None]
    refused = [readings[k].refusal for k in indexes if k in readings and readings[k].refusal]
    missing = [order.items[k].name for k in indexes if k not in readings]
    # What was read for some items is kept while others still need their options (hold): their options may
    # come in the next answer, which is read together with this one.
    if refused:
        return Rejected(refused[0], hold=bool(changes))
    if missing:
        if not changes:
            return Unrecognised()
        return Rejected(f"I still need the new options for the {listing(list(dict.fromkeys(missing)))}", hold=True,
                        refusal=False)
    return Resolved(changes)


def describe_changes(order: Order, products: dict[str, Product], changes: Iterable[dict]) -> list[str]:
    """One line per item; the very variant the customer has is said to be the same, not shown as a change."""
    lines = []
    for change in changes:
        item = next(it for it in order.items if it.item_id == change["item_id"])
        variant = products[item.product_id].variants[change["new_item_id"]]
        if variant.item_id == item.item_id:
            lines.append(f"The same {item.name}: {options_text(item.options)} (${variant.price:,.2f})")
            continue
        lines.append(f"{item.name}: {options_text(item.options)} (${item.price:,.2f}) -> "
                     f"{options_text(variant.options)} (${variant.price:,.2f})")
    return lines


def price_difference(order: Order, products: dict[str, Product], changes: Iterable[dict]) -> float:
    total = 0.0
    for change in changes:
        item = next(it for it in order.items if it.item_id == change["item_id"])
        total += products[item.product_id].variants[change["new_item_id"]].price - item.price
    return round(total, 2)


def available_options(product: Product) -> str:
    """'color: black, white; size: S, M' over the available variants."""
    values: dict[str, list[str]] = {}
    for variant in product.variants.values():
        if variant.available:
            for name, value in variant.options.items():
                if value not in values.setdefault(name, []):
                    values[name].append(value)
    return "; ".join(f"{name}: {', '.join(vals)}" for name, vals in values.items())
