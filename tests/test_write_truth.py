"""A write's outcome is the store's truth (issue 10, part 3).

- A write attempt that outlives the gateway's timeout either never commits (it is stopped at its
  commit point, and its wait for the store's write lock ends with the timeout) or, if it had already
  begun committing, is awaited and reported as it ended. What the gateway answers and what the audit
  says match the final store, also after the lock is released and the abandoned attempts have ended.
- Every committed write has exactly one `ok` audit row, also when the process dies between the
  store's commit and the audit insert: the store keeps the row in the write's own transaction and a
  gateway starting on the files reconciles the audit log from it.

Waiting is done with events and joins (`Gateway.close(wait=True)` joins the attempts still running),
never with sleeps sized to the machine's speed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from procall.tools.backend.commit_gate import CommitGate
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit import AuditLog
from procall.tools.gateway.context import CallContext
from procall.tools.gateway.faults import FaultPlan, SystemFaults
from procall.tools.gateway.gateway import Gateway
from procall.tools.gateway.policy import GatewayPolicy

MIA = CallContext(conversation_id="conv-mia", customer_id="mia_castillo_1001", process="cancel_order",
                  frame_id="frame-1", step="cancel", confirmed=True)
CANCEL = ("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"})

# Holds the store's write lock from another process until it reads a line on stdin.
HOLDER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
""")


def policy(write_timeout_s: float = 0.3) -> GatewayPolicy:
    base = GatewayPolicy.load()
    limits = base.limits.model_copy(update={"write_timeout_s": write_timeout_s, "backoff_base_ms": 1})
    return base.model_copy(update={"limits": limits})


@pytest.fixture
def files(tmp_path) -> Path:
    create_store(tmp_path / "store.db").close()
    return tmp_path


@pytest.fixture
def start(files) -> Iterator:
    """Start an assistant process's gateway on the store and audit files (a restart is a second call)."""
    opened: list[Gateway] = []

    def build(pol: GatewayPolicy | None = None, faults: FaultPlan | None = None) -> Gateway:
        gateway = Gateway(RetailBackend.open(files / "store.db"), AuditLog(files / "audit.db"), pol or policy(),
                          faults)
        opened.append(gateway)
        return gateway

    yield build
    for gateway in opened:
        stop(gateway)


def stop(gateway: Gateway) -> None:
    gateway.close(wait=True)
    gateway.backend.close()
    gateway.audit.close()


@pytest.fixture
def lock_holder(files) -> Iterator:
    """Another process holding the store's write lock; call the returned function to release it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(files / "store.db")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"

    def release() -> None:
        if holder.poll() is None:
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(timeout=60) == 0

    yield release
    release()


def order_status(gateway: Gateway) -> str:
    return gateway.backend.dump()["orders"]["#W1001002"]["status"]


def committed_writes(gateway: Gateway) -> list[str]:
    return [r["write_id"] for r in gateway.backend.db.query("SELECT write_id FROM idempotency_keys")]


def ok_rows(gateway: Gateway) -> list[str | None]:
    """The write key of every `ok` audit row of a write."""
    writes = {s.name for s in gateway.registry.list() if s.is_write}
    return [r.write_key for r in gateway.audit.rows() if r.outcome == "ok" and r.tool in writes]


def matches_the_store(gateway: Gateway) -> None:
    """Exactly one `ok` audit row per committed write, and none for anything else."""
    assert sorted(ok_rows(gateway)) == sorted(committed_writes(gateway))


# -- the store's write lock held past the gateway's timeout -------------------------------------


def test_a_write_that_cannot_get_the_lock_in_time_never_commits(start, lock_holder):
    gateway = start()
    result = gateway.call(*CANCEL, MIA)
    assert not result.ok and result.error.code in ("timeout", "unavailable")
    assert [r.outcome for r in gateway.audit.rows()][-1] == "failed"
    lock_holder()  # the other process lets go of the store ...
    gateway.close(wait=True)  # ... and every abandoned attempt of ours has ended
    assert order_status(gateway) == "pending"  # what the customer heard: nothing was changed
    assert committed_writes(gateway) == [] and ok_rows(gateway) == []
    # A restart (reconciling the audit log from the store) finds nothing to add.
    restarted = start()
    matches_the_store(restarted)
    assert ok_rows(restarted) == []
    # The same step asked again (a second yes) now applies, once, with one ok row.
    again = restarted.call(*CANCEL, MIA)
    assert again.ok and not again.replayed and order_status(restarted) == "cancelled"
    matches_the_store(restarted)
    assert len(ok_rows(restarted)) == 1


def test_a_lock_released_between_attempts_gives_one_write_and_one_ok(start, lock_holder, monkeypatch):
    gateway = start()
    original = gateway.audit.record

    def release_after_the_first_timeout(*args, **kwargs):
        original(*args, **kwargs)
        if args[5] == "retried":  # outcome: the first attempt gave up; free the store for the second
            lock_holder()

    monkeypatch.setattr(gateway.audit, "record", release_after_the_first_timeout)
    result = gateway.call(*CANCEL, MIA)
    gateway.close(wait=True)
    assert result.ok and result.attempts == 2
    assert order_status(gateway) == "cancelled"
    matches_the_store(gateway)
    assert len(ok_rows(gateway)) == 1


def test_a_write_slower_than_its_timeout_is_stopped_at_its_commit_point(start):
    # The store is free but the write takes longer than the timeout (300 ms vs 30 ms): it reaches its
    # commit point after the gateway gave up, so it rolls back instead of committing unreported.
    faults = FaultPlan(systems={"orders": SystemFaults(latency_ms=300)})
    gateway = start(policy(write_timeout_s=0.03), faults)
    result = gateway.call(*CANCEL, MIA)
    assert (result.ok, result.error.code, result.attempts) == (False, "timeout", 3)
    gateway.close(wait=True)
    assert order_status(gateway) == "pending"
    assert committed_writes(gateway) == [] and ok_rows(gateway) == []


def test_a_write_already_committing_at_the_timeout_is_awaited_and_reported(start, monkeypatch):
    # 1 s: ample for the attempt to reach its commit point before the gateway's timeout.
    gateway = start(policy(write_timeout_s=1.0))
    committing, gave_up, release = threading.Event(), threading.Event(), threading.Event()
    begin_commit, abandon = CommitGate.begin_commit, CommitGate.abandon

    def slow_commit(self) -> bool:  # the commit starts in time, then takes long (a slow disk)
        started = begin_commit(self)
        committing.set()
        assert release.wait(timeout=60)
        return started

    def abandon_and_tell(self) -> bool:
        stopped = abandon(self)
        if not stopped:  # too late to stop: the gateway waits for the commit
            gave_up.set()
        return stopped

    monkeypatch.setattr(CommitGate, "begin_commit", slow_commit)
    monkeypatch.setattr(CommitGate, "abandon", abandon_and_tell)
    results = []
    caller = threading.Thread(target=lambda: results.append(gateway.call(*CANCEL, MIA)))
    caller.start()
    assert committing.wait(timeout=60) and gave_up.wait(timeout=60)  # the gateway's timeout has passed
    release.set()
    caller.join(timeout=60)
    [result] = results
    assert result.ok and result.attempts == 1 and result.output.order.status == "cancelled"
    assert order_status(gateway) == "cancelled"
    assert [(r.outcome, r.error_code) for r in gateway.audit.rows()] == [("ok", None)]
    matches_the_store(gateway)


def test_the_store_waits_for_its_lock_no_longer_than_the_write_timeout(start, monkeypatch):
    """SQLite's own wait for the write lock (busy timeout, 30 s by default) is cut to what is left of the
    gateway's write timeout, so an attempt that cannot get the lock gives up by itself, in time."""
    from procall.tools.backend import operation

    waits = []
    op = operation.OPERATIONS["cancel_pending_order"]

    def spy(conn, args):
        waits.append(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        return op.function(conn, args)

    monkeypatch.setitem(operation.OPERATIONS, op.name, dataclasses.replace(op, function=spy))
    # A timeout a loaded machine's write fits in: the wait is what is left of it, never SQLite's 30 s.
    gateway = start(policy(write_timeout_s=5.0))
    assert gateway.registry.get(op.name).timeout_s == 5.0
    assert gateway.call(*CANCEL, MIA).ok
    [wait_ms] = waits
    assert 0 < wait_ms <= 5000
    gate = CommitGate(timeout_s=5.0)
    assert 0 < gate.lock_wait_s() <= 5.0


# -- one ok audit row per committed write --------------------------------------------------------


class Crash(BaseException):
    """The assistant's process dies (not an error the gateway could handle)."""


WRITES = [("transfer_to_human_agents", {"summary": f"request {i}"}, MIA.at(step=f"handoff-{i}")) for i in range(6)]
WRITES.insert(3, (*CANCEL, MIA))


def test_answers_lost_after_the_commit_still_give_one_ok_row(start):
    gateway = start(faults=FaultPlan(systems={"orders": SystemFaults(lost_response_rate=1.0)}))
    result = gateway.call(*CANCEL, MIA)
    assert result.ok and order_status(gateway) == "cancelled"
    assert [(r.outcome, r.attempt) for r in gateway.audit.rows()] == [("retried", 1), ("retried", 2), ("ok", 3)]
    matches_the_store(gateway)


@pytest.mark.parametrize("kill_at", range(len(WRITES)))
def test_a_kill_between_the_commit_and_the_audit_is_reconciled_at_start_up(start, monkeypatch, kill_at):
    gateway = start()
    original, oks = AuditLog.record, []

    def die_before_the_ok_row(self, ctx, tool, *args, **kwargs):
        if args[3] == "ok":
            oks.append(tool)
            if len(oks) == kill_at + 1:
                raise Crash(f"killed after {tool} committed, before its audit row")
        return original(self, ctx, tool, *args, **kwargs)

    monkeypatch.setattr(AuditLog, "record", die_before_the_ok_row)
    with pytest.raises(Crash):
        for tool, args, ctx in WRITES:
            gateway.call(tool, args, ctx)
    stop(gateway)
    monkeypatch.undo()
    assert len(committed_writes(gateway)) == kill_at + 1
    restarted = start()  # reconciles the audit log from the store's records
    matches_the_store(restarted)
    # The process replays its steps: nothing applies twice, and each write still has one ok row.
    results = [restarted.call(*w) for w in WRITES]
    assert all(r.ok for r in results)
    assert [r.replayed for r in results] == [i <= kill_at for i in range(len(WRITES))]
    assert len(committed_writes(restarted)) == len(WRITES)
    matches_the_store(restarted)
    stop(restarted)
    matches_the_store(start())  # a second start-up adds nothing


KILLED = textwrap.dedent("""
    import os, signal, sys
    from procall.tools.backend.store import RetailBackend
    from procall.tools.gateway.audit import AuditLog
    from procall.tools.gateway.context import CallContext
    from procall.tools.gateway.gateway import Gateway

    home = sys.argv[1]
    gateway = Gateway(RetailBackend.open(home + "/store.db"), AuditLog(home + "/audit.db"))
    record = AuditLog.record

    def record_or_die(self, ctx, tool, version, system, arguments, outcome, *rest, **kw):
        if outcome == "ok" and tool == "cancel_pending_order":
            os.kill(os.getpid(), signal.SIGKILL)  # the write committed; its audit row is never written
        return record(self, ctx, tool, version, system, arguments, outcome, *rest, **kw)

    AuditLog.record = record_or_die
    ctx = CallContext(conversation_id="conv-mia", customer_id="mia_castillo_1001", step="cancel", confirmed=True)
    gateway.call("get_order_details", {"order_id": "#W1001002"}, ctx)
    gateway.call("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"}, ctx)
""")


def test_a_process_killed_with_sigkill_after_the_commit_is_reconciled(files, start, capsys):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCALL_")}
    run = subprocess.run([sys.executable, "-c", KILLED, str(files)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == -9, run.stderr
    before = AuditLog(files / "audit.db")
    assert [(r.tool, r.outcome) for r in before.rows()] == [("get_order_details", "ok")]  # the write: no row
    before.close()
    gateway = start()
    assert order_status(gateway) == "cancelled"
    matches_the_store(gateway)
    [row] = [r for r in gateway.audit.rows() if r.tool == "cancel_pending_order"]
    assert (row.outcome, row.conversation, row.customer, row.step) == ("ok", "conv-mia", "mia_castillo_1001",
                                                                      "cancel")
    # `procall audit` shows the reconciled row.
    from procall.cli.main import main

    assert main(["audit", "--home", str(files), "--json", "--tool", "cancel_pending_order"]) == 0
    assert '"outcome": "ok"' in capsys.readouterr().out
