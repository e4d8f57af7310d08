"""`procall eval`: process calling against the ReAct baseline on benchmark tasks."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .errors import CLIError

# Imports of what a command needs live in its run(): `procall --help` only builds parsers.


def register(commands) -> None:
    parser = commands.add_parser("eval", help="compare process calling with a ReAct baseline on benchmark tasks")
    parser.add_argument("--tasks", type=Path, help="tasks JSON (default: tasks_dev.json in the data folder)")
    parser.add_argument("--data", type=Path, help="the benchmark's data folder (default: $PROCALL_TAUBENCH_DIR or "
                                                  "../shared/taubench-retail)")
    parser.add_argument("--system", choices=["process", "react", "both"], default="both")
    parser.add_argument("--model", default="local", help="local | oracle | openai:NAME (default: local)")
    parser.add_argument("--trials", type=int, default=1, help="runs per task with different seeds (pass^k)")
    parser.add_argument("--limit", type=int, help="only the first N tasks")
    parser.add_argument("--task", action="append", default=[], help="only this task id (repeatable)")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    parser.add_argument("--out", type=Path, default=Path("eval-out"), help="where report.md, results.jsonl, "
                                                                           "summary.json and chart.png go")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..evals import taubench
    from ..evals.report import print_summary, write
    from ..evals.runner import EvalConfig, run_eval
    from ..tools.backend.loader import DataFolderError, check_data_folder

    data = args.data or taubench.data_folder()
    try:
        check_data_folder(data)
    except DataFolderError as exc:
        raise CLIError(f"{exc} (pass --data DIR)") from None
    tasks = args.tasks or Path(data) / "tasks_dev.json"
    if not Path(tasks).is_file():
        raise CLIError(f"no tasks file at {tasks}")
    if not (args.model in ("local", "oracle") or args.model.startswith("openai:")):
        raise CLIError(f"unknown --model {args.model!r}: use local, oracle or openai:NAME")
    if args.trials < 1:
        raise CLIError("--trials must be at least 1")
    config = EvalConfig(tasks=tasks, data=data, system=args.system, model=args.model, trials=args.trials,
                        limit=args.limit, task_ids=args.task, workers=args.workers)
    with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as progress:
        bar = progress.add_task("conversations", total=None)
        try:
            result = run_eval(config, lambda done, total: progress.update(bar, completed=done, total=total))
        except ValueError as exc:
            raise CLIError(str(exc)) from None
    print_summary(result)
    command = "procall " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "procall eval"
    write(result, args.out, command)
    print(f"wrote {args.out}/report.md, results.jsonl, summary.json, chart.png")
    return 0
