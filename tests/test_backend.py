"""The store's operations run straight on the backend (no gateway): their exact effects on the demo
store, the store's rules on every data set (the demo data, and the tau-bench retail data when it is
present), a lossless load -> dump round trip, and the benchmark's gold writes replayed without a refusal.

The tau-bench folder is read from `PROCALL_TAUBENCH_DIR` (default `<repo>/../shared/taubench-retail`);
tests that need it skip with a reason when it is absent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from procall.tools.backend.contracts import CancelOrder, ChangeItems, ReturnItems
from procall.tools.backend.database import copy_file_database
from procall.tools.backend.errors import NotFound, RuleViolation
from procall.tools.backend.operation import OPERATIONS
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store

REPO = Path(__file__).resolve().parents[1]
TAUBENCH = Path(os.environ.get("PROCALL_TAUBENCH_DIR", REPO.parent / "shared" / "taubench-retail"))
HAS_TAUBENCH = all((TAUBENCH / f"{name}.json").is_file() for name in ("users", "orders", "products"))
needs_taubench = pytest.mark.skipif(not HAS_TAUBENCH, reason=f"tau-bench retail data not found at {TAUBENCH} "
                                    "(set PROCALL_TAUBENCH_DIR)")
STORES = ["demo", pytest.param("taubench", marks=needs_taubench)]


# -- stores ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    """Build each data set's store once per module; every test works on its own copy."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            path = tmp_path_factory.mktemp(name) / "store.db"
            create_store(path, None if name == "demo" else TAUBENCH).close()
            built[name] = path
        return built[name]

    return get


def _open_copy(store_file, name: str, tmp_path: Path) -> Iterator[RetailBackend]:
    backend = RetailBackend(copy_file_database(store_file(name), tmp_path / f"{name}.db"))
    yield backend
    backend.close()


@pytest.fixture(params=STORES)
def store(request, store_file, tmp_path) -> Iterator[RetailBackend]:
    yield from _open_copy(store_file, request.param, tmp_path)


@pytest.fixture
def demo(store_file, tmp_path) -> Iterator[RetailBackend]:
    yield from _open_copy(store_file, "demo", tmp_path)


# -- helpers -----------------------------------------------------------------------------------


def run(backend: RetailBackend, name: str, **kwargs):
    return backend.execute(name, OPERATIONS[name].input_model(**kwargs))


def tables(backend: RetailBackend) -> dict[str, list[tuple]]:
    """Every row of every table: the whole store, raw (cheaper than a dump, and stricter)."""
    conn = backend.db.connection
    tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    names = [r[0] for r in conn.execute(tables)]
    return {name: [tuple(r) for r in conn.execute(f"SELECT * FROM {name} ORDER BY rowid")] for name in names}


def refused(backend: RetailBackend, name: str, message: str, **kwargs) -> None:
    """The write is refused with exactly `message` and the store is unchanged (the transaction rolled back)."""
    before = tables(backend)
    with pytest.raises(RuleViolation) as caught:
        run(backend, name, **kwargs)
    assert caught.value.message == message
    assert tables(backend) == before


def changed(before: dict, after: dict) -> dict[str, set[str]]:
    """Which records differ, per collection (only non-empty collections listed)."""
    out = {}
    for collection in ("users", "orders", "products"):
        keys = set(before[collection]) | set(after[collection])
        diff = {k for k in keys if before[collection].get(k) != after[collection].get(k)}
        if diff:
            out[collection] = diff
    return out


def balance(data: dict, user_id: str, method_id: str) -> float | None:
    return data["users"][user_id]["payment_methods"][method_id].get("balance")


def variants(data: dict, product_id: str) -> dict[str, dict]:
    return data["products"][product_id]["variants"]


def other_available(data: dict, item: dict) -> list[dict]:
    """Available variants of the item's product other than the item itself, cheapest first."""
    found = [v for v in variants(data, item["product_id"]).values()
             if v["available"] and v["item_id"] != item["item_id"]]
    return sorted(found, key=lambda v: (v["price"], v["item_id"]))


def orders(data: dict, status: str) -> Iterator[tuple[dict, dict]]:
    for order in data["orders"].values():
        if order["status"] == status:
            yield order, data["users"][order["user_id"]]


def gift_cards(user: dict) -> list[dict]:
    return [m for m in user["payment_methods"].values() if m["source"] == "gift_card"]


def foreign_method(data: dict, user: dict) -> str:
    """A payment method id that belongs to some other user and not to this one."""
    return next(mid for u in data["users"].values() if u is not user for mid in u["payment_methods"]
                if mid not in user["payment_methods"])


def first(iterable, what: str):
    found = next(iter(iterable), None)
    assert found is not None, f"the data set has no {what}"
    return found


# -- round trip ---------------------------------------------------------------------------------


def test_demo_store_dumps_exactly_what_it_loaded(demo):
    folder = Path(__file__).resolve().parents[1] / "tools" / "backend" / "demo_data"
    dump = demo.dump()
    for name in ("users", "orders", "products"):
        expected = json.loads((folder / f"{name}.json").read_text())
        assert dump[name] == expected, name
        assert list(dump[name]) == list(expected), f"{name}: record order changed"


@needs_taubench
def test_taubench_load_dump_round_trip_equals_the_json_files(store_file, tmp_path):
    backend = next(_open_copy(store_file, "taubench", tmp_path))
    dump = backend.dump()
    for name in ("users", "orders", "products"):
        expected = json.loads((TAUBENCH / f"{name}.json").read_text())
        assert dump[name] == expected, name
        assert list(dump[name]) == list(expected), f"{name}: record order changed"
    json.loads(backend.dump_json())  # and it serialises
    backend.close()


# -- reads (demo scenario customers) -------------------------------------------------------------


def test_reads_find_the_scenario_customers(demo):
    assert run(demo, "find_user_id_by_email", email="Mia.Castillo@Example.com").user_id == "mia_castillo_1001"
    found = run(demo, "find_user_id_by_name_zip", first_name="liam", last_name="CARTER", zip="30307")
    assert found.user_id == "liam_carter_1006"
    found = run(demo, "find_user_id_by_name_zip", first_name="Liam", last_name="Carter", zip="97214")
    assert found.user_id == "liam_carter_1007"
    with pytest.raises(NotFound):
        run(demo, "find_user_id_by_name_zip", first_name="Liam", last_name="Carter", zip="00000")
    user = run(demo, "get_user_details", user_id="chloe_ramirez_1005").user
    assert user.orders == ["#W1005001", "#W1005002"]
    assert user.payment_methods["gift_card_1005003"].balance == 12.5
    assert user.payment_methods["gift_card_1005004"].balance == 420.0
    order = run(demo, "get_order_details", order_id="#W1002002").order
    assert (order.status, order.user_id, order.total) == ("processed", "ethan_brooks_1002", 802.98)
    shipment = run(demo, "get_shipment_status", tracking_id="100200200202").shipment
    assert (shipment.status, shipment.expected_date) == ("in_transit", "2024-05-23")
    assert run(demo, "get_shipment_status", tracking_id="100300300101").shipment.left_with == "your neighbour at no. 12"
    assert run(demo, "get_item_stock", item_id="4347817889").stock.model_dump() == {
        "item_id": "4347817889", "in_stock": False, "restock_date": "2024-05-27"}
    assert len(run(demo, "list_all_product_types").product_types) == 35
    with pytest.raises(NotFound):
        run(demo, "get_order_details", order_id="#W0000000")


# -- exact effects on the demo store ------------------------------------------------------------


def test_cancel_refunds_the_gift_card_at_once_and_touches_nothing_else(demo):
    before = demo.dump()
    result = run(demo, "cancel_pending_order", order_id="#W1001002", reason="ordered by mistake")
    after = demo.dump()
    expected = json.loads(json.dumps(before["orders"]["#W1001002"]))
    expected.update(status="cancelled", cancel_reason="ordered by mistake")
    expected["payment_history"].append({"transaction_type": "refund", "amount": 95.92,
                                        "payment_method_id": "gift_card_1001003"})
    assert after["orders"]["#W1001002"] == expected == result.order.as_record()
    assert balance(after, "mia_castillo_1001", "gift_card_1001003") == 245.92  # 150.00 + 95.92
    assert changed(before, after) == {"orders": {"#W1001002"}, "users": {"mia_castillo_1001"}}


def test_modify_order_address_replaces_only_that_address(demo):
    before = demo.dump()
    new = {"address1": "1 Main St", "address2": "", "city": "Eugene", "state": "OR", "country": "USA", "zip": "97401"}
    run(demo, "modify_pending_order_address", order_id="#W1007001", **new)
    after = demo.dump()
    assert after["orders"]["#W1007001"] == {**before["orders"]["#W1007001"], "address": {
        "address1": "1 Main St", "address2": "", "city": "Eugene", "country": "USA", "state": "OR", "zip": "97401"}}
    assert changed(before, after) == {"orders": {"#W1007001"}}


def test_modify_user_address_replaces_only_the_default_address(demo):
    before = demo.dump()
    new = {"address1": "9 Elm St", "address2": "Apt 2", "city": "Austin", "state": "TX", "country": "USA",
           "zip": "78701"}
    result = run(demo, "modify_user_address", user_id="chloe_ramirez_1005", **new)
    after = demo.dump()
    assert after["users"]["chloe_ramirez_1005"]["address"] == {
        "address1": "9 Elm St", "address2": "Apt 2", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"}
    assert result.user.address.model_dump() == after["users"]["chloe_ramirez_1005"]["address"]
    assert changed(before, after) == {"users": {"chloe_ramirez_1005"}}
    with pytest.raises(NotFound):
        run(demo, "modify_user_address", user_id="nobody_0", **new)


def test_modify_payment_to_a_gift_card_moves_both_balances(demo):
    before = demo.dump()
    run(demo, "modify_pending_order_payment", order_id="#W1005002", payment_method_id="gift_card_1005004")
    after = demo.dump()
    order = after["orders"]["#W1005002"]
    assert order["status"] == "pending"
    assert order["payment_history"] == [
        {"transaction_type": "payment", "amount": 206.01, "payment_method_id": "paypal_1005001"},
        {"transaction_type": "payment", "amount": 206.01, "payment_method_id": "gift_card_1005004"},
        {"transaction_type": "refund", "amount": 206.01, "payment_method_id": "paypal_1005001"},
    ]
    assert balance(after, "chloe_ramirez_1005", "gift_card_1005004") == 213.99
    assert changed(before, after) == {"orders": {"#W1005002"}, "users": {"chloe_ramirez_1005"}}


def test_modify_items_exact_effect_and_only_once(demo):
    data = demo.dump()
    order = data["orders"]["#W1005002"]
    mouse, kettle, puzzle = order["items"]
    dearer = other_available(data, mouse)[-1]   # the most expensive other mouse
    cheaper = other_available(data, puzzle)[0]  # the cheapest other puzzle
    difference = round(dearer["price"] - mouse["price"] + cheaper["price"] - puzzle["price"], 2)
    assert difference > 12.5, "the scenario needs a difference the small gift card cannot cover"
    refused(demo, "modify_pending_order_items", "insufficient gift card balance to pay for the new item",
            order_id="#W1005002", item_ids=[mouse["item_id"], puzzle["item_id"]],
            new_item_ids=[dearer["item_id"], cheaper["item_id"]], payment_method_id="gift_card_1005003")

    run(demo, "modify_pending_order_items", order_id="#W1005002", item_ids=[mouse["item_id"], puzzle["item_id"]],
        new_item_ids=[dearer["item_id"], cheaper["item_id"]], payment_method_id="gift_card_1005004")
    after = demo.dump()
    expected_items = [
        {**mouse, "item_id": dearer["item_id"], "price": dearer["price"], "options": dearer["options"]},
        kettle,
        {**puzzle, "item_id": cheaper["item_id"], "price": cheaper["price"], "options": cheaper["options"]},
    ]
    assert after["orders"]["#W1005002"] == {
        **order, "items": expected_items, "status": "pending (item modified)",
        "payment_history": order["payment_history"] + [
            {"transaction_type": "payment", "amount": difference, "payment_method_id": "gift_card_1005004"}],
    }
    assert balance(after, "chloe_ramirez_1005", "gift_card_1005004") == round(420.0 - difference, 2)
    assert changed(data, after) == {"orders": {"#W1005002"}, "users": {"chloe_ramirez_1005"}}
    # Allowed once: the order is no longer pending, so neither a second change nor a cancel goes through.
    refused(demo, "modify_pending_order_items", "non-pending order cannot be modified", order_id="#W1005002",
            item_ids=[kettle["item_id"]], new_item_ids=[other_available(data, kettle)[0]["item_id"]],
            payment_method_id="gift_card_1005004")
    refused(demo, "cancel_pending_order", "non-pending order cannot be cancelled",
            order_id="#W1005002", reason="no longer needed")


def test_modify_items_refund_is_credited_to_a_small_gift_card(demo):
    data = demo.dump()
    puzzle = data["orders"]["#W1005002"]["items"][2]
    cheaper = other_available(data, puzzle)[0]
    difference = round(cheaper["price"] - puzzle["price"], 2)
    assert difference < 0
    run(demo, "modify_pending_order_items", order_id="#W1005002", item_ids=[puzzle["item_id"]],
        new_item_ids=[cheaper["item_id"]], payment_method_id="gift_card_1005003")
    after = demo.dump()
    assert after["orders"]["#W1005002"]["payment_history"][-1] == {
        "transaction_type": "refund", "amount": abs(difference), "payment_method_id": "gift_card_1005003"}
    assert balance(after, "chloe_ramirez_1005", "gift_card_1005003") == round(12.5 - difference, 2)


def test_return_records_sorted_items_and_the_refund_method(demo):
    before = demo.dump()
    order = before["orders"]["#W1005001"]
    ids = [item["item_id"] for item in order["items"]]
    picked = sorted(ids[:2], reverse=True)  # given out of order on purpose
    run(demo, "return_delivered_order_items", order_id="#W1005001", item_ids=picked,
        payment_method_id="gift_card_1005003")
    after = demo.dump()
    assert after["orders"]["#W1005001"] == {**order, "status": "return requested", "return_items": sorted(picked),
                                            "return_payment_method_id": "gift_card_1005003"}
    assert changed(before, after) == {"orders": {"#W1005001"}}  # no balance moves until the items are back


def test_exchange_records_sorted_ids_and_the_rounded_price_difference(demo):
    before = demo.dump()
    order = before["orders"]["#W1005001"]
    shirt, _shoes, backpack = order["items"]
    new_backpack, new_shirt = other_available(before, backpack)[-1], other_available(before, shirt)[0]
    difference = round(new_backpack["price"] - backpack["price"] + new_shirt["price"] - shirt["price"], 2)
    run(demo, "exchange_delivered_order_items", order_id="#W1005001",
        item_ids=[backpack["item_id"], shirt["item_id"]], new_item_ids=[new_backpack["item_id"], new_shirt["item_id"]],
        payment_method_id="credit_card_1005002")
    after = demo.dump()
    assert after["orders"]["#W1005001"] == {
        **order, "status": "exchange requested",
        "exchange_items": sorted([backpack["item_id"], shirt["item_id"]]),
        "exchange_new_items": sorted([new_backpack["item_id"], new_shirt["item_id"]]),
        "exchange_payment_method_id": "credit_card_1005002",
        "exchange_price_difference": difference,
    }
    assert changed(before, after) == {"orders": {"#W1005001"}}  # items unchanged until the new ones ship


def test_report_missing_items_refund_claim_and_a_second_claim_rolls_back(demo):
    before = demo.dump()
    order = before["orders"]["#W1001001"]
    lamp = next(item for item in order["items"] if item["item_id"] == "4347817889")
    claim = run(demo, "report_missing_items", order_id="#W1001001", item_ids=["4347817889"], resolution="refund").claim
    assert (claim.refund_amount, claim.refund_payment_method_id) == (lamp["price"], "credit_card_1001002")
    assert claim.claim_id.startswith("MIC-") and claim.item_ids == ["4347817889"]
    after = demo.dump()
    assert after["orders"]["#W1001001"]["payment_history"] == order["payment_history"] + [
        {"transaction_type": "refund", "amount": lamp["price"], "payment_method_id": "credit_card_1001002"}]
    assert changed(before, after) == {"orders": {"#W1001001"}}  # a card refund settles outside the store
    # The second claim would refund again before it finds the open claim: the whole write rolls back.
    refused(demo, "report_missing_items", "a claim for these items is already open",
            order_id="#W1001001", item_ids=["4347817889"], resolution="refund")
    wait = run(demo, "report_missing_items", order_id="#W1001001", item_ids=["6890732961", "4347817889"],
               resolution="wait_for_restock").claim
    assert (wait.restock_date, wait.item_ids, wait.refund_amount) == ("2024-05-27", ["4347817889", "6890732961"], None)
    refused(demo, "report_missing_items", "only items of a delivered order can be reported missing",
            order_id="#W1002002", item_ids=["4879593855"], resolution="reship")


def test_transfer_to_human_changes_no_store_data(demo):
    before = demo.dump()
    first_id = run(demo, "transfer_to_human_agents", summary="wants to talk to a person").handoff_id
    second = run(demo, "transfer_to_human_agents", summary="again")
    assert second.handoff_id == first_id + 1 and second.message == "Transfer successful"
    assert demo.dump() == before


# -- the store's rules, on every data set ------------------------------------------------------


def test_cancel_only_pending_with_a_valid_reason_and_refunds_every_payment(store):
    data = store.dump()
    for status in ("processed", "delivered", "cancelled"):
        order, _ = first(orders(data, status), f"{status} order")
        refused(store, "cancel_pending_order", "non-pending order cannot be cancelled",
                order_id=order["order_id"], reason="no longer needed")
    order, _ = first(((o, u) for o, u in orders(data, "pending")
                         if any(p["payment_method_id"].startswith("gift_card") for p in o["payment_history"])),
                        "pending order paid with a gift card")
    for reason in ("changed my mind", "", "No longer needed"):
        with pytest.raises(ValidationError):
            CancelOrder(order_id=order["order_id"], reason=reason)
    run(store, "cancel_pending_order", order_id=order["order_id"], reason="no longer needed")
    after = store.dump()
    cancelled = after["orders"][order["order_id"]]
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "no longer needed")
    payments = order["payment_history"]
    assert cancelled["payment_history"] == payments + [{**p, "transaction_type": "refund"} for p in payments]
    for payment in payments:
        method = payment["payment_method_id"]
        if method.startswith("gift_card"):
            credited = sum(p["amount"] for p in payments if p["payment_method_id"] == method)
            assert balance(after, order["user_id"], method) == pytest.approx(
                round(balance(data, order["user_id"], method) + credited, 2), abs=1e-9)
    assert changed(data, after) == {"orders": {order["order_id"]}, "users": {order["user_id"]}}


def test_modify_payment_rules(store):
    data = store.dump()
    delivered, _ = first(orders(data, "delivered"), "delivered order")
    refused(store, "modify_pending_order_payment", "non-pending order cannot be modified",
            order_id=delivered["order_id"], payment_method_id=delivered["payment_history"][0]["payment_method_id"])
    # A gift card that cannot cover the total.
    order, user, card = first(((o, u, c) for o, u in orders(data, "pending") for c in gift_cards(u)
                               if c["balance"] < o["payment_history"][0]["amount"]
                               and c["id"] != o["payment_history"][0]["payment_method_id"]),
                              "pending order whose customer has a gift card smaller than its total")
    refused(store, "modify_pending_order_payment", "insufficient gift card balance to pay for the order",
            order_id=order["order_id"], payment_method_id=card["id"])
    current = order["payment_history"][0]["payment_method_id"]
    refused(store, "modify_pending_order_payment", "the new payment method should be different from the current one",
            order_id=order["order_id"], payment_method_id=current)
    refused(store, "modify_pending_order_payment", "payment method not found",
            order_id=order["order_id"], payment_method_id=foreign_method(data, user))
    # A change that goes through: a payment with the new method, a refund to the old one, gift cards move.
    order, user, new = first(((o, u, m) for o, u in orders(data, "pending") for m in u["payment_methods"].values()
                              if m["id"] != o["payment_history"][0]["payment_method_id"]
                              and (m["source"] != "gift_card" or m["balance"] >= o["payment_history"][0]["amount"])),
                             "pending order whose customer has another usable method")
    old, amount = order["payment_history"][0]["payment_method_id"], order["payment_history"][0]["amount"]
    run(store, "modify_pending_order_payment", order_id=order["order_id"], payment_method_id=new["id"])
    after = store.dump()
    changed_order = after["orders"][order["order_id"]]
    assert changed_order["status"] == "pending"
    assert changed_order["payment_history"] == order["payment_history"] + [
        {"transaction_type": "payment", "amount": amount, "payment_method_id": new["id"]},
        {"transaction_type": "refund", "amount": amount, "payment_method_id": old},
    ]
    uid = order["user_id"]
    if new["source"] == "gift_card":
        assert balance(after, uid, new["id"]) == pytest.approx(round(new["balance"] - amount, 2), abs=1e-9)
    if old in user["payment_methods"] and user["payment_methods"][old]["source"] == "gift_card":
        assert balance(after, uid, old) == pytest.approx(round(balance(data, uid, old) + amount, 2), abs=1e-9)
    # Exactly one payment is required: a second change is refused.
    refused(store, "modify_pending_order_payment", "there should be exactly one payment for a pending order",
            order_id=order["order_id"], payment_method_id=old)


def _item_change_case(data: dict, status: str):
    """An order of `status` with an item that has a dearer available variant, and a customer gift card
    that cannot cover the difference (plus a method that can)."""
    for order, user in orders(data, status):
        for item in order["items"]:
            for variant in reversed(other_available(data, item)):
                difference = round(variant["price"] - item["price"], 2)
                small = [c for c in gift_cards(user) if c["balance"] < difference]
                if difference > 0 and small:
                    payer = next((m for m in user["payment_methods"].values() if m["source"] != "gift_card"
                                  or m["balance"] >= difference), None)
                    if payer is not None:
                        return order, user, item, variant, difference, small[0], payer
    return None


@pytest.mark.parametrize("tool, status, message", [
    ("modify_pending_order_items", "pending", "insufficient gift card balance to pay for the new item"),
    ("exchange_delivered_order_items", "delivered", "insufficient gift card balance to pay for the price difference"),
])
def test_item_change_rules(store, tool, status, message):
    data = store.dump()
    case = first([c] if (c := _item_change_case(data, status)) else [], f"{status} order for an item change")
    order, user, item, variant, difference, small_card, payer = case
    oid, iid = order["order_id"], item["item_id"]
    refused(store, tool, message, order_id=oid, item_ids=[iid], new_item_ids=[variant["item_id"]],
            payment_method_id=small_card["id"])
    unavailable = next((v for v in variants(data, item["product_id"]).values() if not v["available"]), None)
    if unavailable is not None:
        refused(store, tool, f"new item {unavailable['item_id']} not found or available", order_id=oid,
                item_ids=[iid], new_item_ids=[unavailable["item_id"]], payment_method_id=payer["id"])
    other_product = next(v for p in data["products"].values() if p["product_id"] != item["product_id"]
                         for v in p["variants"].values() if v["available"])
    refused(store, tool, f"new item {other_product['item_id']} not found or available", order_id=oid,
            item_ids=[iid], new_item_ids=[other_product["item_id"]], payment_method_id=payer["id"])
    refused(store, tool, "the number of items to be exchanged should match", order_id=oid,
            item_ids=[iid], new_item_ids=[variant["item_id"], variant["item_id"]], payment_method_id=payer["id"])
    absent = next(v["item_id"] for v in other_available(data, item) if v["item_id"] not in
                  {i["item_id"] for i in order["items"]})
    refused(store, tool, f"{absent} not found", order_id=oid, item_ids=[absent],
            new_item_ids=[variant["item_id"]], payment_method_id=payer["id"])
    refused(store, tool, "payment method not found", order_id=oid, item_ids=[iid],
            new_item_ids=[variant["item_id"]], payment_method_id=foreign_method(data, user))
    wrong_status = "delivered" if status == "pending" else "pending"
    other, _ = first(orders(data, wrong_status), f"{wrong_status} order")
    other_item = other["items"][0]
    refused(store, tool, "non-pending order cannot be modified" if status == "pending"
            else "non-delivered order cannot be exchanged", order_id=other["order_id"],
            item_ids=[other_item["item_id"]], new_item_ids=[other_available(data, other_item)[0]["item_id"]],
            payment_method_id=other["payment_history"][0]["payment_method_id"])

    # One change goes through, and it can happen only once.
    run(store, tool, order_id=oid, item_ids=[iid], new_item_ids=[variant["item_id"]], payment_method_id=payer["id"])
    after = store.dump()["orders"][oid]
    if status == "pending":
        assert after["status"] == "pending (item modified)"
        assert after["payment_history"][-1] == {"transaction_type": "payment", "amount": difference,
                                                "payment_method_id": payer["id"]}
        changed_item = next(i for i in after["items"] if i["item_id"] == variant["item_id"])
        assert (changed_item["price"], changed_item["options"]) == (variant["price"], variant["options"])
        again = "non-pending order cannot be modified"
    else:
        assert after["status"] == "exchange requested"
        assert (after["exchange_items"], after["exchange_new_items"]) == ([iid], [variant["item_id"]])
        assert (after["exchange_payment_method_id"], after["exchange_price_difference"]) == (payer["id"], difference)
        again = "non-delivered order cannot be exchanged"
    refused(store, tool, again, order_id=oid, item_ids=[variant["item_id"] if status == "pending" else iid],
            new_item_ids=[iid if status == "pending" else variant["item_id"]], payment_method_id=payer["id"])


def test_exchange_records_sorted_ids_on_every_data_set(store):
    data = store.dump()
    order, _ = first(((o, u) for o, u in orders(data, "delivered") if len({i["item_id"] for i in o["items"]}) >= 2
                      and all(other_available(data, i) for i in o["items"])
                      and u["payment_methods"].get(o["payment_history"][0]["payment_method_id"], {}).get("source")
                      in ("paypal", "credit_card")),
                     "delivered order with two items paid by card or PayPal")
    items = sorted(order["items"], key=lambda i: i["item_id"], reverse=True)[:2]  # given in descending order
    new = [other_available(data, i)[-1] for i in items]
    method = order["payment_history"][0]["payment_method_id"]
    run(store, "exchange_delivered_order_items", order_id=order["order_id"], item_ids=[i["item_id"] for i in items],
        new_item_ids=[v["item_id"] for v in new], payment_method_id=method)
    after = store.dump()["orders"][order["order_id"]]
    assert after["exchange_items"] == sorted(i["item_id"] for i in items)
    assert after["exchange_new_items"] == sorted(v["item_id"] for v in new)
    expected = round(sum(v["price"] for v in new) - sum(i["price"] for i in items), 2)
    assert after["exchange_price_difference"] == expected
    assert re.fullmatch(r"-?\d+(\.\d{1,2})?", repr(after["exchange_price_difference"]))  # cents, no float noise


def test_return_goes_to_the_original_method_or_a_gift_card(store):
    data = store.dump()
    order, user, other = first(((o, u, m) for o, u in orders(data, "delivered") if gift_cards(u)
                                for m in u["payment_methods"].values()
                                if m["source"] != "gift_card"
                                and m["id"] != o["payment_history"][0]["payment_method_id"]),
                               "delivered order whose customer has a gift card and another non-gift-card method")
    oid, ids = order["order_id"], [i["item_id"] for i in order["items"]]
    refused(store, "return_delivered_order_items", "payment method should be either the original payment method "
            "or a gift card", order_id=oid, item_ids=ids[:1], payment_method_id=other["id"])
    refused(store, "return_delivered_order_items", "payment method not found", order_id=oid, item_ids=ids[:1],
            payment_method_id=foreign_method(data, user))
    refused(store, "return_delivered_order_items", "some item not found", order_id=oid,
            item_ids=ids[:1] * (ids.count(ids[0]) + 1),
            payment_method_id=order["payment_history"][0]["payment_method_id"])
    pending, _ = first(orders(data, "pending"), "pending order")
    refused(store, "return_delivered_order_items", "non-delivered order cannot be returned",
            order_id=pending["order_id"], item_ids=[pending["items"][0]["item_id"]],
            payment_method_id=pending["payment_history"][0]["payment_method_id"])
    with pytest.raises(ValidationError):
        ReturnItems(order_id=oid, item_ids=[], payment_method_id=other["id"])
    card = gift_cards(user)[0]
    run(store, "return_delivered_order_items", order_id=oid, item_ids=list(reversed(ids)), payment_method_id=card["id"])
    after = store.dump()
    assert after["orders"][oid] == {**order, "status": "return requested", "return_items": sorted(ids),
                                    "return_payment_method_id": card["id"]}
    assert changed(data, after) == {"orders": {oid}}
    # The original method is accepted as well (on another delivered order of the data set).
    original, _ = first(((o, u) for o, u in orders(data, "delivered") if o["order_id"] != oid
                         and o["payment_history"][0]["payment_method_id"] in u["payment_methods"]), "delivered order")
    method = original["payment_history"][0]["payment_method_id"]
    result = run(store, "return_delivered_order_items", order_id=original["order_id"],
                 item_ids=[original["items"][0]["item_id"]], payment_method_id=method)
    assert (result.order.status, result.order.return_payment_method_id) == ("return requested", method)


def test_item_change_contract_needs_items():
    with pytest.raises(ValidationError):
        ChangeItems(order_id="#W1005002", item_ids=[], new_item_ids=[], payment_method_id="paypal_1005001")


# -- the benchmark's gold writes -----------------------------------------------------------------


@needs_taubench
def test_taubench_dev_gold_writes_all_go_through(store_file, tmp_path):
    """Every write in the dev tasks' gold actions passes the store's rules on a fresh copy of the data."""
    tasks = json.loads((TAUBENCH / "tasks_dev.json").read_text())
    applied = 0
    for task in tasks:
        backend = RetailBackend(copy_file_database(store_file("taubench"), tmp_path / f"{task['id']}.db"))
        try:
            for action in task["actions"]:
                op = OPERATIONS.get(action["name"])
                if op is None or op.kind != "write":
                    continue
                try:
                    backend.execute(action["name"], op.input_model(**action["kwargs"]))
                except RuleViolation as exc:
                    pytest.fail(f"{task['id']}: {action['name']} refused: {exc.message}")
                applied += 1
        finally:
            backend.close()
    assert applied >= len(tasks)
