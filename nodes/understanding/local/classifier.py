"""The intent classifier: character and word n-grams, logistic regression.

Character n-grams make it forgiving of typos ("cancle my ordr"); it is trained in well under
a second from the examples, once per catalogue, so nothing is stored or downloaded.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from . import extractors

_IDENTITY = [
    re.compile(r"\b(?:my )?e-?mail(?: address)?(?: is)?:?\s*\S+@\S+", re.I),
    extractors.EMAIL,
    extractors.NAME_CUES, extractors.NAME_FIRST, extractors.NAME_LOWER,
    re.compile(r"\b(?:zip|zipcode|postal code)(?: code)?(?: is)?:?\s*\d{5}\b", re.I),
    re.compile(r"(?<![\d#w])\b\d{5}\b"),
]
_STREET_NAME = (r"\b\d+[A-Za-z]?\s+(?:[A-Za-z]+\s+){0,3}(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|"
                r"boulevard|blvd|way|court|ct|place|pl|parkway|pkwy|terrace|circle|trail|highway)\b")
# An address runs to its zip code (what follows it is the customer talking again), or to the next comma.
_STREET = re.compile(rf"{_STREET_NAME}(?:[^.?!]*?\b\d{{5}}(?:-\d{{4}})?\b(?:,?\s*(?:usa|us)\b)?|[^,.?!]*)", re.I)
_OPENING = re.compile(r"^\s*(?:(?:wait|oh|um+|uh+|hmm+|well|actually|ok so|okay so|so)\b[,.!]?\s*)+", re.I)
_ORDER = re.compile(r"#?\s?\bW\s?\d{7}\b|#\s?\d{7}\b", re.I)


CLASSIFY_CHARS = 400  # a request is stated up front; a long ramble only dilutes it


def normalise(text: str) -> str:
    """What the intent depends on: identity facts and ids removed, numbers folded, repeats collapsed."""
    text = _OPENING.sub("", text[:CLASSIFY_CHARS])
    text = re.sub(r"\b(\w+)(?:\W+\1\b)+", r"\1", text, flags=re.I)
    text = _STREET.sub(" address ", text)
    for pattern in _IDENTITY:
        text = pattern.sub(" ", text)
    text = _ORDER.sub(" order ", text)
    text = re.sub(r"\d", "0", text)
    return re.sub(r"\s+", " ", text).strip(" ,.-!").lower()


class IntentClassifier:
    def __init__(self, examples: dict[str, tuple[str, ...]]):
        texts, labels = [], []
        for label, utterances in examples.items():
            for text in utterances:
                if normalise(text):
                    texts.append(normalise(text))
                    labels.append(label)
        self.pipeline = Pipeline([
            ("features", FeatureUnion([
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ])),
            ("model", LogisticRegression(C=12.0, max_iter=2000)),
        ])
        self.pipeline.fit(texts, labels)
        self.labels: list[str] = list(self.pipeline.classes_)
        self._lock = threading.Lock()

    def rank(self, text: str) -> tuple[tuple[str, float], ...]:
        """Every intent with its probability, best first (only facts, nothing to classify: 'inform')."""
        return self._rank(normalise(text))

    @lru_cache(maxsize=4096)  # noqa: B019 - one classifier per catalogue, kept for the process's life
    def _rank(self, text: str) -> tuple[tuple[str, float], ...]:
        if not text:
            return (("inform", 1.0), *((label, 0.0) for label in self.labels if label != "inform"))
        with self._lock:
            probabilities = self.pipeline.predict_proba([text])[0]
        ranked = ((str(k), float(v)) for k, v in zip(self.labels, probabilities, strict=True))
        return tuple(sorted(ranked, key=lambda x: -x[1]))


_cache: dict[tuple, IntentClassifier] = {}
_cache_lock = threading.Lock()


def classifier_for(examples: dict[str, tuple[str, ...]]) -> IntentClassifier:
    key = tuple(sorted((k, v) for k, v in examples.items()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = IntentClassifier(examples)
        return _cache[key]
