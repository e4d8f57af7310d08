"""Offer a person: after a request no process handles, a system failure, or three refused
answers. Yes starts the hand-off; no goes back to where the conversation was."""

from __future__ import annotations

from typing import Literal

from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState, TraceEvent
from ...state.frames import Frame
from ..process import ProcessGraph
from .yes_no import resolve_yes_no

SPEC = ProcessSpec(
    name="offer_human",
    description="Offer to transfer the customer to a human agent",
    pattern=True,
    requires_identity=False,
    examples=(),
    slots=(
        SlotSpec("accept", "yes_no", "does the customer want a human agent?", ask="ask_accept",
                 resolve=resolve_yes_no),
        SlotSpec("request", "text", "what the customer asked for", ask="ask_accept"),
    ),
    templates={
        "ask_accept": "Would you like me to transfer you to a human agent?",
        "declined": "Okay, I won't transfer you.",
    },
)


def answer(state: ConversationState) -> Literal["hand_off", "declined"]:
    return "hand_off" if frame_of(state).slots["accept"] else "declined"


def hand_off(state: ConversationState) -> dict:
    """Give way to the hand-off process, passing on what was asked."""
    stack = list(state["stack"])
    me = stack.pop()
    counter = (state.get("frames_started") or 0) + 1
    handoff = Frame(frame_id=f"{counter}-human_handoff", process="human_handoff", kind="regular",
                    summary="transferring you to a person", slots={"request": me.slots.get("request", me.summary)})
    return {"stack": [*stack, handoff], "frames_started": counter,
            "trace": [*(state.get("trace") or []), TraceEvent(event="started", process="human_handoff")]}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .collect("ask_accept", "accept", then=answer)
        .node("hand_off", hand_off)
        .say("declined", "declined")
    )
