"""When a backend system is down: the customer hears it plainly, nothing is written, a person is
offered, and the conversation goes on."""

from __future__ import annotations

from procall import Assistant, Settings
from procall.tools.gateway.faults import FaultPlan, SystemFaults


def test_an_outage_is_said_plainly_and_offers_a_person(tmp_path):
    down = FaultPlan(seed=1, systems={"orders": SystemFaults(failure_rate=1.0)})
    bot = Assistant(Settings(home=tmp_path), faults=down)
    try:
        reply = bot.send("o", "cancel #W1001002, I ordered by mistake. mia.castillo@example.com")
        assert "our order system isn't answering" in reply.text and "nothing was changed" in reply.text
        assert "transfer you to a human agent" in reply.text
        assert reply.asking == "accept"
        reply = bot.send("o", "no thanks")
        assert "Okay, I won't transfer you" in reply.text
        rows = bot.gateway.audit.rows(conversation="o")
        assert [r.attempt for r in rows if r.tool == "get_order_details"] == [1, 2, 3]  # at most 3 attempts
        assert not any(r.tool == "cancel_pending_order" for r in rows)
        assert bot.backend.dump()["orders"]["#W1001002"]["status"] == "pending"
    finally:
        bot.close()


def test_a_held_aggregation_is_reported_not_run(tmp_path):
    from procall.tools.gateway.policy import AggregationRule, GatewayPolicy

    policy = GatewayPolicy.load()
    policy = policy.model_copy(update={"aggregation_rules": [AggregationRule(
        name="parcels-and-accounts", systems=["users", "shipping"], reason="needs a fraud review")]})
    path = tmp_path / "policy.yaml"
    import yaml

    path.write_text(yaml.safe_dump(policy.model_dump(mode="json")))
    bot = Assistant(Settings(home=tmp_path, gateway_policy=path))
    try:
        reply = bot.send("g", "grace.okafor@example.com my package never came")
        assert "needs a review" in reply.text and "nothing was changed" in reply.text
        assert "transfer you to a human agent" in reply.text
        held = [r for r in bot.gateway.audit.rows(conversation="g") if r.outcome == "held"]
        assert held and held[0].tool == "get_shipment_status"
    finally:
        bot.close()
