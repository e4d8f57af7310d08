"""A circuit breaker per backend system: stop hammering a system that keeps failing."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    failure_threshold: int
    cooldown_s: float
    clock: callable = time.monotonic
    _failures: int = 0
    _opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.cooldown_s:
            return "half_open"  # let one call through to test the system
        return "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "half_open":
                # One trial call: until it reports, the breaker counts as open again (and if the
                # trial never reports, the next cooldown lets another one through).
                self._opened_at = self.clock()
            return state != "open"

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state() == "half_open" or self._failures >= self.failure_threshold:
                self._opened_at = self.clock()


class CircuitBreakers:
    def __init__(self, failure_threshold: int, cooldown_s: float, clock=time.monotonic):
        self._settings = (failure_threshold, cooldown_s, clock)
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def for_system(self, system: str) -> CircuitBreaker:
        with self._lock:
            if system not in self._breakers:
                threshold, cooldown, clock = self._settings
                self._breakers[system] = CircuitBreaker(threshold, cooldown, clock)
            return self._breakers[system]
