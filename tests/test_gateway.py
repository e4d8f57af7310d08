"""The gateway's front door: the tool registry, validation before anything runs, authorization
(role matrix from the policy file, ownership, identification, confirmation), results for a model
(truncation) and the audit log (one row per attempt, secrets masked).

Resilience (timeouts, retries, circuit breaker, fault injection, parallel reads) is in
test_gateway_resilience.py; exactly-once writes and the aggregation guard in test_gateway_writes.py.
Every custom policy here is the packaged policy.yaml with a field changed: configuration, not code.
"""

from __future__ import annotations

import json
import logging

import pytest
import yaml

from procall.tools.backend.contracts import OrderRef, UserIdResult
from procall.tools.backend.operation import OPERATIONS
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit import AuditLog, mask
from procall.tools.gateway.context import CallContext
from procall.tools.gateway.faults import FaultPlan
from procall.tools.gateway.gateway import Gateway
from procall.tools.gateway.policy import GatewayPolicy
from procall.tools.gateway.registry import ToolRegistry
from procall.tools.gateway.results import ToolError, ToolResult

MIA = CallContext(conversation_id="conv-mia", customer_id="mia_castillo_1001", process="test", step="s1")
ADDRESS = {"address1": "1 Main St", "address2": "", "city": "Eugene", "state": "OR", "country": "USA", "zip": "97401"}


def with_limits(**limits) -> GatewayPolicy:
    policy = GatewayPolicy.load()
    return policy.model_copy(update={"limits": policy.limits.model_copy(update=limits)})


@pytest.fixture
def make(tmp_path):
    """Gateway factory on one store and one audit log under tmp_path; closes what it opened."""
    create_store(tmp_path / "store.db").close()
    opened = []

    def build(policy: GatewayPolicy | None = None, faults: FaultPlan | None = None) -> Gateway:
        gateway = Gateway(RetailBackend.open(tmp_path / "store.db"), AuditLog(tmp_path / "audit.db"), policy, faults)
        opened.append(gateway)
        return gateway

    yield build
    for gateway in opened:
        gateway.close()
        gateway.backend.close()
        gateway.audit.close()


@pytest.fixture
def gw(make) -> Gateway:
    return make()


@pytest.fixture
def executed(monkeypatch, tmp_path) -> list[str]:
    """Names of the operations that reached this test's backend (not a late thread of an earlier test's)."""
    calls: list[str] = []
    original = RetailBackend.execute

    def spy(self, name, args, idempotency_key=None):
        if self.db.path.is_relative_to(tmp_path):
            calls.append(name)
        return original(self, name, args, idempotency_key=idempotency_key)

    monkeypatch.setattr(RetailBackend, "execute", spy)
    return calls


def audit(gateway: Gateway, ctx: CallContext = MIA) -> list[tuple]:
    return [(r.tool, r.outcome, r.error_code, r.attempt) for r in gateway.audit.rows(conversation=ctx.conversation_id)]


# -- registry -----------------------------------------------------------------------------------


def test_registry_describes_every_backend_operation():
    policy = GatewayPolicy.load()
    registry = ToolRegistry(policy)
    specs = registry.list()
    assert [s.name for s in specs] == sorted(OPERATIONS)
    for spec in specs:
        op = OPERATIONS[spec.name]
        assert spec.version == "1.0" and spec.description == op.description and spec.description
        assert (spec.input_model, spec.output_model, spec.kind, spec.system) == (
            op.input_model, op.output_model, op.kind, op.system)
        assert spec.roles == tuple(policy.permissions[spec.name])
        assert spec.timeout_s == (policy.limits.write_timeout_s if spec.is_write else policy.limits.read_timeout_s)
        assert spec.retry_safe  # writes too: the idempotency key makes a retry safe
    assert registry.get("cancel_pending_order").is_write and not registry.get("get_order_details").is_write
    assert registry.get("no_such_tool") is None


def test_registry_exports_openai_tool_schemas():
    registry = ToolRegistry(GatewayPolicy.load())
    schemas = registry.openai_schemas()
    assert len(schemas) == len(OPERATIONS)
    for schema in schemas:
        function = schema["function"]
        spec = registry.get(function["name"])
        assert schema["type"] == "function" and function["description"] == spec.description
        params = function["parameters"]
        assert params["type"] == "object" and params["additionalProperties"] is False
        assert "title" not in params and all("title" not in p for p in params["properties"].values())
        required = {n for n, f in spec.input_model.model_fields.items() if f.is_required()}
        assert set(params.get("required", [])) == required
    json.dumps(schemas)  # plain JSON, ready for a model API
    order = registry.openai_schemas(["get_order_details"])
    assert len(order) == 1 and order[0]["function"]["parameters"]["properties"]["order_id"]["pattern"] == r"^#W\d{7}$"


def test_the_permission_matrix_is_read_from_the_policy_file(make, tmp_path, executed):
    policy = GatewayPolicy.load()
    raw = policy.model_dump()
    raw["permissions"]["get_order_details"] = ["agent", "admin"]
    del raw["permissions"]["get_product_details"]  # least privilege: a tool not listed is refused to all
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    gateway = make(GatewayPolicy.load(path))
    denied = gateway.call("get_order_details", {"order_id": "#W1001002"}, MIA)
    assert (denied.ok, denied.error.code) == (False, "forbidden")
    admin = MIA.model_copy(update={"role": "admin"})
    assert gateway.call("get_product_details", {"product_id": "8435924049"}, admin).error.code == "forbidden"
    assert gateway.call("get_order_details", {"order_id": "#W1001002"}, MIA.model_copy(update={"role": "agent"})).ok
    assert executed == ["get_order_details"]  # only the permitted call ran


# -- validation before execution ----------------------------------------------------------------


@pytest.mark.parametrize("tool, args, code, field, message", [
    ("get_order_detail", {"order_id": "#W1001002"}, "unknown_tool", None, "no tool named 'get_order_detail'"),
    ("get_order_details", {}, "invalid_arguments", "order_id", "missing argument 'order_id'"),
    ("get_order_details", {"order_id": "W1001002"}, "invalid_arguments", "order_id", "invalid 'order_id'"),
    ("get_order_details", {"order_id": 1001002}, "invalid_arguments", "order_id", "invalid 'order_id'"),
    ("get_order_details", {"order_id": "#W1001002", "user_id": "x"}, "invalid_arguments", "user_id",
     "unexpected argument 'user_id'"),
    ("cancel_pending_order", {"order_id": "#W1001002", "reason": "changed my mind"}, "invalid_arguments", "reason",
     "invalid 'reason'"),
    ("return_delivered_order_items", {"order_id": "#W1001001", "item_ids": "4347817889",
                                      "payment_method_id": "credit_card_1001002"}, "invalid_arguments", "item_ids",
     "invalid 'item_ids'"),
    ("return_delivered_order_items", {"order_id": "#W1001001", "item_ids": ["4347817889", "lamp"],
                                      "payment_method_id": "credit_card_1001002"}, "invalid_arguments", "item_ids.1",
     "invalid 'item_ids.1'"),
    ("get_order_details", '{"order_id": "#W1001002"}', "invalid_arguments", None, "arguments must be an object"),
    ("get_order_details", ["#W1001002"], "invalid_arguments", None, "arguments must be an object"),
])
def test_bad_calls_get_a_structured_error_and_never_reach_the_backend(gw, executed, tool, args, code, field, message):
    ctx = MIA.at(confirmed=True)  # even a confirmed write does not run with bad arguments
    result = gw.call(tool, args, ctx)
    assert (result.ok, result.error.code, result.error.field) == (False, code, field)
    assert result.error.message.startswith(message)
    assert result.attempts == 0 and result.output is None
    assert executed == []
    assert audit(gw) == [(tool, "refused", code, 0)]


def test_arguments_may_be_given_as_the_input_model(gw):
    assert gw.call("get_order_details", OrderRef(order_id="#W1001002"), MIA).output.order.order_id == "#W1001002"


def test_output_drift_is_a_structured_error_and_logged(make, monkeypatch, caplog):
    gateway = make()
    # The orders system starts answering with another shape (an unannounced upgrade).
    monkeypatch.setattr(RetailBackend, "execute", lambda self, name, args, idempotency_key=None:
                        UserIdResult(user_id="mia_castillo_1001"))
    with caplog.at_level(logging.ERROR, logger="procall.gateway"):
        result = gateway.call("get_order_details", {"order_id": "#W1001002"}, MIA)
    assert (result.ok, result.error.code) == (False, "output_drift")
    assert "get_order_details" in result.error.message and result.output is None
    assert any("output drift in get_order_details" in r.getMessage() for r in caplog.records)
    assert audit(gateway) == [("get_order_details", "failed", "output_drift", 1)]  # not retried


def test_injected_output_corruption_is_caught_too(make):
    gateway = make(faults=FaultPlan(corrupt_output=["get_user_details"]))
    assert gateway.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA).error.code == "output_drift"
    assert gateway.call("get_order_details", {"order_id": "#W1001002"}, MIA).ok


# -- authorization ------------------------------------------------------------------------------


def test_identification_comes_first(gw, executed):
    anonymous = CallContext(conversation_id="conv-anon")
    assert gw.call("find_user_id_by_email", {"email": "mia.castillo@example.com"}, anonymous).output.user_id == \
        "mia_castillo_1001"
    assert gw.call("list_all_product_types", {}, anonymous).ok  # no customer record involved
    for tool, args in [("get_order_details", {"order_id": "#W1001002"}),
                       ("get_user_details", {"user_id": "mia_castillo_1001"}),
                       ("get_shipment_status", {"tracking_id": "100100100101"})]:
        assert gw.call(tool, args, anonymous).error.code == "identification_required"
    assert executed == ["find_user_id_by_email", "list_all_product_types"]


@pytest.mark.parametrize("tool, args, field", [
    ("get_order_details", {"order_id": "#W1005002"}, "order_id"),             # Chloe's order
    ("get_order_details", {"order_id": "#W9999999"}, "order_id"),             # nobody's
    ("get_user_details", {"user_id": "chloe_ramirez_1005"}, "user_id"),
    ("get_shipment_status", {"tracking_id": "100500500101"}, "tracking_id"),  # Chloe's parcel
])
def test_a_customer_cannot_read_another_customers_records(gw, executed, tool, args, field):
    result = gw.call(tool, args, MIA)
    assert (result.error.code, result.error.field) == ("not_owner", field)
    assert "is not a" in result.error.message and "of the identified customer" in result.error.message
    assert executed == []
    assert audit(gw) == [(tool, "refused", "not_owner", 0)]


def test_not_yours_and_does_not_exist_look_the_same(gw):
    theirs = gw.call("get_order_details", {"order_id": "#W1005002"}, MIA).error
    nobodys = gw.call("get_order_details", {"order_id": "#W9999999"}, MIA).error
    assert theirs.message.replace("#W1005002", "X") == nobodys.message.replace("#W9999999", "X")


def test_a_customer_cannot_change_another_customers_order_even_confirmed(gw, executed):
    before = gw.backend.dump()
    confirmed = MIA.at(confirmed=True)
    attempts = [
        ("cancel_pending_order", {"order_id": "#W1005002", "reason": "no longer needed"}, "order_id"),
        ("modify_pending_order_address", {"order_id": "#W1007001", **ADDRESS}, "order_id"),
        ("modify_user_address", {"user_id": "chloe_ramirez_1005", **ADDRESS}, "user_id"),
        # Her own order, paid with someone else's gift card:
        ("modify_pending_order_payment", {"order_id": "#W1001002", "payment_method_id": "gift_card_1005004"},
         "payment_method_id"),
        ("return_delivered_order_items", {"order_id": "#W1005001", "item_ids": ["5137125744"],
                                          "payment_method_id": "credit_card_1005002"}, "order_id"),
    ]
    for tool, args, field in attempts:
        result = gw.call(tool, args, confirmed)
        assert (result.error.code, result.error.field) == ("not_owner", field), tool
    assert executed == []
    assert gw.backend.dump() == before


def test_a_write_without_confirmation_is_refused_and_changes_nothing(gw, executed):
    before = gw.backend.dump()
    result = gw.call("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"}, MIA)
    assert (result.ok, result.error.code) == (False, "confirmation_required")
    assert executed == [] and gw.backend.dump() == before
    done = gw.call("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"},
                   MIA.at(confirmed=True))
    assert done.ok and done.output.order.status == "cancelled"
    assert executed == ["cancel_pending_order"]
    assert audit(gw) == [("cancel_pending_order", "refused", "confirmation_required", 0),
                         ("cancel_pending_order", "ok", None, 1)]


def test_only_exempt_roles_act_across_customers(gw):
    agent = MIA.model_copy(update={"role": "agent"})
    assert gw.call("get_order_details", {"order_id": "#W1005002"}, agent).error.code == "not_owner"
    admin = CallContext(conversation_id="gold-replay", role="admin")  # no customer at all
    assert gw.call("get_order_details", {"order_id": "#W1005002"}, admin).ok
    assert gw.call("get_order_details", {"order_id": "#W9999999"}, admin).error.code == "not_found"
    assert gw.call("cancel_pending_order", {"order_id": "#W1005002", "reason": "no longer needed"},
                   admin).error.code == "confirmation_required"  # exempt from ownership, not from confirmation
    exempt_agents = GatewayPolicy.load().model_copy(update={"ownership_exempt_roles": ["admin", "agent"]})
    gateway = Gateway(gw.backend, gw.audit, exempt_agents)
    try:
        assert gateway.call("get_order_details", {"order_id": "#W1005002"}, agent).ok
    finally:
        gateway.close()


def test_own_records_are_served(gw):
    assert gw.call("get_order_details", {"order_id": "#W1001001"}, MIA).output.order.user_id == "mia_castillo_1001"
    assert gw.call("get_shipment_status", {"tracking_id": "100100100102"}, MIA).output.shipment.status == "delivered"
    user = gw.call("get_user_details", {"user_id": "mia_castillo_1001"}, MIA)
    assert user.ok and user.attempts == 1 and user.latency_ms > 0 and not user.replayed


# -- results for a model ------------------------------------------------------------------------


def test_results_for_a_model_are_cut_where_the_policy_says_and_processes_get_everything(make):
    gateway = make(with_limits(max_result_chars=200))
    result = gateway.call("get_user_details", {"user_id": "chloe_ramirez_1005"}, MIA.model_copy(
        update={"customer_id": "chloe_ramirez_1005"}))
    full = result.output.model_dump_json()
    assert len(full) > 200
    text = result.for_model(gateway.policy.limits.max_result_chars)
    assert text.startswith(full[:200])
    assert text[200:] == f" …[truncated: {len(full) - 200} of {len(full)} characters cut; ask for a narrower record]"
    # The process still gets the whole typed record.
    assert result.output.user.orders == ["#W1005001", "#W1005002"]
    assert result.output.user.payment_methods["gift_card_1005004"].balance == 420.0
    assert result.for_model(len(full)) == full == result.as_json()
    assert "truncated" not in result.for_model(len(full))


def test_errors_for_a_model_are_readable_and_cut_too():
    result = ToolResult(tool="t", ok=False, error=ToolError(code="not_owner", field="order_id", message="x" * 50))
    assert str(result.error) == "Error [not_owner] (field: order_id): " + "x" * 50
    assert result.for_model(1000) == str(result.error)
    assert "truncated: " in result.for_model(20)
    assert json.loads(result.as_json()) == {"error": {"code": "not_owner", "message": "x" * 50, "field": "order_id"}}


# -- audit --------------------------------------------------------------------------------------


def test_every_call_leaves_one_row_with_its_context(gw):
    ctx = CallContext(conversation_id="conv-ctx", customer_id="mia_castillo_1001", role="agent",
                      process="cancel_order", frame_id="f1", step="check_status")
    gw.call("get_order_details", {"order_id": "#W1001002"}, ctx)
    gw.call("get_order_details", {"order_id": "#W1005002"}, ctx)
    gw.call("get_order_details", {"order_id": "nope"}, ctx)
    gw.call("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"}, ctx)
    rows = gw.audit.rows(conversation="conv-ctx")
    assert [(r.outcome, r.error_code) for r in rows] == [
        ("ok", None), ("refused", "not_owner"), ("refused", "invalid_arguments"), ("refused", "confirmation_required")]
    first = rows[0]
    assert (first.customer, first.role, first.process, first.step, first.tool, first.version, first.system) == (
        "mia_castillo_1001", "agent", "cancel_order", "check_status", "get_order_details", "1.0", "orders")
    assert json.loads(first.arguments) == {"order_id": "#W1001002"} and first.latency_ms > 0
    assert [r.tool for r in gw.audit.rows(tool="cancel_pending_order")] == ["cancel_pending_order"]
    assert len(gw.audit.rows(limit=2)) == 2


SECRETS = {
    "card_number": "4111111111111111", "cardNumber": "5500 0000 0000 0004", "cvv": "123", "password": "hunter2",
    "token": "tok_live_abc", "api_key": "sk-xyz", "nested": {"CVC": "999", "pan": 4111111111111111},
    "note": "my card is 4111-1111-1111-1111, ok?", "list": ["5500000000000004"],
}


def test_secrets_are_masked_in_the_audit_log(gw):
    gw.call("get_order_details", {"order_id": "#W1001002", **SECRETS}, MIA)  # refused: unexpected arguments
    summary = "Please call me; card 4111 1111 1111 1111 was charged twice. Order #W1001002, item 4347817889."
    gw.call("transfer_to_human_agents", {"summary": summary}, MIA.at(confirmed=True))
    rows = gw.audit.rows(conversation=MIA.conversation_id)
    assert [r.outcome for r in rows] == ["refused", "ok"]
    refused_args = json.loads(rows[0].arguments)
    for key in ("card_number", "cardNumber", "cvv", "password", "token", "api_key"):
        assert refused_args[key] == "***"
    assert refused_args["nested"] == {"CVC": "***", "pan": "************1111"}
    assert refused_args["note"] == "my card is ************1111, ok?"
    assert refused_args["list"] == ["************0004"]
    assert json.loads(rows[1].arguments)["summary"] == (
        "Please call me; card ************1111 was charged twice. Order #W1001002, item 4347817889.")
    everything = "".join(r.arguments for r in rows)
    for secret in ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5500", "hunter2", "tok_live",
                   "sk-xyz", '"123"', '"999"'):
        assert secret not in everything


def test_mask_keeps_ordinary_ids():
    ids = {"order_id": "#W1001002", "item_ids": ["4347817889"], "tracking_id": "100100100101", "zip": "94110",
           "amount": 274.66, "count": 3, "flag": True}
    assert mask(ids) == ids


# -- the benchmark command stays runnable -------------------------------------------------------


def test_the_overhead_benchmark_runs(capsys):
    from procall.evals.bench_gateway import main

    assert main(["--calls", "20", "--warmup", "2"]) == 0
    out = capsys.readouterr().out
    assert "read: get_order_details" in out and "rejected by validation" in out and "CPUs" in out
