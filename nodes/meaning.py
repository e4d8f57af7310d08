"""Matching by meaning: "the coffee machine" is the Espresso Machine, "my headphones" the Wireless Earbuds.

Spelling (rapidfuzz, aliases) finds what the customer names as we name it; this finds what they
name in their own words, among the values in context (the offered choices, an order's items). It
uses WordLlama's static word embeddings, whose weights and tokenizer ship inside the `wordllama`
wheel: they are loaded from the installed package, never downloaded. Loading takes about half a
second of CPU, so it happens on first use, once per process.

A match must be clearly the closest: above a floor and ahead of the runner-up by a margin; anything
less is no match, and the process asks as before.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files

log = logging.getLogger("procall.meaning")

FLOOR = 0.45    # cosine similarity a match must reach
MARGIN = 0.10   # and by how much it must beat the next candidate
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model():
    """WordLlama (l2_supercat, 256 dimensions) from the files in its wheel; None if it can't be loaded."""
    with _lock:
        try:
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from wordllama.inference import WordLlamaInference

            root = files("wordllama")
            with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
                embedding = f.get_tensor("embedding.weight")
            tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
            return WordLlamaInference(embedding, tokenizer, binary=False)
        except Exception as exc:  # matching by meaning is an aid: without it, spelling still works
            log.warning("matching by meaning is off: %s", exc)
            return None


# Words that carry no meaning to match on ("the lamp please" means "lamp").
_FILLER = frozenset("""a an the my our your this that these those it its one ones please thanks thank you i i'd i'm
    im want wanted would like to for of with and or just only ok okay so um uh oh yes yeah sure pick choose take
    go me is are was be get give""".split())


def content(text: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z0-9'\-]+", text.lower()) if w not in _FILLER)


def similarities(text: str, candidates: Sequence[str]) -> list[float]:
    """Cosine similarity of `text` (its content words) to each candidate (0.0 for all without the model)."""
    model = _model()
    text = content(text)
    if model is None or not candidates or not text.strip():
        return [0.0] * len(candidates)
    known = _vectors(tuple(candidates))
    return [float(score) for score in known @ model.embed([text], norm=True)[0]]


@lru_cache(maxsize=1024)
def _vectors(names: tuple[str, ...]):
    """The candidates' vectors: an order's item names or a list of choices recur turn after turn."""
    return _model().embed(list(names), norm=True)


LONE_FLOOR, LONE_MARGIN = 0.25, 0.18  # a weaker match counts when nothing else comes near ("my sneakers")


def closest(text: str, candidates: Sequence[str]) -> int | None:
    """The index of the candidate `text` clearly means, or None."""
    return closest_group(text, [[c] for c in candidates])


def closest_group(text: str, groups: Sequence[Sequence[str]]) -> int | None:
    """The index of the group whose best-matching name `text` clearly means ("the order with the speaker"
    against each order's item names), or None."""
    names = [n for g in groups for n in g]
    if not names:
        return None
    flat = similarities(text, names)
    scores, at = [], 0
    for g in groups:
        scores.append(max(flat[at:at + len(g)], default=-1.0))
        at += len(g)
    order = sorted(range(len(groups)), key=lambda i: -scores[i])
    best = order[0]
    gap = scores[best] - (scores[order[1]] if len(order) > 1 else 0.0)
    if (scores[best] >= FLOOR and gap >= MARGIN) or (scores[best] >= LONE_FLOOR and gap >= LONE_MARGIN):
        return best
    return None
