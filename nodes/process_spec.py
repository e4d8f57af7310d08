"""What a process declares about itself: its slots, templates and example utterances.

Understanding reads the catalogue of these (names, descriptions, slots, examples); the node
kinds read a slot's rules (how to offer choices, how to resolve a value, when to assume one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import JsonValue

from ..state.conversation import ConversationState
from ..state.frames import Choice, Frame

SlotKind = Literal[
    "email", "person_name", "zip", "order_id", "yes_no", "choice", "reason",
    "items", "item_changes", "payment_method", "address", "product", "text",
]


@dataclass(frozen=True)
class Resolved:
    value: JsonValue


@dataclass(frozen=True)
class Rejected:
    """The customer named a value that cannot be used; `reason` says why, in a sentence for them.
    `hold`: keep what they said, to be read together with their next answer ("… or say both")."""
    reason: str
    hold: bool = False
    # False: nothing said was wrong, something is still missing ("I still need the new options for the T-Shirt"):
    # said as what is needed, never as "I'm sorry, I can't do that"
    refusal: bool = True


@dataclass(frozen=True)
class Unrecognised:
    """Nothing in what the customer said is a value for this slot (said only if they were asked)."""


@dataclass(frozen=True)
class Ambiguous:
    """What the customer said fits more than one value ("my credit card" with two cards): `among` names them, in a
    phrase for the customer; the question is then asked again. Not a refusal: nothing they said was wrong."""
    among: str


Resolution = Resolved | Rejected | Unrecognised | Ambiguous
Resolver = Callable[[JsonValue, Frame, ConversationState], Resolution]
ChoiceSource = Callable[[Frame, ConversationState], list[Choice]]
Default = Callable[[Frame, ConversationState], JsonValue | None]
Facts = Callable[[Frame, ConversationState], dict[str, Any]]


def accept(value: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
    return Resolved(value)


@dataclass(frozen=True)
class SlotSpec:
    name: str
    kind: SlotKind
    description: str
    ask: str                                  # template key of the question
    resolve: Resolver = accept
    choices: ChoiceSource | None = None
    default: Default | None = None            # a value to assume without asking (e.g. the only order)
    multiple: bool = False
    depends_on: tuple[str, ...] = ()          # slots whose new value makes this one void (items on the order)


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    description: str
    examples: tuple[str, ...]
    slots: tuple[SlotSpec, ...] = ()
    templates: dict[str, str] = field(default_factory=dict)
    facts: Facts | None = None                # values every template of the process can use
    requires_identity: bool = True
    pattern: bool = False                     # conversation repair, not a customer request
    # A read-only question: when it interrupted a process, that process asks its pending question again
    # right after the answer (no "shall we get back to …?").
    question: bool = False
    summary: str = ""                         # "cancelling your order", for "shall we get back to …?"
    offer: str = ""                           # how the assistant offers it: "cancel an order that hasn't shipped"

    def slot(self, name: str) -> SlotSpec:
        return next(s for s in self.slots if s.name == name)

    def has_slot(self, name: str) -> bool:
        return any(s.name == name for s in self.slots)
