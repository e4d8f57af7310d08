"""Least privilege in the gateway policy (issue 10, part 6), one row per role, situation and tool.

- customer: the assistant acting for the person in the conversation. Records of that customer only,
  writes only confirmed, and user-id look-ups only to identify the speaker: once identified, another
  customer's id never comes back, and "someone else's account" reads like "no such account".
- agent: the same checks on records and writes, but may look up any customer (to find a caller).
- admin: acts across customers; writes still need a confirmation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from procall.tools.backend.database import copy_file_database
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store
from procall.tools.gateway.audit import AuditLog
from procall.tools.gateway.context import CallContext
from procall.tools.gateway.gateway import Gateway
from procall.tools.gateway.policy import GatewayPolicy

REPO = Path(__file__).resolve().parent.parent
MIA, CHLOE = "mia_castillo_1001", "chloe_ramirez_1005"
ADDRESS = {"address1": "1 Main St", "address2": "", "city": "Eugene", "state": "OR", "country": "USA", "zip": "97401"}

MIA_EMAIL = ("find_user_id_by_email", {"email": "Mia.Castillo@example.com"})
CHLOE_EMAIL = ("find_user_id_by_email", {"email": "chloe.ramirez@example.com"})
NOBODY_EMAIL = ("find_user_id_by_email", {"email": "nobody@example.com"})
MIA_NAME = ("find_user_id_by_name_zip", {"first_name": "mia", "last_name": "Castillo", "zip": "94110"})
CHLOE_NAME = ("find_user_id_by_name_zip", {"first_name": "Chloe", "last_name": "Ramirez", "zip": "78704"})
MIA_ORDER = ("get_order_details", {"order_id": "#W1001002"})
CHLOE_ORDER = ("get_order_details", {"order_id": "#W1005002"})
CHLOE_PROFILE = ("get_user_details", {"user_id": CHLOE})
MIA_PROFILE = ("get_user_details", {"user_id": MIA})
MIA_PARCEL = ("get_shipment_status", {"tracking_id": "100100100102"})
CATALOGUE = ("list_all_product_types", {})
PRODUCT = ("get_product_details", {"product_id": "8435924049"})
STOCK = ("get_item_stock", {"item_id": "5137125744"})
CANCEL_MIA = ("cancel_pending_order", {"order_id": "#W1001002", "reason": "no longer needed"})
CANCEL_CHLOE = ("cancel_pending_order", {"order_id": "#W1005002", "reason": "no longer needed"})
MOVE_MIA = ("modify_user_address", {"user_id": MIA, **ADDRESS})
HANDOFF = ("transfer_to_human_agents", {"summary": "wants a person"})

# (role, identified customer, confirmed, call, expected: an output user id / "ok" / an error code)
CASES = [
    # customer, before identification: look-ups identify the speaker; nothing personal otherwise
    ("customer", None, False, MIA_EMAIL, MIA),
    ("customer", None, False, MIA_NAME, MIA),
    ("customer", None, False, NOBODY_EMAIL, "not_found"),
    ("customer", None, False, CATALOGUE, "ok"),
    ("customer", None, False, PRODUCT, "ok"),
    ("customer", None, False, STOCK, "ok"),
    ("customer", None, False, MIA_ORDER, "identification_required"),
    ("customer", None, False, MIA_PROFILE, "identification_required"),
    ("customer", None, False, MIA_PARCEL, "identification_required"),
    ("customer", None, True, CANCEL_MIA, "identification_required"),
    ("customer", None, True, HANDOFF, "ok"),  # asking for a person needs no account
    # customer, identified as Mia: her own records and id only
    ("customer", MIA, False, MIA_EMAIL, MIA),
    ("customer", MIA, False, MIA_NAME, MIA),
    ("customer", MIA, False, CHLOE_EMAIL, "not_owner"),
    ("customer", MIA, False, CHLOE_NAME, "not_owner"),
    ("customer", MIA, False, NOBODY_EMAIL, "not_owner"),  # reads exactly like someone else's account
    ("customer", MIA, False, MIA_ORDER, "ok"),
    ("customer", MIA, False, MIA_PROFILE, "ok"),
    ("customer", MIA, False, MIA_PARCEL, "ok"),
    ("customer", MIA, False, CHLOE_ORDER, "not_owner"),
    ("customer", MIA, False, CHLOE_PROFILE, "not_owner"),
    ("customer", MIA, False, CANCEL_MIA, "confirmation_required"),
    ("customer", MIA, True, CANCEL_CHLOE, "not_owner"),
    ("customer", MIA, True, MOVE_MIA, "ok"),
    ("customer", MIA, True, CANCEL_MIA, "ok"),
    # agent, acting for Mia: may find any customer, but reads and changes only Mia's records
    ("agent", MIA, False, CHLOE_EMAIL, CHLOE),
    ("agent", MIA, False, CHLOE_NAME, CHLOE),
    ("agent", MIA, False, NOBODY_EMAIL, "not_found"),
    ("agent", MIA, False, MIA_ORDER, "ok"),
    ("agent", MIA, False, CHLOE_ORDER, "not_owner"),
    ("agent", MIA, False, CANCEL_MIA, "confirmation_required"),
    ("agent", MIA, True, CANCEL_CHLOE, "not_owner"),
    ("agent", MIA, True, CANCEL_MIA, "ok"),
    ("agent", None, False, MIA_ORDER, "identification_required"),
    # admin: across customers, still no write without a confirmation
    ("admin", None, False, CHLOE_EMAIL, CHLOE),
    ("admin", None, False, CHLOE_ORDER, "ok"),
    ("admin", None, False, CHLOE_PROFILE, "ok"),
    ("admin", MIA, False, CHLOE_ORDER, "ok"),
    ("admin", None, False, CANCEL_CHLOE, "confirmation_required"),
    ("admin", None, True, CANCEL_CHLOE, "ok"),
]


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("permissions") / "base.db"
    create_store(path).close()
    return path


@pytest.fixture
def gateway(base_store, tmp_path):
    """A gateway on a fresh copy of the demo store, so each case starts from the same records."""
    gw = Gateway(RetailBackend(copy_file_database(base_store, tmp_path / "store.db")), AuditLog(tmp_path / "audit.db"))
    yield gw
    gw.close(wait=True)
    gw.backend.close()
    gw.audit.close()


@pytest.mark.parametrize("role, customer, confirmed, call, expected", CASES,
                         ids=[f"{r}-{c or 'anonymous'}-{'yes' if y else 'no'}-{t}-{e}"
                              for r, c, y, (t, _), e in CASES])
def test_each_role_may_do_exactly_this(gateway, role, customer, confirmed, call, expected):
    tool, args = call
    ctx = CallContext(conversation_id="perm", role=role, customer_id=customer, step="s", confirmed=confirmed)
    before = gateway.backend.dump_json()
    result = gateway.call(tool, args, ctx)
    if expected in (MIA, CHLOE, "ok"):
        assert result.ok, result.error
        if expected != "ok":
            assert result.output.user_id == expected
    else:
        assert not result.ok and result.error.code == expected, result
        spec = gateway.registry.get(tool)
        if spec.is_write:
            assert gateway.backend.dump_json() == before  # a refused write changed nothing
    # Whatever the answer, a customer-facing result never carries another customer's id (unless the
    # caller gave it).
    other = CHLOE if customer == MIA else MIA
    if role == "customer" and customer is not None and other not in str(args):
        assert other not in (result.output.model_dump_json() if result.ok else str(result.error))


def test_someone_elses_account_and_no_account_read_the_same_to_an_identified_customer(gateway):
    ctx = CallContext(conversation_id="perm-same", customer_id=MIA)
    theirs = gateway.call(*CHLOE_EMAIL, ctx).error
    nobodys = gateway.call(*NOBODY_EMAIL, ctx).error
    assert theirs == nobodys
    rows = gateway.audit.rows(conversation="perm-same")
    assert [(r.outcome, r.error_code) for r in rows] == [("refused", "not_owner")] * 2


def test_every_tool_the_customer_may_call_is_one_the_assistants_processes_call():
    """Least privilege: the customer role holds no tool the customer-facing assistant does not use."""
    policy = GatewayPolicy.load()
    granted = {tool for tool, roles in policy.permissions.items() if "customer" in roles}
    sources = "\n".join(p.read_text() for p in (REPO / "graphs").rglob("*.py"))
    used = {tool for tool in policy.permissions if re.search(rf"[\"']{tool}[\"']", sources)}
    assert granted <= used, f"granted to customers but called by no process: {sorted(granted - used)}"
    assert set(policy.speaker_lookups.tools) <= granted and policy.speaker_lookups.roles == ["customer"]
    assert policy.ownership_exempt_roles == ["admin"]


def test_the_speaker_rule_comes_from_the_policy(tmp_path):
    create_store(tmp_path / "store.db").close()
    base = GatewayPolicy.load()
    loose = base.model_copy(update={"speaker_lookups": base.speaker_lookups.model_copy(update={"roles": []})})
    gw = Gateway(RetailBackend.open(tmp_path / "store.db"), AuditLog(tmp_path / "audit.db"), loose)
    try:
        ctx = CallContext(conversation_id="perm-loose", customer_id=MIA)
        assert gw.call(*CHLOE_EMAIL, ctx).output.user_id == CHLOE  # without the rule, the id would leak
    finally:
        gw.close(wait=True)
        gw.backend.close()
        gw.audit.close()
