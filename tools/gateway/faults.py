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


class AttemptFaults(BaseModel):
    """What one attempt meets, decided before it starts."""

    model_config = ConfigDict(frozen=True)
    system: str
    latency_s: float = 0.0
    error: bool = False
    hang_s: float = 0.0
    lose_response: bool = False

    def before(self) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.error:
            raise InjectedFault(f"injected transient error in {self.system}")
        if self.hang_s:
            # The gateway has given up on this attempt by now; it never reaches the backend.
            time.sleep(self.hang_s)
            raise InjectedFault(f"injected hang in {self.system}: the attempt was abandoned")

    def after_write(self) -> None:
        if self.lose_response:
            raise InjectedFault(f"injected lost response from {self.system} (the write committed)")


class CallFaults:
    """The faults of one call, drawn from the call's own random stream (seed, call number).

    Every decision is drawn in the caller's thread before the attempt starts, so a run repeats
    exactly even when reads run concurrently or an abandoned attempt finishes late.
    """

    def __init__(self, faults: SystemFaults, system: str, rng: random.Random, max_attempts: int):
        self.faults = faults
        self.system = system
        self.max_attempts = max_attempts
        self._rng = rng
        self._failing = 0  # attempts still to fail

    def attempt(self, attempt: int, timeout_s: float, write: bool) -> AttemptFaults:
        faults, rng = self.faults, self._rng
        if attempt == 1:
            if rng.random() < faults.failure_rate:
                self._failing = self.max_attempts
            elif rng.random() < faults.transient_rate:
                burst = 1 + int(rng.random() * max(self.max_attempts - 1, 1))
                self._failing = min(burst, self.max_attempts - 1) or 1
        error = self._failing > 0
        if error:
            self._failing -= 1
        hang = not error and faults.timeout_rate > 0 and rng.random() < faults.timeout_rate
        lose = (write and not error and not hang and faults.lost_response_rate > 0
                and rng.random() < faults.lost_response_rate)
        return AttemptFaults(system=self.system, latency_s=faults.latency_ms / 1000, error=error,
                             hang_s=timeout_s * 1.5 if hang else 0.0, lose_response=lose)


class FaultInjector:
    def __init__(self, plan: FaultPlan, max_attempts: int = 3):
        self.plan = plan
        self.max_attempts = max_attempts
        self._lock = threading.Lock()
        self._calls = 0

    def next_call(self) -> int:
        """Number the calls in the order the caller made them (before any runs concurrently)."""
        with self._lock:
            self._calls += 1
            return self._calls

    def for_call(self, number: int, system: str) -> CallFaults | None:
        faults = self.plan.systems.get(system)
        if faults is None:
            return None
        return CallFaults(faults, system, random.Random(f"{self.plan.seed}:{number}"), self.max_attempts)

    def corrupts(self, tool: str) -> bool:
        return tool in self.plan.corrupt_output
