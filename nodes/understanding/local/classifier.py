"""The intent classifier: character and word n-grams, logistic regression.

Character n-grams make it forgiving of typos ("cancle my ordr"). scikit-learn fits it from the
examples; the fitted model is then kept as plain arrays (vocabularies, idf weights, coefficients)
and scored with numpy. So a process that finds the model in its disk cache needs neither
scikit-learn nor scipy (their imports alone cost over a second of CPU) and never trains: the
cache is an .npz file (arrays only, no pickle) named by a hash of the normalised examples, this
module's code and the library versions. Training runs on one BLAS/OpenMP thread: on a busy
2-core machine extra threads only spin and cost several times the CPU.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from rapidfuzz import process as fuzzy
from rapidfuzz.distance import OSA

from . import extractors

log = logging.getLogger(__name__)

_IDENTITY = [
    re.compile(r"\b(?:my )?e-?mail(?: address)?(?: is)?:?\s*\S+@\S+", re.I),
    extractors.EMAIL,
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

Analyzer = Literal["char_wb", "word"]
# The features and the model. Changing any of this changes this file, hence the cache key.
FEATURES: tuple[tuple[Analyzer, tuple[int, int]], ...] = (("char_wb", (2, 5)), ("word", (1, 2)))
REGULARISATION = 12.0  # LogisticRegression's C
MAX_ITER = 2000
# How scikit-learn's TfidfVectorizer splits text (its defaults), reproduced for scoring without it.
def _base_form(word: str, known: frozenset[str]) -> str | None:
    """The known word an inflected one comes from (-ing, -ed, -es, -s; a doubled consonant or a dropped
    e restored: "cancelling" -> "cancel", "exchanging" -> "exchange"), or None."""
    for ending in ("ing", "ed", "es", "s"):
        if not word.endswith(ending) or len(word) - len(ending) < 3:
            continue
        stem = word[: -len(ending)]
        for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else ""):
            if candidate in known:
                return candidate
    return None


_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")
# Scoring with numpy must agree with scikit-learn's predict_proba; it is checked after every fit.
AGREEMENT = 1e-9
CACHE_PREFIX = "intent-classifier-"
_VERSIONED = ("scikit-learn", "numpy", "scipy", "threadpoolctl")


@lru_cache(maxsize=4096)  # understanding normalises the same clause for each ranking in a turn
def normalise(text: str) -> str:
    """What the intent depends on: identity facts and ids removed, numbers folded, repeats collapsed."""
    text = _OPENING.sub("", text[:CLASSIFY_CHARS])
    text = re.sub(r"\b(\w+)(?:\W+\1\b)+", r"\1", text, flags=re.I)
    text = _STREET.sub(" address ", text)
    name = extractors.person_name(text)  # a name as the extractor reads it: "I'm all done" names nobody
    if name is not None:
        text = re.sub(rf"\b{re.escape(name[0])}\s+{re.escape(name[1])}\b", " ", text, flags=re.I)
    for pattern in _IDENTITY:
        text = pattern.sub(" ", text)
    text = _ORDER.sub(" order ", text)
    text = re.sub(r"\d", "0", text)
    return re.sub(r"\s+", " ", text).strip(" ,.-!").lower()


def _char_wb_grams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's 'char_wb' analyzer: n-grams inside words, each word padded with a space."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(word[:n])
            while offset + n < len(word):
                offset += 1
                grams.append(word[offset:offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def _word_grams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's 'word' analyzer (default token pattern, no stop words)."""
    tokens = _WORD_TOKEN.findall(text.lower())
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return grams


@dataclass(frozen=True)
class Ngrams:
    """One fitted TF-IDF vectorizer (sublinear tf, idf weights, l2 norm) as its vocabulary and weights."""
    analyzer: Analyzer
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray

    def grams(self, text: str) -> list[str]:
        split = _char_wb_grams if self.analyzer == "char_wb" else _word_grams
        return split(text, *self.ngram_range)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The columns this text has and their weights."""
        counts = Counter(self.vocabulary[g] for g in self.grams(text) if g in self.vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
        norm = np.sqrt(weights @ weights)
        return columns, (weights / norm if norm else weights)


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic regression over the concatenated n-gram features, scored with numpy."""
    labels: tuple[str, ...]
    parts: tuple[Ngrams, ...]
    coef: np.ndarray        # (classes, features), or (1, features) with two classes
    intercept: np.ndarray

    def probabilities(self, text: str) -> np.ndarray:
        scores = self.intercept.astype(np.float64, copy=True)
        offset = 0
        for part in self.parts:
            columns, weights = part.features(text)
            scores += self.coef[:, offset + columns] @ weights
            offset += len(part.vocabulary)
        if len(self.labels) == 2:  # one score: the second class's log-odds
            p = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - p, p])
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        meta = {"key": key, "parts": [[p.analyzer, list(p.ngram_range)] for p in self.parts]}
        found = {"meta": np.array(json.dumps(meta)), "labels": np.array(self.labels),
                 "coef": self.coef, "intercept": self.intercept}
        for i, part in enumerate(self.parts):
            found[f"terms{i}"] = np.array(sorted(part.vocabulary, key=part.vocabulary.__getitem__))
            found[f"idf{i}"] = part.idf
        return found

    @classmethod
    def from_arrays(cls, arrays, key: str) -> LinearModel:
        meta = json.loads(str(arrays["meta"]))
        if meta["key"] != key:
            raise ValueError("the cached classifier was made from other examples")
        parts = []
        for i, (analyzer, (low, high)) in enumerate(meta["parts"]):
            terms = arrays[f"terms{i}"].tolist()
            vocabulary = dict(zip(terms, range(len(terms)), strict=True))
            if len(vocabulary) != len(terms) or arrays[f"idf{i}"].shape != (len(terms),):
                raise ValueError("the cached vocabulary is damaged")
            parts.append(Ngrams(analyzer, (int(low), int(high)), vocabulary, arrays[f"idf{i}"]))
        model = cls(tuple(arrays["labels"].tolist()), tuple(parts), arrays["coef"], arrays["intercept"])
        if model.coef.shape != (model.intercept.shape[0], sum(len(p.vocabulary) for p in parts)):
            raise ValueError("the cached coefficients do not fit the vocabulary")
        return model


class Scorer(Protocol):
    labels: tuple[str, ...]

    def probabilities(self, text: str) -> np.ndarray: ...


class _PipelineScorer:
    """scikit-learn's own predict_proba, for when numpy scoring disagrees with it (a scikit-learn
    release that changed its analyzers): slower to start, never wrong. Not cached on disk."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.labels = tuple(str(c) for c in pipeline.classes_)
        self._lock = threading.Lock()  # the fitted pipeline is not documented as thread-safe

    def probabilities(self, text: str) -> np.ndarray:
        with self._lock:
            return self.pipeline.predict_proba([text])[0]


_WORD = re.compile(r"[a-z]+")


class IntentClassifier:
    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self.labels: list[str] = list(scorer.labels)
        # The words the examples use, to mend a typo in a message before it is classified ("cacnel my
        # order"): character n-grams forgive some typos, but a misspelt verb can lose the request.
        parts = getattr(scorer, "parts", ())
        self._words = sorted({t for p in parts if p.analyzer == "word" for t in p.vocabulary if " " not in t
                              and t.isalpha()})
        self._known = frozenset(self._words)

    @lru_cache(maxsize=4096)  # noqa: B019 - one classifier per catalogue, kept for the process's life
    def rank(self, text: str) -> tuple[tuple[str, float], ...]:
        """Every intent with its probability, best first (only facts, nothing to classify: 'inform'). Cached: a
        turn ranks the same clause several times (the request, the answer, the question check)."""
        return self._rank(self._mend(normalise(text)))

    def _mend(self, text: str) -> str:
        if not self._words:
            return text
        return _WORD.sub(lambda m: self._mended(m.group()), text)

    @lru_cache(maxsize=8192)  # noqa: B019 - one classifier per catalogue, kept for the process's life
    def _mended(self, word: str) -> str:
        """The example word a longer unknown word is clearly a typo of (one slip away, and the only one so
        close); else the word as it is."""
        if len(word) < 5 or word in self._known:
            return word
        base = _base_form(word, self._known)
        if base is not None:  # "returning", "cancelled", "exchanges": the examples say "return", "cancel", ...
            return base
        # One slip (a swapped, missing, extra or wrong letter): "operation" is no typo of "operator"
        close = fuzzy.extract(word, self._words, scorer=OSA.distance, score_cutoff=1, limit=2)
        if not close or (len(close) > 1 and close[1][1] == close[0][1]):
            return word
        return close[0][0]

    @lru_cache(maxsize=4096)  # noqa: B019 - one classifier per catalogue, kept for the process's life
    def _rank(self, text: str) -> tuple[tuple[str, float], ...]:
        if not text:
            return (("inform", 1.0), *((label, 0.0) for label in self.labels if label != "inform"))
        probabilities = self.scorer.probabilities(text)
        ranked = ((str(k), float(v)) for k, v in zip(self.labels, probabilities, strict=True))
        return tuple(sorted(ranked, key=lambda x: -x[1]))


def training_set(examples: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for label, utterances in examples.items():
        for text in utterances:
            if normalise(text):
                texts.append(normalise(text))
                labels.append(label)
    return texts, labels


def fit_pipeline(texts: list[str], labels: list[str]):
    """The scikit-learn pipeline (imported only here), fitted on one BLAS/OpenMP thread."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from threadpoolctl import threadpool_limits

    pipeline = Pipeline([
        ("features", FeatureUnion([
            (analyzer, TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True))
            for analyzer, ngrams in FEATURES
        ])),
        ("model", LogisticRegression(C=REGULARISATION, max_iter=MAX_ITER)),
    ])
    with threadpool_limits(limits=1):
        return pipeline.fit(texts, labels)


def linear_model(pipeline) -> LinearModel:
    """The fitted pipeline's vocabularies, weights and coefficients."""
    fitted = pipeline.named_steps["model"]
    return LinearModel(
        labels=tuple(str(c) for c in fitted.classes_),
        parts=tuple(Ngrams(v.analyzer, v.ngram_range, {str(t): int(i) for t, i in v.vocabulary_.items()},
                           np.asarray(v.idf_, dtype=np.float64))
                    for _, v in pipeline.named_steps["features"].transformer_list),
        coef=np.ascontiguousarray(fitted.coef_, dtype=np.float64),
        intercept=np.asarray(fitted.intercept_, dtype=np.float64),
    )


def _train(texts: list[str], labels: list[str]) -> Scorer:
    """Fit, and score with numpy if it agrees with scikit-learn on the training texts."""
    from threadpoolctl import threadpool_limits

    pipeline = fit_pipeline(texts, labels)
    model = linear_model(pipeline)
    with threadpool_limits(limits=1):
        expected = pipeline.predict_proba(texts)
    got = np.array([model.probabilities(t) for t in texts])
    if not np.allclose(got, expected, rtol=0, atol=AGREEMENT):
        log.error("numpy scoring of the intent classifier disagrees with scikit-learn %s (by up to %.2g); "
                  "ranking with scikit-learn instead, and not caching it", metadata.version("scikit-learn"),
                  float(np.abs(got - expected).max()))
        return _PipelineScorer(pipeline)
    return model


def cache_key(texts: list[str], labels: list[str]) -> str:
    """What the fitted model depends on: the training set, how it is fitted (this file) and the libraries."""
    versions = {}
    for name in _VERSIONED:
        with suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    content = {"texts": texts, "labels": labels, "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
               "versions": versions, "python": list(sys.version_info[:2])}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def cache_path(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / f"{CACHE_PREFIX}{key[:24]}.npz"


def _load(path: Path, key: str) -> LinearModel | None:
    """The cached model, or None when there is none or it cannot be read (then it is trained again)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return LinearModel.from_arrays(arrays, key)
    except Exception as exc:  # damaged, truncated, another format: training again is always possible
        log.warning("ignoring the unreadable intent classifier cache %s (%s: %s)", path, type(exc).__name__, exc)
        return None


def _save(model: LinearModel, path: Path, key: str) -> None:
    """Write to a temporary file beside it, then rename: a concurrent reader sees the whole file or none."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as exc:
        log.warning("cannot cache the intent classifier in %s: %s", path.parent, exc)
        return
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **model.arrays(key))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("cannot cache the intent classifier in %s: %s", path, exc)
        with suppress(OSError):
            os.unlink(temporary)


def build(examples: dict[str, tuple[str, ...]], cache_dir: Path | None = None) -> IntentClassifier:
    """Load the classifier for these examples from `cache_dir`, or train it (and cache it there)."""
    texts, labels = training_set(examples)
    if cache_dir is None:
        return IntentClassifier(_train(texts, labels))
    key = cache_key(texts, labels)
    path = cache_path(cache_dir, key)
    model = _load(path, key)
    if model is None:
        scorer = _train(texts, labels)
        if isinstance(scorer, LinearModel):
            _save(scorer, path, key)
        return IntentClassifier(scorer)
    return IntentClassifier(model)


_cache: dict[tuple, IntentClassifier] = {}
_cache_lock = threading.Lock()


def classifier_for(examples: dict[str, tuple[str, ...]], cache_dir: Path | None = None) -> IntentClassifier:
    """One classifier per set of examples in a process; with `cache_dir`, one training per set of examples
    (and library versions) on this machine."""
    key = tuple(sorted((k, v) for k, v in examples.items()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build(examples, cache_dir)
        return _cache[key]
