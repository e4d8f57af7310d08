"""Negation scope over requests: "please don't cancel anything", "no return or exchange", "exchange
it instead of returning it" decline an action; a declined action is not a request for it.

The grammar: a negator, at most three words, then an action verb (and any actions joined to it by
"or"/"and"/"nor"), up to the end of the phrase. That span is taken out of the text before requests
are read from it; what is left ("I'm all done", "I want to exchange it") is read as usual.
"""

from __future__ import annotations

import re

# The actions the processes carry out, as word stems (a verb or its noun: "cancel", "cancellation").
ACTIONS = (r"(?:cancel|return|exchang|chang|modif|refund|swap|replac|send\s+(?:it\s+|them\s+)?back|updat|ship"
           r"|transfer|person|human|agent|representative)\w*")  # "I don't need a person" declines a hand-off
NEGATORS = (r"(?:don'?t|do\s+not|not|no|never|won'?t|wouldn'?t|didn'?t|no\s+need\s+to|nothing\s+to|without|"
            r"neither|nor|instead\s+of|rather\s+than)")
DECLINED = re.compile(rf"\b{NEGATORS}\s+(?:\w+\s+){{0,3}}?{ACTIONS}(?:\s+(?:or|and|nor)\s+(?:\w+\s+){{0,2}}?{ACTIONS})*"
                      r"[^,.;!?]*", re.I)


def without_declined(text: str) -> str:
    """The text with every declined action taken out ("no, please don't cancel anything. I'm done" ->
    "no, please . I'm done")."""
    return re.sub(r"\s{2,}", " ", DECLINED.sub(" ", text)).strip()


def declines(text: str) -> bool:
    return DECLINED.search(text) is not None
