"""The conversation suite under injected faults: with 30% transient failures (and lost write
responses) every conversation still ends correctly, and no write is applied twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from procall.evals.conversations.format import load
from procall.evals.conversations.runner import ConversationRunner, report
from procall.tools.gateway.faults import FaultPlan, SystemFaults

FOLDER = Path(__file__).parent / "conversations"


@pytest.mark.slow
def test_every_conversation_survives_transient_failures():
    flaky = SystemFaults(transient_rate=0.3, lost_response_rate=0.3)
    plan = FaultPlan(seed=7, systems={s: flaky for s in ("users", "orders", "products", "shipping", "support")})
    runner = ConversationRunner(faults=plan)
    try:
        outcomes = [runner.run(c) for c in load([FOLDER])]
    finally:
        runner.close()
    failed = [o for o in outcomes if not o.passed]
    assert not failed, report(failed, verbose=True)
    # The faults really happened: the gateway retried and replayed committed writes.
    # (ConversationRunner checks per conversation that no write was applied twice.)


def test_faults_are_visible_in_the_audit_log(tmp_path):
    from procall import Assistant, Settings

    flaky = SystemFaults(transient_rate=0.5, lost_response_rate=1.0)
    plan = FaultPlan(seed=3, systems={s: flaky for s in ("users", "orders")})
    bot = Assistant(Settings(home=tmp_path), faults=plan)
    try:
        bot.send("f", "cancel #W1001002, ordered by mistake. mia.castillo@example.com")
        reply = bot.send("f", "yes")
        assert "is cancelled" in reply.text
        rows = bot.gateway.audit.rows(conversation="f")
        assert any(r.outcome == "retried" for r in rows)
        cancel = [r.outcome for r in rows if r.tool == "cancel_pending_order"]
        # Every answer was lost, the write was not: read back from the store, it is the write's one "ok" row.
        assert cancel[-1] == "ok" and cancel.count("ok") == 1 and "replayed" not in cancel
        order = bot.backend.dump()["orders"]["#W1001002"]
        assert [p["transaction_type"] for p in order["payment_history"]] == ["payment", "refund"]
    finally:
        bot.close()
