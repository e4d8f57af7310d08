"""Shipping system: carrier status of parcels, and claims for items that never arrived."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from .. import records
from ..contracts import ClaimResult, ReportMissingItems, ShipmentResult, TrackingRef
from ..errors import NotFound, RuleViolation
from ..models import MissingItemsClaim, Shipment, Transaction
from ..operation import operation
from ..payments import move_balance


@operation("read", "shipping")
def get_shipment_status(conn: sqlite3.Connection, args: TrackingRef) -> ShipmentResult:
    """Carrier status of one tracking id: in transit (with the expected date) or delivered (and to whom)."""
    row = conn.execute("SELECT * FROM shipments WHERE tracking_id = ?", (args.tracking_id,)).fetchone()
    if row is None:
        raise NotFound("tracking id not found")
    return ShipmentResult(shipment=Shipment(**dict(row)))


@operation("write", "shipping")
def report_missing_items(conn: sqlite3.Connection, args: ReportMissingItems) -> ClaimResult:
    """Open a claim for items of a delivered order that never arrived: send them again, refund them to the
    original payment method, or wait for the restock. List the details and get an explicit yes first."""
    order = records.read_order(conn, args.order_id)
    if order is None:
        raise NotFound("order not found")
    if order.status != "delivered":
        raise RuleViolation("only items of a delivered order can be reported missing")
    in_order = [item.item_id for item in order.items]
    for item_id in args.item_ids:
        if args.item_ids.count(item_id) > in_order.count(item_id):
            raise RuleViolation(f"{item_id} not found")
    restock_date = None
    if args.resolution == "wait_for_restock":
        dates = [r["restock_date"] for item_id in args.item_ids
                 for r in conn.execute("SELECT restock_date FROM stock WHERE item_id = ?", (item_id,))]
        restock_date = max((d for d in dates if d), default=None)
    refund_amount = refund_method = None
    if args.resolution == "refund":
        prices = {item.item_id: item.price for item in order.items}
        refund_amount = round(sum(prices[i] for i in args.item_ids), 2)
        refund_method = order.payment_history[0].payment_method_id
        order.payment_history.append(Transaction(transaction_type="refund", amount=refund_amount,
                                                 payment_method_id=refund_method))
        user = records.read_user(conn, order.user_id)
        if user is not None and refund_method in user.payment_methods:
            move_balance(conn, user, user.payment_methods[refund_method], refund_amount)
        records.save_order(conn, order)
    digest = hashlib.sha256(json.dumps([args.order_id, sorted(args.item_ids)]).encode()).hexdigest()[:10]
    claim = MissingItemsClaim(claim_id=f"MIC-{digest}", order_id=args.order_id, item_ids=sorted(args.item_ids),
                              resolution=args.resolution, restock_date=restock_date,
                              refund_amount=refund_amount, refund_payment_method_id=refund_method)
    existing = conn.execute("SELECT 1 FROM missing_item_claims WHERE claim_id = ?", (claim.claim_id,)).fetchone()
    if existing:
        raise RuleViolation("a claim for these items is already open")
    conn.execute(
        "INSERT INTO missing_item_claims (claim_id, order_id, item_ids, resolution, restock_date, refund_amount,"
        " refund_payment_method_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (claim.claim_id, claim.order_id, json.dumps(claim.item_ids), claim.resolution, claim.restock_date,
         claim.refund_amount, claim.refund_payment_method_id),
    )
    return ClaimResult(claim=claim)
