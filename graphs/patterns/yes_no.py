"""Resolving a yes or a no."""

from __future__ import annotations

from pydantic import JsonValue

from ...nodes.process_spec import Resolution, Resolved, Unrecognised
from ...state.conversation import ConversationState
from ...state.frames import Frame

YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "please", "true", "go ahead", "correct"}
NO = {"no", "n", "nope", "nah", "false", "don't", "do not", "not now", "no thanks"}


def resolve_yes_no(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    if isinstance(mention, bool):
        return Resolved(mention)
    text = str(mention).strip().lower().rstrip(".!")
    if text in YES:
        return Resolved(True)
    if text in NO:
        return Resolved(False)
    return Unrecognised()
