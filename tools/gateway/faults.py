"""Fault injection for tests and evals: latency, transient errors, hard failures, timeouts and
lost responses per backend system. Seeded, so a run repeats exactly.

A *transient* fault is a short burst that clears within the retry budget (a connection reset,
a 503 during a deploy); a *failure* persists for every attempt of the call (an outage), so the
process's fallback is what the customer sees.
"""

from __future__ import annotations

import random
import threading
import time

from pydantic import BaseModel, ConfigDict, Field


class InjectedFault(Exception):
    """A backend error that did not happen in the backend: raised by the injector."""


class SystemFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latency_ms: float = 0.0
    transient_rate: float = Field(default=0.0, ge=0, le=1, description="share of calls whose first attempts fail")
    failure_rate: float = Field(default=0.0, ge=0, le=1, description="share of calls that fail on every attempt")
    timeout_rate: float = Field(default=0.0, ge=0, le=1, description="share of attempts that hang past the timeout")
    lost_response_rate: float = Field(default=0.0, ge=0, le=1,
                                      description="share of writes whose answer is lost after the write committed")


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    systems: dict[str, SystemFaults] = {}
    corrupt_output: list[str] = Field(default_factory=list, description="tools whose answers come back malformed")


class FaultInjector:
    def __init__(self, plan: FaultPlan, max_attempts: int = 3):
        self.plan = plan
        self.max_attempts = max_attempts
        self._rng = random.Random(plan.seed)
        self._lock = threading.Lock()
        self._bursts: dict[str, int] = {}  # call id -> attempts still to fail

    def _draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def before_attempt(self, call_id: str, system: str, attempt: int, timeout_s: float) -> None:
        faults = self.plan.systems.get(system)
        if faults is None:
            return
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if attempt == 1:
            burst = 0
            if self._draw() < faults.failure_rate:
                burst = self.max_attempts
            elif self._draw() < faults.transient_rate:
                burst = 1 + int(self._draw() * max(self.max_attempts - 1, 1))
                burst = min(burst, self.max_attempts - 1) or 1
            if burst:
                with self._lock:
                    self._bursts[call_id] = burst
        with self._lock:
            remaining = self._bursts.pop(call_id, 0)
            if remaining > 1:
                self._bursts[call_id] = remaining - 1
        if remaining > 0:
            raise InjectedFault(f"injected transient error in {system}")
        if faults.timeout_rate and self._draw() < faults.timeout_rate:
            time.sleep(timeout_s * 1.5)

    def after_write(self, system: str) -> None:
        faults = self.plan.systems.get(system)
        if faults is not None and faults.lost_response_rate and self._draw() < faults.lost_response_rate:
            raise InjectedFault(f"injected lost response from {system} (the write committed)")

    def corrupts(self, tool: str) -> bool:
        return tool in self.plan.corrupt_output
