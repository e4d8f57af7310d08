"""The cross-system aggregation guard: some systems' data may not meet in one conversation
without a review. The systems a conversation already used come from the audit log, so the
guard holds across restarts."""

from __future__ import annotations

import threading

from .audit import AuditLog
from .policy import AggregationRule
from .results import ToolError


class AggregationGuard:
    def __init__(self, rules: list[AggregationRule], audit: AuditLog):
        self.rules = rules
        self.audit = audit
        self._used: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _systems(self, conversation: str) -> set[str]:
        with self._lock:
            if conversation not in self._used:
                self._used[conversation] = self.audit.systems_used(conversation)
            return self._used[conversation]

    def check(self, conversation: str, system: str) -> ToolError | None:
        if not self.rules:
            return None
        used = self._systems(conversation)
        for rule in self.rules:
            needed = set(rule.systems)
            if system in needed and not needed <= used and needed <= used | {system}:
                return ToolError(code="aggregation_held",
                                 message=f"held for review ({rule.name}): {rule.reason}")
        return None

    def record_use(self, conversation: str, system: str) -> None:
        if self.rules:
            self._systems(conversation).add(system)
