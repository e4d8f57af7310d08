"""Negation scope over requests: "please don't cancel anything", "no return or exchange", "exchange
it instead of returning it" decline an action; a declined action is not a request for it.

The grammar: a negator (or a verb that calls something off: "forget the payment change"), at most four words
("won't go ahead with the exchange"), then an action verb (and any actions joined to it by "or"/"and"/"nor"), up
to the end of the phrase. That span is taken out of the text before requests are read from it; what is left
("I'm all done", "I want to exchange it") is read as usual.
"""

from __future__ import annotations

import re

# What is done to an order (a verb or its noun: "cancel", "cancellation"); the actions the processes carry out
# add a few more: what a change leads to (a refund), how things move (ship, send back), a hand-off.
CHANGE_VERBS = r"(?:cancel|return|exchang|chang|modif|swap|replac|updat)\w*"
ACTIONS = (r"(?:cancel|return|exchang|chang|modif|refund|swap|replac|send\s+(?:it\s+|them\s+)?back|updat|ship"
           r"|transfer|person|human|agent|representative)\w*")  # "I don't need a person" declines a hand-off
NEGATORS = (r"(?:don'?t|do\s+not|not|no|never|won'?t|wouldn'?t|didn'?t|no\s+need\s+to|nothing\s+to|without|"
            r"neither|nor|instead\s+of|rather\s+than|"
            r"forget(?:\s+about)?|never\s*mind(?:\s+about)?|scrap|drop)")  # "forget the payment change" calls it off
DECLINED = re.compile(rf"\b{NEGATORS}\s+(?:\w+\s+){{0,4}}?{ACTIONS}(?:\s+(?:or|and|nor)\s+(?:\w+\s+){{0,2}}?{ACTIONS})*"
                      r"[^,.;!?]*", re.I)


def without_declined(text: str) -> str:
    """The text with every declined action taken out ("no, please don't cancel anything. I'm done" ->
    "no, please . I'm done")."""
    return re.sub(r"\s{2,}", " ", DECLINED.sub(" ", text)).strip()


def declines(text: str) -> bool:
    return DECLINED.search(text) is not None


def declined_actions(text: str) -> list[str]:
    """The declined actions themselves, negator taken off ("I don't want to change payment again" ->
    "want to change payment again"), to be read for which process they decline."""
    return [re.sub(rf"^{NEGATORS}\s+", "", m.group(), flags=re.I) for m in DECLINED.finditer(text)]


# What a declined action may be done to and still decline the request as a whole ("don't exchange it",
# "won't go ahead with the exchange today"); anything else names what is kept out of it ("don't exchange the
# camera, just the shoes").
_WHOLE = frozenset("""it this that them these those anything everything one ones the a an my any all of for
    please thanks again today now anymore more after at or and""".split())


def declines_whole(text: str) -> bool:
    """Does the text decline an action without naming a thing it is done to?"""
    for match in DECLINED.finditer(text):
        rest = re.split(ACTIONS, match.group(), maxsplit=1, flags=re.I)[-1]
        words = re.findall(r"[a-z']+", rest.lower())
        if all(w in _WHOLE or re.fullmatch(ACTIONS, w) for w in words):
            return True
    return False
