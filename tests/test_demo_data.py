"""The committed demo data (tools/backend/demo_data): reproducible, loadable, consistent, and the
scenario customers exactly as its README documents them."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from procall.tools.backend import records
from procall.tools.backend.contracts import (
    CancelOrder,
    FindUserByEmail,
    FindUserByNameZip,
    ItemRef,
    OrderRef,
    ProductRef,
    ReportMissingItems,
    TrackingRef,
    UserRef,
)
from procall.tools.backend.database import Database
from procall.tools.backend.demo_data import generate as demo
from procall.tools.backend.loader import load_folder
from procall.tools.backend.logistics import AS_OF
from procall.tools.backend.models import Order, User
from procall.tools.backend.store import RetailBackend

FOLDER = Path(demo.__file__).resolve().parent
TAUBENCH = Path(__file__).resolve().parents[2] / "shared" / "taubench-retail"
RESTOCK = (AS_OF + timedelta(days=7)).isoformat()


@pytest.fixture(scope="module")
def data() -> dict:
    return {name: json.loads((FOLDER / f"{name}.json").read_text()) for name in demo.COLLECTIONS}


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "s.db")
    load_folder(database, FOLDER)
    yield database
    database.close()


@pytest.fixture
def backend(db) -> RetailBackend:
    return RetailBackend(db)


def variants_by_id(data) -> dict:
    return {v["item_id"]: (p, v) for p in data["products"].values() for v in p["variants"].values()}


# -- reproducible and loadable ----------------------------------------------------------------

def test_generator_reproduces_the_committed_files_exactly():
    generated = demo.generate()
    assert list(generated) == list(demo.COLLECTIONS)
    for name in demo.COLLECTIONS:
        assert demo.render(generated[name]) == (FOLDER / f"{name}.json").read_text(), f"{name}.json is stale"


def test_generate_has_no_hidden_state():
    assert demo.generate() == demo.generate()
    assert demo.generate(seed=7) != demo.generate()


def test_loads_into_sqlite_and_reads_back_as_written(db, data):
    conn = db.connection
    assert db.query("SELECT count(*) FROM users")[0][0] == len(data["users"])
    assert db.query("SELECT count(*) FROM orders")[0][0] == len(data["orders"])
    assert db.query("SELECT count(*) FROM variants")[0][0] == sum(len(p["variants"]) for p in data["products"].values())
    assert db.query("SELECT count(*) FROM shipments")[0][0] == len(data["shipments"])
    assert db.query("SELECT count(*) FROM stock")[0][0] == len(data["stock"])
    for order_id, record in data["orders"].items():
        assert records.read_order(conn, order_id).as_record() == Order(**record).as_record()
    for user_id, record in data["users"].items():
        assert records.read_user(conn, user_id) == User(user_id=user_id, **record)


# -- shape and mix ----------------------------------------------------------------------------

def test_sizes_and_mix(data):
    users, orders, products = data["users"], data["orders"], data["products"]
    assert 90 <= len(users) <= 110
    assert 300 <= len(orders) <= 400
    assert 30 <= len(products) <= 40
    assert all(4 <= len(p["variants"]) <= 15 for p in products.values())
    variants = [v for p in products.values() for v in p["variants"].values()]
    assert 0.78 <= sum(v["available"] for v in variants) / len(variants) <= 0.92
    share = {s: n / len(orders) for s, n in Counter(o["status"] for o in orders.values()).items()}
    assert set(share) == {"pending", "delivered", "processed", "cancelled"}
    for status, expected in {"pending": 0.40, "delivered": 0.35, "processed": 0.12, "cancelled": 0.13}.items():
        assert abs(share[status] - expected) < 0.06, (status, share[status])
    shipped = [o for o in orders.values() if o["status"] in ("delivered", "processed")]
    split = sum(len(o["fulfillments"]) > 1 for o in shipped) / len(shipped)
    assert 0.15 <= split <= 0.35
    assert all(len(o["fulfillments"]) <= 3 for o in orders.values())
    assert any(len(o["items"]) != len({i["item_id"] for i in o["items"]}) for o in orders.values())
    assert all(1 <= len(u["payment_methods"]) <= 4 for u in users.values())


def test_id_and_field_formats(data):
    for user_id, user in data["users"].items():
        assert re.fullmatch(r"[a-z]+_[a-z]+_\d{4}", user_id)
        assert re.fullmatch(r"\d{5}", user["address"]["zip"]) and user["address"]["country"] == "USA"
        assert user["email"].endswith("@example.com")
        for method_id, method in user["payment_methods"].items():
            assert method["id"] == method_id
            assert re.fullmatch(rf"{method['source']}_\d{{7}}", method_id)
            if method["source"] == "credit_card":
                assert method["brand"] and re.fullmatch(r"\d{4}", method["last_four"])
            if method["source"] == "gift_card":
                assert 0 <= method["balance"] <= 500
    emails = [u["email"] for u in data["users"].values()]
    assert len(emails) == len(set(emails))
    names_zips = [(u["name"]["first_name"], u["name"]["last_name"], u["address"]["zip"])
                  for u in data["users"].values()]
    assert len(names_zips) == len(set(names_zips))
    assert all(re.fullmatch(r"#W\d{7}", order_id) for order_id in data["orders"])
    product_ids = set(data["products"])
    item_ids = [i for p in data["products"].values() for i in p["variants"]]
    assert all(re.fullmatch(r"\d{10}", i) for i in [*product_ids, *item_ids])
    assert len(item_ids) == len(set(item_ids)) and not product_ids & set(item_ids)
    assert all(re.fullmatch(r"\d{12}", s["tracking_id"]) for s in data["shipments"])


# -- referential integrity --------------------------------------------------------------------

def test_orders_belong_to_users_and_hold_real_variants(data):
    variants = variants_by_id(data)
    listed = Counter(order_id for u in data["users"].values() for order_id in u["orders"])
    assert set(listed) == set(data["orders"]) and set(listed.values()) == {1}
    for order_id, order in data["orders"].items():
        assert order["order_id"] == order_id
        user = data["users"][order["user_id"]]
        assert order_id in user["orders"]
        for item in order["items"]:
            product, variant = variants[item["item_id"]]
            assert item == {"name": product["name"], "product_id": product["product_id"], "item_id": variant["item_id"],
                            "price": variant["price"], "options": variant["options"]}
        payment = order["payment_history"][0]
        assert payment["transaction_type"] == "payment"
        assert payment["amount"] == round(sum(i["price"] for i in order["items"]), 2)
        assert payment["payment_method_id"] in user["payment_methods"]
        if order["status"] == "cancelled":
            assert order["cancel_reason"] in ("no longer needed", "ordered by mistake")
            assert order["payment_history"][1] == {**payment, "transaction_type": "refund"}
        else:
            assert len(order["payment_history"]) == 1 and "cancel_reason" not in order


def test_fulfilments_and_shipments(data):
    shipments = {s["tracking_id"]: s for s in data["shipments"]}
    assert len(shipments) == len(data["shipments"])
    tracked = set()
    for order_id, order in data["orders"].items():
        if order["status"] == "pending":
            assert order["fulfillments"] == []
            continue
        shipped = [i for f in order["fulfillments"] for i in f["item_ids"]]
        assert Counter(shipped) == Counter(i["item_id"] for i in order["items"])  # every item in exactly one parcel
        statuses = []
        for fulfillment in order["fulfillments"]:
            for tracking_id in fulfillment["tracking_id"]:
                shipment = shipments[tracking_id]
                assert shipment["order_id"] == order_id
                statuses.append(shipment["status"])
                tracked.add(tracking_id)
        if order["status"] == "delivered":
            assert set(statuses) == {"delivered"}
        elif order["status"] == "processed":
            assert "in_transit" in statuses and set(statuses) <= {"in_transit", "delivered"}
        else:
            assert set(statuses) == {"label_created"}
    assert tracked == set(shipments)  # and no parcel without an order
    for s in data["shipments"]:
        if s["status"] == "in_transit":
            assert 1 <= (date.fromisoformat(s["expected_date"]) - AS_OF).days <= 6 and s["delivered_date"] is None
        elif s["status"] == "delivered":
            assert date.fromisoformat(s["delivered_date"]) < AS_OF and s["expected_date"] is None
        else:
            assert s["expected_date"] is None and s["delivered_date"] is None and s["left_with"] is None
    delivered = [s for s in data["shipments"] if s["status"] == "delivered"]
    assert 0.08 <= sum(s["left_with"] is not None for s in delivered) / len(delivered) <= 0.25


def test_stock_rows(data):
    variants = variants_by_id(data)
    stock = {row["item_id"]: row for row in data["stock"]}
    assert len(stock) == len(data["stock"]) and set(stock) == set(variants)
    for item_id, row in stock.items():
        assert (row["restock_date"] is None) == row["in_stock"]
        if not row["in_stock"]:
            assert row["restock_date"] == RESTOCK
        if not variants[item_id][1]["available"]:
            assert not row["in_stock"]
    delivered_items = {i["item_id"] for o in data["orders"].values() if o["status"] == "delivered" for i in o["items"]}
    short = [i for i in delivered_items if variants[i][1]["available"] and not stock[i]["in_stock"]]
    assert 4 <= len(short) <= 10


@pytest.mark.skipif(not TAUBENCH.is_dir(), reason="tau-bench retail data not present at ../shared/taubench-retail")
def test_nothing_is_copied_from_taubench(data):
    users = json.loads((TAUBENCH / "users.json").read_text())
    orders = json.loads((TAUBENCH / "orders.json").read_text())
    products = json.loads((TAUBENCH / "products.json").read_text())

    def ids(users, orders, products, tracking):
        return (set(users) | set(orders) | set(products) | {i for p in products.values() for i in p["variants"]}
                | {m for u in users.values() for m in u["payment_methods"]} | {u["email"] for u in users.values()}
                | set(tracking))

    tracking = [t for o in orders.values() for f in o["fulfillments"] for t in f["tracking_id"]]
    theirs = ids(users, orders, products, tracking)
    ours = ids(data["users"], data["orders"], data["products"], [s["tracking_id"] for s in data["shipments"]])
    assert not theirs & ours
    full_names = lambda us: {(u["name"]["first_name"], u["name"]["last_name"]) for u in us.values()}  # noqa: E731
    assert not full_names(users) & full_names(data["users"])


# -- scenario customers (README.md) -----------------------------------------------------------

def op(backend, name, args):
    return backend.execute(name, args)


def order(backend, order_id):
    return op(backend, "get_order_details", OrderRef(order_id=order_id)).order


def shipment(backend, tracking_id):
    return op(backend, "get_shipment_status", TrackingRef(tracking_id=tracking_id)).shipment


def in_stock(backend, item_id):
    return op(backend, "get_item_stock", ItemRef(item_id=item_id)).stock


def user_by_email(backend, email):
    user_id = op(backend, "find_user_id_by_email", FindUserByEmail(email=email)).user_id
    return op(backend, "get_user_details", UserRef(user_id=user_id)).user


def test_scenario_1_missing_item_out_of_stock_and_cancellable_gift_card_order(backend):
    user = user_by_email(backend, "mia.castillo@example.com")
    assert (user.user_id, user.full_name, user.address.zip) == ("mia_castillo_1001", "Mia Castillo", "94110")
    assert user.orders == ["#W1001001", "#W1001002"]
    assert [m.source for m in user.payment_methods.values()] == ["paypal", "credit_card", "gift_card"]
    assert user.payment_methods["gift_card_1001003"].balance == 150.0
    delivered = order(backend, "#W1001001")
    assert delivered.status == "delivered" and [i.name for i in delivered.items] == ["Electric Kettle", "Desk Lamp",
                                                                                     "Yoga Mat"]
    assert [f.tracking_id for f in delivered.fulfillments] == [["100100100101"], ["100100100102"]]
    for f in delivered.fulfillments:
        parcel = shipment(backend, f.tracking_id[0])
        assert parcel.status == "delivered" and parcel.left_with is None
    kettle, lamp, mat = delivered.items
    assert in_stock(backend, lamp.item_id).model_dump() == {"item_id": lamp.item_id, "in_stock": False,
                                                            "restock_date": "2024-05-27"}
    assert in_stock(backend, kettle.item_id).in_stock and in_stock(backend, mat.item_id).in_stock
    claim = op(backend, "report_missing_items", ReportMissingItems(
        order_id="#W1001001", item_ids=[lamp.item_id], resolution="wait_for_restock")).claim
    assert claim.restock_date == "2024-05-27"
    pending = order(backend, "#W1001002")
    assert pending.status == "pending" and [i.name for i in pending.items] == ["Water Bottle", "Backpack"]
    assert pending.payment_history[0].payment_method_id == "gift_card_1001003" and pending.fulfillments == []
    op(backend, "cancel_pending_order", CancelOrder(order_id="#W1001002", reason="no longer needed"))
    refunded = op(backend, "get_user_details", UserRef(user_id="mia_castillo_1001")).user
    assert refunded.payment_methods["gift_card_1001003"].balance == round(150.0 + pending.total, 2)


def test_scenario_2_latest_order_processed_with_one_parcel_in_transit(backend):
    user = user_by_email(backend, "ethan.brooks@example.com")
    assert (user.user_id, user.address.zip, user.orders) == ("ethan_brooks_1002", "60614", ["#W1002001", "#W1002002"])
    latest = order(backend, user.orders[-1])
    assert latest.status == "processed"
    assert [i.name for i in latest.items] == ["Office Chair", "Headphones", "Gaming Mouse"]
    first, second = (shipment(backend, f.tracking_id[0]) for f in latest.fulfillments)
    assert (first.tracking_id, first.status, first.delivered_date) == ("100200200201", "delivered", "2024-05-18")
    assert (second.tracking_id, second.status, second.expected_date) == ("100200200202", "in_transit", "2024-05-23")
    assert latest.fulfillments[1].item_ids == [latest.items[0].item_id]  # the chair is still on its way
    assert order(backend, "#W1002001").status == "delivered"


def test_scenario_3_parcel_left_with_a_neighbour(backend):
    user = user_by_email(backend, "grace.okafor@example.com")
    assert (user.user_id, user.address.zip, user.orders) == ("grace_okafor_1003", "10025", ["#W1003001"])
    delivered = order(backend, "#W1003001")
    assert delivered.status == "delivered" and [i.name for i in delivered.items] == ["Wristwatch", "Skateboard"]
    parcel = shipment(backend, "100300300101")
    assert (parcel.order_id, parcel.status, parcel.left_with) == ("#W1003001", "delivered", "your neighbour at no. 12")


def test_scenario_4_several_delivered_orders_missing_item_in_stock(backend):
    user = user_by_email(backend, "oliver.hughes@example.com")
    assert (user.user_id, user.address.zip) == ("oliver_hughes_1004", "98103")
    assert user.orders == ["#W1004001", "#W1004002", "#W1004003"]
    names = {"#W1004001": ["Bookshelf"], "#W1004002": ["Running Shoes", "Water Bottle"],
             "#W1004003": ["Headphones", "T-Shirt", "Desk Lamp"]}
    for order_id in user.orders:
        found = order(backend, order_id)
        assert found.status == "delivered" and [i.name for i in found.items] == names[order_id]
        assert all(in_stock(backend, i.item_id).in_stock for i in found.items)
        assert all(shipment(backend, f.tracking_id[0]).left_with is None for f in found.fulfillments)
    shirt = order(backend, "#W1004003").items[1]
    claim = op(backend, "report_missing_items", ReportMissingItems(
        order_id="#W1004003", item_ids=[shirt.item_id], resolution="reship")).claim
    assert claim.resolution == "reship"


def test_scenario_5_exchange_and_modify_with_two_gift_cards(backend):
    user = user_by_email(backend, "chloe.ramirez@example.com")
    assert (user.user_id, user.address.zip, user.orders) == ("chloe_ramirez_1005", "78704", ["#W1005001", "#W1005002"])
    gift_cards = {m.id: m.balance for m in user.payment_methods.values() if m.source == "gift_card"}
    assert gift_cards == {"gift_card_1005003": 12.5, "gift_card_1005004": 420.0}
    assert {"paypal_1005001", "credit_card_1005002"} <= set(user.payment_methods)
    delivered, pending = order(backend, "#W1005001"), order(backend, "#W1005002")
    assert delivered.status == "delivered" and [i.name for i in delivered.items] == ["T-Shirt", "Running Shoes",
                                                                                     "Backpack"]
    assert pending.status == "pending" and [i.name for i in pending.items] == ["Gaming Mouse", "Electric Kettle",
                                                                               "Jigsaw Puzzle"]
    assert pending.payment_history[0].payment_method_id == "paypal_1005001"
    for item in [*delivered.items, *pending.items]:  # each can change to at least two other available variants
        product = op(backend, "get_product_details", ProductRef(product_id=item.product_id)).product
        others = [v for v in product.variants.values() if v.available and v.item_id != item.item_id]
        assert len(others) >= 2


def test_scenario_6_same_name_told_apart_by_zip(backend):
    found = {zip_code: op(backend, "find_user_id_by_name_zip",
                          FindUserByNameZip(first_name="liam", last_name="CARTER", zip=zip_code)).user_id
             for zip_code in ("30307", "97214")}
    assert found == {"30307": "liam_carter_1006", "97214": "liam_carter_1007"}
    atlanta = op(backend, "get_user_details", UserRef(user_id="liam_carter_1006")).user
    portland = op(backend, "get_user_details", UserRef(user_id="liam_carter_1007")).user
    assert (atlanta.email, atlanta.orders) == ("liam.carter@example.com", ["#W1006001"])
    assert (portland.email, portland.orders) == ("liam.carter2@example.com", ["#W1007001"])
    assert order(backend, "#W1006001").status == "delivered" and order(backend, "#W1007001").status == "pending"
    assert [i.name for i in order(backend, "#W1006001").items] == ["Bookshelf"]
    assert [i.name for i in order(backend, "#W1007001").items] == ["Yoga Mat", "Jigsaw Puzzle"]
