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
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
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
         customer_knowledge: Customer | None = None) -> Transcript:
    """One conversation of the customer of `parsed` with `assistant` (already pointed at the right store)."""
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


# -- the runner -------------------------------------------------------------------------------


def run(tasks: list[dict], data: Path, seed: int = 0, verbose: bool = False, out=sys.stdout) -> float:
    from procall import Assistant, Settings

    from ..scoring import base_store, score

    started = time.perf_counter()
    base = base_store(data)
    reader = base.open()
    parsed = {task["id"]: parse(task, reader) for task in tasks}
    shm = Path("/dev/shm")  # the stores and the checkpoints are written at every step: keep them in memory
    workdir = Path(tempfile.mkdtemp(prefix="procall-play-", dir=shm if shm.is_dir() else None))
    (workdir / "home").mkdir()
    backend = base.copy(workdir / "store-0.db")
    assistant = Assistant(Settings(home=workdir / "home", data=data), backend=backend)
    passed, failures = 0, []
    try:
        for n, task in enumerate(tasks):
            task_id = task["id"]
            result = parsed[task_id]
            if isinstance(result, Unparsed):
                print(f"FAIL {task_id}: unparsed: {result.reason}", file=out)
                failures.append(task_id)
                continue
            store = base.copy(workdir / f"store-{n + 1}.db")
            assistant.use_store(store)
            backend.close()
            backend = store
            knowledge = Customer.load(reader, result.agenda.user_id)
            transcript = play(result, assistant, f"{task_id}-seed{seed}", seed, customer_knowledge=knowledge)
            verdict = score(task, store.dump(), transcript.said, source=base)
            if verdict.passed:
                passed += 1
                print(f"pass {task_id} ({len(transcript.turns)} turns, {transcript.ended})", file=out)
            else:
                failures.append(task_id)
                why = "; ".join(verdict.diff) or f"missing outputs {verdict.missing_outputs}"
                if transcript.error:
                    why = f"ERROR {transcript.error}; {why}"
                print(f"FAIL {task_id} ({len(transcript.turns)} turns, {transcript.ended}): {why}", file=out)
                if verbose:
                    print(transcript.render(), file=out)
            for old in workdir.glob(f"store-{n}.db*"):
                old.unlink(missing_ok=True)
    finally:
        assistant.close()
        reader.close()
        shutil.rmtree(workdir, ignore_errors=True)
    rate = passed / len(tasks) if tasks else 0.0
    print(f"\n{passed}/{len(tasks)} passed (pass^1 {rate:.3f}) in {time.perf_counter() - started:.1f}s, seed {seed}",
          file=out)
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
    args = parser.parse_args(argv)
    tasks = json.loads(args.tasks.read_text())
    if args.task:
        tasks = [t for t in tasks if t["id"] in set(args.task)]
    if args.limit is not None:
        tasks = tasks[:args.limit]
    run(tasks, args.data.resolve(), seed=args.seed, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
