"""What an eval measures: per conversation, and per system over a run."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from pydantic import BaseModel, Field

from .scoring import pass_hat_k


class ConversationResult(BaseModel):
    task_id: str
    trial: int
    system: str                      # "process" | "react"
    passed: bool
    db_match: bool
    missing_outputs: list[str] = []
    diff: list[str] = []
    ended: str = ""                  # done | stuck | turn_limit | error
    customer_turns: int = 0
    model_calls: int = 0
    sequential_calls: list[int] = Field(default_factory=list, description="model calls made one after another, per "
                                                                         "customer turn")
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    writes: int = 0
    policy_violations: list[str] = []
    blocked: int = 0                 # calls the gateway refused (a policy held, not violated)
    wall_s: float = 0.0
    model_s: float = 0.0
    error: str | None = None

    @property
    def outside_model_s(self) -> float:
        return max(self.wall_s - self.model_s, 0.0)


class SystemSummary(BaseModel):
    system: str
    tasks: int
    trials: int
    conversations: int
    pass_hat: dict[str, float]
    input_tokens: int
    output_tokens: int
    model_calls: int
    tool_calls: int
    writes: int
    policy_violations: int
    blocked: int
    sequential_calls_per_turn_mean: float
    sequential_calls_per_turn_max: int
    customer_turns: int
    wall_s: float
    outside_model_s: float
    unparsed_tasks: list[str] = []


def summarize(results: list[ConversationResult], trials: int, unparsed: list[str]) -> dict[str, SystemSummary]:
    by_system: dict[str, list[ConversationResult]] = defaultdict(list)
    for r in results:
        by_system[r.system].append(r)
    summaries = {}
    for system, rows in by_system.items():
        per_task: dict[str, list[bool]] = defaultdict(list)
        for r in rows:
            per_task[r.task_id].append(r.passed)
        # Unparsed tasks count as failures in every trial: never silently dropped.
        for task_id in unparsed:
            per_task.setdefault(task_id, [False] * trials)
        counts = [(sum(v), len(v)) for v in per_task.values()]
        k_max = min(n for _, n in counts) if counts else 0
        turns = [c for r in rows for c in r.sequential_calls]
        summaries[system] = SystemSummary(
            system=system, tasks=len(per_task), trials=trials, conversations=len(rows),
            pass_hat={str(k): round(pass_hat_k(counts, k), 4) for k in range(1, k_max + 1)},
            input_tokens=sum(r.input_tokens for r in rows), output_tokens=sum(r.output_tokens for r in rows),
            model_calls=sum(r.model_calls for r in rows), tool_calls=sum(r.tool_calls for r in rows),
            writes=sum(r.writes for r in rows), policy_violations=sum(len(r.policy_violations) for r in rows),
            blocked=sum(r.blocked for r in rows),
            sequential_calls_per_turn_mean=round(mean(turns), 3) if turns else 0.0,
            sequential_calls_per_turn_max=max(turns) if turns else 0,
            customer_turns=sum(r.customer_turns for r in rows),
            wall_s=round(sum(r.wall_s for r in rows), 3),
            outside_model_s=round(sum(r.outside_model_s for r in rows), 3),
            unparsed_tasks=list(unparsed),
        )
    return summaries
