"""The say node kind: one templated message; ending the process if it is a final one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..state.conversation import ConversationState, TraceEvent
from ..state.frames import Frame
from .process_spec import ProcessSpec
from .step import frame_of, update
from .step import say as render_line

Extra = Callable[[Frame, ConversationState], dict[str, Any]]


def say(spec: ProcessSpec, template: str, step: str, *, end: bool = True, outcome: str = "completed",
        extra: Extra | None = None):
    def node(state: ConversationState) -> dict:
        frame = frame_of(state)
        lines, events = [], []
        if step not in frame.said:  # a message is said once, even if the step is passed again
            lines.append(render_line(spec, frame, state, template, **(extra(frame, state) if extra else {})))
            frame = frame.with_(said=[*frame.said, step])
        if end:
            frame = frame.with_(status="done" if outcome == "completed" else "cancelled", asking=None)
            events.append(TraceEvent(event="completed" if outcome == "completed" else "cancelled",
                                     process=spec.name, detail=template))
        return update(state, frame, lines, events)

    node.__name__ = f"say_{template}"
    return node
