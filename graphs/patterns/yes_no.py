"""Resolving a yes/no slot."""

from __future__ import annotations

from pydantic import JsonValue

from ...nodes.process_spec import Resolution, Resolved, Unrecognised
from ...nodes.yes_no import as_bool
from ...state.conversation import ConversationState
from ...state.frames import Frame


def resolve_yes_no(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    answer = as_bool(mention)
    return Unrecognised() if answer is None else Resolved(answer)
