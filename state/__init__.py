"""Typed conversation state: messages, the identified customer, and the dialogue stack."""

from ..tools.backend.models import PaymentMethod
from .commands import (
    CancelProcess,
    ChitChat,
    Clarify,
    Command,
    Goodbye,
    HumanHandoff,
    OtherCustomer,
    OutOfScope,
    SetSlot,
    SlotValue,
    StartProcess,
    Understanding,
)
from .conversation import ConversationState, Customer, RouterInput, TraceEvent, Utterance
from .frames import Asking, Choice, Frame, StepResult

# Every type the checkpointer may have to rebuild from a saved conversation.
SERDE_TYPES: tuple[type, ...] = (
    Customer, PaymentMethod, Utterance, TraceEvent, Frame, Asking, Choice, StepResult, Understanding, SlotValue,
    StartProcess, SetSlot, CancelProcess, Clarify, ChitChat, OutOfScope, HumanHandoff, OtherCustomer, Goodbye,
)

__all__ = [
    "Asking", "CancelProcess", "ChitChat", "Choice", "Clarify", "Command", "ConversationState", "Customer",
    "Frame", "Goodbye", "HumanHandoff", "OtherCustomer", "OutOfScope", "RouterInput", "SERDE_TYPES", "SetSlot",
    "SlotValue", "StartProcess", "StepResult", "TraceEvent", "Understanding", "Utterance",
]
