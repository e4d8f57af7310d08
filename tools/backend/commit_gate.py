"""The terms a write attempt runs under: commit only within the caller's deadline.

The gateway waits for an attempt no longer than the tool's timeout and then tells the customer that
nothing was changed. That is only true if the attempt cannot commit afterwards, so the attempt and
the gateway agree, once and under a lock, on how it ends:

- the attempt asks `begin_commit()` right before COMMIT: yes only while the deadline has not passed
  and the gateway has not given up; otherwise it rolls back;
- the gateway, at its timeout, asks `abandon()`: yes if the attempt had not begun committing (it
  never will: report the timeout); no if the commit is under way (wait for it and report how it ended).

The store also waits for its write lock no longer than `lock_wait_s()` (SQLite's busy timeout), so an
abandoned attempt ends by itself instead of queueing for the lock long after the customer was told.

The terms reach `RetailBackend.execute` through a context variable set in the attempt's thread, which
keeps `execute(name, args, idempotency_key)` the one call every caller and test double knows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from .errors import BackendError


class WriteAbandoned(BackendError):
    """The attempt reached its commit point after the caller's deadline: rolled back, nothing changed."""

    code = "timeout"


class CommitGate:
    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.deadline = clock() + timeout_s
        self._lock = threading.Lock()
        self._state: Literal["running", "committing", "abandoned"] = "running"

    def lock_wait_s(self) -> float:
        """How long the store may still wait for its write lock."""
        return max(0.0, self.deadline - self._clock())

    def open(self) -> bool:
        """Still worth starting (checked before taking the store's lock)."""
        with self._lock:
            return self._state == "running" and self._clock() < self.deadline

    def begin_commit(self) -> bool:
        """Called by the attempt right before COMMIT: may it commit? Decided once."""
        with self._lock:
            if self._state == "running" and self._clock() < self.deadline:
                self._state = "committing"
            elif self._state == "running":
                self._state = "abandoned"
            return self._state == "committing"

    def abandon(self) -> bool:
        """Called by the caller at its timeout: True if the attempt will now never commit."""
        with self._lock:
            if self._state == "running":
                self._state = "abandoned"
            return self._state == "abandoned"


@dataclass(frozen=True)
class WriteTerms:
    """What one write attempt carries besides its arguments."""

    gate: CommitGate
    # Identifies the commit this call makes (the same for all its attempts); the audit log keys the
    # write's one `ok` row on it.
    write_id: str
    # The write's `ok` audit row (JSON), stored with the write so a start-up can add it to the audit
    # log if the process died between the store's commit and the audit insert.
    audit_row: str


_TERMS: ContextVar[WriteTerms | None] = ContextVar("procall_write_terms", default=None)


def current_terms() -> WriteTerms | None:
    return _TERMS.get()


@contextmanager
def write_terms(terms: WriteTerms | None) -> Iterator[None]:
    """Run the enclosed `execute` calls (in this thread) under `terms`."""
    token = _TERMS.set(terms)
    try:
        yield
    finally:
        _TERMS.reset(token)
