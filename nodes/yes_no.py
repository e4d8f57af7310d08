"""Reading a yes or a no from a slot value (understanding gives "yes"/"no", a model may give a bool)."""

from __future__ import annotations

from pydantic import JsonValue

YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "please", "true", "go ahead", "correct",
                 "confirm", "confirmed"})
NO = frozenset({"no", "n", "nope", "nah", "false", "don't", "do not", "not now", "no thanks"})


def as_bool(value: JsonValue) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower().rstrip(".!")
    if text in YES:
        return True
    if text in NO:
        return False
    return None
