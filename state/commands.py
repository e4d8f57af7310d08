"""What understanding says a customer message means: small typed commands.

Understanding (local classifier or language model) only emits these; `nodes/apply.py`
turns them into changes of the dialogue stack. A model never emits a correction: a value
for a slot that is already filled becomes one when it is applied.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class SlotValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="slot name, as listed for the process")
    value: JsonValue = Field(description="the value in the customer's words (a string, or a list of strings)")


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StartProcess(_Command):
    """The customer asks for a process (a new request, also in the middle of another one)."""
    kind: Literal["start_process"] = "start_process"
    process: str
    slots: list[SlotValue] = []


class SetSlot(_Command):
    """The customer gives a value: an answer to the question, or a fact they volunteer."""
    kind: Literal["set_slot"] = "set_slot"
    slot: str
    value: JsonValue
    # "also the lamp": add to a list slot instead of replacing it
    extend: bool = False


class CancelProcess(_Command):
    """'Forget it', 'never mind': stop the active process, change nothing."""
    kind: Literal["cancel_process"] = "cancel_process"


class Clarify(_Command):
    """Understanding is unsure which process is meant: ask, offering these."""
    kind: Literal["clarify"] = "clarify"
    options: list[str]


class ChitChat(_Command):
    """Small talk: greetings, thanks, how are you."""
    kind: Literal["chitchat"] = "chitchat"


class OutOfScope(_Command):
    """A request no process handles (the assistant says so and offers a person)."""
    kind: Literal["out_of_scope"] = "out_of_scope"
    request: str = ""


class HumanHandoff(_Command):
    """The customer asks for a person."""
    kind: Literal["human_handoff"] = "human_handoff"


class OtherCustomer(_Command):
    """A request about someone else's account or orders (always refused)."""
    kind: Literal["other_customer"] = "other_customer"


class Goodbye(_Command):
    """The customer is done."""
    kind: Literal["goodbye"] = "goodbye"


Command = Annotated[
    StartProcess | SetSlot | CancelProcess | Clarify | ChitChat | OutOfScope | HumanHandoff | OtherCustomer | Goodbye,
    Field(discriminator="kind"),
]


class Understanding(BaseModel):
    """Everything one customer message means, in order."""
    model_config = ConfigDict(extra="forbid")
    commands: list[Command] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0, le=1)
