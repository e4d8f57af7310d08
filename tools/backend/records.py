"""Reading and writing whole records (user, order, product) to the relational tables.

Operations work on typed records and save them back as a whole; this module is the only
place that knows how a record is spread over tables.
"""

from __future__ import annotations

import json
import sqlite3

from .models import Address, Fulfillment, Name, Order, OrderItem, PaymentMethod, Product, Transaction, User, Variant

_ADDRESS_FIELDS = ("address1", "address2", "city", "country", "state", "zip")


def _address(row: sqlite3.Row) -> Address:
    return Address(**{f: row[f] for f in _ADDRESS_FIELDS})


def _json_list(value: str | None) -> list | None:
    return None if value is None else json.loads(value)


# -- users ---------------------------------------------------------------------------------


def read_user(conn: sqlite3.Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    methods = conn.execute(
        "SELECT * FROM payment_methods WHERE user_id = ? ORDER BY position", (user_id,)
    ).fetchall()
    orders = conn.execute("SELECT order_id FROM user_orders WHERE user_id = ? ORDER BY position", (user_id,))
    return User(
        user_id=user_id,
        name=Name(first_name=row["first_name"], last_name=row["last_name"]),
        address=_address(row),
        email=row["email"],
        payment_methods={
            m["payment_method_id"]: PaymentMethod(
                source=m["source"], id=m["payment_method_id"], brand=m["brand"],
                last_four=m["last_four"], balance=m["balance"],
            )
            for m in methods
        },
        orders=[r["order_id"] for r in orders],
    )


def insert_user(conn: sqlite3.Connection, user: User) -> None:
    conn.execute(
        "INSERT INTO users (user_id, first_name, last_name, email, address1, address2, city, country, state, zip)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user.user_id, user.name.first_name, user.name.last_name, user.email,
         *(getattr(user.address, f) for f in _ADDRESS_FIELDS)),
    )
    for position, method in enumerate(user.payment_methods.values()):
        conn.execute(
            "INSERT INTO payment_methods (payment_method_id, user_id, position, source, brand, last_four, balance)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (method.id, user.user_id, position, method.source, method.brand, method.last_four, method.balance),
        )
    conn.executemany(
        "INSERT INTO user_orders (user_id, position, order_id) VALUES (?, ?, ?)",
        [(user.user_id, i, order_id) for i, order_id in enumerate(user.orders)],
    )


def save_user_address(conn: sqlite3.Connection, user_id: str, address: Address) -> None:
    conn.execute(
        "UPDATE users SET address1 = ?, address2 = ?, city = ?, country = ?, state = ?, zip = ? WHERE user_id = ?",
        (*(getattr(address, f) for f in _ADDRESS_FIELDS), user_id),
    )


def save_balance(conn: sqlite3.Connection, user_id: str, payment_method_id: str, balance: float) -> None:
    conn.execute(
        "UPDATE payment_methods SET balance = ? WHERE user_id = ? AND payment_method_id = ?",
        (balance, user_id, payment_method_id),
    )


def find_user_ids_by_email(conn: sqlite3.Connection, email: str) -> list[str]:
    rows = conn.execute("SELECT user_id FROM users WHERE lower(email) = lower(?)", (email.strip(),))
    return [r["user_id"] for r in rows]


def find_user_ids_by_name_zip(conn: sqlite3.Connection, first: str, last: str, zip_code: str) -> list[str]:
    rows = conn.execute(
        "SELECT user_id FROM users WHERE lower(first_name) = lower(?) AND lower(last_name) = lower(?) AND zip = ?",
        (first.strip(), last.strip(), zip_code.strip()),
    )
    return [r["user_id"] for r in rows]


# -- orders --------------------------------------------------------------------------------


def read_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    items = conn.execute("SELECT * FROM order_items WHERE order_id = ? ORDER BY position", (order_id,))
    fulfillments = conn.execute("SELECT * FROM fulfillments WHERE order_id = ? ORDER BY position", (order_id,))
    payments = conn.execute("SELECT * FROM payment_history WHERE order_id = ? ORDER BY position", (order_id,))
    return Order(
        order_id=order_id,
        user_id=row["user_id"],
        address=_address(row),
        items=[
            OrderItem(name=i["name"], product_id=i["product_id"], item_id=i["item_id"], price=i["price"],
                      options=json.loads(i["options"]))
            for i in items
        ],
        fulfillments=[
            Fulfillment(tracking_id=json.loads(f["tracking_ids"]), item_ids=json.loads(f["item_ids"]))
            for f in fulfillments
        ],
        status=row["status"],
        payment_history=[
            Transaction(transaction_type=p["transaction_type"], amount=p["amount"],
                        payment_method_id=p["payment_method_id"])
            for p in payments
        ],
        cancel_reason=row["cancel_reason"],
        return_items=_json_list(row["return_items"]),
        return_payment_method_id=row["return_payment_method_id"],
        exchange_items=_json_list(row["exchange_items"]),
        exchange_new_items=_json_list(row["exchange_new_items"]),
        exchange_payment_method_id=row["exchange_payment_method_id"],
        exchange_price_difference=row["exchange_price_difference"],
    )


def _dump_list(value: list | None) -> str | None:
    return None if value is None else json.dumps(value)


def save_order(conn: sqlite3.Connection, order: Order, position: int | None = None) -> None:
    """Insert or replace an order as a whole (its row and all its lists)."""
    if position is None:
        row = conn.execute("SELECT position FROM orders WHERE order_id = ?", (order.order_id,)).fetchone()
        position = row["position"] if row else conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    for table in ("order_items", "fulfillments", "payment_history"):
        conn.execute(f"DELETE FROM {table} WHERE order_id = ?", (order.order_id,))
    conn.execute("DELETE FROM orders WHERE order_id = ?", (order.order_id,))
    conn.execute(
        "INSERT INTO orders (order_id, user_id, position, status, address1, address2, city, country, state, zip,"
        " cancel_reason, return_items, return_payment_method_id, exchange_items, exchange_new_items,"
        " exchange_payment_method_id, exchange_price_difference)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (order.order_id, order.user_id, position, order.status,
         *(getattr(order.address, f) for f in _ADDRESS_FIELDS),
         order.cancel_reason, _dump_list(order.return_items), order.return_payment_method_id,
         _dump_list(order.exchange_items), _dump_list(order.exchange_new_items),
         order.exchange_payment_method_id, order.exchange_price_difference),
    )
    conn.executemany(
        "INSERT INTO order_items (order_id, position, item_id, product_id, name, price, options)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(order.order_id, i, it.item_id, it.product_id, it.name, it.price, json.dumps(it.options))
         for i, it in enumerate(order.items)],
    )
    conn.executemany(
        "INSERT INTO fulfillments (order_id, position, tracking_ids, item_ids) VALUES (?, ?, ?, ?)",
        [(order.order_id, i, json.dumps(f.tracking_id), json.dumps(f.item_ids))
         for i, f in enumerate(order.fulfillments)],
    )
    conn.executemany(
        "INSERT INTO payment_history (order_id, position, transaction_type, amount, payment_method_id)"
        " VALUES (?, ?, ?, ?, ?)",
        [(order.order_id, i, p.transaction_type, p.amount, p.payment_method_id)
         for i, p in enumerate(order.payment_history)],
    )


def order_owner(conn: sqlite3.Connection, order_id: str) -> str | None:
    row = conn.execute("SELECT user_id FROM orders WHERE order_id = ?", (order_id,)).fetchone()
    return row["user_id"] if row else None


# -- products ------------------------------------------------------------------------------


def read_product(conn: sqlite3.Connection, product_id: str) -> Product | None:
    row = conn.execute("SELECT * FROM products WHERE product_id = ?", (product_id,)).fetchone()
    if row is None:
        return None
    variants = conn.execute("SELECT * FROM variants WHERE product_id = ? ORDER BY position", (product_id,))
    return Product(
        name=row["name"],
        product_id=product_id,
        variants={
            v["item_id"]: Variant(item_id=v["item_id"], options=json.loads(v["options"]),
                                  available=bool(v["available"]), price=v["price"])
            for v in variants
        },
    )


def insert_product(conn: sqlite3.Connection, product: Product, position: int) -> None:
    conn.execute("INSERT INTO products (product_id, name, position) VALUES (?, ?, ?)",
                 (product.product_id, product.name, position))
    conn.executemany(
        "INSERT INTO variants (item_id, product_id, position, options, available, price) VALUES (?, ?, ?, ?, ?, ?)",
        [(v.item_id, product.product_id, i, json.dumps(v.options), int(v.available), v.price)
         for i, v in enumerate(product.variants.values())],
    )


def product_types(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT name, product_id FROM products ORDER BY name")
    return {r["name"]: r["product_id"] for r in rows}


# -- the whole store -----------------------------------------------------------------------


def dump_store(conn: sqlite3.Connection) -> dict[str, dict]:
    """Every record in the benchmark's JSON shape: {"users": {...}, "orders": {...}, "products": {...}}."""
    users = {}
    for row in conn.execute("SELECT user_id FROM users ORDER BY rowid").fetchall():
        user = read_user(conn, row["user_id"])
        record = user.model_dump(exclude={"user_id"})
        record["payment_methods"] = {k: m.model_dump(exclude_none=True) for k, m in user.payment_methods.items()}
        users[user.user_id] = record
    orders = {
        row["order_id"]: read_order(conn, row["order_id"]).as_record()
        for row in conn.execute("SELECT order_id FROM orders ORDER BY position").fetchall()
    }
    products = {
        row["product_id"]: read_product(conn, row["product_id"]).model_dump()
        for row in conn.execute("SELECT product_id FROM products ORDER BY position").fetchall()
    }
    return {"users": users, "orders": orders, "products": products}
