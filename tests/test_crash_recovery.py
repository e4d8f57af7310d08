"""Killed around a write, the customer is still told what happened, and the write happened once.

A conversation on the demo data reaches "To confirm: cancel order #W1001002 ... Shall I go ahead?".
A forked process then says "yes" and is killed (os._exit, no clean-up) at a seeded boundary of that
turn: before or after each checkpoint write (every graph step's), and right before or after the
store commits the cancellation. A fresh `Assistant` on the same files then continues, as a
restarted program would, and the customer's next message and reply are checked:

- exactly one cancellation in the store (one idempotency record, one refund), exactly one `ok`
  audit row for it;
- if the "yes" was saved before the kill, the customer is told the outcome first ("is cancelled"),
  and a "no" sent next is answered after it, not taken as the answer to the old question;
- if the kill came before the "yes" was saved, nothing was written and the question is shown again.

Boundaries are counted, never timed. Killing a forked copy of this process (which has already
loaded and trained everything) keeps each run around a second.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from procall import Assistant
from procall.cli.main import main
from procall.config import Settings
from procall.runtime import sqlite_checkpointer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked copy of the test process")

THREAD = "crash"
ORDER = "#W1001002"
REQUEST = f"cancel {ORDER} because I ordered it by mistake, mia.castillo@example.com"
QUESTION = "Shall I go ahead"
WRITE = "cancel_pending_order"
KILLED = 9
BEFORE_WRITE, AFTER_WRITE = "before the write commits", "after the write committed"
SEED = 20240520
SAMPLED = 28        # seeded boundaries on top of the ones always tried (31 in all)


@dataclass
class Restart:
    point: int
    boundary: str
    killed: bool
    said: str               # the customer's next message: "no", or "yes" again if the first was lost
    told: list[str]         # every line the customer got after the restart, in order
    keys: list[str]
    writes: int
    refunds: int
    ok_rows: int
    status: str


def _settings(home: Path, durability: str = "async") -> Settings:
    return Settings(home=home, durability=durability)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A home where the conversation waits at the cancellation's confirmation."""
    home = tmp_path_factory.mktemp("crash") / "template"
    bot = Assistant(_settings(home))
    try:
        assert QUESTION in bot.send(THREAD, REQUEST).text
    finally:
        bot.close()
    return home


def _say_yes_and_die(home: Path, point: int, durability: str, log: Path | None) -> None:
    """In the forked child: say "yes" and die at boundary number `point` (never, if 0)."""
    seen: list[str] = []
    lock = threading.Lock()  # LangGraph may save a checkpoint and its pending writes from two threads at once

    def boundary(name: str) -> None:
        with lock:
            seen.append(name)
            if log is not None:
                log.write_text(json.dumps(seen))
            if len(seen) == point:
                os._exit(KILLED)

    saver = sqlite_checkpointer(_settings(home).checkpoints_path)
    for method in ("put", "put_writes"):
        real = getattr(saver, method)

        def counted(*args, _real=real, _name=method, **kwargs):
            boundary(f"before {_name}")
            result = _real(*args, **kwargs)
            boundary(f"after {_name}")
            return result

        setattr(saver, method, counted)
    bot = Assistant(_settings(home, durability), checkpointer=saver)
    execute = bot.backend.execute

    def write_counted(name, args, idempotency_key=None):
        if name == WRITE:
            boundary(BEFORE_WRITE)
        result = execute(name, args, idempotency_key=idempotency_key)
        if name == WRITE:
            boundary(AFTER_WRITE)
        return result

    bot.backend.execute = write_counted
    bot.send(THREAD, "yes")


def _killed_run(template: Path, home: Path, point: int, durability: str = "async", log: Path | None = None) -> bool:
    shutil.copytree(template, home)
    failure = home.parent / f"{home.name}.failure.txt"
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 3
        try:
            _say_yes_and_die(home, point, durability, log)
            code = 0
        except BaseException:
            failure.write_text(traceback.format_exc())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED), f"the child failed at point {point} (exit {code}):\n" + (
        failure.read_text() if failure.exists() else "")
    return code == KILLED


def _restart(home: Path, point: int, boundary: str, killed: bool, use_resume: bool) -> Restart:
    bot = Assistant(_settings(home))
    try:
        told, keys = [], []
        if use_resume:  # as `procall chat --thread` does before the customer types
            first = bot.resume(THREAD)
            if first is not None:
                told += first.text.splitlines()
                keys += [u.key for u in first.lines]
        # The customer answers what they saw: the question again if their "yes" never got saved,
        # otherwise they changed their mind and say "no".
        last_customer = [text for who, text in bot.view(THREAD).messages if who == "customer"][-1]
        said = "no" if last_customer == "yes" else "yes"
        reply = bot.send(THREAD, said)
        told += reply.text.splitlines()
        keys += [u.key for u in reply.lines]
        writes = bot.backend.db.query("SELECT count(*) AS n FROM idempotency_keys WHERE operation = ?",
                                      (WRITE,))[0]["n"]
        order = bot.backend.dump()["orders"][ORDER]
        refunds = len([p for p in order["payment_history"] if p["transaction_type"] == "refund"])
        ok_rows = len([r for r in bot.gateway.audit.rows(conversation=THREAD, tool=WRITE) if r.outcome == "ok"])
        return Restart(point, boundary, killed, said, told, keys, writes, refunds, ok_rows, order["status"])
    finally:
        bot.close()


def _boundaries(template: Path, root: Path) -> list[str]:
    """The boundaries of the "yes" turn, in the order a run without a kill meets them."""
    log = root / "boundaries.json"
    assert not _killed_run(template, root / "dry", 0, log=log)
    return json.loads(log.read_text())


def _check(run: Restart) -> None:
    where = f"killed {run.boundary} (#{run.point}): told {run.told}"
    assert run.writes == 1 and run.refunds == 1 and run.status == "cancelled", where
    assert run.ok_rows == 1, where
    outcomes = [i for i, line in enumerate(run.told) if "is cancelled" in line]
    assert outcomes, where
    outcome = outcomes[0]
    if run.said == "no":
        # Told what happened to the "yes" first, then the reply to the "no": never "nothing changed".
        assert run.keys[0] == "conversation.cut_off", where
        assert outcome < len(run.told) - 1, where
        assert not any("haven't cancelled" in line or QUESTION in line for line in run.told), where


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_killed_anywhere_around_a_write_the_customer_is_told_and_it_is_written_once(template, tmp_path):
    names = _boundaries(template, tmp_path)
    always = {names.index(BEFORE_WRITE) + 1, names.index(AFTER_WRITE) + 1, len(names)}
    others = sorted(set(range(1, len(names) + 1)) - always)
    points = sorted(always | set(random.Random(SEED).sample(others, min(SAMPLED, len(others)))))
    runs = []
    for n, point in enumerate(points):
        home = tmp_path / f"kill-{point}"
        killed = _killed_run(template, home, point)
        runs.append(_restart(home, point, names[point - 1], killed, use_resume=n % 2 == 0))
    for run in runs:
        _check(run)
    killed = [r for r in runs if r.killed]
    assert len(killed) >= 30, [(r.point, r.boundary) for r in runs]
    # Most kills come after the "yes" was saved: those are the ones that must tell the outcome. With the
    # async saver, checkpoints are written from a background thread, so which numbered boundary first holds
    # the "yes" moves by a point or two between runs (6 or 7 kills before it have been seen): leave room.
    assert len([r for r in killed if r.said == "no"]) >= 20, [(r.point, r.said) for r in killed]


@pytest.mark.parametrize("durability", ["exit", "sync"])
@pytest.mark.parametrize("boundary", [BEFORE_WRITE, AFTER_WRITE])
def test_killed_at_the_write_with_other_durabilities(template, tmp_path, durability, boundary):
    # With these durabilities the turn writes fewer checkpoints: count its boundaries in a dry run.
    log = tmp_path / "boundaries.json"
    assert not _killed_run(template, tmp_path / "dry", 0, durability, log)
    point = json.loads(log.read_text()).index(boundary) + 1
    home = tmp_path / "kill"
    assert _killed_run(template, home, point, durability)
    run = _restart(home, point, boundary, True, use_resume=False)
    _check(run)
    assert run.said == "no"


def test_chat_shows_where_a_cut_off_conversation_left_off(template, tmp_path, monkeypatch, capsys):
    names = _boundaries(template, tmp_path)
    home = tmp_path / "kill"
    assert _killed_run(template, home, names.index(AFTER_WRITE) + 1)
    monkeypatch.setenv("PROCALL_HOME", str(home))
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))
    assert main(["chat", "--thread", THREAD]) == 0
    out = capsys.readouterr().out
    assert "[where we left off]" in out and "you: yes" in out, out
    assert 'We were cut off before I could answer your message "yes"' in out, out
    assert f"Done: order {ORDER} is cancelled" in out, out
    assert QUESTION not in out.split("[where we left off]")[1], out  # the stale question is not shown again

    # Started again, nothing is cut off any more: the last exchange is shown, without the note.
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))
    assert main(["chat", "--thread", THREAD]) == 0
    out = capsys.readouterr().out
    assert "you: yes" in out and f"Done: order {ORDER} is cancelled" in out and "cut off" not in out, out


def test_a_reply_saved_but_never_handed_out_is_told_with_the_next_one(template, tmp_path):
    """Killed after the turn's last checkpoint, before `send` returned: the turn is complete in the
    checkpoints, but the customer never saw its reply."""
    names = _boundaries(template, tmp_path)
    home = tmp_path / "kill"
    assert _killed_run(template, home, len(names))
    run = _restart(home, len(names), names[-1], True, use_resume=False)
    _check(run)
    assert run.said == "no" and run.keys[0] == "conversation.cut_off"



def test_killed_at_every_boundary_with_the_default_durability(template, tmp_path):
    """The default durability saves the "yes" turn right before its write (the router's `save` step) and at
    its end: few boundaries, so every one of them is tried."""
    durability = Settings.model_fields["durability"].default
    log = tmp_path / "boundaries.json"
    assert not _killed_run(template, tmp_path / "dry", 0, durability, log)
    names = json.loads(log.read_text())
    assert names.index("after put") < names.index(BEFORE_WRITE), names  # saved, then written
    runs = []
    for point in range(1, len(names) + 1):
        home = tmp_path / f"kill-{point}"
        killed = _killed_run(template, home, point, durability)
        runs.append(_restart(home, point, names[point - 1], killed, use_resume=point % 2 == 0))
    for run in runs:
        _check(run)
    # Killed once the turn was saved before its write: told the outcome first, whatever they say next.
    assert all(r.said == "no" for r in runs if r.point > names.index("after put")), runs
