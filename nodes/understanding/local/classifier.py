"""The intent classifier: character and word n-grams, logistic regression.

Character n-grams make it forgiving of typos ("cancle my ordr"); it is trained in well under
a second from the examples, once per catalogue, so nothing is stored or downloaded.
"""

from __future__ import annotations

import threading

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


class IntentClassifier:
    def __init__(self, examples: dict[str, tuple[str, ...]]):
        texts, labels = [], []
        for label, utterances in examples.items():
            for text in utterances:
                texts.append(text.lower())
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

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every intent with its probability, best first."""
        with self._lock:
            probabilities = self.pipeline.predict_proba([text.lower()])[0]
        return sorted(zip(self.labels, probabilities), key=lambda x: -x[1])


_cache: dict[tuple, IntentClassifier] = {}
_cache_lock = threading.Lock()


def classifier_for(examples: dict[str, tuple[str, ...]]) -> IntentClassifier:
    key = tuple(sorted((k, v) for k, v in examples.items()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = IntentClassifier(examples)
        return _cache[key]
