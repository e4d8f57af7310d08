"""Typed slot extractors: find emails, order ids, names, zip codes, yes/no and choices in text.

Each takes the customer's text (and, for choices, what was offered) and returns the values
found, or nothing. Values a process resolves against its own data (items, options, payment
methods, addresses) are passed on as text; the process decides what they refer to.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from rapidfuzz import process as fuzzy

from ....state.frames import Choice
from ... import meaning
from ...confirmation_gate import read_reply
from ...matching import alias_in, too_short_for_typos, without_not_meant
from ...matching import has_phrase as _has

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
ORDER_ID = re.compile(r"#?\s?\bW\s?(\d{7})\b|#\s?(\d{7})\b|\border(?: number| id| no\.?| #)?\s*:?\s*#?(\d{7})\b", re.I)
ZIP = re.compile(r"(?<![\d#W])\b(\d{5})\b(?!\d)")
ZIP_CUE = re.compile(r"\b(zip|zipcode|postal|postcode|post code|area code)\b", re.I)
# "Grace Okafor here", "hi, Liam Carter, 30307", "Mia Castillo 94110": a name opening a sentence, told by
# what follows it. Capitalised, unless "here" or a zip makes clear it is a name.
NAME_FIRST = re.compile(r"(?:^|[.!?]\s+)(?:(?i:hi|hello|hey)[,!]?\s+)?([A-Z][a-z'\-]+)\s+([A-Z][a-z'\-]+)"
                        r"(?=\s+(?i:here)\b|\s*,|\s+(?i:from)\b|\s+(?i:zip)|\s*\d{5}\b)")
NAME_LOWER = re.compile(r"(?:^|[.!?]\s+)(?:(?:hi|hello|hey)[,!]?\s+)?([a-z][a-z'\-]+)\s+([a-z][a-z'\-]+)"
                        r"(?=\s+here\b)", re.I)
# After "I'm", "it's", "this is" only a capitalised name ("it's cancelled right" names nobody); after "my name
# is" or "call me", one in any case.
NAME_CUES = re.compile(
    r"\b(?:(?i:i am|i'm|im|this is|it's|its)\s+([A-Z][a-z'\-]+)\s+([A-Z][a-z'\-]+)"
    r"|(?i:my name is|my name's|name is|name's|call me)\s+((?i:[a-z][a-z'\-]+))\s+((?i:[a-z][a-z'\-]+)))")
# "hey, mia castillo, 94110": two words right before a zip are a name, whatever their case.
NAME_BEFORE_ZIP = re.compile(r"(?:^|[.!?,;:]\s*|\b(?:hi|hello|hey|it's|its|i'm|im|this is)[,!]?\s+)([a-z][a-z'\-]+)\s+"
                             r"([a-z][a-z'\-]+),?\s+(?:(?:and\s+)?(?:my\s+)?zip\s*(?:code)?\s*(?:is)?:?\s*)?\d{5}\b",
                             re.I)
NAME_THEN_ZIP = re.compile(r"\b[A-Za-z][a-z'\-]+\s+[A-Za-z][a-z'\-]+,?\s+(?:zip\s*(?:code)?\s*(?:is)?:?\s*)?(\d{5})\b",
                           re.I)
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
            "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "eighth": 8, "ninth": 9, "last": -1,
            "latest": -1, "newest": -1, "recent": -1}
# "one", "two" pick a numbered choice only in a short answer ("two", "number two"), not in "the one with …"
CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
NOT_NAMES = {"looking", "trying", "calling", "writing", "here", "not", "so", "very", "just", "also", "really",
             "sorry", "fine", "good", "okay", "ok", "sure", "afraid", "unhappy", "happy", "wondering", "hoping",
             "all", "of", "them", "yes", "no", "the", "it", "is", "my", "a", "an", "and", "or", "for", "to", "please",
             "thanks", "thank", "you", "that", "this", "one", "both", "none", "what", "why", "how", "can", "i",
             "me", "we", "with", "from", "in", "on", "at", "by", "do", "don't", "dont", "want", "need", "would",
             "like", "hi", "hello", "hey", "order", "email", "zip", "code", "number", "name", "account",
             "size", "color", "colour", "bigger", "smaller", "larger", "new", "old", "paypal", "card", "gift",
             "credit", "nope", "great", "item", "items", "refund", "return", "oops", "typo", "wrong", "mistake",
             "actually", "meant", "correction"}

def emails(text: str) -> list[str]:
    return [e.lower().rstrip(".") for e in EMAIL.findall(text)]


# Seven digits on their own are an order number here ("sorry, I meant 1004002"), unless they follow the
# name of a payment method ("gift card 1001003": payment ids end in seven digits too).
BARE_ORDER_NUMBER = re.compile(r"(?<![\w#.,$])(\d{7})(?![\d.,]\d|\d)")
PAYMENT_BEFORE = re.compile(r"(?:card|paypal|visa|mastercard|amex|discover|ending|account)\W*(?:\w+\W+){0,1}$", re.I)
# "the number I have is 8105988, if that's the mastercard": a bare number said of a payment method, after it
PAYMENT_AFTER = re.compile(r"^\W*(?:if\s+)?(?:that'?s|that\s+is|is\s+that|which\s+is|it'?s|is\s+it)\s+"
                           r"(?:the\s+|my\s+|a\s+)?(?:\w+\s+)?(?:card|paypal|visa|mastercard|amex|discover)\b", re.I)


def order_ids(text: str) -> list[str]:
    at: list[tuple[int, str]] = []
    for match in ORDER_ID.finditer(text):
        at.append((match.start(), next(g for g in match.groups() if g)))
    for match in BARE_ORDER_NUMBER.finditer(text):
        if not PAYMENT_BEFORE.search(text[max(0, match.start() - 30):match.start()]) \
                and not PAYMENT_AFTER.search(text[match.end():match.end() + 40]):
            at.append((match.start(), match.group(1)))
    found: list[str] = []
    for _, digits in sorted(at):
        if f"#W{digits}" not in found:
            found.append(f"#W{digits}")
    return found


def zip_code(text: str, expected: bool = False) -> str | None:
    """A 5-digit zip, when the text says it is one or a zip is what was asked."""
    without_orders = ORDER_ID.sub(" ", text)
    after_name = NAME_THEN_ZIP.search(without_orders)
    if after_name and person_name(text) is not None:
        return after_name.group(1)
    match = ZIP.search(without_orders)
    if match and (expected or ZIP_CUE.search(text) or NAME_CUES.search(text)):
        return match.group(1)
    return None


def person_name(text: str, expected: bool = False) -> tuple[str, str] | None:
    for pattern in (NAME_CUES, NAME_FIRST, NAME_LOWER, NAME_BEFORE_ZIP):
        match = pattern.search(text)
        if pattern is NAME_BEFORE_ZIP and match and (looks_like_address(text) or len(match.group(2)) == 2):
            continue  # "…, Phoenix AZ 85060" is a city and a state before a zip, not a name
        if match is None:
            continue
        first, last = [g for g in match.groups() if g][:2]
        if first.lower() not in NOT_NAMES and last.lower() not in NOT_NAMES:
            return first.title(), last.title()
    if expected:  # a bare answer to "your first and last name?": "Yusuf Rossi", "oh ok, yusuf rossi, zip 10025"
        rest = ZIP.sub(" ", EMAIL.sub(" ", text))
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", rest) if w.lower() not in NAME_FILLER]
        if 2 <= len(words) <= 3 and len(" ".join(words)) < 40 and not any(w.lower() in NOT_NAMES for w in words):
            return words[0].title(), words[1].title()
    return None


# Words around a name given on its own: "oh ok, it's Fatima Anderson, zip code 32100".
NAME_FILLER = {"oh", "ok", "okay", "sure", "yes", "yeah", "yep", "hi", "hello", "hey", "it's", "its", "it", "is", "my",
               "name", "name's", "i'm", "im", "zip", "code", "zipcode", "postal", "and", "the", "sorry", "here",
               "of", "course", "right", "this", "me", "thanks", "um", "uh", "well"}


def names_only_besides_zip(text: str) -> bool:
    """Is everything but a zip (and an email) in the text words that could be a name, said on its own?"""
    rest = ZIP.sub(" ", EMAIL.sub(" ", text))
    return not re.search(r"\d", rest)


def yes_no(text: str) -> bool | None:
    """The polarity of a reply to a yes/no question, by the confirmation gate's grammar: True for a
    yes, also one that says more ("yes, and use paypal": the gate decides whether that is enough at a
    confirmation); False for a no; None for a question, a hedge, a condition or neither."""
    reading = read_reply(text)
    if reading.answer == "no":
        return False
    if reading.is_yes or (reading.assent and reading.reason in ("content", "exclusion")):
        return True  # "yes, but not the backpack": a yes that says more, which the gate reads at a confirmation
    return None


def bare_yes_no(text: str) -> bool | None:
    """The yes or no, when the text says nothing else ("Sounds good, go ahead."); None when it says
    more ("ok, but use paypal") or neither."""
    reading = read_reply(text)
    if not reading.bare:
        return None
    return reading.is_yes if reading.answer != "unclear" else None


ENDING = re.compile(r"\b(?:end(?:s|ing)?|last (?:digits?|numbers?)(?: (?:are|is))?)(?: (?:in|with|on))?"
                    r"\s*:?\s*#?(\d{2,})\b")


def choice(text: str, choices: list[Choice], multiple: bool = False, by_meaning: bool = False) -> list[Choice]:
    """Which offered choices the text picks: by number ("2", "the second"), by value, by a word of the
    label or an alias ("the one ending in 66", "the kettle"), tolerating typos."""
    if not choices:
        return []
    lowered = text.lower()
    if not by_meaning:
        # a closed set (a payment method, a reason): "no, not the card then" does not pick the card (things are
        # left out by the item readers, which know "everything but the kettle")
        lowered = without_not_meant(lowered)
    picked: list[Choice] = []
    ids = order_ids(text)  # "It's W4864669": an order id names its order with or without the "#"
    for c in choices:
        value = str(c.value).lower()
        if value and (_has(value, lowered) or str(c.value) in ids):
            picked.append(c)
    if picked:
        # in the order the text names them ("W3313742 and W7866392": the first said is the first done)
        def said_at(c: Choice) -> int:
            value = str(c.value)
            at = [i for i, found in enumerate(ids) if found == value]
            return at[0] if at else len(ids) + lowered.find(value.lower())
        picked.sort(key=said_at)
        return picked if multiple else picked[:1]
    ending = ENDING.search(lowered)
    if ending:  # "the one ending in 66": an id (or a card) whose digits end so
        digits = ending.group(1)
        hits = [c for c in choices if re.sub(r"\D", "", str(c.value)).endswith(digits)
                or any(str(a) == digits for a in c.aliases)]
        if len(hits) == 1:
            return hits
    # a number with a unit ("3x zoom", "1L", "10 hr" is still a number) is an option's value, not a position
    numbers = [int(n) for n in re.findall(r"(?<![\d#w])(\d{1,2})(?![\d]|[a-z])", lowered) if 0 < int(n) <= len(choices)]
    tokens = re.findall(r"[a-z0-9]+", lowered)
    # (with the sentence ends kept: "Two things. First the payment method, …" begins a sentence with "first")
    marked = re.findall(r"[a-z0-9]+|[.!?;]", lowered)
    words = [ORDINALS[w] for i, w in enumerate(marked) if w in ORDINALS and not _sequencing(marked, i)]
    if not words and (len(tokens) <= 2 or "number" in tokens):
        words = [CARDINALS[w] for w in tokens if w in CARDINALS]
    positions = numbers or words
    if positions and (len(re.findall(r"[a-z0-9]+", lowered)) <= 6 or words):
        picked = [choices[p - 1] if p > 0 else choices[-1] for p in positions if abs(p) <= len(choices)]
        return picked if multiple else picked[:1]
    # "gift card 1005003" is not "gift card 1005004", however alike: a number the text gives must be the choice's
    # (an order id is no such number unless orders are the choices: "the item, it's in order W5356919")
    counted = lowered if any(str(c.value).startswith("#W") for c in choices) else ORDER_ID.sub(" ", lowered)
    numbers = re.findall(r"\d{3,}|\d+\.\d\d\b", counted)
    for c in choices:
        if _named_by_alias(c, lowered) and all(n in _described(c) for n in numbers):
            picked.append(c)
    if len(picked) > 1 and not multiple and not by_meaning:
        return []  # a closed set ("ordered by mistake, and the other ones i just dont need"): words for two pick none
    if len(picked) > 1 and not multiple:
        # "the one with the blender and the garden hose": two orders hold a blender, one holds both
        named = {id(c): _aliases_named(c, lowered) for c in picked}
        most = max(named.values())
        picked = [c for c in picked if named[id(c)] == most]
    if picked:
        return picked if multiple else (picked[:1] if len(picked) == 1 else [])
    if too_short_for_typos(lowered):
        return []
    labels = {i: c.label.lower() for i, c in enumerate(choices) if all(n in c.label for n in numbers)}
    scored = fuzzy.extract(lowered, labels, scorer=fuzz.token_set_ratio, score_cutoff=90, limit=2) if labels else []
    if scored and not (len(scored) > 1 and scored[1][1] == scored[0][1]):
        return [choices[scored[0][2]]]
    # Nothing spelt like a choice, or two equally close ("gift card" with two gift cards): the one the words
    # mean, if one clearly stands out ("the coffee machine" for the Espresso Machine).
    # Only for choices that are things (orders by what they hold, products): a reason or a payment method
    # is a closed set the words must name ("to my paypal" is never the Visa card, however close in meaning).
    if not by_meaning or numbers or len(meaning.content(text).split()) > MEANING_WORDS:
        return []
    index = meaning.closest_group(text, [[c.label, *map(str, c.aliases)] for c in choices])
    return [] if index is None else [choices[index]]


MEANING_WORDS = 6  # longer answers say more than which choice; they go to the process as text


def mentions_any(text: str, choices: list[Choice]) -> bool:
    """Does the text name any offered choice, even ambiguously ("my gift card" with two gift cards)?"""
    lowered = text.lower()
    return any(_named_by_alias(c, lowered) or str(c.value).lower() in lowered for c in choices)


def _described(choice: Choice) -> str:
    return " ".join((str(choice.value), choice.label, *map(str, choice.aliases))).lower().replace(",", "")


# "the perfume one first", "first, the shipping address", "first I want to …": an order of doing things,
# not the first of the listed choices ("the first one", "number 1", "first").
_SENTENCE_ENDS = frozenset(".!?;")
_AFTER_SEQUENCE = {"i", "i'd", "id", "im", "let", "lets", "can", "could", "we", "then", "of", "things",
                   "thing", "off"}


def _sequencing(tokens: list[str], i: int) -> bool:
    """`tokens` may hold sentence ends (".", "!", "?", ";"): an ordinal right after one begins its sentence."""
    if len([t for t in tokens if t not in _SENTENCE_ENDS]) <= 2:
        return False
    if i > 0 and tokens[i - 1] in _SENTENCE_ENDS:
        i, tokens = 0, tokens[i:]
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if before in ("the", "my", "number", "no", "option", "item", "order", "card", "your"):
        return False
    if after in ("one", "ones", "order", "item", "option", "card", "choice", "address", "please"):
        return False
    return after in _AFTER_SEQUENCE or after == "" or i == 0


def _named_by_alias(choice: Choice, lowered: str) -> bool:
    return any(alias_in(str(a), lowered) for a in choice.aliases) and not any(_has(w, lowered) for w in choice.not_when)


def _aliases_named(choice: Choice, lowered: str) -> int:
    """How many of the choice's aliases the text names (each thing a description names counts once)."""
    return sum(1 for a in dict.fromkeys(str(a).lower() for a in choice.aliases) if alias_in(a, lowered))


STREET_AND_ZIP = re.compile(r"\b\d+[A-Za-z]?\s+[A-Za-z][A-Za-z .'\-]+.*\b\d{5}\b", re.S)


def looks_like_address(text: str) -> bool:
    """A street with a number and a zip code somewhere after it."""
    return STREET_AND_ZIP.search(text) is not None

# A bare "card" is a payment card when it is someone's or a brand's ("my card", "the card ending 7745", "debit
# card"), not another thing's ("an SD card", "CF card" are a camera's options).
PAYMENT_WORDS = re.compile(r"\b(paypal|pay pal|credit card|(?:my|the|a|your|that|this|other|debit|bank)\s+card|"
                           r"card\s+ending|^card|visa|mastercard|amex|american express|discover|"
                           r"gift ?card|store credit|website credit|original (?:payment|method|card)|"
                           r"same (?:card|method|payment)|paid with|i paid|whatever i paid)\b", re.I)
