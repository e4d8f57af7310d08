"""Running conversation tests: each conversation on a fresh copy of the store, every turn
checked, then the writes and the final records."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...assistant import Assistant, Reply
from ...config import Settings
from ...tools.backend.database import copy_file_database
from ...tools.backend.operation import OPERATIONS
from ...tools.backend.store import RetailBackend
from ...tools.backend.stores import create_store
from ...tools.gateway.faults import FaultPlan
from .format import Conversation, Expect


@dataclass
class Outcome:
    conversation: Conversation
    problems: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)
    writes: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


def _subset(expected: Any, actual: Any, path: str, problems: list[str]) -> None:
    """Every expected field has the expected value; fields not named are not checked."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{path}: expected an object, found {actual!r}")
            return
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing (expected {value!r})")
            else:
                _subset(value, actual[key], f"{path}.{key}", problems)
    elif isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, (int, float)) or abs(float(expected) - float(actual)) > 0.005:
            problems.append(f"{path}: expected {expected!r}, found {actual!r}")
    elif expected != actual:
        problems.append(f"{path}: expected {expected!r}, found {actual!r}")


def check_turn(expect: Expect, reply: Reply, writes: list[str], where: str) -> list[str]:
    problems: list[str] = []
    events = {(e.event, e.process) for e in reply.trace}
    for kind in ("started", "resumed", "completed", "cancelled"):
        for process in getattr(expect, kind):
            if (kind, process) not in events:
                problems.append(f"{where}: expected {process} {kind}; trace: {_trace(reply)}")
    if expect.asks is not None:
        asked = reply.asking or "none"
        if asked != expect.asks and not (expect.asks == "identity" and asked == "email"):
            problems.append(f"{where}: expected to ask for {expect.asks}, asks for {asked}")
    if expect.process is not None and (reply.active_process or "none") != expect.process:
        problems.append(f"{where}: expected {expect.process} active, found {reply.active_process or 'none'}")
    text = reply.text.lower()
    for words in expect.says:
        if words.lower() not in text:
            problems.append(f"{where}: reply lacks {words!r}: {reply.text!r}")
    for words in expect.not_says:
        if words.lower() in text:
            problems.append(f"{where}: reply should not say {words!r}: {reply.text!r}")
    keys = {line.key for line in reply.lines}
    for key in expect.template:
        if key not in keys:
            problems.append(f"{where}: reply has no line from template {key}; lines: {sorted(keys)}")
    if expect.writes is not None and sorted(expect.writes) != sorted(writes):
        problems.append(f"{where}: expected writes {expect.writes}, found {writes}")
    return problems


def _trace(reply: Reply) -> str:
    return ", ".join(f"{e.event} {e.process or ''}{'.' + e.slot if e.slot else ''}".strip() for e in reply.trace)


def _applied(rows) -> list[tuple[str, dict]]:
    """The writes that took effect: an 'ok' attempt, or a 'replayed' one whose committed answer was lost
    on every attempt (the gateway read it back). A replay of a write already seen is not a second write."""
    applied: list[tuple[str, dict]] = []
    seen: set[str] = set()
    for r in rows:
        if OPERATIONS[r.tool].kind != "write" or r.outcome not in ("ok", "replayed"):
            continue
        key = f"{r.tool}:{r.arguments}"
        if r.outcome == "replayed" and key in seen:
            continue
        seen.add(key)
        applied.append((r.tool, json.loads(r.arguments)))
    return applied


class ConversationRunner:
    """Runs conversations against one data set; `model` is a chat model for LLM understanding."""

    def __init__(self, data: Path | None = None, nlu: str = "local", model: Any = None,
                 faults: FaultPlan | None = None, workdir: Path | None = None):
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="procall-conversations-")
        self.workdir = Path(workdir or self._tmp.name)
        # No fallback: a conversation test of the LLM path must fail if that path fails.
        self.settings = Settings(home=self.workdir, nlu=nlu, data=data, llm_fallback_to_local=False)
        self.model = model
        self.faults = faults
        base = create_store(self.workdir / "base.db", data)
        base.close()
        self.base = self.workdir / "base.db"
        self._assistant: Assistant | None = None

    def _assistant_on(self, backend: RetailBackend) -> Assistant:
        """One Assistant for every conversation (building one costs more than most conversations take),
        each conversation on a fresh copy of the store and a thread of its own."""
        if self._assistant is None:
            self._assistant = Assistant(self.settings, backend=backend, faults=self.faults, model=self.model)
        else:
            done = self._assistant.backend
            self._assistant.use_store(backend)
            done.close()
        return self._assistant

    def run(self, conversation: Conversation) -> Outcome:
        slug = _slug(conversation.name)
        backend = RetailBackend(copy_file_database(self.base, self.workdir / f"{slug}.db"))
        assistant = self._assistant_on(backend)
        outcome = Outcome(conversation)
        audit = assistant.gateway.audit
        try:
            for number, turn in enumerate(conversation.turns, 1):
                seen = len(audit.rows(conversation=slug))
                reply = assistant.send(slug, turn.customer)
                outcome.transcript += [("customer", turn.customer), ("assistant", reply.text)]
                new = audit.rows(conversation=slug)[seen:]
                writes = [t for t, _ in _applied(new)]
                outcome.problems += check_turn(turn.expect, reply, writes, f"turn {number} ({turn.customer!r})")
            outcome.writes = _applied(audit.rows(conversation=slug))
            self._check_writes(conversation, outcome)
            if conversation.final:
                dump = backend.dump()
                for collection, records in conversation.final.items():
                    for key, expected in records.items():
                        _subset(expected, dump.get(collection, {}).get(key), f"final {collection}[{key}]",
                                outcome.problems)
        except Exception as exc:  # a crash is a failed conversation, reported like the others
            outcome.problems.append(f"crashed: {type(exc).__name__}: {exc}")
        return outcome

    @staticmethod
    def _check_writes(conversation: Conversation, outcome: Outcome) -> None:
        done = outcome.writes
        seen = [json.dumps([t, a], sort_keys=True) for t, a in done]
        if len(seen) != len(set(seen)):
            outcome.problems.append(f"a write was applied twice: {done}")
        for tool in conversation.no_writes:
            if any(t == tool for t, _ in done):
                outcome.problems.append(f"{tool} must not write, but did")
        if conversation.writes is None:
            return
        if len(done) != len(conversation.writes):
            outcome.problems.append(f"expected {len(conversation.writes)} writes "
                                    f"({[w.tool for w in conversation.writes]}), found {[t for t, _ in done]}")
            return
        for expected, (tool, args) in zip(conversation.writes, done, strict=True):
            if expected.tool != tool:
                outcome.problems.append(f"expected write {expected.tool}, found {tool}")
            _subset(expected.args, args, f"write {tool}", outcome.problems)

    def close(self) -> None:
        if self._assistant is not None:
            self._assistant.close()
            self._assistant = None
        if self._tmp is not None:
            self._tmp.cleanup()


def report(outcomes: list[Outcome], verbose: bool = False) -> str:
    lines = []
    for o in outcomes:
        lines.append(f"{'PASS' if o.passed else 'FAIL'}  {o.conversation.name}  ({o.conversation.source})")
        if not o.passed:
            lines += [f"      - {p}" for p in o.problems]
            if verbose:
                lines += [f"        {who}: {text}" for who, text in o.transcript]
    passed = sum(o.passed for o in outcomes)
    lines.append(f"{passed} passed, {len(outcomes) - passed} failed")
    return "\n".join(lines)
