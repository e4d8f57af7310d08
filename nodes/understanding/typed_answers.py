"""Typed answers without a model: when the active process asked for an email, a zip code, a yes or
no, an order id or one of a numbered list, and the customer's short reply is exactly such a value,
it is read by the typed extractors and the model is not called.

A model is for what only a model can read; "yes", "2" or "#W1234567" are not that. Anything longer
or less certain still goes to the model.
"""

from __future__ import annotations

from ...state.commands import Goodbye, SetSlot, Understanding
from .base import UnderstandingRequest
from .local.extractors import bare_yes_no
from .local.understander import TEXT_KINDS, LocalUnderstander

TYPED_KINDS = {"yes_no", "email", "zip", "identity", "person_name", "order_id", "choice", "payment_method", "reason"}
IDENTITY = {"email", "first_name", "last_name", "zip"}
MAX_WORDS = 6


def typed_answer(local: LocalUnderstander, request: UnderstandingRequest) -> Understanding | None:
    """The local reading, if it is a typed answer to the pending question and nothing else; else None.
    With nothing pending, a plain goodbye ("no, that's all, thanks") counts as one: the answer to
    "anything else?"."""
    question = request.question
    if question is None and request.active_process is None and len(request.text.split()) <= MAX_WORDS + 2:
        result = local.understand(request)
        if len(result.commands) == 1 and isinstance(result.commands[0], Goodbye) and result.confidence >= 0.6:
            return result
        return None
    if question is None or question.kind not in TYPED_KINDS or len(request.text.split()) > MAX_WORDS:
        return None
    result = local.understand(request)
    if question.kind == "yes_no" and bare_yes_no(request.text) is not None:
        # Nothing but the answer: the local reading's guesses for other slots (made in case a
        # confirmation carries a change) have nothing to read, so they need no model either.
        answer = [c for c in result.commands if isinstance(c, SetSlot) and c.slot == question.slot]
        return result.model_copy(update={"commands": answer}) if answer else None
    allowed = IDENTITY if question.kind in ("identity", "email", "zip", "person_name") else {question.slot}
    commands = result.commands
    if not commands or not all(isinstance(c, SetSlot) and c.slot in allowed for c in commands):
        return None
    if question.kind in TEXT_KINDS and any(c.value == request.text for c in commands):
        return None  # free text passed on as it is: a value only a reader can make sense of
    return result
