"""The cross-system aggregation guard: some systems' data may not meet in one conversation
without a review. The systems a conversation already used come from the audit log, so the
guard holds across restarts."""

from __future__ import annotations

import threading
from collections import Counter

from .audit import AuditLog
from .policy import AggregationRule
from .results import ToolError


class AggregationGuard:
    def __init__(self, rules: list[AggregationRule], audit: AuditLog):
        self.rules = rules
        self.audit = audit
        self._used: dict[str, set[str]] = {}
        self._in_flight: dict[str, Counter[str]] = {}  # systems of calls let through and not yet ended
        self._lock = threading.Lock()

    def _systems(self, conversation: str) -> set[str]:
        # The caller holds the lock.
        if conversation not in self._used:
            self._used[conversation] = self.audit.systems_used(conversation)
        return self._used[conversation]

    def check(self, conversation: str, system: str) -> ToolError | None:
        """Hold the call that would complete a rule's combination. A call let through counts as
        using its system until `release`, so calls running concurrently cannot complete one together."""
        if not self.rules:
            return None
        with self._lock:
            in_flight = self._in_flight.setdefault(conversation, Counter())
            used = self._systems(conversation) | set(in_flight)
            for rule in self.rules:
                needed = set(rule.systems)
                if system in needed and not needed <= used and needed <= used | {system}:
                    return ToolError(code="aggregation_held",
                                     message=f"held for review ({rule.name}): {rule.reason}")
            in_flight[system] += 1
        return None

    def release(self, conversation: str, system: str, used: bool) -> None:
        """The call `check` let through has ended; `used` if it returned the system's data."""
        if not self.rules:
            return
        with self._lock:
            in_flight = self._in_flight.get(conversation)
            if in_flight is not None:
                in_flight[system] -= 1
                if in_flight[system] <= 0:
                    del in_flight[system]
                if not in_flight:
                    del self._in_flight[conversation]
            if used:
                self._systems(conversation).add(system)
