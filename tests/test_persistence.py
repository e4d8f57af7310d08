"""Conversations survive a restart: a new Assistant on the same files continues mid-process,
also after the program was killed, and no finished step (or write) runs twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from procall import Assistant


def test_a_new_assistant_continues_the_conversation(home):
    first = Assistant()
    first.send("t1", "I want to cancel order #W1001002, mia.castillo@example.com")
    assert first.view("t1").stack[-1].asking.slot == "reason"
    first.close()

    second = Assistant()
    reply = second.send("t1", "ordered by mistake")
    assert "To confirm: cancel order #W1001002" in reply.text
    reply = second.send("t1", "yes")
    assert "is cancelled" in reply.text
    second.close()


def _calls(bot: Assistant, thread: str) -> list[tuple[str, str, str]]:
    return [(r.tool, r.step, r.outcome) for r in bot.gateway.audit.rows(conversation=thread)]


def test_a_finished_step_never_runs_again(assistant):
    assistant.send("t2", "chloe.ramirez@example.com, I want to return the backpack")
    before = _calls(assistant, "t2")
    assert ("get_order_details", "load_order", "ok") in before
    # Small talk, a digression and a correction later: the order is never loaded again for the same id.
    assistant.send("t2", "thanks!")
    assistant.send("t2", "what colors does the t-shirt come in?")
    assistant.send("t2", "yes")  # back to the return
    assistant.send("t2", "to my gift card 1005004")
    assistant.send("t2", "yes")
    calls = _calls(assistant, "t2")
    loads = [c for c in calls if c[1] == "load_order" and c[0] == "get_order_details"]
    assert len(loads) == 1, calls
    writes = [c for c in calls if c[0] == "return_delivered_order_items"]
    assert writes == [("return_delivered_order_items", "return", "ok")]


def test_a_correction_reruns_only_the_steps_that_depend_on_it(assistant):
    assistant.send("t3", "cancel #W1001002 because I ordered by mistake. mia.castillo@example.com")
    reply = assistant.send("t3", "sorry, I meant #W1001001")
    assert "delivered" in reply.text
    loads = [r.arguments for r in assistant.gateway.audit.rows(conversation="t3") if r.step == "load_order"]
    assert [json.loads(a)["order_id"] for a in loads] == ["#W1001002", "#W1001001"]


KILLER = textwrap.dedent("""
    import os, sys
    from procall import Assistant
    from procall.tools.gateway import gateway as gw

    bot = Assistant()
    bot.send("killed", "cancel #W1001002 because I ordered it by mistake, mia.castillo@example.com")
    real = bot.backend.execute

    def execute(name, args, idempotency_key=None):
        result = real(name, args, idempotency_key=idempotency_key)
        if name == "cancel_pending_order":
            os._exit(9)  # the write committed; the program dies before anyone hears of it
        return result

    bot.backend.execute = execute
    bot.send("killed", "yes")
""")


def test_killed_mid_turn_continues_without_repeating_the_write(home):
    env = {**os.environ, "PROCALL_HOME": str(home)}
    run = subprocess.run([sys.executable, "-c", KILLER], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 9, run.stderr

    bot = Assistant()
    try:
        reply = bot.send("killed", "hello? did it work?")
        view = bot.view("killed")
        texts = [text for who, text in view.messages if who == "assistant"]
        assert any("is cancelled" in t for t in texts), texts
        rows = [r for r in bot.gateway.audit.rows(conversation="killed") if r.tool == "cancel_pending_order"]
        applied = bot.backend.db.query("SELECT count(*) AS n FROM idempotency_keys WHERE operation = "
                                       "'cancel_pending_order'")[0]["n"]
        assert applied == 1, rows
        order = bot.backend.dump()["orders"]["#W1001002"]
        assert order["status"] == "cancelled"
        assert len([p for p in order["payment_history"] if p["transaction_type"] == "refund"]) == 1
        assert reply.text
    finally:
        bot.close()
