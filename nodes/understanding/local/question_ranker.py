"""Ranking with the question processes in view only when one of them is meant.

Read-only questions ("what's my gift card balance?") are processes like any other, but their examples
must not blur the others: a message is ranked by the classifier that knows them only when that classifier
is sure a question process is meant (and the customer may be asking one); otherwise by a classifier
trained without them, so every other message is read exactly as it was before they existed.

A question asking for a figure ("how many …", "how much …", "what's the price difference if I exchange …")
is read by its form first: whatever it names (a product, an exchange), it asks to be told a number, which only
the question processes answer. The classifier then only decides which of them, so "how many water bottle options
do you have in stock?" is a count, not a request for the product's details, and a supposed exchange inside a
price question ("… if I exchange the t-shirt for an L?") does not start one.
"""

from __future__ import annotations

import re
from typing import Protocol

QUESTION_CONFIDENCE = 0.3  # below this, a question process at the top of the ranking is no more than a guess
FIGURE_CONFIDENCE = 0.1    # a figure question: a question process this likely is the one meant
# The form of a question for a number: "how many/much", or "what is the <amount word>".
FIGURE_QUESTION = re.compile(
    r"\bhow\s+(?:many|much)\b"
    r"|\bwhat(?:'s|\s+is|\s+are|\s+was|\s+were|\s+would\s+be|\s+will\s+be)?\s+(?:the\s+|my\s+)?"
    r"(?:\w+\s+)?(?:total|price|prices|cost|costs|difference|balance|refund|amount)\b"
    r"|\bwhat\s+(?:did|do|does|would|will)\b[^.?!]{0,60}?\b(?:cost|come\s+to|add\s+up\s+to)\b",
    re.I)

# The form of a question about how things stand: a sentence asked with a verb of being, doing or having before
# "the return", "the refund"... ("so both items are definitely on the return?", "did the refund go through?",
# "is the order cancelled now?"). It asks what the question processes tell; it requests nothing. A question with a
# modal or a wish ("can I return …?", "could you change the order?", "I'd like the exchange, is that ok?") asks for
# something, and is read as before.
STATUS_QUESTION = re.compile(
    r"\b(?:is|are|was|were|did|does|do|has|have)\b[^.?!]{0,80}?"
    r"\bthe\s+(?:\w+\s+)?(?:return|exchange|cancell?ation|refund|change|changes|order)\b[^.?!]*\?", re.I)
WISH_OR_MODAL = re.compile(r"\b(?:can|could|would|will|shall|may|might|want|wanna|like|need|please|let)\b|'d\b",
                           re.I)


def asks_how_things_stand(text: str) -> bool:
    return any(STATUS_QUESTION.search(q) and not WISH_OR_MODAL.search(q)
               for q in re.findall(r"[^.?!]*\?", text))


class Ranker(Protocol):
    def rank(self, text: str) -> tuple[tuple[str, float], ...]: ...


def asks_for_figure(text: str) -> bool:
    return bool(FIGURE_QUESTION.search(text))


class QuestionAwareRanker:
    def __init__(self, full: Ranker, plain: Ranker, questions: frozenset[str], asking: bool):
        """`full` knows every process, `plain` all but the `questions`; `asking`: the message may ask one (it
        does not just answer a pending question)."""
        self.full, self.plain, self.questions, self.asking = full, plain, questions, asking

    def rank(self, text: str) -> tuple[tuple[str, float], ...]:
        if self.asking:
            ranking = self.full.rank(text)
            if ranking[0][0] in self.questions and ranking[0][1] >= QUESTION_CONFIDENCE:
                return ranking
            if asks_for_figure(text) or asks_how_things_stand(text):
                figures = self._among_questions(ranking)
                if figures:
                    return figures
        return self.plain.rank(text)

    def _among_questions(self, ranking: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...] | None:
        """The ranking given that a question process is meant: their likelihoods renormalised among them,
        the rest after them; None when no question process is likely enough to be meant at all."""
        asked = [(n, p) for n, p in ranking if n in self.questions]
        total = sum(p for _, p in asked)
        if not asked or asked[0][1] < FIGURE_CONFIDENCE or total <= 0:
            return None
        rest = [(n, p) for n, p in ranking if n not in self.questions]
        return tuple([(n, p / total) for n, p in asked] + rest)
