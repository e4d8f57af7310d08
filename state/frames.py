"""The dialogue stack: a list of process frames, the top one active.

A frame is everything a paused process needs to continue: which step it continues at,
its slots, the results of the steps it already finished (so they never run again), and
what it last asked.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

FrameKind = Literal[
    "regular",        # started by the customer with nothing else going on
    "interrupting",   # started in the middle of another process (a digression)
    "prerequisite",   # pushed so the process below can run (identify the customer first)
    "queued",         # a further request from the same message, continues on its own
    "pattern",        # conversation repair (continue interrupted, clarify, offer a person)
]


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: JsonValue           # canonical value the slot takes
    label: str                 # how it was shown to the customer
    aliases: tuple[str, ...] = ()  # other words that pick it ("the kettle", "paypal", "ending 4321")
    not_when: tuple[str, ...] = ()  # words that rule it out although an alias fits ("gift card" for a "card")


class Asking(BaseModel):
    """What the frame asked the customer, so the answer can be understood in context."""
    slot: str
    kind: str                  # the slot's kind: email, order_id, yes_no, choice, items, ...
    prompt_key: str
    choices: list[Choice] = []
    multiple: bool = False
    fingerprint: str | None = None  # for a confirmation: the details the yes or no is about


class StepResult(BaseModel):
    """The memo of a finished tool step: its arguments' digest and the typed result as JSON."""
    tool: str
    digest: str
    ok: bool
    output: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None


class Frame(BaseModel):
    frame_id: str
    process: str
    kind: FrameKind = "regular"
    step: str | None = None                 # where to continue; None = from the start
    slots: dict[str, JsonValue] = {}        # resolved values
    mentions: dict[str, JsonValue] = {}     # values given but not yet resolved by the process
    answered: list[str] = []                # slots whose mention answers the frame's own question
    corrected: list[str] = []               # slots whose value the customer just replaced
    held: dict[str, JsonValue] = {}         # an unclear answer, read again with the next one
    results: dict[str, StepResult] = {}
    said: list[str] = []                    # one-off messages already said (never repeated)
    asking: Asking | None = None
    attempts: dict[str, int] = {}
    confirmation: dict[str, JsonValue] = Field(default_factory=dict)  # fingerprint -> yes/no
    status: Literal["active", "done", "cancelled"] = "active"
    summary: str = ""                        # what the process is about, for "shall we continue with …?"

    def with_(self, **changes: Any) -> Frame:
        return self.model_copy(update=changes)
