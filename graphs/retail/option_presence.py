"""Options that say whether a feature is there: "waterproof: yes/no", "backlight: RGB/white/none".

Customers name such an option by the feature, not by its value: "they don't need to be waterproof",
"no backlight", "without armrests", "not water resistant", "no wifi needed", "I want waterproof ones".
A small grammar reads them: a mention of the feature (the option's name, or for a "none" option one of its
other values) is *denied* when a negation stands before it in the same phrase ("no", "not", "without",
"non-", "don't need to be", "doesn't have to be"); a denied feature wants the option's absent value
(no/none), a plainly named yes/no feature wants "yes". Values other options match are left to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

ABSENT = ("no", "none")
PRESENT = "yes"
NEGATIONS = {"no", "not", "without", "non", "never", "nor", "t", "nt"}  # "t"/"nt": the tail of "don't", "dont"
# A negation reaches across these to the feature ("don't need them to be waterproof", "no need for wifi").
REACH = 5
# Words that end a phrase: a negation before them does not deny what follows ("no, make it waterproof").
BREAKS = {"and", "but", "or", "also", "plus", "then", "so", "instead", "rather", "however"}
STEM = 5  # longer words sharing their first six letters name one feature: "armrests", "resistant"/"resistance"


def _words(text: str) -> list[str]:
    """Lower-case words, with punctuation kept as its own token (it ends a phrase)."""
    text = text.lower().replace("n't", " nt").replace("'", " ")
    return re.findall(r"[a-z0-9]+|[,.;:!?]", text.replace("-", " "))


def _same(feature: str, word: str) -> bool:
    if len(feature) > STEM and len(word) > STEM:
        return feature[:STEM + 1] == word[:STEM + 1]
    return feature.rstrip("s") == word.rstrip("s")


def _mentions(feature: Sequence[str], words: list[str]) -> list[int]:
    """Where the feature is named, word by word or run together ("wifi" for "Wi-Fi")."""
    n = len(feature)
    spelled = [i for i in range(len(words) - n + 1)
               if all(_same(f, w) for f, w in zip(feature, words[i:i + n], strict=True))]
    joined = "".join(feature)
    return spelled + [i for i, w in enumerate(words) if n > 1 and _same(joined, w)]


def _denied(words: list[str], at: int) -> bool:
    for word in reversed(words[max(0, at - REACH):at]):
        if word in BREAKS or not word.isalnum():
            return False
        if word in NEGATIONS:
            return True
    return False


def _value_after(words: list[str], at: int, values: Sequence[str]) -> str | None:
    """The option's value said right after its name ("waterproof: no"), or None."""
    while at < len(words) and words[at] in (":", "-", "=", "is", "should", "be"):
        at += 1
    return next((v for v in values if at < len(words) and _words(v)[:1] == [words[at]]), None)


def feature_wishes(values_of: Mapping[str, Sequence[str]], text: str) -> dict[str, str]:
    """{option: value} for the options the text turns on or off by naming their feature."""
    words = _words(text)
    wishes: dict[str, str] = {}
    for option, values in values_of.items():
        absent = next((v for v in values if v.lower() in ABSENT), None)
        if absent is None:
            continue
        yes_no = {v.lower() for v in values} == {PRESENT, "no"}
        features = [_words(option)]
        if not yes_no:  # "no wifi" for connectivity none, "no rotisserie" for features none
            features += [_words(v) for v in values if v != absent]
        denied = present = False
        for feature in features:
            for at in _mentions(feature, words):
                said = _value_after(words, at + len(feature), values)
                if said is not None and feature == features[0]:
                    wishes[option] = said  # "waterproof: no", "backlight none": the option with its value
                    break
                if _denied(words, at):
                    denied = True
                elif feature == features[0]:
                    present = True
            if option in wishes:
                break
        if option in wishes:
            continue
        if denied:
            wishes[option] = absent
        elif present and yes_no:
            wishes[option] = next(v for v in values if v.lower() == PRESENT)
    return wishes
