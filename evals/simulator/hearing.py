"""What the simulated customer hears: the assistant's text read the way a person reads it.

The customer reacts to the words only (never to template keys or the slot the assistant waits
for): `hear(text)` finds the question asked last ("Which order ...?", "Shall I go ahead?"), the
choices listed under it, and what happened before it (done, kept, refused, not understood); and
whether it answers a question for a figure (`Heard.answers`).
The cues are plain-language phrases, so small rewordings of the assistant's lines still read.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

Question = Literal[
    "identity", "zip", "name", "order", "reason", "items", "changes", "payment", "address", "confirm",
    "resume", "offer_human", "anything_else", "clarify", "problem", "greeting", "product", "none",
]

# (question, cue): the cue that occurs last in the text tells what is asked now.
QUESTION_CUES: tuple[tuple[str, str], ...] = (
    ("confirm", r"shall i go ahead|\(yes/no\)|should i go ahead|do you confirm"),
    ("resume", r"shall we get back to|get back to [^?]*\?"),
    ("offer_human", r"transfer you to a (?:human|person)|(?:talk|speak) to a (?:human|person)\?"),
    ("identity", r"your email address|email address,? or|first and last name and zip"),
    ("zip", r"your zip(?: code)?\?"),
    ("name", r"your (?:first and last |full )?name\?"),
    ("order", r"which order"),
    ("reason", r"why would you like to cancel|what(?:'s| is) the reason"),
    ("items", r"which items?\b"),
    ("changes", r"what would you like instead|which options would you like|what would you like (?:it|them) "
                r"(?:changed )?to"),
    ("payment", r"where should the refund go|which payment method|which method would you like|how would you like "
                r"to pay"),
    ("address", r"what(?:'s| is) (?:the|your) new (?:shipping |default )?address|(?:the|your) new address\?"),
    ("anything_else", r"anything else|what can i help you with|what can i do for you"),
    ("clarify", r"which of these do you mean|just to be sure i help with the right thing"),
    ("problem", r"what went wrong"),
    ("greeting", r"how can i help"),
    ("product", r"which product do you mean"),
)

DONE = r"(?:^|\n)\s*done\b"
KEPT = r"haven't (?:changed|cancelled) anything|stays as it is|nothing was changed"
CANNOT = r"can't be (?:cancelled|returned|exchanged|changed)|can(?:'t| ?not) be changed any more|" \
         r"none of your orders|no other payment method|only (?:pending|delivered) orders can|" \
         r"none of your payment methods can pay|so i can't make this change|nothing i can offer"
REFUSED = r"i'm sorry, i can't do that: (?P<reason>.+?)(?:\.\s*(?:\n|$)|\.(?= [A-Z]))"
NOT_UNDERSTOOD = r"didn't (?:quite )?(?:get|catch) that|put it another way|not sure what|could you tell me again|" \
                 r"tell me a bit more"
NOT_FOUND = r"couldn't find an account|can't find your account"
WELCOME = r"i've found your account|you're already identified"
OUT_OF_SCOPE = r"not something i can do"
GOODBYE = r"have a great day|goodbye"
HANDED_OFF = r"human agent has your conversation|transferring you"
# What an answer to a question for a figure sounds like: the figure in its sentence, per kind of question.
MONEY = r"\$[\d,]+\.\d\d"
ANSWERS = {
    "tracking": r"\bparcel \d{6,}|\btracking(?: id| number)?:? (?:is )?\d{6,}|there is no tracking number",
    "variant_count": r"\b\d+ [^\n]*?\boptions?\b[^\n]*?\b(?:is|are) available",
    "gift_card_balance": rf"\bhas {MONEY}",
    "orders_total": rf"\byou paid {MONEY}",
    "return_refund": rf"\b(?:would )?refund {MONEY}",
    "cancel_refund": rf"\bwould refund {MONEY}|{MONEY} paid with [^.\n]*? will be refunded",
    "change_difference": rf"\bpay the difference of {MONEY}|\bget {MONEY} back|\bthe price is the same",
    "cheapest_price": rf"\bcheapest available [^\n]*? at {MONEY}",
}
ORDER_ID = re.compile(r"#W\d{7}")
CHOICE_LINE = re.compile(r"^\s*(\d+)\.\s+(.+?)\s*$", re.M)


class Heard(BaseModel):
    text: str
    question: Question = "none"
    choices: list[str] = Field(default_factory=list, description="The numbered choices listed, in order.")
    order_ids: list[str] = Field(default_factory=list, description="Order ids the text names, in order.")
    done: bool = False
    done_line: str = ""
    kept: bool = False
    cannot: bool = False
    refused: str | None = None
    not_understood: bool = False
    not_found: bool = False
    welcome: bool = False
    out_of_scope: bool = False
    goodbye: bool = False
    handed_off: bool = False

    @property
    def question_line(self) -> str:
        """The last line that asks something (without the choices), for telling repeated questions apart."""
        lines = [ln for ln in self.text.splitlines() if ln.strip() and not CHOICE_LINE.match(ln)]
        asking = [ln for ln in lines if "?" in ln or ln.rstrip().endswith(":")]
        return (asking or lines or [""])[-1].strip()

    def answers(self, topic: str, about: list[str]) -> bool:
        """Does the text answer a question of kind `topic` about all of `about` (order ids, a product's
        name, a gift card's number)? The figure's sentence and every one of those must be in it."""
        lowered = self.text.lower()
        return _has(ANSWERS[topic], self.text) and all(a.lower() in lowered for a in about)

    def choice_number(self, wanted: str) -> int | None:
        """The number of the listed choice that contains `wanted` (case-insensitive), if exactly one does."""
        hits = self.choice_numbers(wanted)
        return hits[0] if len(hits) == 1 else None

    def choice_numbers(self, wanted: str) -> list[int]:
        return [i for i, c in enumerate(self.choices, 1) if wanted.lower() in c.lower()]


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.I) is not None


def hear(text: str) -> Heard:
    lowered = text.lower()
    best: tuple[int, str] | None = None
    for question, cue in QUESTION_CUES:
        for m in re.finditer(cue, lowered):
            if best is None or m.start() >= best[0]:
                best = (m.start(), question)
    refused = re.search(REFUSED, text, re.I | re.S)
    asked_at = best[0] if best else 0  # the choices are the numbered lines under the question
    return Heard(
        text=text,
        question=best[1] if best else "none",
        choices=[m.group(2) for m in CHOICE_LINE.finditer(text) if m.start() > asked_at],
        order_ids=list(dict.fromkeys(ORDER_ID.findall(text))),
        done=_has(DONE, text),
        done_line=next((ln for ln in text.splitlines() if re.match(r"\s*done\b", ln, re.I)), ""),
        kept=_has(KEPT, text),
        cannot=_has(CANNOT, text),
        refused=refused.group("reason") if refused else None,
        not_understood=_has(NOT_UNDERSTOOD, text),
        not_found=_has(NOT_FOUND, text),
        welcome=_has(WELCOME, text),
        out_of_scope=_has(OUT_OF_SCOPE, text),
        goodbye=_has(GOODBYE, text),
        handed_off=_has(HANDED_OFF, text),
    )
