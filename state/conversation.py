"""The conversation state the router graph carries from turn to turn."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel
from typing_extensions import TypedDict

from ..tools.backend.models import PaymentMethod
from .commands import Understanding
from .frames import Frame


class Customer(BaseModel):
    """The one customer this conversation is for, once identified."""
    user_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    zip: str = ""
    order_ids: list[str] = []
    # Known at identification; balances change, so a process that needs them reloads the profile.
    payment_methods: dict[str, PaymentMethod] = {}
    address: dict[str, str] = {}          # the default address


class Utterance(BaseModel):
    """One bot line: the template it came from and the rendered text."""
    key: str
    text: str


class TraceEvent(BaseModel):
    """What the assistant did this turn, for tests and debugging."""
    event: Literal["started", "resumed", "completed", "cancelled", "asked", "corrected", "refused",
                   "handed_off", "failed", "clarified"]
    process: str | None = None
    slot: str | None = None
    detail: str | None = None


# Messages kept in the state: what understanding and the processes read (the last few turns: the LLM
# prompt's history is the last 6 messages before the new one). Every checkpoint stores the whole state, so
# an unbounded history made each turn's checkpoints, and the turn, grow with the conversation (and each
# message kept costs its (de)serialisation at every load and save); the full record is the transcript
# (procall/transcript.py) and the audit log.
KEPT_MESSAGES = 10


def recent_messages(left: list[AnyMessage], right: list[AnyMessage] | AnyMessage) -> list[AnyMessage]:
    """`add_messages` (append, or replace by id), then only the last KEPT_MESSAGES."""
    merged = add_messages(left, right)
    return merged[-KEPT_MESSAGES:] if len(merged) > KEPT_MESSAGES else merged


class ConversationState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], recent_messages]
    customer: Customer | None
    stack: list[Frame]
    understanding: Understanding | None   # of the latest customer message
    outbox: list[Utterance]               # this turn's bot lines
    trace: list[TraceEvent]               # this turn's events
    turn: int
    frames_started: int                   # a counter for frame ids
    hops: int                             # process runs this turn (a guard against loops)
    saved_turn: int                       # the last turn saved before a write (graphs/router.py, `save`)
    handed_off: bool                      # a person took over: the assistant stops acting


class RouterInput(TypedDict, total=False):
    """What a caller may pass in: optionally a first customer message."""
    messages: Annotated[list[AnyMessage], recent_messages]


def _reducers(schema: type) -> dict[str, Callable[[Any, Any], Any]]:
    hints = typing.get_type_hints(schema, include_extras=True)
    return {key: hint.__metadata__[-1] for key, hint in hints.items()
            if getattr(hint, "__metadata__", None) and callable(hint.__metadata__[-1])}


STATE_KEYS = frozenset(ConversationState.__annotations__)
REDUCERS = _reducers(ConversationState)  # the keys whose updates are reduced (messages), not replaced


def status_of(state: ConversationState) -> Literal["idle", "in_process", "handed_off"]:
    if state.get("handed_off"):
        return "handed_off"
    return "in_process" if state.get("stack") else "idle"
