"""`procall eval`: process calling against the ReAct baseline on the benchmark's tasks.

Tasks are split over worker processes; each worker builds its assistant once and points it at
a fresh copy of the store for every conversation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from .results import ConversationResult, SystemSummary, summarize

Mode = str  # "local" | "oracle" | "openai:<model name>"


class EvalConfig(BaseModel):
    tasks: Path
    data: Path
    system: Literal["process", "react", "both"] = "both"
    model: Mode = "local"
    trials: int = 1
    limit: int | None = None
    task_ids: list[str] = []
    workers: int = 0          # 0: one per core
    max_turns: int = 30


@dataclass
class EvalRun:
    config: EvalConfig
    results: list[ConversationResult]
    unparsed: dict[str, str]
    summaries: dict[str, SystemSummary]
    notes: list[str]


def load_tasks(config: EvalConfig) -> list[dict]:
    import json

    tasks = json.loads(Path(config.tasks).read_text())
    if config.task_ids:
        tasks = [t for t in tasks if t["id"] in set(config.task_ids)]
    return tasks[: config.limit] if config.limit else tasks


def systems_for(config: EvalConfig) -> tuple[list[str], list[str]]:
    """Which systems run in this mode, and notes for what could not."""
    wanted = ["process", "react"] if config.system == "both" else [config.system]
    notes = []
    if config.model == "local" and "react" in wanted:
        wanted.remove("react")
        notes.append("ReAct needs a model: it does not run with --model local (use oracle or openai:NAME).")
    return wanted, notes


# -- worker side ---------------------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(config_json: str, base_path: str) -> None:
    from ..assistant import Assistant
    from ..config import Settings
    from ..runtime import sqlite_checkpointer
    from .oracle import OracleUnderstandingModel
    from .scoring import BaseStore

    config = EvalConfig.model_validate_json(config_json)
    home = Path(tempfile.mkdtemp(prefix="procall-eval-"))
    Finalize(None, shutil.rmtree, args=(home, True), exitpriority=10)  # pool workers skip atexit handlers
    base = BaseStore(base_path)
    mode = config.model
    oracle = OracleUnderstandingModel() if mode == "oracle" else None
    model = oracle
    nlu = "local"
    if mode.startswith("openai:"):
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model=mode.split(":", 1)[1], max_retries=1, temperature=0,
                           api_key=os.environ.get("OPENAI_API_KEY") or "not-needed")
    if model is not None:
        nlu = "llm"
    # One checkpoint per turn: an eval needs no mid-turn crash recovery, and it is much faster.
    settings = Settings(home=home, data=config.data, nlu=nlu, llm_fallback_to_local=False, durability="exit")
    first = base.copy(home / "store-0.db")
    assistant = Assistant(settings, backend=first, model=model,
                          checkpointer=sqlite_checkpointer(home / "conversations.db"))
    _WORKER.update(config=config, home=home, base=base, assistant=assistant, oracle=oracle, model=model,
                   settings=settings, counter=0, checkpointer=sqlite_checkpointer(home / "react.db"))


def _fresh_store():
    _WORKER["counter"] += 1
    path = _WORKER["home"] / f"store-{_WORKER['counter']}.db"
    old = _WORKER["home"] / f"store-{_WORKER['counter'] - 2}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{old}{suffix}").unlink(missing_ok=True)
    return _WORKER["base"].copy(path)


def run_task(task: dict, trial: int, systems: list[str]) -> tuple[list[ConversationResult], str | None]:
    """Every wanted system on one task, one trial. Returns the results, or the reason it is unparsed."""
    from ..runtime import make_gateway
    from .runs import run_process, run_react
    from .scoring import ExpectedStore
    from .simulator.parse import Unparsed, parse
    from .simulator.play import play

    config, base = _WORKER["config"], _WORKER["base"]
    reader = base.open()
    try:
        parsed = parse(task, reader)
    finally:
        reader.close()
    if isinstance(parsed, Unparsed):
        return [], parsed.reason
    expected = ExpectedStore(task, base)
    results: list[ConversationResult] = []
    plan = None
    customer_messages = None
    if "process" in systems or config.model == "oracle":
        backend = _fresh_store()
        result, plan = run_process(task, parsed, _WORKER["assistant"], backend, trial, expected,
                                   lambda *a, **k: play(*a, max_turns=config.max_turns, **k), _WORKER["oracle"])
        customer_messages = None
        if "process" in systems:
            results.append(result)
        customer_messages = _customer_lines(_WORKER["assistant"], f"eval-{task['id']}-t{trial}-process")
    if "react" in systems:
        backend = _fresh_store()
        gateway = make_gateway(_WORKER["settings"], backend, audit=_WORKER["assistant"].gateway.audit)
        try:
            if config.model == "oracle":
                from .oracle import OracleReactModel

                results.append(run_react(task, gateway, OracleReactModel(plan=plan), _WORKER["checkpointer"],
                                         trial, expected, customer_messages=customer_messages))
            else:
                from .llm_customer import LLMCustomer

                customer = LLMCustomer(_WORKER["model"], task["instruction"], config.max_turns)
                results.append(run_react(task, gateway, _WORKER["model"], _WORKER["checkpointer"], trial,
                                         expected, customer=customer))
        finally:
            gateway.close()
    return results, None


def _customer_lines(assistant, thread: str) -> list[str]:
    return [text for who, text in assistant.view(thread).messages if who == "customer"]


def _run_chunk(chunk: list[tuple[dict, int]],
               systems: list[str]) -> list[tuple[str, list[ConversationResult], str | None]]:
    return [(task["id"], *run_task(task, trial, systems)) for task, trial in chunk]


# -- driver side ---------------------------------------------------------------------------------


def run_eval(config: EvalConfig, progress: Callable[[int, int], None] | None = None) -> EvalRun:
    from .scoring import BaseStore

    tasks = load_tasks(config)
    systems, notes = systems_for(config)
    if not systems:
        raise ValueError("nothing to run: " + " ".join(notes))
    workdir = Path(tempfile.mkdtemp(prefix="procall-eval-base-"))
    try:
        base = BaseStore.build(config.data, workdir / "base.db")
        jobs = [(task, trial) for trial in range(config.trials) for task in tasks]
        workers = config.workers or min(os.cpu_count() or 1, 8)
        if config.model.startswith("openai:") or config.model == "oracle":
            workers = min(workers, 2)
        size = max(1, min(8, len(jobs) // (workers * 4) or 1))
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        results: list[ConversationResult] = []
        unparsed: dict[str, str] = {}
        done = 0
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(config.model_dump_json(), str(base.path))) as pool:
            futures = [pool.submit(_run_chunk, chunk, systems) for chunk in chunks]
            for future in as_completed(futures):
                for task_id, rows, reason in future.result():
                    results.extend(rows)
                    if reason is not None:
                        unparsed[task_id] = reason
                    done += 1
                    if progress:
                        progress(done, len(jobs))
        results.sort(key=lambda r: (r.system, r.trial, r.task_id))
        summaries = summarize(results, config.trials, sorted(unparsed))
        return EvalRun(config=config, results=results, unparsed=unparsed, summaries=summaries, notes=notes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
