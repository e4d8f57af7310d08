"""The conversation-test format: whole conversations in YAML, checked turn by turn.

One file holds one conversation (a mapping) or several (a list). See README.md, section
"Conversation tests", for the format with an example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Expect(BaseModel):
    """What the assistant must do after one customer line (every field optional)."""
    model_config = ConfigDict(extra="forbid")

    started: list[str] = []        # processes started this turn
    resumed: list[str] = []        # processes resumed at their paused step
    completed: list[str] = []      # processes that ended (done) this turn
    cancelled: list[str] = []      # processes released without a write
    asks: str | None = None        # the slot the active process now waits for ("none": nothing asked)
    process: str | None = None     # the active process after the turn ("none": no process active)
    says: list[str] = []           # substrings of the reply (case-insensitive)
    not_says: list[str] = []
    template: list[str] = []       # template keys among the reply's lines ("cancel_order.confirm")
    writes: list[str] | None = None  # write tools that ran this turn ([] means: none)

    @field_validator("started", "resumed", "completed", "cancelled", "says", "not_says", "template", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> list:
        return _as_list(value)

    @field_validator("writes", mode="before")
    @classmethod
    def _writes(cls, value: Any) -> list | None:
        return None if value is None else _as_list(value)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str
    expect: Expect = Expect()


class Write(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str
    args: dict[str, Any] = {}      # a subset of the arguments that must match


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    tags: list[str] = []
    turns: list[Turn] = Field(min_length=1)
    writes: list[Write] | None = None          # exactly these writes, in order ([] means: none at all)
    no_writes: list[str] = []                  # tools that must not have written
    final: dict[str, dict[str, Any]] = {}      # {"orders": {"#W…": {field: value}}, "users": {...}}
    source: str = ""                           # file it came from (filled in by the loader)


def load(paths: list[Path]) -> list[Conversation]:
    """Every conversation in the given files and folders (folders: their *.yaml / *.yml, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")])
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    conversations = []
    for file in files:
        data = yaml.safe_load(file.read_text())
        for item in _as_list(data):
            conversations.append(Conversation(**item, source=str(file)))
    return conversations
