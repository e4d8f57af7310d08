"""Operations on the dialogue stack. Graph state is never mutated in place: each returns a new list."""

from __future__ import annotations

from .conversation import ConversationState
from .frames import Frame, FrameKind


def top(state: ConversationState) -> Frame | None:
    stack = state.get("stack") or []
    return stack[-1] if stack else None


def replace_top(state: ConversationState, frame: Frame) -> list[Frame]:
    stack = list(state.get("stack") or [])
    stack[-1] = frame
    return stack


def push(stack: list[Frame], frame: Frame) -> list[Frame]:
    return [*stack, frame]


def pop(stack: list[Frame]) -> list[Frame]:
    return list(stack[:-1])


def new_frame(state: ConversationState, process: str, kind: FrameKind, **fields) -> tuple[Frame, int]:
    """A fresh frame with a conversation-unique id (ids key idempotent writes, so never reuse one)."""
    counter = (state.get("frames_started") or 0) + 1
    return Frame(frame_id=f"{counter}-{process}", process=process, kind=kind, **fields), counter


def find(stack: list[Frame], process: str) -> Frame | None:
    return next((f for f in reversed(stack) if f.process == process and f.status == "active"), None)
