"""Playing a simulated customer against the assistant, and a small runner over task files.

    transcript = play(parsed, assistant, thread_id, seed=0)

runs one conversation: the customer's opening, then reply after reply until the customer is
done, gives up, or runs out of turns. `on_utterance(utterance)` is called before each message
is sent, so an eval can prime an oracle model with the commands the customer means.

    python -m procall.evals.simulator.play --tasks FILE --data DIR [--limit N] [--seed S] [--task ID] [-v]

plays tasks on fresh copies of the store with one local-understanding assistant (pointed at a
new store per task), scores each the tau-bench way and prints pass/fail and the pass rate.
"""

from __future__ import annotations

import argparse
import atexit
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, computed_field

from .customer import Customer
from .dialogue import Ended, SimulatedCustomer, Utterance
from .parse import ParsedTask, Unparsed, parse


class Turn(BaseModel):
    customer: Utterance
    assistant: str
    lines: list[str] = Field(default_factory=list, description="Template keys of the reply (debugging).")
    trace: list[str] = Field(default_factory=list, description="What the assistant did (debugging).")


class Transcript(BaseModel):
    task_id: str
    seed: int
    greeting: str = ""
    turns: list[Turn] = Field(default_factory=list)
    ended: Ended
    error: str | None = Field(default=None, description="The assistant raised this (the conversation stopped).")

    @computed_field
    @property
    def said(self) -> list[str]:
        """Everything the assistant said, the greeting included."""
        return ([self.greeting] if self.greeting else []) + [t.assistant for t in self.turns]

    def render(self, debug: bool = True) -> str:
        out = [f"[{self.task_id} seed {self.seed}: {self.ended}{' after an error' if self.error else ''}]"]
        if self.greeting:
            out.append(f"  A: {self.greeting}")
        for turn in self.turns:
            out.append(f"  C: {turn.customer.text}")
            if debug:
                out.append(f"     = {[c.model_dump(exclude_defaults=True) for c in turn.customer.commands]}")
            out += [f"  A: {line}" for line in turn.assistant.splitlines()]
            if debug and turn.lines:
                out.append(f"     ({', '.join(turn.lines)})")
        if self.error:
            out.append(f"  ERROR: {self.error}")
        return "\n".join(out)


def _trace(event: Any) -> str:
    parts = [event.event, event.process or "", event.slot or "", event.detail or ""]
    return ":".join(p for p in parts if p)


def play(parsed: ParsedTask, assistant: Any, thread_id: str, seed: int,
         on_utterance: Callable[[Utterance], None] | None = None, max_turns: int = 30,
         customer_knowledge: Customer | None = None, catch_errors: bool = False) -> Transcript:
    """One conversation of the customer of `parsed` with `assistant` (already pointed at the right store).
    An exception of the assistant propagates, unless `catch_errors`: then the transcript so far is
    returned with `error` set (ended "stuck")."""
    knowledge = customer_knowledge or Customer.load(assistant.backend, parsed.agenda.user_id)
    customer = SimulatedCustomer(parsed, knowledge, seed=seed, max_turns=max_turns)
    greeting = assistant.greeting(thread_id)
    turns: list[Turn] = []
    utterance: Utterance | None = customer.opening()
    while utterance is not None:
        if on_utterance is not None:
            on_utterance(utterance)
        try:
            reply = assistant.send(thread_id, utterance.text)
        except Exception as exc:  # noqa: BLE001 - an assistant failure ends this conversation, not the eval
            if not catch_errors:
                raise
            turns.append(Turn(customer=utterance, assistant=""))
            return Transcript(task_id=parsed.task_id, seed=seed, greeting=greeting, turns=turns, ended="stuck",
                              error=f"{type(exc).__name__}: {exc} ({_origin(exc)})")
        turns.append(Turn(customer=utterance, assistant=reply.text, lines=[line.key for line in reply.lines],
                          trace=[_trace(e) for e in reply.trace]))
        utterance = customer.reply_to(reply.text)
    return Transcript(task_id=parsed.task_id, seed=seed, greeting=greeting, turns=turns,
                      ended=customer.ended or "stuck")


def _origin(exc: BaseException) -> str:
    """Where the innermost exception was raised: 'items.py:267 describe_changes'."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(exc).__name__
    code = tb.tb_frame.f_code
    return f"{type(exc).__name__} at {Path(code.co_filename).name}:{tb.tb_lineno} {code.co_name}"


# -- scoring quickly ----------------------------------------------------------------------------

# The tables each record of a store dump is spread over, and the column naming the record.
RECORD_TABLES = {"users": ("user_id", ("users", "payment_methods", "user_orders")),
                 "orders": ("order_id", ("orders", "order_items", "fulfillments", "payment_history")),
                 "products": ("product_id", ("products", "variants"))}


def changed_records(store_path: Path, base_path: Path) -> dict[str, set[str]]:
    """The keys of the records (users, orders, products) whose rows differ between two store files."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS base", (f"file:{base_path}?mode=ro",))
        changed: dict[str, set[str]] = {}
        for collection, (key, tables) in RECORD_TABLES.items():
            keys: set[str] = set()
            for table in tables:
                for a, b in (("main", "base"), ("base", "main")):
                    rows = conn.execute(f"SELECT DISTINCT {key} FROM (SELECT * FROM {a}.{table} "
                                        f"EXCEPT SELECT * FROM {b}.{table})").fetchall()
                    keys.update(r[0] for r in rows)
            changed[collection] = keys
        return changed
    finally:
        conn.close()


def partial_dump(backend: Any, keys: dict[str, set[str]]) -> dict[str, dict]:
    """The records named by `keys`, in the shape of `RetailBackend.dump()` (records.dump_store)."""
    from procall.tools.backend import records

    conn = backend.db.connection
    users = {}
    for user_id in sorted(keys.get("users", ())):
        user = records.read_user(conn, user_id)
        if user is not None:
            record = user.model_dump(exclude={"user_id"})
            record["payment_methods"] = {k: m.model_dump(exclude_none=True) for k, m in user.payment_methods.items()}
            users[user_id] = record
    orders = {order_id: order.as_record() for order_id in sorted(keys.get("orders", ()))
              if (order := records.read_order(conn, order_id)) is not None}
    products = {product_id: product.model_dump() for product_id in sorted(keys.get("products", ()))
                if (product := records.read_product(conn, product_id)) is not None}
    return {"users": users, "orders": orders, "products": products}


def score_task(task: dict, store: Any, store_path: Path, said: list[str], base: Any, workdir: Path,
               full: bool = False):
    """`scoring.score` of a finished conversation. Records that neither the conversation nor the gold
    actions changed are equal in both stores, so only the changed ones are dumped and compared (the
    verdict is the same as with whole dumps, `full=True`, at a fraction of the time)."""
    from ..scoring import replay, score

    if full:
        return score(task, store.dump(), said, source=base)
    expected_path = workdir / "expected.db"
    expected = base.copy(expected_path)
    try:
        replay(expected, task["actions"])
        keys = changed_records(store_path, base.path)
        for collection, more in changed_records(expected_path, base.path).items():
            keys[collection] |= more
        return score(task, partial_dump(store, keys), said, expected=partial_dump(expected, keys))
    finally:
        expected.close()
        for leftover in workdir.glob("expected.db*"):
            leftover.unlink(missing_ok=True)


# -- the runner -------------------------------------------------------------------------------


class TaskResult(BaseModel):
    task_id: str
    passed: bool
    line: str                 # 'pass train-3 (6 turns, done)' or 'FAIL ...: why'
    transcript: str = ""      # rendered, for failures
    record: dict = Field(default_factory=dict)  # the transcript and the score, for --save


class Player:
    """One assistant (local understanding, or the oracle; graphs compiled once) playing task after task, each on a
    fresh copy of the store and in a new thread."""

    def __init__(self, data: Path, seed: int = 0, full_dumps: bool = False, oracle: bool = False):
        from procall import Assistant, Settings

        from ..scoring import base_store

        self.seed, self.full_dumps = seed, full_dumps
        self.oracle = None
        if oracle:  # understanding returns exactly the commands the customer means (through the LLM path)
            from ..oracle import OracleUnderstandingModel

            self.oracle = OracleUnderstandingModel()
        self.base = base_store(data)
        self.reader = self.base.open()
        shm = Path("/dev/shm")  # the stores and the checkpoints are written at every step: keep them in memory
        self.workdir = Path(tempfile.mkdtemp(prefix="procall-play-", dir=shm if shm.is_dir() else None))
        # Removed when this process ends, also as a pool worker (where atexit handlers don't run).
        Finalize(self, shutil.rmtree, args=(self.workdir, True), exitpriority=10)
        (self.workdir / "home").mkdir()
        self.store = self.base.copy(self.workdir / "store-0.db")
        settings = Settings(home=self.workdir / "home", data=data, nlu="llm" if oracle else "local",
                            llm_fallback_to_local=False)
        self.assistant = Assistant(settings, backend=self.store, model=self.oracle)
        self.played = 0

    def play_task(self, task: dict) -> TaskResult:
        task_id = task["id"]
        parsed = parse(task, self.reader)
        if isinstance(parsed, Unparsed):
            return TaskResult(task_id=task_id, passed=False, line=f"FAIL {task_id}: unparsed: {parsed.reason}")
        self.played += 1
        path = self.workdir / f"store-{self.played}.db"
        store = self.base.copy(path)
        self.assistant.use_store(store)
        self.store.close()
        for old in self.workdir.glob(f"store-{self.played - 1}.db*"):
            old.unlink(missing_ok=True)
        self.store = store
        knowledge = Customer.load(self.reader, parsed.agenda.user_id)
        transcript = play(parsed, self.assistant, f"{task_id}-seed{self.seed}", self.seed,
                          customer_knowledge=knowledge, catch_errors=True,
                          on_utterance=(lambda u: self.oracle.prime(u.commands)) if self.oracle else None)
        verdict = score_task(task, store, path, transcript.said, self.base, self.workdir, full=self.full_dumps)
        summary = f"{task_id} ({len(transcript.turns)} turns, {transcript.ended})"
        record = {"transcript": transcript.model_dump(mode="json"), "score": verdict.model_dump(mode="json")}
        if verdict.passed:
            return TaskResult(task_id=task_id, passed=True, line=f"pass {summary}", record=record)
        why = "; ".join(verdict.diff) or f"missing outputs {verdict.missing_outputs}"
        if transcript.error:
            why = f"ERROR {transcript.error}; {why}"
        return TaskResult(task_id=task_id, passed=False, line=f"FAIL {summary}: {why}", transcript=transcript.render(),
                          record=record)

    def close(self) -> None:
        self.assistant.close()
        self.reader.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_WORKER: Player | None = None


def _start_worker(data: Path, seed: int, full_dumps: bool, oracle: bool) -> None:
    global _WORKER
    _WORKER = Player(data, seed, full_dumps, oracle)
    atexit.register(_WORKER.close)


def _play_in_worker(task: dict) -> TaskResult:
    return _WORKER.play_task(task)


def _warm_up() -> None:
    """Train the local understanding's classifier once, before the workers fork (they share it)."""
    from procall.graphs.catalogue import build_processes
    from procall.nodes.services import Services
    from procall.nodes.understanding.local.understander import LocalUnderstander

    LocalUnderstander(build_processes(Services(gateway=None))[0])


def run(tasks: list[dict], data: Path, seed: int = 0, verbose: bool = False, out=sys.stdout,
        full_dumps: bool = False, jobs: int = 1, save: Path | None = None, oracle: bool = False) -> float:
    """Play and score `tasks`, printing a line per task (and failed transcripts if `verbose`);
    returns pass^1. With `jobs` > 1 the tasks are shared among that many worker processes."""
    started = time.perf_counter()
    results: list[TaskResult] = []

    def report(result: TaskResult) -> None:
        results.append(result)
        print(result.line, file=out)
        if verbose and result.transcript:
            print(result.transcript, file=out)
        out.flush()

    if jobs <= 1 or len(tasks) < 2:
        player = Player(data, seed, full_dumps, oracle)
        try:
            for task in tasks:
                report(player.play_task(task))
        finally:
            player.close()
    else:
        _warm_up()
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                              else "spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                                 initargs=(data, seed, full_dumps, oracle)) as pool:
            for result in pool.map(_play_in_worker, tasks, chunksize=4):
                report(result)
    if save is not None:
        with open(save, "w") as f:
            for r in results:
                f.write(json.dumps({"task_id": r.task_id, "passed": r.passed, **r.record}) + "\n")
    passed = sum(r.passed for r in results)
    rate = passed / len(tasks) if tasks else 0.0
    print(f"\n{passed}/{len(tasks)} passed (pass^1 {rate:.3f}) in {time.perf_counter() - started:.1f}s, seed {seed}",
          file=out)
    failures = [r.task_id for r in results if not r.passed]
    if failures:
        print("failed: " + " ".join(failures), file=out)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.simulator.play",
                                     description="Play simulated customers against the assistant and score them.")
    parser.add_argument("--tasks", required=True, type=Path, help="a tau-bench task file (e.g. tasks_dev.json)")
    parser.add_argument("--data", required=True, type=Path, help="the folder of the store JSON files")
    parser.add_argument("--limit", type=int, default=None, help="play only the first N tasks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", action="append", default=[], help="play only this task id (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the transcripts of failed tasks")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="worker processes (default: the CPUs, at most 4)")
    parser.add_argument("--oracle", action="store_true",
                        help="understand with an oracle model that returns the commands the customer means")
    parser.add_argument("--save", type=Path, default=None, help="write every transcript and score to this JSONL file")
    parser.add_argument("--full-dumps", action="store_true",
                        help="score with whole store dumps (slower; the verdicts are the same)")
    args = parser.parse_args(argv)
    tasks = json.loads(args.tasks.read_text())
    if args.task:
        tasks = [t for t in tasks if t["id"] in set(args.task)]
    if args.limit is not None:
        tasks = tasks[:args.limit]
    run(tasks, args.data.resolve(), seed=args.seed, verbose=args.verbose, full_dumps=args.full_dumps, jobs=args.jobs,
        save=args.save, oracle=args.oracle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
