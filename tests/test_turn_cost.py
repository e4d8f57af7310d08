"""What a customer message costs, counted (never timed): checkpoints written, state reads, graph runs, and
how much of the conversation every checkpoint carries. And that running a process inside the router's
step changes nothing but the cost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda
from langgraph.pregel import Pregel
from langgraph.types import Command

from procall import Assistant
from procall.cli.demo import SCRIPT
from procall.config import Settings
from procall.evals.conversations.format import load
from procall.graphs.catalogue import build_processes
from procall.graphs.process import ProcessGraph
from procall.runtime import sqlite_checkpointer
from procall.state.conversation import KEPT_MESSAGES
from procall.tools.backend.stores import create_store

CONVERSATIONS = Path(__file__).parent / "conversations"
IDENTIFIED = "Hi, it's mia.castillo@example.com"
CYCLE = ("What's the status of my order #W1001001?", "thanks!")  # the same work every time


class Counts:
    def __init__(self, bot: Assistant, monkeypatch):
        self.puts = self.put_writes = self.reads = self.runs = 0
        saver = bot.checkpointer
        real_put, real_put_writes, real_get_state = saver.put, saver.put_writes, bot.graph.get_state

        def put(*args, **kwargs):
            self.puts += 1
            return real_put(*args, **kwargs)

        def put_writes(*args, **kwargs):
            self.put_writes += 1
            return real_put_writes(*args, **kwargs)

        def get_state(*args, **kwargs):
            self.reads += 1
            return real_get_state(*args, **kwargs)

        real_stream = Pregel.stream

        def stream(graph, *args, **kwargs):  # every graph run, a nested one too
            self.runs += 1
            yield from real_stream(graph, *args, **kwargs)

        monkeypatch.setattr(saver, "put", put)
        monkeypatch.setattr(saver, "put_writes", put_writes)
        monkeypatch.setattr(bot.graph, "get_state", get_state)
        monkeypatch.setattr(Pregel, "stream", stream)

    def reset(self) -> tuple[int, int, int, int]:
        counts = (self.puts, self.put_writes, self.reads, self.runs)
        self.puts = self.put_writes = self.reads = self.runs = 0
        return counts


def _writes(bot: Assistant) -> int:
    return bot.backend.db.query("SELECT count(*) AS n FROM idempotency_keys")[0]["n"]


def test_a_message_is_one_graph_run_and_one_checkpoint_and_a_write_one_more(assistant, monkeypatch):
    """A turn is one graph run saved once at its end (and the interrupt's pending write); a turn that
    writes stops before the write to save the turn, then goes on: two. No process runs a graph of its
    own, and `send` does not read the saved state before the run (which loads it) when the conversation is
    where its last reply left it."""
    assistant.send("demo", SCRIPT[0])  # a new conversation also greets: not counted
    counts = Counts(assistant, monkeypatch)
    writing = []
    for text in SCRIPT[1:]:
        before = _writes(assistant)
        assistant.send("demo", text)
        puts, put_writes, reads, runs = counts.reset()
        wrote = _writes(assistant) - before
        writing += [text] * wrote
        assert (puts, reads, runs) == (1 + wrote, 0, 1 + wrote), (text, puts, reads, runs)
        assert put_writes <= 1, text
    assert writing == ["Yes, go ahead.", "yes"]  # the claim, the cancellation


def test_send_reads_the_state_first_when_a_checkpoint_came_after_the_last_reply(assistant, monkeypatch):
    """The state is read before the run (to finish a cut-off turn, to tell what was not told) unless the latest
    checkpoint is the one the last reply handed out was read from: a new conversation, a turn run without
    `send` (Studio, a direct graph run) and a turn that ended after its reply was last handed out all read it."""
    counts = Counts(assistant, monkeypatch)
    assistant.send("t", SCRIPT[0])
    assert counts.reset()[2] == 1  # new: read, found empty, greeted
    assistant.send("t", SCRIPT[1])
    assert counts.reset()[2] == 0
    config = assistant._config("t")
    assistant.graph.invoke(Command(resume="I'd rather get a refund, please."), config)  # not through send
    reply = assistant.send("t", "The desk lamp wasn't in the box.")
    assert counts.reset()[2] >= 1
    assert reply.lines[0].key == "conversation.cut_off"  # that turn's reply was never handed out: told first
    assistant.send("t", "yes")
    assert counts.reset()[2] == 0


def test_the_first_message_after_the_greeting_reads_no_state(assistant, monkeypatch):
    """An app greets first (`greeting`, as `procall chat` and the server do): that reply is handed out, so the
    first message finds the conversation where it left it and the run loads the state itself."""
    assistant.greeting("g")
    counts = Counts(assistant, monkeypatch)
    assistant.send("g", SCRIPT[0])
    assert counts.reset()[2] == 0


def test_a_message_that_runs_one_process_is_four_steps(assistant):
    """listen, understand, apply, the process: the step that ends the turn settles the stack and makes the reply
    itself (graphs/router.py), so no step of its own is spent on either."""
    assistant.greeting("s")
    config = assistant._config("s")
    steps = [name for update in assistant.graph.stream(Command(resume=SCRIPT[0]), config, stream_mode="updates")
             for name in update if name != "__interrupt__"]
    assert steps == ["listen", "understand", "apply", "identify_customer"]
    assert assistant.graph.get_state(config).values["messages"][-1].content.startswith("First I need to find")


def test_a_turn_begun_on_the_last_checkpoint_is_not_skipped(assistant):
    """A run killed after saving writes on the checkpoint the last reply came from (the customer's message, a
    finished step) made no checkpoint of its own: `send` must still read the state and finish that turn first."""
    assistant.send("t", SCRIPT[0])
    assert assistant.deliveries.up_to_date("t")
    latest = assistant.checkpointer.get_tuple(assistant._config("t")).config
    assistant.checkpointer.put_writes(latest, [("__resume__", "yes")], "a-task-id")
    assert not assistant.deliveries.up_to_date("t")


def test_every_process_is_drawn_inside_the_router(assistant):
    """Studio and `procall draw` show each process's steps inside the router (a router node that ran its
    process in a graph run of its own, or one LangGraph did not see as a subgraph, would not)."""
    nodes = set(assistant.graph.get_graph(xray=True).nodes)
    processes = set(assistant.graph.nodes) - {"__start__", "greet", "listen", "understand", "apply",
                                               "next_process", "save"}
    assert len(processes) >= 15
    for name in processes:
        assert f"{name}:enter" in nodes, name
    assert {"cancel_order:confirm", "cancel_order:cancel", "identify_customer:enter"} <= nodes


def test_every_write_waits_for_the_turn_to_be_saved(assistant):
    """A step calling a write tool stops until the router's `save` step made the turn durable."""
    _, processes = build_processes(assistant.services)
    registry = assistant.gateway.registry
    writes = {(name, step) for name, process in processes.items() for step, tool in process.tools.items()
              if registry.get(tool).is_write}
    guarded = {(name, step) for name, process in processes.items() for step in process.write_steps}
    assert len(writes) >= 8 and writes == guarded


def _nested(process: ProcessGraph, leave=None):
    """A process node as LangGraph runs a compiled subgraph node (its own graph run), then `leave` (settling,
    routing, the reply when the turn ends) on the state the subgraph returned, choosing the next node from it."""
    subgraph = process.compile()

    def finish(values: dict) -> dict | Command:
        if leave is None:
            return values
        values = dict(values)
        goto = leave(values, {})  # adds its updates to `values`, reduced as the graph reduces them
        return Command(update=values, goto=goto)

    return subgraph | RunnableLambda(finish)


def _nested_assistant(home: Path, monkeypatch) -> Assistant:
    """The router as LangGraph runs it with each process compiled as a subgraph node."""
    with monkeypatch.context() as patch:
        patch.setattr(ProcessGraph, "router_node", _nested)
        return Assistant(Settings(home=home))


def _said(bot: Assistant, thread: str, text: str) -> tuple:
    reply = bot.send(thread, text)
    values = bot.graph.get_state(bot._config(thread)).values
    return (reply.text, [u.key for u in reply.lines], reply.trace, reply.asking,
            [f.model_dump() for f in values.get("stack") or []], values.get("customer"))


@pytest.mark.slow
def test_a_process_runs_inside_the_router_step_exactly_as_its_subgraph_would(tmp_path, monkeypatch):
    scripts = {"demo": SCRIPT} | {f"c{n}": [t.customer for t in c.turns]
                                  for n, c in enumerate(load([CONVERSATIONS])[::12])}
    inline = Assistant(Settings(home=tmp_path / "inline"))
    nested = _nested_assistant(tmp_path / "nested", monkeypatch)
    try:
        assert inline.graph.nodes["cancel_order"].subgraphs and nested.graph.nodes["cancel_order"].subgraphs
        assert inline.graph.nodes["cancel_order"].bound is not nested.graph.nodes["cancel_order"].bound
        for thread, script in scripts.items():
            for bot in (inline, nested):  # every script on a fresh store
                old = bot.backend
                bot.use_store(create_store(bot.settings.home / "stores" / f"{thread}.db"))
                old.close()
            for text in script:
                assert _said(inline, thread, text) == _said(nested, thread, text), (thread, text)
    finally:
        inline.close()
        nested.close()


def _checkpoint_bytes(path: Path, thread: str) -> int:
    with sqlite3.connect(path) as conn:
        (saved,) = conn.execute("SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints "
                                "WHERE thread_id = ?", (thread,)).fetchone()
        (writes,) = conn.execute("SELECT coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?",
                                 (thread,)).fetchone()
    return saved + writes


def test_a_long_conversation_stores_the_same_per_turn_and_shows_every_message(assistant):
    """Every checkpoint holds the whole state: with the messages bounded, a turn late in a long conversation
    stores no more than the same turn early on, and the transcript still shows the whole conversation."""
    path = assistant.settings.checkpoints_path
    assistant.send("long", IDENTIFIED)
    grown = []
    for _ in range(24):
        before = _checkpoint_bytes(path, "long")
        for text in CYCLE:
            assistant.send("long", text)
        grown.append(_checkpoint_bytes(path, "long") - before)
    early, late = grown[4], grown[-1]
    assert late <= early * 1.05, grown
    values = assistant.graph.get_state(assistant._config("long")).values
    assert len(values["messages"]) == KEPT_MESSAGES
    view = assistant.view("long").messages
    assert len(view) == 1 + 2 * (1 + 2 * len(grown))  # the greeting, then a question and an answer per turn
    assert view[1] == ("customer", IDENTIFIED) and view[-2] == ("customer", CYCLE[-1])
    assert [who for who, _ in view[1:]] == ["customer", "assistant"] * (1 + 2 * len(grown))


def test_the_checkpointer_commits_without_waiting_for_the_disk(tmp_path):
    """WAL with synchronous=NORMAL: a commit is not an fsync; a killed program still loses nothing
    committed (tests/test_crash_recovery.py kills it around every checkpoint)."""
    saver = sqlite_checkpointer(tmp_path / "c.db")
    try:
        assert saver.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert saver.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        saver.conn.close()


@pytest.mark.parametrize("durability", ["exit", "async"])
def test_the_turn_is_the_same_whatever_the_durability(tmp_path, durability):
    """Durability changes when checkpoints are written, not what the assistant does."""
    default = Assistant(Settings(home=tmp_path / "default"))
    other = Assistant(Settings(home=tmp_path / "other", durability=durability))
    try:
        assert default.settings.durability == "exit"
        for text in SCRIPT:
            assert _said(default, "d", text) == _said(other, "d", text), text
    finally:
        default.close()
        other.close()


@pytest.mark.slow
def test_the_turn_benchmark_runs_both_side_by_side(home, capsys):
    """`python -m procall.evals.bench_turn` prints its figures (what they are depends on the machine)."""
    from procall.evals.bench_turn import main

    assert main(["--rounds", "1", "--turns", "36"]) == 0
    out = capsys.readouterr().out
    assert "procall/bare wall p50" in out and "procall/bare CPU p50" in out
    assert "checkpointer saves (put + put_writes) per message" in out
    assert "late/early" in out and "checkpoint database (WAL folded in)" in out
