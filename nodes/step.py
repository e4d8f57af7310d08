"""What every process step does around its own logic: find its frame, speak, write the frame back."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from ..state.conversation import ConversationState, TraceEvent, Utterance
from ..state.frames import Frame
from ..state.stack import replace_top, top
from .process_spec import ProcessSpec
from .templates import utterance

M = TypeVar("M", bound=BaseModel)

COMMON_TEMPLATES = {
    "failed": "I'm sorry, I couldn't get that done: our {system} system isn't answering right now, and "
              "nothing was changed.",
    "refused": "I'm sorry, I can't do that: {reason}.",
    "held": "I'm sorry, this request needs a review by a colleague before I can go on, so nothing was changed.",
    "too_many_attempts": "That still doesn't work, I'm afraid.",
    "didnt_catch": "Sorry, I didn't catch that.",
    "ambiguous": "More than one fits what you said: {among}.",
    "still_needed": "{reason}.",
    # A slot's value worked out from what the customer described ("the order with the camera"): say which
    # one it is, without the "only one fits" reason of an assumed value (`assumed_<slot>`).
    "found_order_id": "That's order {order_id}, so I'm looking at that one.",
    "nothing_to_offer": "I'm sorry, there is nothing I can offer for that here, so I can't go on with this request.",
}


def frame_of(state: ConversationState) -> Frame:
    frame = top(state)
    if frame is None:  # the router only runs a process with its frame on top
        raise RuntimeError("a process step ran without a frame")
    return frame


def facts(spec: ProcessSpec, frame: Frame, state: ConversationState) -> dict[str, Any]:
    values: dict[str, Any] = dict(frame.slots)
    customer = state.get("customer")
    values["first_name"] = customer.first_name if customer else ""
    if spec.facts is not None:
        values.update(spec.facts(frame, state))
    return values


def say(spec: ProcessSpec, frame: Frame, state: ConversationState, key: str, **extra: Any) -> Utterance:
    templates = spec.templates if key in spec.templates else COMMON_TEMPLATES
    return utterance(spec.name, templates, key, {**facts(spec, frame, state), **extra})


def update(state: ConversationState, frame: Frame, lines: list[Utterance] = (),
           events: list[TraceEvent] = ()) -> dict[str, Any]:
    changes: dict[str, Any] = {"stack": replace_top(state, frame)}
    if lines:
        changes["outbox"] = [*(state.get("outbox") or []), *lines]
    if events:
        changes["trace"] = [*(state.get("trace") or []), *events]
    return changes


def output_of(frame: Frame, step: str, model: type[M]) -> M | None:
    """The typed output of a finished tool step, or None if it did not succeed."""
    result = frame.results.get(step)
    if result is None or not result.ok or result.output is None:
        return None
    return model.model_validate(result.output)


def outputs_of(frame: Frame, step: str, model: type[M]) -> list[M | None]:
    """The typed outputs of a finished batch step, one per call (None where a call failed)."""
    result = frame.results.get(step)
    if result is None or result.output is None:
        return []
    return [model.model_validate(o) if o is not None else None for o in result.output.get("outputs", [])]


def error_of(frame: Frame, step: str) -> str | None:
    result = frame.results.get(step)
    return result.error_code if result is not None and not result.ok else None
