"""Load test: M customers cancel M different pending demo orders at once, through 2-4 `procall serve`
instances sharing one Postgres, while one instance is killed (SIGKILL) and restarted mid-run.

    python -m procall.server.loadtest --instances 3 --conversations 100

Every message goes to the next instance in turn (any message of a conversation may land anywhere). A
message that gets no answer (connection refused or cut by the kill, or a 5xx) is sent again to another
instance with the same message id. Afterwards the run checks the store against the expected one (the
same cancellations applied to a fresh copy of the demo store), counts duplicate and lost writes,
overlapping turns of one conversation (from the server's turn ledger), 5xx answers from instances that
were not killed, and reports throughput and per-message latency. Only 127.0.0.1; bounded in requests
and time; exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..config import Settings

REASON = "no longer needed"
MAX_MESSAGES = 8          # a cancellation takes 4; more means the conversation went wrong
MAX_SENDS_PER_MESSAGE = 6


@dataclass
class Instance:
    index: int
    port: int
    home: Path
    database_url: str
    process: subprocess.Popen | None = None
    killed_at: float | None = None
    back_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: Path) -> None:
        env = {**os.environ, "PROCALL_HOME": str(self.home), "PROCALL_DATABASE_URL": self.database_url}
        env.pop("PROCALL_SERVER_TOKEN", None)
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "procall.cli.main", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "warning"], env=env, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Conversation:
    order_id: str
    email: str
    told_cancelled: bool = False
    messages: int = 0
    failure: str | None = None


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)  # customer messages only
    answered: int = 0                                        # requests, conversation starts included
    messages: int = 0
    resent: int = 0
    no_answer: dict[int, int] = field(default_factory=dict)       # by instance: refused/cut connections
    server_errors: dict[int, int] = field(default_factory=dict)   # by instance: 5xx answers
    other_errors: list[str] = field(default_factory=list)


async def wait_ready(instance: Instance, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if instance.process and instance.process.poll() is not None:
                raise RuntimeError(f"instance {instance.index} exited with {instance.process.returncode}")
            try:
                if (await client.get(f"{instance.url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"instance {instance.index} not ready in time")


def pending_orders(count: int) -> list[tuple[str, str]]:
    from importlib.resources import files

    data = files("procall.tools.backend").joinpath("demo_data")
    orders = json.loads(data.joinpath("orders.json").read_text())
    users = json.loads(data.joinpath("users.json").read_text())
    found = [(o["order_id"], users[o["user_id"]]["email"]) for o in orders.values() if o["status"] == "pending"]
    if count > len(found):
        raise SystemExit(f"the demo data has {len(found)} pending orders; ask for at most that many conversations")
    return found[:count]


def answer_for(conversation: Conversation, asking: str | None) -> str | None:
    return {"email": conversation.email, "order_id": conversation.order_id, "reason": REASON,
            "confirmed": "yes"}.get(asking or "")


class Run:
    def __init__(self, instances: list[Instance], conversations: list[Conversation], deadline: float):
        self.instances, self.conversations, self.deadline = instances, conversations, deadline
        self.stats = Stats()
        self._next = 0
        self.kill_after: int | None = None
        self.kill_done = asyncio.Event()

    def _pick(self, avoid: int | None) -> Instance:
        for _ in range(len(self.instances)):
            instance = self.instances[self._next % len(self.instances)]
            self._next += 1
            if instance.index != avoid:
                return instance
        return self.instances[0]

    async def post(self, client: httpx.AsyncClient, path: str, body: dict | None, headers: dict) -> dict:
        avoid = None
        for _attempt in range(MAX_SENDS_PER_MESSAGE):
            if time.monotonic() > self.deadline:
                raise TimeoutError("the run's time ran out")
            instance = self._pick(avoid)
            started = time.perf_counter()
            try:
                response = await client.post(f"{instance.url}{path}", json=body, headers=headers)
            except httpx.TransportError:
                self.stats.no_answer[instance.index] = self.stats.no_answer.get(instance.index, 0) + 1
                avoid = instance.index
                self.stats.resent += 1
                await asyncio.sleep(0.1)
                continue
            if response.status_code >= 500:
                self.stats.server_errors[instance.index] = self.stats.server_errors.get(instance.index, 0) + 1
                avoid = instance.index
                self.stats.resent += 1
                await asyncio.sleep(0.1)
                continue
            if response.status_code >= 400:
                raise RuntimeError(f"{response.status_code} from instance {instance.index}: {response.text[:200]}")
            if body is not None:
                self.stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                self.stats.messages += 1
            self.stats.answered += 1
            if self.kill_after is not None and self.stats.answered >= self.kill_after:
                self.kill_after = None
                self.kill_done.set()
            return response.json()
        raise RuntimeError("no instance answered")

    async def converse(self, client: httpx.AsyncClient, conversation: Conversation) -> None:
        try:
            created = await self.post(client, "/conversations", None, {})
            headers = {"X-Conversation-Secret": created["secret"]}
            path = f"/conversations/{created['id']}/messages"
            text: str | None = f"I want to cancel order {conversation.order_id}"
            while text is not None:
                if conversation.messages >= MAX_MESSAGES:
                    conversation.failure = "too many messages"
                    return
                conversation.messages += 1
                reply = await self.post(client, path, {"text": text, "message_id": uuid.uuid4().hex}, headers)
                if any(line["key"] == "cancel_order.cancelled" for line in reply["lines"]):
                    conversation.told_cancelled = True
                    return
                text = answer_for(conversation, reply["asking"])
                if text is None:
                    conversation.failure = f"unexpected reply: {reply['text'][:120]!r}"
        except Exception as exc:  # one conversation's failure is reported, the run goes on
            conversation.failure = f"{type(exc).__name__}: {exc}"


def expected_store(orders: list[str]) -> dict:
    from ..tools.backend.contracts import CancelOrder
    from ..tools.backend.stores import create_store

    with tempfile.TemporaryDirectory() as folder:
        store = create_store(Path(folder) / "expected.db")
        for order_id in orders:
            store.execute("cancel_pending_order", CancelOrder(order_id=order_id, reason=REASON))
        dump = store.dump()
        store.close()
    return dump


def check(database_url: str, conversations: list[Conversation], stats: Stats, killed: Instance | None,
          elapsed: float) -> tuple[dict, bool]:
    from ..postgres import open_postgres_store
    from .postgres_records import PostgresRecords

    settings = Settings(database_url=database_url, home=Path(tempfile.gettempdir()) / "procall-loadtest-check")
    store = open_postgres_store(settings)
    actual = store.dump()
    keys = store.db.query("SELECT result FROM idempotency_keys WHERE operation = 'cancel_pending_order'")
    store.close()
    orders = [c.order_id for c in conversations]
    expected = expected_store(orders)
    cancels_per_order: dict[str, int] = {}
    for row in keys:
        order_id = json.loads(row["result"])["order"]["order_id"]
        cancels_per_order[order_id] = cancels_per_order.get(order_id, 0) + 1
    duplicates = sum(n - 1 for n in cancels_per_order.values() if n > 1)
    refunds_expected = {o: sum(p["transaction_type"] == "refund" for p in expected["orders"][o]["payment_history"])
                        for o in orders}
    refunds_actual = {o: sum(p["transaction_type"] == "refund" for p in actual["orders"][o]["payment_history"])
                      for o in orders}
    duplicates += sum(max(0, refunds_actual[o] - refunds_expected[o]) for o in orders)
    lost = sum(1 for c in conversations if c.told_cancelled and actual["orders"][c.order_id]["status"] != "cancelled")
    right = sum(1 for c in conversations if c.told_cancelled and c.failure is None
                and actual["orders"][c.order_id] == expected["orders"][c.order_id])
    store_equal = actual == expected

    records = PostgresRecords(database_url, 2)
    turns = [t for t in records.turns() if t.status == "done"]
    records.close()
    by_conversation: dict[str, list] = {}
    for turn in turns:
        by_conversation.setdefault(turn.conversation, []).append(turn)
    interleaved = 0
    for items in by_conversation.values():
        items.sort(key=lambda t: t.started_at)
        interleaved += sum(1 for a, b in zip(items, items[1:], strict=False) if a.ended_at > b.started_at)

    killed_index = killed.index if killed else None
    other_5xx = sum(n for i, n in stats.server_errors.items() if i != killed_index)
    lat = sorted(stats.latencies_ms)
    report = {
        "conversations": len(conversations),
        "conversations_right": right,
        "final_store_equals_expected": store_equal,
        "duplicate_writes": duplicates,
        "lost_writes": lost,
        "interleaved_turns": interleaved,
        "5xx_from_instances_not_killed": other_5xx,
        "5xx_from_killed_instance": stats.server_errors.get(killed_index, 0) if killed else 0,
        "unanswered_sends_by_instance": stats.no_answer,
        "messages_sent_again": stats.resent,
        "requests_answered": stats.answered,
        "messages_answered": stats.messages,
        "elapsed_s": round(elapsed, 2),
        "throughput_messages_per_s": round(stats.messages / elapsed, 2) if elapsed else 0.0,
        "latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
        "latency_ms_p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1) if lat else None,
        "failures": [f"{c.order_id}: {c.failure}" for c in conversations if c.failure][:10],
    }
    ok = (right == len(conversations) and store_equal and duplicates == 0 and lost == 0 and interleaved == 0
          and other_5xx == 0)
    return report, ok


async def run_load(database_url: str, instances: int, conversations: int, kill: bool, max_seconds: float,
                   workdir: Path, concurrency: int | None = None) -> tuple[dict, bool]:
    from ..runtime import open_backend, prepare_shared
    from .service import open_records
    from .throwaway_postgres import free_port

    deadline = time.monotonic() + max_seconds
    settings = Settings(database_url=database_url, home=workdir / "prepare")
    open_backend(settings).close()  # the store, created once before the instances start
    prepare_shared(settings)
    open_records(settings).close()
    servers = [Instance(i, free_port(), workdir / f"instance-{i}", database_url) for i in range(instances)]
    for server in servers:
        server.home.mkdir(parents=True, exist_ok=True)
        server.start(workdir / f"instance-{server.index}.log")
    try:
        await asyncio.gather(*(wait_ready(s, deadline) for s in servers))
        chats = [Conversation(order_id, email) for order_id, email in pending_orders(conversations)]
        run = Run(servers, chats, deadline)
        victim = servers[-1] if kill else None
        if victim is not None:
            run.kill_after = max(1, conversations * 4 // 3)  # about a third of the messages in

        async def killer() -> None:
            await run.kill_done.wait()
            victim.kill()
            victim.killed_at = time.monotonic()
            await asyncio.sleep(0.5)
            victim.start(workdir / f"instance-{victim.index}.log")
            await wait_ready(victim, deadline)
            victim.back_at = time.monotonic()

        gate = asyncio.Semaphore(concurrency or conversations)

        async def bounded(client: httpx.AsyncClient, chat: Conversation) -> None:
            async with gate:
                await run.converse(client, chat)

        started = time.monotonic()
        limits = httpx.Limits(max_connections=conversations + 8, max_keepalive_connections=conversations)
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0), limits=limits) as client:
            tasks = [asyncio.create_task(bounded(client, chat)) for chat in chats]
            kill_task = asyncio.create_task(killer()) if victim is not None else None
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - started
            if kill_task is not None:
                if not kill_task.done() and not run.kill_done.is_set():
                    kill_task.cancel()
                else:
                    await kill_task
        report, ok = check(database_url, chats, run.stats, victim, elapsed)
        report["instances"] = instances
        report["killed_instance"] = victim.index if victim and victim.killed_at else None
        report["killed_instance_back_after_s"] = (round(victim.back_at - victim.killed_at, 2)
                                                  if victim and victim.back_at and victim.killed_at else None)
        if kill and report["killed_instance"] is None:
            ok = False
            report["failures"].append("the instance was never killed (too few messages?)")
        return report, ok
    finally:
        for server in servers:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.server.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=3, choices=[1, 2, 3, 4])
    parser.add_argument("--conversations", type=int, default=60, help="concurrent conversations (at most 118)")
    parser.add_argument("--no-kill", action="store_true", help="do not kill an instance mid-run")
    parser.add_argument("--max-seconds", type=float, default=600, help="give up after this long (default: 600)")
    parser.add_argument("--database-url", help="an empty Postgres database on 127.0.0.1 (default: start a "
                                               "throwaway server with fsync on)")
    args = parser.parse_args(argv)
    if args.database_url and "127.0.0.1" not in args.database_url and "localhost" not in args.database_url:
        parser.error("the load test only talks to 127.0.0.1")
    from .throwaway_postgres import ThrowawayPostgres

    with tempfile.TemporaryDirectory(prefix="procall-loadtest-") as folder:
        server = None
        url = args.database_url
        if url is None:
            server = ThrowawayPostgres(durable=True).start()
            url = server.create_database("loadtest")
        try:
            report, ok = asyncio.run(run_load(url, args.instances, args.conversations, not args.no_kill,
                                              args.max_seconds, Path(folder)))
        finally:
            if server is not None:
                server.stop()
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
