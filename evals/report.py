"""Writing an eval run down: summary table, report.md, results.jsonl, summary.json and a chart."""

from __future__ import annotations

import json
import platform
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .results import ConversationResult, SystemSummary
from .runner import EvalRun

COUNTING = ("Tokens are counted with langchain_core.messages.utils.count_tokens_approximately over exactly what "
            "each system sends (messages and tool schemas), except with --model openai:NAME where they come from "
            "the endpoint's usage.")


def per_task(run: EvalRun) -> dict[str, float]:
    """The comparison task by task (the same task and trial in both systems)."""
    from statistics import median

    process = {(r.task_id, r.trial): r for r in run.results if r.system == "process"}
    react = {(r.task_id, r.trial): r for r in run.results if r.system == "react"}
    pairs = [(process[k], react[k]) for k in process if k in react and react[k].input_tokens and process[k].model_calls]
    if not pairs:
        return {}
    reduction = [1 - p.input_tokens / r.input_tokens for p, r in pairs]
    calls = [r.model_calls / p.model_calls for p, r in pairs]
    return {
        "per task: median input token reduction": round(median(reduction), 4),
        "per task: lowest input token reduction": round(min(reduction), 4),
        "per task: median react/process model calls": round(median(calls), 2),
        "per task: lowest react/process model calls": round(min(calls), 2),
        "per task: share with >= 80% fewer input tokens": round(sum(x >= 0.8 for x in reduction) / len(pairs), 4),
        "per task: share with >= 3x fewer model calls": round(sum(x >= 3 for x in calls) / len(pairs), 4),
    }


def ratios(summaries: dict[str, SystemSummary], run: EvalRun | None = None) -> dict[str, float]:
    p, r = summaries.get("process"), summaries.get("react")
    if not p or not r:
        return {}
    out = {}
    for key in ("input_tokens", "output_tokens", "model_calls", "tool_calls"):
        a, b = getattr(p, key), getattr(r, key)
        if b:
            out[f"process/react {key}"] = round(a / b, 4)
    if p.input_tokens and r.input_tokens:
        out["input token reduction"] = round(1 - p.input_tokens / r.input_tokens, 4)
    if p.model_calls:
        out["react/process model calls"] = round(r.model_calls / p.model_calls, 2)
    if run is not None:
        out.update(per_task(run))
    return out


def rows(run: EvalRun) -> list[tuple[str, list[str]]]:
    """The summary as (metric, value per system) rows, for the terminal and for report.md."""
    systems = list(run.summaries)
    ks = sorted({k for s in systems for k in run.summaries[s].pass_hat}, key=int)
    spec = [("tasks", "tasks"), ("conversations", "conversations")] + [(f"pass^{k}", k) for k in ks] + [
        ("input tokens", "input_tokens"), ("output tokens", "output_tokens"), ("model calls", "model_calls"),
        ("sequential model calls / turn (mean)", "sequential_calls_per_turn_mean"),
        ("sequential model calls / turn (max)", "sequential_calls_per_turn_max"),
        ("tool calls", "tool_calls"), ("writes", "writes"), ("policy violations", "policy_violations"),
        ("calls refused by the gateway", "blocked"), ("customer turns", "customer_turns"),
        ("wall time (s)", "wall_s"), ("time outside the model (s)", "outside_model_s"),
        ("unparsed tasks", "unparsed_tasks")]
    out = []
    for label, key in spec:
        values = []
        for system in systems:
            summary = run.summaries[system]
            if label.startswith("pass^"):
                values.append(f"{summary.pass_hat[key]:.3f}" if key in summary.pass_hat else "-")
            elif key == "unparsed_tasks":
                values.append(str(len(summary.unparsed_tasks)))
            else:
                values.append(str(getattr(summary, key)))
        out.append((label, values))
    return out


def table(run: EvalRun) -> Table:
    t = Table(title=f"procall eval: {run.config.tasks.name}, model {run.config.model}, {run.config.trials} trial(s)")
    t.add_column("metric")
    for system in run.summaries:
        t.add_column(system, justify="right")
    for label, values in rows(run):
        t.add_row(label, *values)
    return t


def chart(run: EvalRun, path: Path) -> None:
    """Per conversation, tokens and model calls of each system: bars with task ids for a few tasks, lines for many."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    per: dict[str, dict[tuple[str, int], ConversationResult]] = defaultdict(dict)
    for r in run.results:
        per[r.system][(r.task_id, r.trial)] = r
    keys = sorted({k for rows in per.values() for k in rows}, key=lambda k: (k[1], _task_number(k[0])))
    figure = Figure(figsize=(max(10.0, min(24.0, len(keys) * 0.45)), 6.5), dpi=110)
    axes = figure.subplots(2, 1, sharex=True)
    colors = {"process": "#2b8a3e", "react": "#c92a2a"}
    width = 0.8 / max(len(per), 1)
    for ax, label, value in ((axes[0], "tokens per conversation", lambda r: r.input_tokens + r.output_tokens),
                             (axes[1], "model calls per conversation", lambda r: r.model_calls)):
        for n, (system, rows) in enumerate(sorted(per.items())):
            ys = [value(rows[k]) if k in rows else 0 for k in keys]
            if len(keys) <= 40:
                ax.bar([i + n * width for i in range(len(keys))], ys, width=width, label=system,
                       color=colors.get(system))
            else:
                ax.plot(range(len(keys)), ys, linewidth=0.8, label=system, color=colors.get(system))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis="y")
        ax.legend()
    if len(keys) <= 40:
        axes[1].set_xticks([i + 0.4 - width / 2 for i in range(len(keys))])
        axes[1].set_xticklabels([k[0] if run.config.trials == 1 else f"{k[0]}/{k[1]}" for k in keys], rotation=60,
                                ha="right", fontsize=8)
    else:
        axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[1].set_xlabel("conversation (tasks in order)")
    figure.suptitle(f"process calling vs ReAct: {run.config.tasks.name}, model {run.config.model}")
    figure.tight_layout()
    figure.savefig(path)


def _task_number(task_id: str) -> int:
    digits = "".join(c for c in task_id if c.isdigit())
    return int(digits) if digits else 0


def markdown(run: EvalRun, command: str) -> str:
    lines = ["# procall eval report", "", f"Command: `{command}`", "",
             f"Machine: {platform.platform()}, Python {platform.python_version()}", ""]
    lines += ["| metric | " + " | ".join(run.summaries) + " |", "|---|" + "---|" * len(run.summaries)]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in rows(run)]
    lines += ["", "Ratios: " + (", ".join(f"{k}: {v}" for k, v in ratios(run.summaries, run).items()) or "n/a"), "",
              COUNTING, ""]
    for note in run.notes:
        lines.append(f"Note: {note}")
    if run.unparsed:
        lines += ["", "## Unparsed tasks (counted as failures)", ""]
        lines += [f"- {task_id}: {reason}" for task_id, reason in sorted(run.unparsed.items())]
    failed = [r for r in run.results if not r.passed]
    if failed:
        lines += ["", "## Failed conversations", ""]
        for r in failed[:200]:
            why = r.error or "; ".join(r.diff[:3] + [f"missing output {o!r}" for o in r.missing_outputs]) or r.ended
            lines.append(f"- {r.system} {r.task_id} (trial {r.trial}, ended {r.ended}): {why}")
    lines += ["", "![per-task tokens and model calls](chart.png)", ""]
    return "\n".join(lines)


def write(run: EvalRun, out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w") as f:
        for r in run.results:
            f.write(json.dumps({**r.model_dump(), "outside_model_s": r.outside_model_s}) + "\n")
    summary = {name: s.model_dump() for name, s in run.summaries.items()}
    summary["ratios"] = ratios(run.summaries, run)
    summary["config"] = json.loads(run.config.model_dump_json())
    summary["token_counting"] = COUNTING
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    chart(run, out / "chart.png")
    (out / "report.md").write_text(markdown(run, command))


def print_summary(run: EvalRun) -> None:
    console = Console()
    console.print(table(run))
    for key, value in ratios(run.summaries, run).items():
        console.print(f"{key}: {value}")
    for note in run.notes:
        console.print(f"note: {note}")
