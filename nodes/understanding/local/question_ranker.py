"""Ranking with the question processes in view only when one of them is meant.

Read-only questions ("what's my gift card balance?") are processes like any other, but their examples
must not blur the others: a message is ranked by the classifier that knows them only when that classifier
is sure a question process is meant (and the customer may be asking one); otherwise by a classifier
trained without them, so every other message is read exactly as it was before they existed.
"""

from __future__ import annotations

from typing import Protocol

QUESTION_CONFIDENCE = 0.3  # below this, a question process at the top of the ranking is no more than a guess


class Ranker(Protocol):
    def rank(self, text: str) -> tuple[tuple[str, float], ...]: ...


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
        return self.plain.rank(text)
