"""Several processes starting on one fresh home at once all work (issue 10, part 4).

Each worker imports procall, says it is ready, and waits; the test then hands every worker the same
fresh home at the same moment, so they create the store, the audit log and the conversations
database together. Repeated over several fresh homes (by count, not by time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WORKERS = 4

# One message through a whole assistant (slow to start: it trains its classifier).
ASSISTANT = textwrap.dedent("""
    import json, os, sys
    from procall import Assistant
    from procall.config import Settings

    def start(home):
        bot = Assistant(Settings(home=home))
        try:
            reply = bot.send(f"t-{os.getpid()}", "hi, my email is mia.castillo@example.com")
            return reply.text
        finally:
            bot.close()
""")

# The same files opened the way the assistant opens them, plus a read and a confirmed write.
RUNTIME = textwrap.dedent("""
    import json, os, sys
    from procall.config import Settings
    from procall.runtime import make_gateway, open_backend, sqlite_checkpointer
    from procall.tools.gateway.context import CallContext

    def start(home):
        settings = Settings(home=home)
        backend = open_backend(settings)
        gateway = make_gateway(settings, backend)
        saver = sqlite_checkpointer(settings.checkpoints_path)
        try:
            ctx = CallContext(conversation_id=f"t-{os.getpid()}", customer_id="mia_castillo_1001",
                              step="handoff", confirmed=True)
            found = gateway.call("get_order_details", {"order_id": "#W1001002"}, ctx)
            wrote = gateway.call("transfer_to_human_agents", {"summary": "race"}, ctx)
            assert found.ok and wrote.ok, (found.error, wrote.error)
            return found.output.order.status
        finally:
            gateway.close()
            gateway.audit.close()
            backend.close()
            saver.conn.close()
""")

LOOP = textwrap.dedent("""
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            print(json.dumps({"ok": True, "said": start(line.strip())}), flush=True)
        except BaseException as exc:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
""")


def race(tmp_path: Path, script: str, rounds: int) -> list[list[dict]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCALL_")}
    workers = [subprocess.Popen([sys.executable, "-c", script + LOOP], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env) for _ in range(WORKERS)]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        outcomes = []
        for number in range(rounds):
            home = tmp_path / f"home-{number}"
            for worker in workers:  # all at once: each worker blocks on this line until it arrives
                worker.stdin.write(f"{home}\n")
                worker.stdin.flush()
            outcomes.append([json.loads(worker.stdout.readline()) for worker in workers])
        return outcomes
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait(timeout=120)


@pytest.mark.slow
def test_processes_opening_one_fresh_home_at_once_all_work(tmp_path):
    outcomes = race(tmp_path, RUNTIME, rounds=10)
    for number, round_ in enumerate(outcomes):
        assert all(o["ok"] for o in round_), (number, round_)
        assert {o["said"] for o in round_} == {"pending"}
        home = tmp_path / f"home-{number}"
        assert sorted(p.name for p in (home / "stores").iterdir() if p.suffix == ".db") == ["demo.db"]
        from procall.tools.backend.store import RetailBackend

        store = RetailBackend.open(home / "stores" / "demo.db")
        try:
            assert store.db.query("SELECT count(*) FROM handoffs")[0][0] == WORKERS
            assert store.db.query("SELECT count(*) FROM users")[0][0] == len(store.dump()["users"]) > 0
        finally:
            store.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_assistants_starting_on_one_fresh_home_at_once_all_answer(tmp_path):
    for number, round_ in enumerate(race(tmp_path, ASSISTANT, rounds=2)):
        assert all(o["ok"] for o in round_), (number, round_)
        assert all("I've found your account" in o["said"] for o in round_), round_
