"""Filling a store database from a folder of JSON files in the benchmark's shape.

The folder holds `users.json`, `orders.json` and `products.json` (keyed by id, as in
`../shared/taubench-retail/`), and optionally `shipments.json` and `stock.json`; when
those two are absent they are derived from the orders and products (`logistics.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import logistics, records
from .database import Database
from .models import Order, Product, Shipment, Stock, User

REQUIRED = ("users.json", "orders.json", "products.json")


class DataFolderError(ValueError):
    """The folder is missing or does not hold the store's files."""


def check_data_folder(folder: str | Path) -> Path:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataFolderError(f"data folder not found: {folder}")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise DataFolderError(f"data folder {folder} lacks {', '.join(missing)}")
    return folder


def read_folder(folder: str | Path) -> tuple[list[User], list[Order], list[Product], list[Shipment], list[Stock]]:
    folder = check_data_folder(folder)
    try:
        raw_users = json.loads((folder / "users.json").read_text())
        raw_orders = json.loads((folder / "orders.json").read_text())
        raw_products = json.loads((folder / "products.json").read_text())
    except json.JSONDecodeError as exc:
        raise DataFolderError(f"data folder {folder} holds invalid JSON: {exc}") from exc
    users = [User(user_id=user_id, **record) for user_id, record in raw_users.items()]
    orders = [Order(**record) for record in raw_orders.values()]
    products = [Product(**record) for record in raw_products.values()]
    if (folder / "shipments.json").is_file():
        shipments = [Shipment(**r) for r in json.loads((folder / "shipments.json").read_text())]
    else:
        shipments = logistics.derive_shipments(orders)
    if (folder / "stock.json").is_file():
        stock = [Stock(**r) for r in json.loads((folder / "stock.json").read_text())]
    else:
        stock = logistics.derive_stock(products)
    return users, orders, products, shipments, stock


def load_folder(db: Database, folder: str | Path) -> None:
    """Create the schema in an empty database and fill it from `folder`."""
    users, orders, products, shipments, stock = read_folder(folder)
    db.create_schema()
    with db.transaction() as conn:
        for user in users:
            records.insert_user(conn, user)
        for position, order in enumerate(orders):
            records.save_order(conn, order, position)
        for position, product in enumerate(products):
            records.insert_product(conn, product, position)
        conn.executemany(
            "INSERT INTO shipments (tracking_id, order_id, carrier, status, expected_date, delivered_date, left_with)"
            " VALUES (:tracking_id, :order_id, :carrier, :status, :expected_date, :delivered_date, :left_with)",
            [s.model_dump() for s in shipments],
        )
        conn.executemany(
            "INSERT INTO stock (item_id, in_stock, restock_date) VALUES (:item_id, :in_stock, :restock_date)",
            [s.model_dump() for s in stock],
        )
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('source', ?)", (str(Path(folder).resolve()),))
