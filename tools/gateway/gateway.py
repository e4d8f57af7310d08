"""The one gateway every backend call goes through.

The caller (a process step, or the ReAct baseline's tool) recommends a call; the gateway
decides and acts: validate the arguments, check role, ownership, identification and
confirmation, hold cross-system aggregations, run with a timeout and at most 3 attempts for
transient errors, give writes an idempotency key so they apply exactly once, validate the
answer against the tool's output model, and audit every attempt.

What a call answers about a write is what the store holds: an attempt the gateway stops waiting for
is stopped before it can commit (or, if it was already committing, awaited), so a write reported as
failed never commits later; every committed write gets exactly one `ok` audit row (see
tools/backend/commit_gate.py and AuditLog.reconcile).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import sqlite3
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pydantic import BaseModel, ValidationError

from ..backend.commit_gate import CommitGate, WriteTerms, write_terms
from ..backend.errors import BackendError
from ..backend.store import RetailBackend
from .audit import AuditLog
from .authorization import authorize, screen_lookup
from .circuit import CircuitBreakers
from .context import CallContext
from .faults import CallFaults, FaultInjector, FaultPlan, InjectedFault
from .guard import AggregationGuard
from .policy import GatewayPolicy
from .registry import ToolRegistry, ToolSpec
from .results import TRANSIENT, ToolError, ToolResult

log = logging.getLogger("procall.gateway")


def idempotency_key(ctx: CallContext, tool: str, args: BaseModel) -> str:
    """Same conversation, frame, step and arguments -> same key: a replayed step is the same write."""
    material = json.dumps([ctx.conversation_id, ctx.frame_id, ctx.step, tool, args.model_dump(mode="json")],
                          sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _validation_error(exc: ValidationError) -> ToolError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    if first.get("type") == "extra_forbidden":
        message = f"unexpected argument '{field}'"
    elif first.get("type") == "missing":
        message = f"missing argument '{field}'"
    else:
        message = f"invalid '{field}': {first.get('msg')}"
    return ToolError(code="invalid_arguments", field=field, message=message)


class Gateway:
    def __init__(self, backend: RetailBackend, audit: AuditLog, policy: GatewayPolicy | None = None,
                 faults: FaultPlan | None = None):
        self.backend = backend
        self.audit = audit
        self.policy = policy or GatewayPolicy.load()
        self.registry = ToolRegistry(self.policy)
        limits = self.policy.limits
        self.faults = FaultInjector(faults, limits.max_attempts) if faults else None
        self.breakers = CircuitBreakers(self.policy.circuit_breaker.failure_threshold,
                                        self.policy.circuit_breaker.cooldown_s)
        self.guard = AggregationGuard(self.policy.aggregation_rules, audit)
        self._attempts = ThreadPoolExecutor(max_workers=16, thread_name_prefix="gateway-attempt")
        self._batch = ThreadPoolExecutor(max_workers=limits.max_parallel_reads, thread_name_prefix="gateway-batch")
        self._jitter = random.Random(0)
        # Writes whose process died between the store's commit and the audit insert get their `ok`
        # row now, from the row the store committed with them.
        added = audit.reconcile(backend.audit_rows_of_writes())
        if added:
            log.warning("audit log: added the ok rows of %d writes committed by a process that died before "
                        "auditing them", added)

    # -- public --------------------------------------------------------------------------

    def call(self, tool: str, args: dict[str, Any] | BaseModel, ctx: CallContext) -> ToolResult:
        return self._call(tool, args, ctx, self._call_number())

    def call_many(self, calls: list[tuple[str, dict[str, Any]]], ctx: CallContext) -> list[ToolResult]:
        """Independent reads run concurrently; writes run one at a time, in the given order."""
        numbers = [self._call_number() for _ in calls]  # in the given order, so injected faults repeat
        specs = [self.registry.get(name) for name, _ in calls]
        if len(calls) > 1 and all(s is not None and not s.is_write for s in specs):
            return list(self._batch.map(lambda c, n: self._call(c[0], c[1], ctx, n), calls, numbers))
        return [self._call(name, args, ctx, n) for (name, args), n in zip(calls, numbers, strict=True)]

    def close(self, wait: bool = False) -> None:
        """Stop taking calls. `wait`: also wait for attempts still running (abandoned ones end by
        themselves: they wait for the store's lock no longer than their timeout, and never commit)."""
        self._attempts.shutdown(wait=wait, cancel_futures=True)
        self._batch.shutdown(wait=wait, cancel_futures=True)

    # -- internals -----------------------------------------------------------------------

    def _call_number(self) -> int:
        return self.faults.next_call() if self.faults else 0

    def _call(self, tool: str, args: Any, ctx: CallContext, number: int) -> ToolResult:
        if isinstance(args, BaseModel):
            raw_args = args.model_dump()
        elif args is None or isinstance(args, Mapping):
            raw_args = dict(args or {})
        else:
            return self._refuse(ctx, tool, self.registry.get(tool), args, ToolError(
                code="invalid_arguments", message=f"arguments must be an object, not {type(args).__name__}"))
        spec = self.registry.get(tool)
        if spec is None:
            unknown = ToolError(code="unknown_tool", message=f"no tool named '{tool}'")
            return self._refuse(ctx, tool, None, raw_args, unknown)
        try:
            parsed = spec.input_model.model_validate(raw_args)
        except ValidationError as exc:
            return self._refuse(ctx, tool, spec, raw_args, _validation_error(exc))
        error = authorize(spec, parsed, ctx, self.policy, self.backend)
        if error is not None:
            return self._refuse(ctx, tool, spec, raw_args, error)
        # The guard counts this call's system as in use until it ends, so concurrent reads
        # cannot complete a held combination together.
        error = self.guard.check(ctx.conversation_id, spec.system)
        if error is not None:
            return self._refuse(ctx, tool, spec, raw_args, error, outcome="held")
        result = None
        try:
            result = self._run(spec, parsed, raw_args, ctx, number)
            return result
        finally:
            self.guard.release(ctx.conversation_id, spec.system, used=result is not None and result.ok)

    def _refuse(self, ctx: CallContext, tool: str, spec: ToolSpec | None, raw_args: Any, error: ToolError,
                outcome: str = "refused") -> ToolResult:
        self.audit.record(ctx, tool, spec.version if spec else None, spec.system if spec else None, raw_args,
                          outcome, error.code, 0, 0.0)
        return ToolResult(tool=tool, ok=False, error=error)

    def _run(self, spec: ToolSpec, args: BaseModel, raw_args: dict, ctx: CallContext, number: int) -> ToolResult:
        breaker = self.breakers.for_system(spec.system)
        if not breaker.allow():
            error = ToolError(code="circuit_open", message=f"the {spec.system} system keeps failing; calls are paused")
            self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args, "failed", error.code, 0, 0.0)
            return ToolResult(tool=spec.name, ok=False, error=error)
        key = idempotency_key(ctx, spec.name, args) if spec.is_write else None
        replayed = key is not None and self.backend.was_applied(key)
        # The id of the commit this call may make, by whichever attempt: its `ok` audit row's key.
        write_id = uuid.uuid4().hex if key is not None else None
        faults = self.faults.for_call(number, spec.system) if self.faults else None
        max_attempts = self.policy.limits.max_attempts if spec.retry_safe else 1
        started = time.perf_counter()
        for attempt in range(1, max_attempts + 1):
            t0 = time.perf_counter()
            terms = None
            if write_id is not None:
                ok_row = self.audit.entry(ctx, spec.name, spec.version, spec.system, raw_args, "ok", None, attempt,
                                          0.0, write_key=write_id)
                terms = WriteTerms(CommitGate(spec.timeout_s), write_id, ok_row.model_dump_json())
            output, error = self._attempt(spec, args, key, faults, attempt, terms)
            latency = (time.perf_counter() - t0) * 1000
            if error is None or error.code == "not_found":
                withheld = screen_lookup(spec, output, error, ctx, self.policy)
                if withheld is not None:
                    breaker.record_success()  # the system answered; the answer is not for this caller
                    self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args, "refused", withheld.code,
                                      attempt, latency)
                    return ToolResult(tool=spec.name, ok=False, error=withheld, attempts=attempt,
                                      latency_ms=(time.perf_counter() - started) * 1000)
            if error is None:
                breaker.record_success()
                self._record_success(ctx, spec, raw_args, key, write_id, attempt, latency)
                return ToolResult(tool=spec.name, ok=True, output=output, attempts=attempt,
                                  latency_ms=(time.perf_counter() - started) * 1000, replayed=replayed)
            if error.code in TRANSIENT and attempt < max_attempts:
                self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args, "retried", error.code,
                                  attempt, latency)
                base = self.policy.limits.backoff_base_ms * (4 ** (attempt - 1))
                time.sleep(base * (0.5 + self._jitter.random()) / 1000)
                continue
            if key is not None and error.code in TRANSIENT:
                # The answer was lost, not necessarily the write: if it committed, that is the result.
                # (No attempt of this call can commit any more: each one ended, or was stopped in time.)
                stored = self.backend.stored_result(key)
                if stored is not None:
                    breaker.record_success()
                    self._record_success(ctx, spec, raw_args, key, write_id, attempt, latency)
                    return ToolResult(tool=spec.name, ok=True, output=stored, attempts=attempt,
                                      latency_ms=(time.perf_counter() - started) * 1000, replayed=True)
            if error.code in TRANSIENT or error.code in ("output_drift", "internal"):
                breaker.record_failure()
            else:
                breaker.record_success()  # the system answered; the request itself was refused
            self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args, "failed", error.code,
                              attempt, latency)
            return ToolResult(tool=spec.name, ok=False, error=error, attempts=attempt,
                              latency_ms=(time.perf_counter() - started) * 1000)
        raise AssertionError("unreachable")

    def _record_success(self, ctx: CallContext, spec: ToolSpec, raw_args: dict, key: str | None,
                        write_id: str | None, attempt: int, latency: float) -> None:
        if key is None:
            self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args, "ok", None, attempt, latency)
            return
        # "ok" if this call's commit holds the key (made by this attempt or by an earlier one whose
        # answer was lost), "replayed" if an earlier call's does.
        committed = self.backend.committed_write_id(key)
        self.audit.record(ctx, spec.name, spec.version, spec.system, raw_args,
                          "ok" if committed == write_id else "replayed", None, attempt, latency, write_key=committed)

    def _attempt(self, spec: ToolSpec, args: BaseModel, key: str | None, faults: CallFaults | None,
                 attempt: int, terms: WriteTerms | None) -> tuple[BaseModel | None, ToolError | None]:
        injected = faults.attempt(attempt, spec.timeout_s, spec.is_write) if faults else None

        def run() -> BaseModel:
            with write_terms(terms):
                if injected:
                    injected.before()
                result = self.backend.execute(spec.name, args, idempotency_key=key)
                if injected and spec.is_write:
                    injected.after_write()
                return result

        future = self._attempts.submit(run)
        try:
            try:
                result = future.result(timeout=spec.timeout_s)
            except FutureTimeout:
                if terms is None or terms.gate.abandon():  # a read, or a write that now never commits
                    return None, ToolError(code="timeout",
                                           message=f"{spec.system} did not answer within {spec.timeout_s:g}s")
                # Too late to stop: the write is committing. Wait for it and report how it ended.
                result = future.result()
        except (InjectedFault, sqlite3.OperationalError) as exc:
            return None, ToolError(code="unavailable", message=f"{spec.system} is temporarily unavailable ({exc})")
        except BackendError as exc:
            return None, ToolError(code=exc.code, message=exc.message)
        except ValidationError as exc:
            log.error("output drift in %s: %s", spec.name, exc)
            return None, ToolError(code="output_drift", message=f"the {spec.system} system's answer no longer "
                                   f"matches the {spec.name} contract")
        except Exception as exc:  # a bug: keep the conversation alive, log it loudly
            log.exception("internal error in %s", spec.name)
            return None, ToolError(code="internal", message=f"internal error: {type(exc).__name__}")
        return self._check_output(spec, result)

    def _check_output(self, spec: ToolSpec, result: BaseModel) -> tuple[BaseModel | None, ToolError | None]:
        raw = result.model_dump(mode="json")
        if self.faults and self.faults.corrupts(spec.name):
            raw = {f"{k}_v2": v for k, v in raw.items()}  # a renamed field, as after an unannounced upgrade
        try:
            return spec.output_model.model_validate(raw), None
        except ValidationError as exc:
            log.error("output drift in %s: %s", spec.name, exc)
            return None, ToolError(code="output_drift", message=f"the {spec.system} system's answer no longer "
                                   f"matches the {spec.name} contract")
