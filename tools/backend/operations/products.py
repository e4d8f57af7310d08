"""Products system: the catalogue and warehouse stock."""

from __future__ import annotations

import sqlite3

from .. import records
from ..contracts import ItemRef, NoArgs, ProductRef, ProductResult, ProductTypes, StockResult
from ..errors import NotFound
from ..models import Stock
from ..operation import operation


@operation("read", "products")
def list_all_product_types(conn: sqlite3.Connection, args: NoArgs) -> ProductTypes:
    """Every product type the store sells: name -> product id."""
    return ProductTypes(product_types=records.product_types(conn))


@operation("read", "products")
def get_product_details(conn: sqlite3.Connection, args: ProductRef) -> ProductResult:
    """A product's variants (item ids) with their options, price and availability."""
    product = records.read_product(conn, args.product_id)
    if product is None:
        raise NotFound("product not found")
    return ProductResult(product=product)


@operation("read", "products")
def get_item_stock(conn: sqlite3.Connection, args: ItemRef) -> StockResult:
    """Whether an item (variant) is in the warehouse now, and if not when it is expected back."""
    row = conn.execute("SELECT * FROM stock WHERE item_id = ?", (args.item_id,)).fetchone()
    if row is None:
        raise NotFound("item not found")
    return StockResult(stock=Stock(item_id=row["item_id"], in_stock=bool(row["in_stock"]),
                                   restock_date=row["restock_date"]))
