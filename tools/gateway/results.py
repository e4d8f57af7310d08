"""What a gateway call returns: a typed output, or an error a process or a model can act on."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

ErrorCode = Literal[
    "unknown_tool",          # no tool of that name
    "invalid_arguments",     # missing, malformed or unexpected argument; nothing ran
    "forbidden",             # the caller's role may not use this tool
    "not_owner",             # the order, payment method or user is not the identified customer's
    "identification_required",  # the tool needs an identified customer
    "confirmation_required",  # a write without the process's explicit yes
    "aggregation_held",      # would combine systems a rule says need review first
    "not_found",             # the backend has no such record
    "rule_violation",        # a store rule refused the write; nothing changed
    "timeout",               # no answer in time (after retries)
    "unavailable",           # transient failures exhausted the retries
    "circuit_open",          # the system kept failing; calls are paused
    "output_drift",          # the backend's answer no longer matches the tool's output model
    "internal",              # a bug: logged with the call
]

# Errors worth another attempt (only for retry-safe tools).
TRANSIENT: frozenset[str] = frozenset({"timeout", "unavailable"})


class ToolError(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ErrorCode
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f" (field: {self.field})" if self.field else ""
        return f"Error [{self.code}]{where}: {self.message}"


class ToolResult(BaseModel):
    tool: str
    ok: bool
    output: BaseModel | None = None
    error: ToolError | None = None
    attempts: int = 0
    latency_ms: float = 0.0
    replayed: bool = False  # a write whose idempotency key had already been applied

    def for_model(self, max_chars: int) -> str:
        """The result as text for a language model, cut to `max_chars` with a marker saying what was cut."""
        text = self.output.model_dump_json() if self.ok and self.output is not None else str(self.error)
        if len(text) <= max_chars:
            return text
        cut = len(text) - max_chars
        return f"{text[:max_chars]} …[truncated: {cut} of {len(text)} characters cut; ask for a narrower record]"

    def as_json(self) -> str:
        if self.ok and self.output is not None:
            return self.output.model_dump_json()
        return json.dumps({"error": self.error.model_dump() if self.error else None})
