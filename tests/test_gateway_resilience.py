"""The gateway under a failing backend: per-call timeouts, at most 3 attempts (transient errors of
retry-safe tools only, with backoff), a circuit breaker per backend system (with a fake clock),
seeded fault injection that repeats exactly, and reads that run concurrently while writes keep
their order. Custom policies are the packaged one with limits changed (configuration, not code);
timeouts are tiny so the suite stays fast.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from itertools import pairwise

import pytest

from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit import AuditLog
from procall.tools.gateway.circuit import CircuitBreaker, CircuitBreakers
from procall.tools.gateway.context import CallContext
from procall.tools.gateway.faults import FaultInjector, FaultPlan, SystemFaults
from procall.tools.gateway.gateway import Gateway
from procall.tools.gateway.policy import GatewayPolicy

CHLOE = CallContext(conversation_id="conv-chloe", customer_id="chloe_ramirez_1005", process="test", step="s1")
CHLOE_ORDERS = [("get_order_details", {"order_id": "#W1005001"}), ("get_order_details", {"order_id": "#W1005002"})]


def policy(breaker: dict | None = None, **limits) -> GatewayPolicy:
    base = GatewayPolicy.load()
    update = {"limits": base.limits.model_copy(update={"backoff_base_ms": 1, **limits})}
    if breaker:
        update["circuit_breaker"] = base.circuit_breaker.model_copy(update=breaker)
    return base.model_copy(update=update)


@pytest.fixture
def make(tmp_path):
    create_store(tmp_path / "store.db").close()
    opened = []

    def build(policy: GatewayPolicy | None = None, faults: FaultPlan | None = None, name: str = "store") -> Gateway:
        if name != "store" and not (tmp_path / f"{name}.db").exists():
            create_store(tmp_path / f"{name}.db").close()
        gateway = Gateway(RetailBackend.open(tmp_path / f"{name}.db"), AuditLog(tmp_path / f"{name}-audit.db"),
                          policy, faults)
        opened.append(gateway)
        return gateway

    yield build
    for gateway in opened:
        gateway.close()
        gateway.backend.close()
        gateway.audit.close()


@pytest.fixture
def executed(monkeypatch, tmp_path) -> list[tuple[str, float, float]]:
    """(operation, start, end) of every call that reached this test's backend (an earlier test's
    abandoned attempts may still finish in the background)."""
    calls: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    original = RetailBackend.execute

    def spy(self, name, args, idempotency_key=None):
        start = time.perf_counter()
        try:
            return original(self, name, args, idempotency_key=idempotency_key)
        finally:
            if self.db.path.is_relative_to(tmp_path):
                with lock:
                    calls.append((name, start, time.perf_counter()))

    monkeypatch.setattr(RetailBackend, "execute", spy)
    return calls


def outcomes(gateway: Gateway, ctx: CallContext = CHLOE) -> list[tuple]:
    return [(r.outcome, r.error_code, r.attempt) for r in gateway.audit.rows(conversation=ctx.conversation_id)]


# -- timeouts -----------------------------------------------------------------------------------


def test_a_slow_system_times_out_per_attempt(make):
    gateway = make(policy(read_timeout_s=0.03), FaultPlan(systems={"orders": SystemFaults(latency_ms=2000)}))
    result = gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    # Not waited for: an attempt that waited out the 2 s would have answered (no timeout). No bound on the
    # time taken: a loaded machine may be slow.
    assert (result.ok, result.error.code, result.attempts) == (False, "timeout", 3)
    assert "did not answer within 0.03s" in result.error.message
    assert outcomes(gateway) == [("retried", "timeout", 1), ("retried", "timeout", 2), ("failed", "timeout", 3)]


def test_an_injected_hang_times_out_and_the_retry_succeeds(make):
    # timeout_rate 0.5, the first seed whose first attempt hangs and second does not (the injector's draws
    # are seeded per call and attempt, so they can be read ahead). The timeout leaves a loaded machine
    # plenty of time for the attempt that does not hang.
    def plan(seed: int) -> FaultPlan:
        return FaultPlan(seed=seed, systems={"orders": SystemFaults(timeout_rate=0.5)})

    def hangs(seed: int) -> list[bool]:
        draws = FaultInjector(plan(seed)).for_call(1, "orders")
        return [draws.attempt(n, 1.0, False).hang_s > 0 for n in (1, 2)]

    seed = next(s for s in range(50) if hangs(s) == [True, False])
    gateway = make(policy(read_timeout_s=1.0), plan(seed))
    result = gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    assert result.ok and result.attempts == 2
    assert outcomes(gateway) == [("retried", "timeout", 1), ("ok", None, 2)]


def test_write_timeout_is_its_own_limit(make):
    gateway = make(policy(read_timeout_s=5.0, write_timeout_s=0.03),
                   FaultPlan(systems={"users": SystemFaults(latency_ms=300)}))
    assert gateway.registry.get("modify_user_address").timeout_s == 0.03
    assert gateway.registry.get("get_user_details").timeout_s == 5.0
    result = gateway.call("modify_user_address", {"user_id": "chloe_ramirez_1005", "address1": "1 Main St",
                                                  "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"},
                          CHLOE.at(confirmed=True))
    assert result.error.code == "timeout"


# -- retries ------------------------------------------------------------------------------------


def test_transient_bursts_clear_within_the_retry_budget(make, executed):
    gateway = make(policy(), FaultPlan(seed=1, systems={"orders": SystemFaults(transient_rate=1.0)}))
    results = [gateway.call(*CHLOE_ORDERS[i % 2], CHLOE) for i in range(12)]
    assert all(r.ok for r in results)
    assert {r.attempts for r in results} == {2, 3}  # every call failed first, none exhausted 3 attempts
    assert len(executed) == 12  # injected errors happen before the backend: only the good attempt ran
    rows = outcomes(gateway)
    assert len(rows) == sum(r.attempts for r in results)  # one audit row per attempt
    assert [o for o, _, _ in rows].count("retried") == sum(r.attempts - 1 for r in results)
    assert {code for o, code, _ in rows if o == "retried"} == {"unavailable"}


def test_a_hard_failure_gives_up_after_three_attempts_with_backoff(make):
    gateway = make(policy(backoff_base_ms=40), FaultPlan(systems={"orders": SystemFaults(failure_rate=1.0)}))
    started = time.perf_counter()
    result = gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    elapsed = time.perf_counter() - started
    assert (result.ok, result.error.code, result.attempts) == (False, "unavailable", 3)
    assert "temporarily unavailable" in result.error.message
    assert elapsed >= (40 + 160) * 0.5 / 1000  # backoff 40 ms then 160 ms, jitter 0.5x-1.5x
    assert outcomes(gateway) == [("retried", "unavailable", 1), ("retried", "unavailable", 2),
                                 ("failed", "unavailable", 3)]


def test_max_attempts_comes_from_the_policy(make):
    gateway = make(policy(max_attempts=2), FaultPlan(systems={"orders": SystemFaults(failure_rate=1.0)}))
    assert gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE).attempts == 2
    raw = GatewayPolicy.load().model_dump()
    raw["limits"]["max_attempts"] = 4
    with pytest.raises(ValueError):
        GatewayPolicy.model_validate(raw)  # a policy file may not ask for more than 3


def test_tools_that_are_not_retry_safe_get_one_attempt(make):
    gateway = make(policy(), FaultPlan(systems={"orders": SystemFaults(transient_rate=1.0)}))
    spec = gateway.registry.get("get_order_details")
    gateway.registry.register(dataclasses.replace(spec, retry_safe=False))
    result = gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    assert (result.error.code, result.attempts) == ("unavailable", 1)
    assert outcomes(gateway) == [("failed", "unavailable", 1)]


def test_answers_that_are_not_transient_are_not_retried(make, executed):
    gateway = make(policy())
    missing = gateway.call("get_product_details", {"product_id": "0000000000"}, CHLOE)
    assert (missing.error.code, missing.error.message, missing.attempts) == ("not_found", "product not found", 1)
    rule = gateway.call("cancel_pending_order", {"order_id": "#W1005001", "reason": "no longer needed"},
                        CHLOE.at(confirmed=True))
    assert (rule.error.code, rule.error.message, rule.attempts) == (
        "rule_violation", "non-pending order cannot be cancelled", 1)
    assert [name for name, _, _ in executed] == ["get_product_details", "cancel_pending_order"]
    assert outcomes(gateway) == [("failed", "not_found", 1), ("failed", "rule_violation", 1)]


# -- circuit breaker ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_fake_clock(gateway: Gateway) -> FakeClock:
    clock = FakeClock()
    settings = gateway.policy.circuit_breaker
    gateway.breakers = CircuitBreakers(settings.failure_threshold, settings.cooldown_s, clock=clock)
    return clock


def test_the_breaker_opens_after_the_threshold_and_half_opens_after_the_cooldown(make, executed):
    gateway = make(policy(breaker={"failure_threshold": 3, "cooldown_s": 30}),
                   FaultPlan(systems={"orders": SystemFaults(failure_rate=1.0)}))
    clock = with_fake_clock(gateway)
    order = ("get_order_details", {"order_id": "#W1005001"})
    for _ in range(3):
        assert gateway.call(*order, CHLOE).error.code == "unavailable"
    breaker = gateway.breakers.for_system("orders")
    assert breaker.state == "open"
    executed.clear()
    paused = gateway.call(*order, CHLOE)
    assert (paused.error.code, paused.attempts) == ("circuit_open", 0)
    assert "orders system keeps failing" in paused.error.message
    assert outcomes(gateway)[-1] == ("failed", "circuit_open", 0)
    assert gateway.call("get_user_details", {"user_id": "chloe_ramirez_1005"}, CHLOE).ok  # per system
    assert [name for name, _, _ in executed] == ["get_user_details"]

    clock.now += 29.9
    assert gateway.call(*order, CHLOE).error.code == "circuit_open"
    clock.now += 0.1
    assert breaker.state == "half_open"
    gateway.faults = None  # the orders system recovered
    trial = gateway.call(*order, CHLOE)
    assert trial.ok and breaker.state == "closed"


def test_a_failed_trial_reopens_at_once(make):
    gateway = make(policy(breaker={"failure_threshold": 3, "cooldown_s": 30}),
                   FaultPlan(systems={"orders": SystemFaults(failure_rate=1.0)}))
    clock = with_fake_clock(gateway)
    for _ in range(3):
        gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    clock.now += 30
    assert gateway.breakers.for_system("orders").state == "half_open"
    assert gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE).error.code == "unavailable"
    assert gateway.breakers.for_system("orders").state == "open"  # one failure, not three
    assert gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE).error.code == "circuit_open"


def test_half_open_lets_one_trial_call_through(make, executed):
    gateway = make(policy(breaker={"failure_threshold": 1, "cooldown_s": 30}),
                   FaultPlan(systems={"orders": SystemFaults(failure_rate=1.0)}))
    clock = with_fake_clock(gateway)
    gateway.call("get_order_details", {"order_id": "#W1005001"}, CHLOE)
    clock.now += 30
    gateway.faults.plan = FaultPlan(systems={"orders": SystemFaults(latency_ms=50)})  # recovered, and slow
    executed.clear()
    results = gateway.call_many(CHLOE_ORDERS * 3, CHLOE)  # six calls at once into the half-open breaker
    assert sorted(r.error.code if r.error else "ok" for r in results) == ["circuit_open"] * 5 + ["ok"]
    assert len(executed) == 1


def test_refusals_and_business_errors_do_not_trip_the_breaker(make):
    gateway = make(policy(breaker={"failure_threshold": 2, "cooldown_s": 30}))
    for _ in range(5):
        assert gateway.call("get_order_details", {"order_id": "#W9999999"}, CHLOE).error.code == "not_owner"
        assert gateway.call("get_product_details", {"product_id": "0000000000"}, CHLOE).error.code == "not_found"
    assert gateway.breakers.for_system("orders").state == "closed"
    assert gateway.breakers.for_system("products").state == "closed"


def test_breaker_unit_with_a_fake_clock():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=10, clock=clock)
    breaker.record_failure()
    assert breaker.allow() and breaker.state == "closed"
    breaker.record_success()  # consecutive failures only
    breaker.record_failure()
    breaker.record_failure()
    assert not breaker.allow() and breaker.state == "open"
    clock.now += 10
    assert breaker.state == "half_open"
    assert breaker.allow()          # the trial
    assert not breaker.allow()      # everyone else waits for it
    clock.now += 10
    assert breaker.allow()          # a trial that never reported: the next cooldown lets another one through
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


# -- seeded fault injection ---------------------------------------------------------------------


MIXED = {
    "orders": SystemFaults(transient_rate=0.3, failure_rate=0.1, timeout_rate=0.05, lost_response_rate=0.4),
    "users": SystemFaults(transient_rate=0.3, timeout_rate=0.05, lost_response_rate=0.3),
    "products": SystemFaults(transient_rate=0.4, failure_rate=0.1),
}


def scripted_run(make, seed: int) -> tuple[list, list]:
    """A fixed script of reads (some concurrent) and writes; what each call returned and the audit trail."""
    # Timeouts long enough that only injected hangs reach them, even on a loaded machine.
    gateway = make(policy(read_timeout_s=1.0, write_timeout_s=1.0, breaker={"failure_threshold": 1000}),
                   FaultPlan(seed=seed, systems=MIXED), name=f"run-{seed}-{time.perf_counter_ns()}")
    ctx = CHLOE.at(confirmed=True)
    results = []
    for i in range(6):
        results += gateway.call_many(CHLOE_ORDERS + [("get_user_details", {"user_id": "chloe_ramirez_1005"}),
                                                     ("get_product_details", {"product_id": "8435924049"})], ctx)
        address = {"user_id": "chloe_ramirez_1005", "address1": f"{i} Main St", "city": "Austin", "state": "TX",
                   "country": "USA", "zip": "78701"}
        results.append(gateway.call("modify_user_address", address, ctx.at(step=f"address-{i}")))
        results.append(gateway.call("transfer_to_human_agents", {"summary": f"request {i}"},
                                    ctx.at(step=f"handoff-{i}")))
    returned = [(r.tool, r.ok, r.error.code if r.error else None, r.attempts, r.replayed) for r in results]
    trail = [(r.tool, r.outcome, r.error_code, r.attempt) for r in gateway.audit.rows()]
    # The audit rows of concurrent calls interleave in any order; compare them per call instead.
    return returned, sorted(trail)


def test_the_same_seed_repeats_the_same_outcomes_exactly(make):
    first, second = scripted_run(make, 5), scripted_run(make, 5)
    assert first == second
    returned, trail = first
    # The plan did bite: retries, failures, a hang, lost write answers found committed.
    assert any(attempts > 1 for *_, attempts, _ in returned)
    assert any(not ok for _, ok, *_ in returned)
    assert any(code == "timeout" for _, _, code, _ in trail)
    # (Audited "ok": the commit was this call's own; the result says it was read back from the store.)
    assert any(replayed for *_, replayed in returned)
    assert scripted_run(make, 7) != first


def test_fault_plans_are_strict():
    with pytest.raises(ValueError):
        FaultPlan(systems={"orders": {"transient_rate": 1.5}})
    with pytest.raises(ValueError):
        FaultPlan(systems={"orders": {"lag_ms": 5}})


# -- parallel reads, sequential writes ----------------------------------------------------------


def test_reads_run_concurrently(make, executed, monkeypatch):
    gateway = make(policy(read_timeout_s=60.0))
    calls = CHLOE_ORDERS * 3  # 6 reads
    # Concurrent, not one after another: the first two reads to reach the store wait for each other, which
    # only reads running at the same time can do (counted, not timed: one after another, the first would
    # wait for a second that never comes, and fail).
    meet, arrivals, spied = threading.Barrier(2, timeout=30), [], RetailBackend.execute

    def wait_for_another(self, name, args, idempotency_key=None):
        with lock:
            arrivals.append(name)
            first_two = len(arrivals) <= 2
        if first_two:
            meet.wait()
        return spied(self, name, args, idempotency_key=idempotency_key)

    lock = threading.Lock()
    monkeypatch.setattr(RetailBackend, "execute", wait_for_another)
    results = gateway.call_many(calls, CHLOE)
    assert all(r.ok for r in results), [r.error for r in results]
    assert [r.output.order.order_id for r in results] == ["#W1005001", "#W1005002"] * 3  # answers in call order
    assert len(executed) == 6 and len(arrivals) == 6


def test_writes_run_one_at_a_time_in_order(make, executed):
    gateway = make(policy(), FaultPlan(systems={"users": SystemFaults(latency_ms=30)}))
    calls = [("modify_user_address", {"user_id": "chloe_ramirez_1005", "address1": f"{i} Main St", "city": "Austin",
                                      "state": "TX", "country": "USA", "zip": "78701"}) for i in range(4)]
    started = time.perf_counter()
    results = gateway.call_many(calls, CHLOE.at(confirmed=True))
    assert time.perf_counter() - started >= 4 * 0.03
    assert all(r.ok for r in results)
    writes = [(start, end) for name, start, end in executed if name == "modify_user_address"]
    assert len(writes) == 4 and all(end <= next_start for (_, end), (next_start, _) in pairwise(writes))
    assert gateway.backend.dump()["users"]["chloe_ramirez_1005"]["address"]["address1"] == "3 Main St"  # the last


def test_a_batch_with_a_write_runs_sequentially(make, executed):
    gateway = make(policy(), FaultPlan(systems={"orders": SystemFaults(latency_ms=30)}))
    calls = [CHLOE_ORDERS[1], ("modify_pending_order_address", {"order_id": "#W1005002", "address1": "1 Main St",
                                                                "city": "Austin", "state": "TX", "country": "USA",
                                                                "zip": "78701"}), CHLOE_ORDERS[1]]
    results = gateway.call_many(calls, CHLOE.at(confirmed=True))
    assert [r.ok for r in results] == [True, True, True]
    assert results[0].output.order.address.address1 != "1 Main St"  # read before the write
    assert results[2].output.order.address.address1 == "1 Main St"  # read after it
    spans = [(start, end) for _, start, end in executed]
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))
