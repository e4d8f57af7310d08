"""Exactly-once writes and the cross-system aggregation guard, across retries, lost answers,
crashes and restarts (a second Gateway on the same database files).

A write's idempotency key comes from the conversation, the frame, the step, the tool and the
arguments, and is stored in the same transaction as the write: a retry, a replayed step or a
restarted assistant gets the stored answer instead of a second write.
"""

from __future__ import annotations

import pytest

from procall.tools.backend.contracts import CancelOrder
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit import AuditLog
from procall.tools.gateway.context import CallContext
from procall.tools.gateway.faults import FaultPlan, SystemFaults
from procall.tools.gateway.gateway import Gateway, idempotency_key
from procall.tools.gateway.policy import GatewayPolicy

MIA = CallContext(conversation_id="conv-mia", customer_id="mia_castillo_1001", process="cancel_order",
                  frame_id="frame-1", step="cancel", confirmed=True)
CANCEL = ("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"})
RULE = {"name": "payment-and-parcels", "systems": ["users", "shipping"],
        "reason": "payment details and parcel whereabouts together need a fraud review"}


def fast_policy(**update) -> GatewayPolicy:
    base = GatewayPolicy.load()
    raw = base.model_dump()
    raw["limits"]["backoff_base_ms"] = 1
    raw.update(update)
    return GatewayPolicy.model_validate(raw)


class Crash(BaseException):
    """The assistant's process dies (not an error the gateway could handle)."""


@pytest.fixture
def files(tmp_path):
    create_store(tmp_path / "store.db").close()
    return tmp_path


@pytest.fixture
def start(files):
    """Start an assistant process: a new Gateway (and connections) on the same store and audit files."""
    opened = []

    def build(policy: GatewayPolicy | None = None, faults: FaultPlan | None = None) -> Gateway:
        gateway = Gateway(RetailBackend.open(files / "store.db"), AuditLog(files / "audit.db"), policy, faults)
        opened.append(gateway)
        return gateway

    yield build
    for gateway in opened:
        stop(gateway)


def stop(gateway: Gateway) -> None:
    gateway.close()
    gateway.backend.close()
    gateway.audit.close()


@pytest.fixture
def executed(monkeypatch, tmp_path) -> list[str]:
    """Names of the operations that reached this test's backend."""
    calls: list[str] = []
    original = RetailBackend.execute

    def spy(self, name, args, idempotency_key=None):
        if self.db.path.is_relative_to(tmp_path):
            calls.append(name)
        return original(self, name, args, idempotency_key=idempotency_key)

    monkeypatch.setattr(RetailBackend, "execute", spy)
    return calls


def mia_after_cancel(gateway: Gateway) -> tuple[float, list[dict]]:
    data = gateway.backend.dump()
    return (data["users"]["mia_castillo_1001"]["payment_methods"]["gift_card_1001003"]["balance"],
            data["orders"]["#W1001002"]["payment_history"])


def applied_once(gateway: Gateway) -> None:
    balance, history = mia_after_cancel(gateway)
    assert balance == 245.92  # 150.00 + 95.92, credited once
    assert [p["transaction_type"] for p in history] == ["payment", "refund"]


def handoffs(gateway: Gateway) -> int:
    return gateway.backend.db.query("SELECT count(*) FROM handoffs")[0][0]


# -- the key ------------------------------------------------------------------------------------


def test_the_key_is_the_conversation_frame_step_tool_and_arguments():
    args = CancelOrder(order_id="#W1001002", reason="no longer needed")
    key = idempotency_key(MIA, "cancel_pending_order", args)
    assert key == idempotency_key(MIA.model_copy(update={"confirmed": False}), "cancel_pending_order", args)
    others = [
        idempotency_key(MIA.model_copy(update={"conversation_id": "other"}), "cancel_pending_order", args),
        idempotency_key(MIA.at(frame_id="frame-2"), "cancel_pending_order", args),
        idempotency_key(MIA.at(step="cancel-again"), "cancel_pending_order", args),
        idempotency_key(MIA, "cancel_pending_order", CancelOrder(order_id="#W1001002", reason="ordered by mistake")),
    ]
    assert len({key, *others}) == 5


# -- retries and lost answers -------------------------------------------------------------------


def test_a_lost_answer_is_retried_and_the_write_applies_once(start, executed):
    gateway = start(fast_policy(), FaultPlan(systems={"orders": SystemFaults(lost_response_rate=1.0)}))
    result = gateway.call(*CANCEL, MIA)
    # Every answer was lost; the write committed on the first attempt, the retries found its key.
    assert result.ok and result.replayed and result.output.order.status == "cancelled"
    assert executed == ["cancel_pending_order"] * 3
    applied_once(gateway)
    # The commit was this call's own, so its audit row is the write's one "ok" row.
    assert [(r.outcome, r.error_code, r.attempt) for r in gateway.audit.rows()] == [
        ("retried", "unavailable", 1), ("retried", "unavailable", 2), ("ok", None, 3)]


def test_lost_answers_never_double_a_write(start):
    # Hand-offs insert a row per applied write, so a doubled write would show in the count.
    gateway = start(fast_policy(), FaultPlan(seed=3, systems={"support": SystemFaults(lost_response_rate=0.5)}))
    results = [gateway.call("transfer_to_human_agents", {"summary": f"request {i}"}, MIA.at(step=f"handoff-{i}"))
               for i in range(20)]
    assert all(r.ok for r in results)
    assert sum(r.attempts > 1 for r in results) >= 5  # the lost answers did happen
    assert handoffs(gateway) == 20
    assert len({r.output.handoff_id for r in results}) == 20


def test_a_replayed_step_returns_the_first_answer(start, executed):
    gateway = start(fast_policy())
    first = gateway.call(*CANCEL, MIA)
    again = gateway.call(*CANCEL, MIA)  # e.g. the graph resumed from a checkpoint before the step
    assert first.ok and not first.replayed
    assert again.ok and again.replayed and again.output == first.output
    applied_once(gateway)
    # The same write at another step is a new request, and the store's rules answer it.
    new_step = gateway.call(*CANCEL, MIA.at(step="cancel-second-time"))
    assert (new_step.error.code, new_step.error.message) == ("rule_violation", "non-pending order cannot be cancelled")
    assert [r.outcome for r in gateway.audit.rows()] == ["ok", "replayed", "failed"]


def test_timed_out_writes_retried_and_replayed_apply_once(start):
    plan = FaultPlan(seed=5, systems={"support": SystemFaults(timeout_rate=0.5, lost_response_rate=0.4)})
    limits = {**GatewayPolicy.load().limits.model_dump(), "write_timeout_s": 0.03, "backoff_base_ms": 1}
    gateway = start(fast_policy(limits=limits), plan)
    steps = [({"summary": f"request {i}"}, MIA.at(step=f"t-{i}")) for i in range(10)]
    results = [gateway.call("transfer_to_human_agents", args, ctx) for args, ctx in steps]
    assert any(r.ok for r in results) and any(r.attempts > 1 for r in results)
    assert all(r.error.code == "timeout" for r in results if not r.ok)
    gateway.close(wait=True)  # every abandoned attempt has ended (joined: no sleep a loaded machine outlasts)
    # The process replays every step (after a restart, without faults): each write exists exactly once.
    healthy = start(fast_policy())
    replays = [healthy.call("transfer_to_human_agents", args, ctx) for args, ctx in steps]
    assert all(r.ok for r in replays)
    assert handoffs(healthy) == 10
    for first, replay in zip(results, replays, strict=True):
        if first.ok:
            assert replay.replayed and replay.output == first.output


# -- crashes and restarts -----------------------------------------------------------------------


def test_a_crash_after_the_commit_and_a_restart_apply_the_write_once(start, monkeypatch, executed):
    gateway = start(fast_policy())
    original = RetailBackend.execute

    def commit_then_die(self, name, args, idempotency_key=None):
        original(self, name, args, idempotency_key=idempotency_key)
        raise Crash("killed after the commit, before the answer")

    monkeypatch.setattr(RetailBackend, "execute", commit_then_die)
    with pytest.raises(Crash):
        gateway.call(*CANCEL, MIA)
    stop(gateway)
    monkeypatch.undo()

    restarted = start(fast_policy())  # a new process on the same files replays the interrupted step
    result = restarted.call(*CANCEL, MIA)
    assert result.ok and result.replayed and result.output.order.status == "cancelled"
    applied_once(restarted)


def test_a_second_gateway_on_the_same_files_sees_the_first_ones_writes(start):
    first, second = start(fast_policy()), start(fast_policy())
    done = first.call(*CANCEL, MIA)
    replayed = second.call(*CANCEL, MIA)
    assert done.ok and not done.replayed and replayed.replayed and replayed.output == done.output
    applied_once(second)
    stop(first)
    third = start(fast_policy(), FaultPlan(systems={"orders": SystemFaults(lost_response_rate=1.0)}))
    assert third.call(*CANCEL, MIA).replayed
    applied_once(third)
    # One audit log for all three processes; the third one's answers were lost twice before the replay.
    assert [r.outcome for r in third.audit.rows()] == ["ok", "replayed", "retried", "retried", "replayed"]


# -- the aggregation guard ----------------------------------------------------------------------


def guarded() -> GatewayPolicy:
    return fast_policy(aggregation_rules=[RULE])


def test_without_rules_nothing_is_held(start):
    gateway = start()
    assert gateway.policy.aggregation_rules == []
    assert gateway.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA).ok
    assert gateway.call("get_shipment_status", {"tracking_id": "100100100101"}, MIA).ok


def test_the_call_that_completes_a_combination_is_held_not_run(start, executed):
    gateway = start(guarded())
    assert gateway.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA).ok
    assert gateway.call("get_order_details", {"order_id": "#W1001001"}, MIA).ok  # not part of the rule
    held = gateway.call("get_shipment_status", {"tracking_id": "100100100101"}, MIA)
    assert (held.ok, held.error.code) == (False, "aggregation_held")
    assert held.error.message == ("held for review (payment-and-parcels): payment details and parcel whereabouts "
                                  "together need a fraud review")
    assert executed == ["get_user_details", "get_order_details"]
    assert [(r.tool, r.outcome, r.error_code) for r in gateway.audit.rows()][-1] == (
        "get_shipment_status", "held", "aggregation_held")
    # Still held on the next try, and for writes of that system too; other conversations are free.
    assert gateway.call("get_shipment_status", {"tracking_id": "100100100102"}, MIA).error.code == "aggregation_held"
    claim = {"order_id": "#W1001001", "item_ids": ["4347817889"], "resolution": "reship"}
    assert gateway.call("report_missing_items", claim, MIA).error.code == "aggregation_held"
    other = MIA.model_copy(update={"conversation_id": "conv-other"})
    assert gateway.call("get_shipment_status", {"tracking_id": "100100100101"}, other).ok
    assert gateway.call("get_user_details", {"user_id": "mia_castillo_1001"}, other).error.code == "aggregation_held"


def test_refused_and_failed_calls_do_not_count_as_using_a_system(start):
    gateway = start(guarded())
    assert gateway.call("get_user_details", {"user_id": "chloe_ramirez_1005"}, MIA).error.code == "not_owner"
    assert gateway.call("get_user_details", {"user_id": "x"}, MIA.model_copy(
        update={"role": "admin"})).error.code == "not_found"
    assert gateway.call("get_shipment_status", {"tracking_id": "100100100101"}, MIA).ok


def test_the_hold_survives_a_restart(start):
    first = start(guarded())
    assert first.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA).ok
    stop(first)
    restarted = start(guarded())
    held = restarted.call("get_shipment_status", {"tracking_id": "100100100101"}, MIA)
    assert held.error.code == "aggregation_held"
    assert [r.outcome for r in restarted.audit.rows(conversation=MIA.conversation_id)] == ["ok", "held"]


def test_concurrent_reads_cannot_complete_a_combination_together(start, executed):
    gateway = start(guarded(), FaultPlan(systems={"users": SystemFaults(latency_ms=20),
                                                  "shipping": SystemFaults(latency_ms=20)}))
    results = gateway.call_many([("get_user_details", {"user_id": "mia_castillo_1001"}),
                                 ("get_shipment_status", {"tracking_id": "100100100101"})], MIA)
    assert sorted(r.error.code if r.error else "ok" for r in results) == ["aggregation_held", "ok"]
    assert len(executed) == 1


def test_a_rule_of_three_systems_holds_the_third(start):
    gateway = start(fast_policy(aggregation_rules=[{"name": "profile", "systems": ["users", "orders", "shipping"]}]))
    assert gateway.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA).ok
    assert gateway.call("get_shipment_status", {"tracking_id": "100100100101"}, MIA).ok
    held = gateway.call("get_order_details", {"order_id": "#W1001001"}, MIA)
    assert held.error.code == "aggregation_held" and "profile" in held.error.message
    with pytest.raises(ValueError):
        fast_policy(aggregation_rules=[{"name": "one", "systems": ["users"]}])  # a rule names a combination
