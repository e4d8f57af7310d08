"""When a step cannot go on: say so plainly, change nothing, and offer a person.

Used by every process for gateway errors about the system or the caller (timeouts,
outages, open circuits, refusals), and by collect after three refused answers.
"""

from __future__ import annotations

from ..state.conversation import ConversationState, TraceEvent, Utterance
from ..state.frames import Frame
from ..state.stack import new_frame, push, replace_top
from .process_spec import ProcessSpec
from .services import Services
from .step import frame_of, say

SYSTEM_NAMES = {"orders": "order", "users": "account", "products": "catalogue", "shipping": "shipping",
                "support": "support"}


def offer_person(state: ConversationState, frame: Frame, lines: list[Utterance],
                 events: list[TraceEvent]) -> dict:
    """Write `frame` back and put the offer of a person on top of it."""
    stack = replace_top(state, frame)
    offer, counter = new_frame(state, "offer_human", "pattern",
                               summary=f"the {frame.process.replace('_', ' ')} request")
    return {
        "stack": push(stack, offer),
        "frames_started": counter,
        "outbox": [*(state.get("outbox") or []), *lines],
        "trace": [*(state.get("trace") or []), *events, TraceEvent(event="started", process="offer_human")],
    }


def failed(spec: ProcessSpec, services: Services):
    def node(state: ConversationState) -> dict:
        frame = frame_of(state)
        error = next((r for r in reversed(list(frame.results.values())) if not r.ok and r.error_code), None)
        code = error.error_code if error else "internal"
        ended = frame.with_(status="cancelled", asking=None)
        event = TraceEvent(event="failed", process=spec.name, detail=code)
        if code == "not_owner":
            line = say(spec, frame, state, "refused", reason="that isn't on your account")
            return {"stack": replace_top(state, ended), "outbox": [*(state.get("outbox") or []), line],
                    "trace": [*(state.get("trace") or []), event]}
        if code == "aggregation_held":
            return offer_person(state, ended, [say(spec, frame, state, "held")], [event])
        tool = services.gateway.registry.get(error.tool) if error else None
        line = say(spec, frame, state, "failed", system=SYSTEM_NAMES.get(tool.system if tool else "", "order"))
        return offer_person(state, ended, [line], [event])

    node.__name__ = "failed"
    return node
