"""Postgres for everything instances share: the store (same records and rules as SQLite, one write at
a time), the audit log, conversation checkpoints and locks, on a real throwaway Postgres server."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from procall import Assistant, Settings
from procall.server.locks import ConversationBusy
from procall.server.postgres_locks import PostgresLocks
from procall.tools.backend.contracts import CancelOrder, TransferToHuman
from procall.tools.backend.errors import RuleViolation
from procall.tools.backend.postgres import PostgresDatabase, open_postgres_database, translate
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit_postgres import PostgresAuditLog
from procall.tools.gateway.context import CallContext


def test_statements_are_translated_outside_quotes():
    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE '50% ?'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE '50%% ?'", None)
    assert translate("INSERT INTO handoffs (summary) VALUES (?)") == (
        "INSERT INTO handoffs (summary) VALUES (%s) RETURNING handoff_id", "handoff_id")
    assert translate("INSERT OR IGNORE INTO audit (a) VALUES (?)")[0] == \
        "INSERT INTO audit (a) VALUES (%s) ON CONFLICT DO NOTHING"
    assert translate("PRAGMA journal_mode=WAL") == (None, None)


@pytest.fixture
def both_stores(pg_url, tmp_path):
    sqlite = create_store(tmp_path / "demo.db")
    pg = RetailBackend(open_postgres_database(pg_url, "demo", None, 4))
    yield sqlite, pg
    sqlite.close()
    pg.close()


def test_the_postgres_store_holds_and_changes_the_same_records_as_sqlite(both_stores):
    sqlite, pg = both_stores
    assert pg.dump() == sqlite.dump()
    for store in (sqlite, pg):
        cancelled = store.execute("cancel_pending_order", CancelOrder(order_id="#W1005002",
                                                                      reason="no longer needed"), "key-1")
        again = store.execute("cancel_pending_order", CancelOrder(order_id="#W1005002", reason="no longer needed"),
                              "key-1")  # the same key: the stored result, not a second cancellation
        assert again == cancelled
        with pytest.raises(RuleViolation):
            store.execute("cancel_pending_order", CancelOrder(order_id="#W1005002", reason="no longer needed"),
                          "key-2")
        first = store.execute("transfer_to_human_agents", TransferToHuman(summary="a"))
        second = store.execute("transfer_to_human_agents", TransferToHuman(summary="b"))
        assert (first.handoff_id, second.handoff_id) == (1, 2)
    assert pg.dump() == sqlite.dump()
    assert pg.was_applied("key-1") and not pg.was_applied("key-2")
    assert pg.order_owner("#W1005002") == sqlite.order_owner("#W1005002")


def test_concurrent_writes_on_one_order_apply_once(both_stores):
    """Two instances cancelling one order at the same moment: the write lock makes check-then-act
    atomic, so exactly one cancels and one refund is made."""
    _, pg = both_stores
    other_instance = RetailBackend(PostgresDatabase(pg.db.url, "demo", 4))
    backends = [pg, other_instance] * 4
    barrier = threading.Barrier(len(backends))

    def cancel(i: int) -> str:
        barrier.wait()
        try:
            backends[i].execute("cancel_pending_order", CancelOrder(order_id="#W1005002", reason="no longer needed"),
                                f"key-{i}")
            return "cancelled"
        except RuleViolation:
            return "refused"

    with ThreadPoolExecutor(len(backends)) as pool:
        outcomes = list(pool.map(cancel, range(len(backends))))
    other_instance.close()
    assert sorted(outcomes) == ["cancelled"] + ["refused"] * (len(backends) - 1)
    refunds = [p for p in pg.dump()["orders"]["#W1005002"]["payment_history"] if p["transaction_type"] == "refund"]
    assert len(refunds) == 1


def test_the_audit_log_in_postgres(pg_url):
    log, other = PostgresAuditLog(pg_url), PostgresAuditLog(pg_url)  # two instances, one log
    ctx = CallContext(conversation_id="c1", customer_id="u1", role="customer", process="cancel_order", step="s")
    log.record(ctx, "get_order_details", "1", "orders", {"order_id": "#W1"}, "ok", None, 1, 1.5)
    other.record(ctx, "get_user_details", "1", "users", {"card_number": "4111 1111 1111 1111"}, "ok", None, 1, 2.0)
    rows = log.rows(conversation="c1")
    assert [r.tool for r in rows] == ["get_order_details", "get_user_details"]
    assert "4111" not in rows[1].arguments and rows[0].latency_ms == 1.5
    assert other.systems_used("c1") == {"orders", "users"}
    log.close()
    other.close()


def test_a_conversation_lock_is_held_across_instances_and_freed_when_one_dies(pg_url):
    a, b = PostgresLocks(pg_url, 2), PostgresLocks(pg_url, 2)
    with a.hold("conv-1", 1.0):
        with pytest.raises(ConversationBusy):
            with b.hold("conv-1", 0.2):
                pass
        with b.hold("conv-2", 0.2):  # another conversation is not held up
            pass
    with b.hold("conv-1", 0.2):
        pass
    # An instance killed while holding a lock: its connection drops and Postgres frees the lock.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom procall.server.postgres_locks import PostgresLocks\n"
         "with PostgresLocks(sys.argv[1], 2).hold('conv-3', 5):\n    print('held', flush=True)\n    time.sleep(60)",
         pg_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConversationBusy):
            with b.hold("conv-3", 0.2):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with b.hold("conv-3", 5.0):
            pass
    finally:
        holder.kill()
    a.close()
    b.close()


@pytest.mark.slow
def test_instances_on_postgres_take_turns_in_one_conversation(pg_url, tmp_path):
    """Checkpoints, store and audit in Postgres: each message on the other instance, as behind a load
    balancer, and the conversation goes on as on one (nothing is taken for a cut-off turn)."""
    first = Assistant(Settings(home=tmp_path / "a", database_url=pg_url))
    second = Assistant(Settings(home=tmp_path / "b", database_url=pg_url))
    replies = []
    for bot, text in zip([first, second] * 3, ["can i cancel an order?", "chloe.ramirez@example.com", "#W1005002",
                                               "ordered by mistake", "yes"], strict=False):
        replies.append(bot.send("c1", text))
    assert [r.asking for r in replies] == ["email", "order_id", "reason", "confirmed", None]
    assert not [line.key for r in replies for line in r.lines if line.key == "conversation.cut_off"]
    assert second.view("c1").customer.user_id.startswith("chloe")
    assert first.backend.dump()["orders"]["#W1005002"]["status"] == "cancelled"
    writes = [r for r in second.gateway.audit.rows(conversation="c1") if r.tool == "cancel_pending_order"]
    assert [w.outcome for w in writes] == ["ok"]
    first.close()
    second.close()
