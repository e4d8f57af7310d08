"""The role-played corpus: one JSON file per played conversation, what the player recorded with it.

A record holds the score (as `procall eval` computes it), every message (the assistant's with their
template keys), and the player's judgement: the customer messages that repeated or rephrased one the
assistant misread ("friction"), those that caught a wrong proposal before a yes, and for a failure its
class and the exchange where it went wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError, model_validator

FORMAT = 1
FAILURE_CLASSES = ("UNDERSTANDING", "POLICY/LOGIC", "MISSING FEATURE", "DIALOGUE", "OTHER")
FailureClass = Literal["UNDERSTANDING", "POLICY/LOGIC", "MISSING FEATURE", "DIALOGUE", "OTHER"]


class CorpusError(Exception):
    """A record that cannot be built or read (a bad message number, a malformed file)."""


class Message(BaseModel):
    role: Literal["customer", "assistant"]
    text: str
    template_keys: list[str] | None = None  # assistant messages: the templates its lines came from


class CustomerLine(BaseModel):
    number: int  # 1-based among the customer's messages, as `procall play TASK transcript` numbers them
    text: str


class Exchange(BaseModel):
    number: int
    customer: str
    assistant: str  # the reply to that customer message


class PlayedConversation(BaseModel):
    format: int = FORMAT
    task_id: str
    split: Literal["dev", "train"]
    passed: bool
    diff: list[str]
    missing_outputs: list[str]
    messages: list[Message]
    customer_messages: int
    friction: list[CustomerLine]
    caught_wrong_proposal: list[CustomerLine] = []
    failure_class: FailureClass | None = None
    failed_at: Exchange | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> PlayedConversation:
        said = sum(1 for m in self.messages if m.role == "customer")
        if said != self.customer_messages:
            raise ValueError(f"customer_messages is {self.customer_messages} but the customer said {said}")
        if self.passed and self.failure_class is not None:
            raise ValueError("a passed conversation has no failure class")
        if not self.passed and self.failure_class is None:
            raise ValueError(f"a failed conversation needs a failure class ({', '.join(FAILURE_CLASSES)})")
        return self


def parse_numbers(spec: str | None) -> list[int]:
    """'3,5' or '3 5' -> [3, 5]; '', 'none' or '0' -> []."""
    if spec is None or spec.strip().lower() in ("", "none", "0"):
        return []
    try:
        numbers = [int(part) for part in spec.replace(",", " ").split()]
    except ValueError:
        raise CorpusError(f"{spec!r} is not a list of customer message numbers (e.g. 3,5 or none)") from None
    return sorted(set(numbers))


def customer_lines(messages: list[Message]) -> list[str]:
    return [m.text for m in messages if m.role == "customer"]


def _lines(numbers: list[int], said: list[str], what: str) -> list[CustomerLine]:
    for n in numbers:
        if not 1 <= n <= len(said):
            raise CorpusError(f"{what}: the customer said {len(said)} messages, there is no message {n}")
    return [CustomerLine(number=n, text=said[n - 1]) for n in numbers]


def exchange(messages: list[Message], number: int) -> Exchange:
    """Customer message `number` and the assistant's reply to it."""
    seen = 0
    for i, m in enumerate(messages):
        if m.role == "customer":
            seen += 1
            if seen == number:
                reply = next((r.text for r in messages[i + 1:] if r.role == "assistant"), "")
                return Exchange(number=number, customer=m.text, assistant=reply)
    raise CorpusError(f"--at: the customer said {seen} messages, there is no message {number}")


def build(*, task_id: str, split: str, passed: bool, diff: list[str], missing_outputs: list[str],
          messages: list[Message], friction: list[int], caught: list[int] | None = None,
          failure_class: str | None = None, at: int | None = None, notes: str = "") -> PlayedConversation:
    said = customer_lines(messages)
    if not said:
        raise CorpusError(f"task {task_id}: the customer has said nothing yet")
    if not passed and at is None:
        raise CorpusError("a failed conversation needs --at N: the customer message where it went wrong")
    try:
        return PlayedConversation(
            task_id=task_id, split=split, passed=passed, diff=diff, missing_outputs=missing_outputs,
            messages=messages, customer_messages=len(said), friction=_lines(friction, said, "--friction"),
            caught_wrong_proposal=_lines(caught or [], said, "--caught"), failure_class=failure_class,
            failed_at=exchange(messages, at) if at is not None else None, notes=notes)
    except ValidationError as exc:
        raise CorpusError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


def path_for(task_id: str, folder: Path) -> Path:
    return folder / f"{task_id}.json"


def save(record: PlayedConversation, folder: Path) -> Path:
    """Write the record as `<folder>/<task id>.json` (a re-play replaces the earlier one; git keeps history)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = path_for(record.task_id, folder)
    data = record.model_dump(mode="json")
    for message in data["messages"]:  # customer messages (and the greeting) have no template keys: leave them out
        if message["template_keys"] is None:
            del message["template_keys"]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


def load(folder: Path) -> list[PlayedConversation]:
    if not folder.is_dir():
        raise CorpusError(f"no corpus folder at {folder}")
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(PlayedConversation.model_validate_json(path.read_text()))
        except (ValidationError, ValueError) as exc:
            raise CorpusError(f"{path} is not a played conversation: {str(exc).splitlines()[0]}") from None
    return records
