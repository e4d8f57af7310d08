"""The HTTP API's request and response bodies (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..state import Customer, TraceEvent, Utterance


class NewConversation(BaseModel):
    id: str = Field(description="the conversation's id")
    secret: str = Field(description="send it as 'X-Conversation-Secret' with every later request for this "
                                    "conversation: the id alone gives no access")
    greeting: str


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="what the customer wrote")
    message_id: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
        description="a client-chosen id: a message sent again with the same id (after a lost answer) is answered "
                    "with the same reply, never understood twice")


class Choice(BaseModel):
    number: int
    label: str
    text: str = Field(description="what to send to pick it (what a customer clicking it says)")


class TurnReply(BaseModel):
    """One answer of the assistant: the same data as `Assistant.send`, plus what a chat page needs."""
    text: str
    lines: list[Utterance]
    trace: list[TraceEvent]
    active_process: str | None
    asking: str | None = Field(description="the slot the active process waits for")
    choices: list[Choice] = Field(description="the answers offered as a numbered list, or yes/no")
    handed_off: bool = Field(description="a person has taken the conversation over")
    turn: int


class Message(BaseModel):
    role: Literal["customer", "assistant"]
    text: str


class ConversationOut(BaseModel):
    id: str
    messages: list[Message]
    customer: Customer | None
    stack: list[dict[str, Any]] = Field(description="the dialogue stack, bottom first")
    handed_off: bool
    turn: int


class Problem(BaseModel):
    detail: str


class Health(BaseModel):
    status: Literal["ok", "ready", "not ready"]
    detail: str | None = None
