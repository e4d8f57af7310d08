"""After a digression ends, offer to continue the process it interrupted.

Yes: the interrupted process continues at the step where it paused (its finished steps do
not run again). No: it is released, nothing changed.
"""

from __future__ import annotations

from typing import Literal

from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState, TraceEvent
from ..process import ProcessGraph
from .yes_no import resolve_yes_no

SPEC = ProcessSpec(
    name="continue_interrupted",
    description="Offer to continue the request that a digression interrupted",
    pattern=True,
    requires_identity=False,
    examples=(),
    slots=(SlotSpec("resume", "yes_no", "continue with the interrupted request?", ask="ask_resume",
                    resolve=resolve_yes_no),),
    templates={
        "ask_resume": "Shall we get back to {summary}?",
        "resuming": "Okay, back to {summary}.",
        "dropped": "Okay, I've stopped {summary}; nothing was changed.",
    },
    facts=lambda frame, state: {"summary": frame.summary},
)


def answer(state: ConversationState) -> Literal["resuming", "drop"]:
    return "resuming" if frame_of(state).slots["resume"] else "drop"


def drop(state: ConversationState) -> dict:
    """Release the interrupted frame too (it sits right below this one)."""
    stack = list(state["stack"])
    me = stack[-1]
    stack = [f.with_(status="cancelled") if f.frame_id == me.slots.get("interrupted") else f for f in stack]
    underneath = stack[-2].process if len(stack) > 1 else None
    return {"stack": stack, "trace": [*(state.get("trace") or []), TraceEvent(event="cancelled", process=underneath)]}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .collect("ask_resume", "resume", then=answer)
        .say("resuming", "resuming")
        .node("drop", drop, then="dropped")
        .say("dropped", "dropped")
    )
