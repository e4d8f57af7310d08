"""Which way each phrase of a choice of items points: taken, kept out, or the only ones.

"just the notebook, the watch is fine", "the makeup kit I'm keeping", "everything except the kettle",
"no, I don't want to exchange the camera or the shoes", "remove the makeup kit from the exchange",
"not item 2": a customer choosing items also says which ones they keep. The items a phrase names are
added to the choice ("take"), taken out of it ("drop"), or are all of it ("only"). This reads only
the words; `items.pick_items` finds the items each phrase names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Way = Literal["take", "only", "drop"]


@dataclass(frozen=True)
class Phrase:
    text: str
    way: Way


SENTENCE = re.compile(r"(?<=[.!?;])\s+|[.!?;]+$")
# Commas and dashes part a sentence, and so do conjunctions; after "and", "or", "nor" a bare item goes the
# way of the phrase before it ("I don't want to exchange the camera or the shoes").
PART = re.compile(r"\s*,+\s*|\s+-+\s+|\s+(and|or|nor|but|plus|also|then)\s+", re.I)
JOINING = {"and", "or", "nor"}
ALL_BUT = re.compile(r"\b(everything|all(?: of)?(?: the| my)?(?: items| of them| things)?|the whole order)\s+but\b",
                     re.I)
# What follows these in a phrase is kept out: "everything except the kettle", "remove the kit from the exchange".
OUT_AFTER = re.compile(
    r"\b(?:except(?: for)?|other than|apart from|besides|without|minus|remove|removing|take out|taking out|"
    r"drop|dropping|exclude|excluding|leave out|skip|never mind|forget(?: about)?|"
    r"not(?=\s+(?:the|my|that|this|those|these|your|item|items|number|no\.?|#|\d)\b))\b", re.I)
# A phrase that as a whole keeps its items out.
KEEP = re.compile(r"\b(?:keep|keeping|kept|hold on to|hang on to)\b", re.I)
SAME = re.compile(r"\b(?:same|identical)\b", re.I)  # "keep it the same": the same item again, not kept out
LEAVE = re.compile(r"\bleave\b.*\b(?:alone|as (?:it is|is|they are)|out|be)\b", re.I)
# Not a decline when what is not needed is a property ("… for one that doesn't need to be waterproof").
DECLINE = re.compile(r"\b(?:don'?t|dont|do not|doesn'?t|does not|won'?t|no longer|no need to)\b.*?"
                     r"\b(?:want|need|exchang\w*|chang\w*|return\w*|swap\w*|replac\w*|modif\w*|touch\w*)\b"
                     r"(?!\s+(?:(?:it|them)\s+)?to\s+(?:be|have)\b)", re.I)
FINE = re.compile(r"\b(?:is|are|'s|s|seems|looks)\s+(?:fine|ok|okay|good|alright|all right|perfect|great)"
                  r"(?:\s+as\s+(?:is|it is|they are))?\W*$|\b(?:can|will|should)\s+stay\b|\bstays\b", re.I)
# "just the notebook", "only items 1 and 3", "the notebook only"; not "I just want a fresh one".
DETERMINERS = {"the", "my", "a", "an", "that", "this", "these", "those", "your", "item", "items", "number", "no",
               "two", "both"}
NOT_ITEMS = {"want", "wanted", "need", "needed", "like", "liked", "to", "do", "did", "one", "ones", "change",
             "exchange", "swap", "return", "replace", "replacement", "a", "new", "fresh", "same", "that", "it",
             "go", "get", "ask", "mean", "meant", "said", "say", "wondering",
             # "the yoga mat just in black": "just" says how little changes about it, not that only it changes
             "in", "with", "for", "on", "at", "as", "by", "from", "into", "without"}


def _only(part: str) -> bool:
    words = re.findall(r"[\w#']+", part.lower())
    for i, word in enumerate(words):
        if word in ("just", "only"):
            j = i + 1
            while j < len(words) and words[j] in DETERMINERS:
                j += 1
            if j < len(words) and words[j] not in NOT_ITEMS:
                return True
        if word in ("only", "alone") and i == len(words) - 1 and i > 0:
            return True
    return False


def _drops(part: str) -> bool:
    if KEEP.search(part) and not SAME.search(part):
        return True
    return bool(LEAVE.search(part) or DECLINE.search(part) or FINE.search(part))


def phrases(text: str) -> list[Phrase]:
    """The text's phrases in order, each with the way its items go."""
    found: list[Phrase] = []
    text = ALL_BUT.sub(lambda m: f"{m.group(1)} except", text)
    for sentence in SENTENCE.split(text):
        if not sentence or not sentence.strip():
            continue
        pieces = PART.split(sentence)
        # re.split with one group: text, joiner (or None), text, …
        parts = [(pieces[0], None)] + [(pieces[i + 1], pieces[i]) for i in range(1, len(pieces) - 1, 2)]
        previous: Way | None = None
        for part, joiner in parts:
            if not part or not part.strip():
                continue
            out = OUT_AFTER.search(part)
            if out is not None:
                before, after = part[:out.start()], part[out.end():]
                if before.strip():
                    found.append(Phrase(before, "only" if _only(before) else "take"))
                found.append(Phrase(after, "drop"))
                previous = "drop"
                continue
            if _drops(part):
                way: Way = "drop"
            elif _only(part):
                way = "only"
            elif previous == "drop" and (joiner or "").lower() in JOINING and len(part.split()) <= 4:
                way = "drop"  # "… the camera or the shoes": the bare item after "or" goes the same way
            else:
                way = "take"
            found.append(Phrase(part, way))
            previous = way
    return found
