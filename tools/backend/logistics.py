"""Carrier and stock records for a data set that has none (the benchmark's files).

Derived deterministically from each order's status, so every load of the same files gives
the same parcels: delivered orders have delivered parcels (some left with a neighbour),
processed orders have parcels in transit, unavailable variants are out of stock until a
restock date one week after the data set's date.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .models import Order, Product, Shipment, Stock

AS_OF = date(2024, 5, 20)  # the day the store's data describes
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
NEIGHBOURS = ("your neighbour at no. 12", "your neighbour across the street", "the building's front desk")


def derive_shipments(orders: list[Order], seed: int = 7) -> list[Shipment]:
    shipments = []
    for order in orders:
        for fulfillment in order.fulfillments:
            for tracking_id in fulfillment.tracking_id:
                rng = random.Random(f"{seed}:{tracking_id}")
                carrier = rng.choice(CARRIERS)
                if order.status == "processed":
                    shipments.append(Shipment(
                        tracking_id=tracking_id, order_id=order.order_id, carrier=carrier, status="in_transit",
                        expected_date=(AS_OF + timedelta(days=rng.randint(1, 6))).isoformat()))
                elif order.status in ("delivered", "return requested", "exchange requested"):
                    shipments.append(Shipment(
                        tracking_id=tracking_id, order_id=order.order_id, carrier=carrier, status="delivered",
                        delivered_date=(AS_OF - timedelta(days=rng.randint(1, 20))).isoformat(),
                        left_with=rng.choice(NEIGHBOURS) if rng.random() < 0.15 else None))
                else:  # a cancelled order's label was never used
                    shipments.append(Shipment(tracking_id=tracking_id, order_id=order.order_id,
                                              carrier=carrier, status="label_created"))
    return shipments


def derive_stock(products: list[Product]) -> list[Stock]:
    restock = (AS_OF + timedelta(days=7)).isoformat()
    return [
        Stock(item_id=v.item_id, in_stock=v.available, restock_date=None if v.available else restock)
        for p in products
        for v in p.variants.values()
    ]
