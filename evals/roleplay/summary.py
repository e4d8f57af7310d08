"""What `procall play report` says about a corpus: pass rate, customer messages per task, friction per
conversation, failures by class and how often the assistant said it did not understand."""

from __future__ import annotations

import re
from collections import Counter
from statistics import mean, median

from pydantic import BaseModel

from .corpus import FAILURE_CLASSES, Message, PlayedConversation

NOT_UNDERSTOOD_KEY = "conversation.not_understood"
DIDNT_CATCH = "didnt_catch"
# For assistant messages saved without template keys: the wording of the not-understood templates and the like.
NOT_UNDERSTOOD_TEXT = re.compile(r"didn't (?:quite )?(?:get|catch|understand) (?:that|you)|not sure what you mean",
                                 re.IGNORECASE)


class SplitSummary(BaseModel):
    conversations: int
    passed: int
    pass_rate: float


class CorpusSummary(BaseModel):
    conversations: int
    passed: int
    pass_rate: float | None                 # None: no conversations
    mean_customer_messages: float | None
    median_customer_messages: float | None
    median_friction: float | None
    mean_friction: float | None
    friction_per_conversation: dict[str, int]
    failures_by_class: dict[str, int]
    passes_with_caught_proposal: int        # passes only because the customer caught a wrong proposal
    assistant_turns: int                    # replies to the customer (the greeting is not one)
    not_understood_turns: int
    not_understood_share: float | None
    by_split: dict[str, SplitSummary]


def not_understood(message: Message) -> bool:
    """By the template key when the message carries its keys (conversation.not_understood*), else by text."""
    if message.template_keys:  # (a process's own "didn't catch that" to its question: `<process>.didnt_catch*`)
        return any(k.startswith(NOT_UNDERSTOOD_KEY) or k.partition(".")[2].startswith(DIDNT_CATCH)
                   for k in message.template_keys)
    return bool(NOT_UNDERSTOOD_TEXT.search(message.text))


def _replies(messages: list[Message]) -> list[Message]:
    first = next((i for i, m in enumerate(messages) if m.role == "customer"), len(messages))
    return [m for m in messages[first:] if m.role == "assistant"]


def summarise(records: list[PlayedConversation]) -> CorpusSummary:
    n = len(records)
    passed = sum(r.passed for r in records)
    said = [r.customer_messages for r in records]
    friction = [len(r.friction) for r in records]
    replies = [m for r in records for m in _replies(r.messages)]
    missed = sum(not_understood(m) for m in replies)
    failures = Counter(r.failure_class for r in records if not r.passed)
    splits = {}
    for split in sorted({r.split for r in records}):
        rows = [r for r in records if r.split == split]
        splits[split] = SplitSummary(conversations=len(rows), passed=sum(r.passed for r in rows),
                                     pass_rate=sum(r.passed for r in rows) / len(rows))
    return CorpusSummary(
        conversations=n, passed=passed, pass_rate=passed / n if n else None,
        mean_customer_messages=mean(said) if n else None, median_customer_messages=median(said) if n else None,
        median_friction=median(friction) if n else None, mean_friction=mean(friction) if n else None,
        friction_per_conversation={r.task_id: len(r.friction) for r in records},
        failures_by_class={c: failures[c] for c in FAILURE_CLASSES if failures[c]},
        passes_with_caught_proposal=sum(1 for r in records if r.passed and r.caught_wrong_proposal),
        assistant_turns=len(replies), not_understood_turns=missed,
        not_understood_share=missed / len(replies) if replies else None, by_split=splits)


def render(summary: CorpusSummary, folder: str) -> str:
    if not summary.conversations:
        return f"no played conversations in {folder}"
    s = summary
    lines = [
        f"role-played conversations in {folder}: {s.conversations}",
        f"  pass rate                   {s.pass_rate:.2f} ({s.passed}/{s.conversations})",
        *(f"    {name:<25} {v.pass_rate:.2f} ({v.passed}/{v.conversations})" for name, v in s.by_split.items()),
        f"  customer messages per task  mean {s.mean_customer_messages:.1f}, median {s.median_customer_messages:g}",
        f"  friction per conversation   median {s.median_friction:g}, mean {s.mean_friction:.2f}",
        f"  passes needing a catch      {s.passes_with_caught_proposal} (the customer caught a wrong proposal)",
    ]
    if s.not_understood_share is not None:
        lines.append(f"  'didn't catch that' turns   {s.not_understood_share:.1%} "
                     f"({s.not_understood_turns}/{s.assistant_turns} assistant turns)")
    failed = ", ".join(f"{c} {k}" for c, k in s.failures_by_class.items()) or "none"
    lines.append(f"  failures by class           {failed}")
    rubbed = {t: k for t, k in s.friction_per_conversation.items() if k}
    if rubbed:
        lines.append("  friction                    " + ", ".join(f"{t} {k}" for t, k in rubbed.items()))
    return "\n".join(lines)
