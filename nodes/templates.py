"""Rendering bot messages from a process's templates. Never generated text."""

from __future__ import annotations

import logging
import string
from typing import Any

from ..state.conversation import Utterance

log = logging.getLogger("procall.templates")

FALLBACK = "Sorry, something went wrong on my side. Could you say that again?"


def render(templates: dict[str, str], key: str, values: dict[str, Any]) -> str:
    template = templates.get(key)
    if template is None:
        log.error("template %r is missing", key)
        return FALLBACK
    try:
        return string.Formatter().vformat(template, (), values)
    except (KeyError, IndexError, ValueError) as exc:
        log.error("template %r could not be rendered: %r", key, exc)
        return FALLBACK


def utterance(process: str, templates: dict[str, str], key: str, values: dict[str, Any]) -> Utterance:
    return Utterance(key=f"{process}.{key}", text=render(templates, key, values))


def numbered(labels: list[str]) -> str:
    return "\n".join(f"  {i}. {label}" for i, label in enumerate(labels, 1))


def listing(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def money(amount: float) -> str:
    return f"${amount:,.2f}"
