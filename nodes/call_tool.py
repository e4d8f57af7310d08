"""The call-a-tool node kind: one backend call (or a batch of reads) through the gateway.

A finished step is memoised with a digest of its arguments: running the step again with the
same arguments (a resumed or re-entered process) does not call the backend again; changed
arguments (a correction) do. A write passes the gateway's confirmation check only when the
process's confirm step got a yes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig

from ..state.conversation import ConversationState
from ..state.frames import Frame, StepResult
from ..tools.gateway.results import ToolResult
from .confirm import confirmed
from .services import Services
from .step import frame_of, update

Args = Callable[[Frame, ConversationState], dict[str, Any]]
Calls = Callable[[Frame, ConversationState], list[tuple[str, dict[str, Any]]]]

# Errors about the system rather than the request: the step may run again later.
RETRYABLE = {"timeout", "unavailable", "circuit_open", "internal", "output_drift"}
# Gateway outcomes a process does not branch on (the `failed` step answers them): the system's errors, and
# the gateway refusing the call (who may ask, whose record, what needs a review).
SYSTEM_ERRORS = RETRYABLE | {"forbidden", "confirmation_required", "aggregation_held", "identification_required",
                             "not_owner", "invalid_arguments", "unknown_tool"}


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _fresh(frame: Frame, step: str, digest: str) -> bool:
    memo = frame.results.get(step)
    return memo is not None and memo.digest == digest and memo.error_code not in RETRYABLE


def _memo(tool: str, digest: str, result: ToolResult) -> StepResult:
    return StepResult(
        tool=tool, digest=digest, ok=result.ok,
        output=result.output.model_dump(mode="json") if result.ok and result.output is not None else None,
        error_code=result.error.code if result.error else None,
        error_message=result.error.message if result.error else None,
    )


def call_tool(services: Services, step: str, tool: str, args: Args, confirm_step: str | None = None,
              confirmed_by: Callable[[ConversationState], bool] | None = None):
    """`confirm_step` names the process's confirm step for a write; `confirmed_by` is for the rare write
    whose request is its own explicit confirmation (the customer asking for a person)."""

    def node(state: ConversationState, config: RunnableConfig) -> dict:
        frame = frame_of(state)
        arguments = args(frame, state)
        digest = _digest([tool, arguments])
        if _fresh(frame, step, digest):
            return {}
        is_confirmed = (confirm_step is not None and confirmed(state, confirm_step)) or \
            (confirmed_by is not None and confirmed_by(state))
        ctx = services.context(state, config, frame, step, confirmed=is_confirmed)
        result = services.gateway.call(tool, arguments, ctx)
        return update(state, frame.with_(results={**frame.results, step: _memo(tool, digest, result)}))

    node.__name__ = f"call_{tool}"
    return node


def call_many(services: Services, step: str, calls: Calls):
    """Independent reads in one step: the gateway runs them concurrently."""

    def node(state: ConversationState, config: RunnableConfig) -> dict:
        frame = frame_of(state)
        planned = calls(frame, state)
        digest = _digest(planned)
        if _fresh(frame, step, digest):
            return {}
        results = services.gateway.call_many(planned, services.context(state, config, frame, step))
        failed = next((r for r in results if not r.ok and r.error and r.error.code in SYSTEM_ERRORS), None)
        memo = StepResult(
            tool=failed.tool if failed else "batch", digest=digest, ok=failed is None,
            output={"outputs": [r.output.model_dump(mode="json") if r.ok and r.output else None for r in results]},
            error_code=failed.error.code if failed else None,
            error_message=failed.error.message if failed else None,
        )
        return update(state, frame.with_(results={**frame.results, step: memo}))

    node.__name__ = f"batch_{step}"
    return node
