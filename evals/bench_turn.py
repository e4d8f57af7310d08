"""Per-turn cost: `Assistant.send` against a bare LangGraph loop, side by side, on the same checkpointer.

    python -m procall.evals.bench_turn [--rounds 10]          # the demo conversation, message by message
    python -m procall.evals.bench_turn --turns 200            # also: one long conversation of each, turn by turn

The bare loop is the least a LangGraph chat can do per message: an interrupt node (wait for the message)
and a pass-through node (append a reply), resumed with `Command(resume=text)` on a `SqliteSaver` made by
the same function as procall's (`procall.runtime.sqlite_checkpointer`: same pragmas, same serializer),
with LangGraph's default durability. procall plays `procall demo`'s script on a fresh copy of the demo
store each round (local understanding, default settings otherwise). Each runs in a worker process of its
own (neither one's memory, caches or garbage collection is charged to the other), and the two alternate
message by message, which goes first alternating too, so a busy machine slows both alike. CPU is
`time.process_time()` of the worker (its checkpoint writer threads included); wall is `time.perf_counter()`.

`--turns N` then plays one conversation of N customer messages on each, in checkpoint files of their own
(procall: an identification, then the cycle in `LONG_CYCLE` again and again: an order's status, a product
question, small talk, a cancellation begun and called off; no write, so every cycle does the same work),
and reports the median per-turn time of three cycles from turn 7 and of the last three, and both
checkpoint databases' size (the write-ahead log folded in) as the conversation grows. Figures for this
machine at this moment, not a test: on a loaded machine wall time varies with the load, CPU much less.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from ..assistant import Assistant
from ..cli.demo import SCRIPT
from ..config import Settings
from ..runtime import sqlite_checkpointer
from ..tools.backend.stores import create_store

TARGETS = {"cpu": 1.5, "wall": 2.0}   # procall / bare at the p50, issue 14
GROWTH_TARGET = 1.2                   # per-turn time near turn N / near turn 10
DB_TARGET_MB = 10.0                   # a 200-turn conversation's checkpoints
WINDOW = 3                            # cycles of the long conversation compared early and late

# A long conversation whose every cycle does the same work (and no write, so the store never changes).
LONG_OPENING = ("Hi, it's mia.castillo@example.com",)
LONG_CYCLE = (
    "What's the status of my order #W1001001?",
    "what colors does the t-shirt come in?",
    "thanks!",
    "I want to cancel order #W1001002",
    "no, keep it",
)


# -- the bare loop -----------------------------------------------------------------------------------


class BareState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def _bare_listen(state: BareState) -> dict:
    text = interrupt({"prompt": "?"})
    return {"messages": [HumanMessage(content=str(text))]}


def _bare_reply(state: BareState) -> dict:
    return {"messages": [AIMessage(content="ok")]}


def bare_graph(checkpointer: Any):
    graph = StateGraph(BareState)
    graph.add_node("listen", _bare_listen)
    graph.add_node("reply", _bare_reply)
    graph.add_edge(START, "listen")
    graph.add_edge("listen", "reply")
    graph.add_edge("reply", "listen")
    return graph.compile(checkpointer=checkpointer)


def count_saves(saver: Any) -> list[int]:
    """Count the checkpointer's saves (`put`: a checkpoint, `put_writes`: a task's pending writes); each
    is one SQLite transaction."""
    saves = [0]
    for method in ("put", "put_writes"):
        real = getattr(saver, method)

        def counted(*args, _real=real, **kwargs):
            saves[0] += 1
            return _real(*args, **kwargs)

        setattr(saver, method, counted)
    return saves


class Bare:
    def __init__(self, home: Path):
        self.path = home / "bare.db"
        self.saver = sqlite_checkpointer(self.path)
        self.saves = count_saves(self.saver)
        self.graph = bare_graph(self.saver)

    def new_store(self, n: int) -> None:
        """The bare loop has no store."""

    def start(self, thread: str) -> None:
        self.graph.invoke({"messages": []}, {"configurable": {"thread_id": thread}})

    def send(self, thread: str, text: str) -> str:
        values = self.graph.invoke(Command(resume=text), {"configurable": {"thread_id": thread}})
        return str(values["messages"][-1].content)

    def db_mb(self) -> float:
        return db_mb(self.saver, self.path)

    def close(self) -> None:
        self.saver.conn.close()


class Procall:
    def __init__(self, home: Path, cache_dir: Path):
        self.home = home
        self.settings = Settings(home=home, nlu="local", data=None, cache_dir=cache_dir)
        self.assistant = Assistant(self.settings, backend=create_store(home / "stores" / "bench-0.db"))
        self.saves = count_saves(self.assistant.checkpointer)

    def new_store(self, n: int) -> None:
        """A fresh copy of the demo store (the demo's writes succeed every round)."""
        old = self.assistant.backend
        self.assistant.use_store(create_store(self.home / "stores" / f"bench-{n}.db"))
        old.close()

    def start(self, thread: str) -> None:
        self.assistant.greeting(thread)

    def send(self, thread: str, text: str) -> str:
        return self.assistant.send(thread, text).text

    def db_mb(self) -> float:
        return db_mb(self.assistant.checkpointer, self.settings.checkpoints_path)

    def close(self) -> None:
        self.assistant.close()


def db_mb(saver: Any, path: Path) -> float:
    """The database's size with its write-ahead log folded in (the log's file is reused, not shrunk: its
    size says how much was written between two WAL checkpoints, not how much is kept)."""
    with saver.lock:
        saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*") if p.is_file()) / 1e6


def serve(kind: str, home: str, cache_dir: str, conn: Connection) -> None:
    """A worker process running one system: each is measured in a process of its own, so neither one's
    memory, caches or garbage collection is charged to the other. CPU is this process's (its checkpoint
    writer threads included)."""
    system = Procall(Path(home), Path(cache_dir)) if kind == "procall" else Bare(Path(home))
    conn.send("ready")
    try:
        while (request := conn.recv()) is not None:
            op, *args = request
            if op == "send":
                saves, cpu, wall = system.saves[0], time.process_time(), time.perf_counter()
                system.send(*args)
                conn.send((time.perf_counter() - wall, time.process_time() - cpu, system.saves[0] - saves))
            else:
                conn.send(getattr(system, op)(*args))
    finally:
        system.close()


class Worker:
    def __init__(self, kind: str, home: Path, cache_dir: Path):
        home.mkdir(parents=True, exist_ok=True)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter, nothing inherited
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(kind, str(home), str(cache_dir), theirs), daemon=True)
        self.process.start()
        if self.conn.recv() != "ready":
            raise RuntimeError(f"the {kind} worker did not start")

    def __call__(self, op: str, *args: Any) -> Any:
        self.conn.send((op, *args))
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(timeout=60)


# -- measuring ---------------------------------------------------------------------------------------


@dataclass
class Samples:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    saves: list[int] = field(default_factory=list)

    def add(self, wall_s: float, cpu_s: float, saves: int) -> None:
        self.wall_ms.append(wall_s * 1000)
        self.cpu_ms.append(cpu_s * 1000)
        self.saves.append(saves)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Pair:
    """procall and the bare loop, each in a worker process of its own with its own checkpoint file."""

    def __init__(self, home: Path):
        # The user's classifier cache (what `procall demo` uses): the bench measures turns, not training.
        cache = Settings().model_cache
        self.procall = Worker("procall", home / "procall", cache)
        self.bare = Worker("bare", home / "bare", cache)

    def each(self, op: str, *args: Any) -> None:
        self.procall(op, *args)
        self.bare(op, *args)

    def both(self, n: int, thread: str, text: str, procall: Samples, bare: Samples) -> None:
        """One message to each, one after the other (which goes first alternating with `n`)."""
        for worker, samples in ((self.procall, procall), (self.bare, bare))[::1 if n % 2 == 0 else -1]:
            samples.add(*worker("send", thread, text))

    def close(self) -> None:
        self.procall.close()
        self.bare.close()


def _row(label: str, values: list[float]) -> str:
    return f"{label:<8} {statistics.median(values):>8.1f} {pct(values, 0.95):>8.1f}"


def report(title: str, procall: Samples, bare: Samples) -> bool:
    print(title)
    print(f"{'':<22}{'p50 ms':>8} {'p95 ms':>8}")
    met = True
    for kind, key in (("wall", "wall_ms"), ("CPU", "cpu_ms")):
        mine, theirs = getattr(procall, key), getattr(bare, key)
        print("  procall " + _row(kind, mine))
        print("  bare    " + _row(kind, theirs))
        ratio = statistics.median(mine) / statistics.median(theirs)
        target = TARGETS["wall" if kind == "wall" else "cpu"]
        met &= ratio <= target
        verdict = "met" if ratio <= target else "MISSED"
        print(f"  procall/bare {kind} p50: {ratio:.2f}x  (target <= {target:g}x: {verdict})")
    return met


def per_message(pair: Pair, rounds: int) -> bool:
    procall, bare = Samples(), Samples()
    n = 0
    for r in range(rounds):
        pair.each("new_store", r + 1)
        thread = f"demo-{r}"
        pair.each("start", thread)
        for text in SCRIPT:
            pair.both(n, thread, text, procall, bare)
            n += 1
    saves = statistics.mean(procall.saves), statistics.mean(bare.saves)
    met = report(f"per customer message: the demo conversation ({len(SCRIPT)} messages) x {rounds} rounds, "
                 f"{len(procall.wall_ms)} messages each", procall, bare)
    print(f"  checkpointer saves (put + put_writes) per message: procall {saves[0]:.1f}, bare {saves[1]:.1f}")
    return met


def long_conversation(home: Path, turns: int) -> bool:
    pair = Pair(home)
    try:
        return _long_conversation(pair, turns)
    finally:
        pair.close()


def _long_conversation(pair: Pair, turns: int) -> bool:
    procall, bare = Samples(), Samples()
    thread = "long"
    pair.each("start", thread)
    cycle = len(LONG_CYCLE)
    script = [*LONG_OPENING, *(LONG_CYCLE * (turns // cycle + 1))][:turns]
    sizes: list[tuple[int, float, float]] = []
    marks = {turns * k // 4 for k in range(1, 5)}
    for n, text in enumerate(script, 1):
        pair.both(n, thread, text, procall, bare)
        if n in marks:
            sizes.append((n, pair.procall("db_mb"), pair.bare("db_mb")))
    # Whole cycles: WINDOW of them from the 2nd (around turn 10), and the last WINDOW complete ones. Medians:
    # on a busy machine a few turns wait for a core, and a mean would measure the machine.
    opening = len(LONG_OPENING)
    early = slice(opening + cycle, opening + (1 + WINDOW) * cycle)
    last = opening + (turns - opening) // cycle * cycle
    late = slice(last - WINDOW * cycle, last)
    print(f"\none conversation of {turns} customer messages each (procall: {cycle}-message cycle, no writes); "
          f"median per turn of turns {early.start + 1}-{early.stop} and of turns {late.start + 1}-{late.stop}")
    met = True
    for kind, key in (("wall", "wall_ms"), ("CPU", "cpu_ms")):
        for name, samples in (("procall", procall), ("bare", bare)):
            values = getattr(samples, key)
            at_start, at_end = statistics.median(values[early]), statistics.median(values[late])
            growth = at_end / at_start
            verdict = ""
            if name == "procall":
                met &= growth <= GROWTH_TARGET
                verdict = f"  (target <= {GROWTH_TARGET:g}x: {'met' if growth <= GROWTH_TARGET else 'MISSED'})"
            print(f"  {name:<8} {kind:<5} ms per turn early {at_start:7.2f}   late {at_end:7.2f}"
                  f"   late/early {growth:.2f}x{verdict}")
    print(f"  checkpoint database (WAL folded in), MB: {'turn':>6} {'procall':>8} {'bare':>8}")
    for n, mine, theirs in sizes:
        print(f"  {'':<40}{n:>6} {mine:>8.2f} {theirs:>8.2f}")
    final = sizes[-1][1]
    if turns >= 200:
        verdict = "met" if final < DB_TARGET_MB else "MISSED"
        met &= final < DB_TARGET_MB
        print(f"  procall after {turns} turns: {final:.2f} MB (target < {DB_TARGET_MB:g} MB at 200 turns: {verdict})")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.bench_turn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="plays of the demo conversation (default 10)")
    parser.add_argument("--turns", type=int, default=0, help="also play one conversation this long on each "
                                                            "(e.g. 200; default: skip)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    shortest = len(LONG_OPENING) + (2 * WINDOW + 1) * len(LONG_CYCLE)
    if args.turns and args.turns < shortest:
        parser.error(f"--turns must be at least {shortest}")
    with tempfile.TemporaryDirectory(prefix="procall-bench-turn-") as home:
        pair = Pair(Path(home))
        try:
            print(f"procall durability {Settings().durability!r}; bare: "
                  f"LangGraph's default; checkpoints: procall.runtime.sqlite_checkpointer for both; each system "
                  f"in a worker process of its own")
            met = per_message(pair, args.rounds)
        finally:
            pair.close()
        if args.turns:
            met &= long_conversation(Path(home) / "long", args.turns)
    print("\nall targets met" if met else "\nsome targets MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
