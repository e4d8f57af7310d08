"""One interface for understanding a customer message, whatever does the understanding."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from ...state.commands import Understanding
from ...state.frames import Choice


class ActiveQuestion(BaseModel):
    """The question the active process asked last, so a bare answer ("the second one") makes sense."""
    process: str
    slot: str
    kind: str
    choices: list[Choice] = []
    multiple: bool = False


class UnderstandingRequest(BaseModel):
    text: str
    active_process: str | None = None
    question: ActiveQuestion | None = None
    filled_slots: dict[str, object] = {}      # of the active process (corrections are recognised from these)
    paused_processes: list[str] = []
    customer_identified: bool = False
    history: list[tuple[str, str]] = []       # last few turns: ("customer" | "assistant", text)


class Understander(Protocol):
    name: str

    def understand(self, request: UnderstandingRequest) -> Understanding: ...


class UnderstandingUnavailable(RuntimeError):
    """The understanding backend (e.g. the model endpoint) could not answer."""
