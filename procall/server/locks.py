"""One conversation, one turn at a time: a second message for a conversation waits until the first
is answered (up to `turn_wait_s`), on this instance or any other.

On one machine a file lock per conversation does it (it holds across processes, and is released by
the kernel if the process dies); on Postgres an advisory lock per conversation (`postgres_locks.py`),
released by the server when the holding instance's connection drops.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol


class ConversationBusy(Exception):
    """The conversation's previous message was still being answered when the wait ran out."""


class ConversationLocks(Protocol):
    def hold(self, conversation: str, wait_s: float) -> AbstractContextManager[None]: ...


class FileLocks:
    def __init__(self, folder: str | Path, poll_s: float = 0.01):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.poll_s = poll_s

    @contextmanager
    def hold(self, conversation: str, wait_s: float) -> Iterator[None]:
        name = hashlib.sha256(conversation.encode()).hexdigest()[:32]
        # Each hold opens its own descriptor: flock locks belong to the open file, so two threads of
        # one process exclude each other just as two processes do.
        fd = os.open(self.folder / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ConversationBusy(conversation) from None
                    time.sleep(self.poll_s)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
