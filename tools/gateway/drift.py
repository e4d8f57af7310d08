"""Contract drift check: call every registered tool on known records and check its answer
still matches the tool's output model.

Reads run on the live store; writes run on a scratch copy, so the check changes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import BaseModel

from ..backend.database import copy_file_database
from ..backend.store import RetailBackend
from .audit import AuditLog
from .context import CallContext
from .gateway import Gateway
from .policy import GatewayPolicy


class ContractCheck(BaseModel):
    tool: str
    version: str
    kind: str
    ok: bool
    detail: str


def _samples(backend: RetailBackend) -> dict[str, dict]:
    """Arguments for one sample call of each tool, taken from records in the store."""
    q = backend.db.query
    user = q("SELECT user_id, email, first_name, last_name, zip FROM users ORDER BY rowid LIMIT 1")[0]
    pending = q("SELECT order_id FROM orders WHERE status = 'pending' ORDER BY position LIMIT 1")
    delivered = q("SELECT o.order_id FROM orders o WHERE status = 'delivered' ORDER BY position LIMIT 1")
    any_order = q("SELECT order_id FROM orders ORDER BY position LIMIT 1")[0]["order_id"]
    product = q("SELECT product_id FROM products ORDER BY position LIMIT 1")[0]["product_id"]
    item = q("SELECT item_id FROM variants ORDER BY product_id, position LIMIT 1")[0]["item_id"]
    tracking = q("SELECT tracking_id FROM shipments LIMIT 1")
    samples: dict[str, dict] = {
        "find_user_id_by_email": {"email": user["email"]},
        "find_user_id_by_name_zip": {"first_name": user["first_name"], "last_name": user["last_name"],
                                     "zip": user["zip"]},
        "get_user_details": {"user_id": user["user_id"]},
        "get_order_details": {"order_id": any_order},
        "get_product_details": {"product_id": product},
        "list_all_product_types": {},
        "get_item_stock": {"item_id": item},
        "transfer_to_human_agents": {"summary": "contract check"},
        "modify_user_address": {"user_id": user["user_id"], "address1": "1 Test Street", "address2": "",
                                "city": "Testville", "state": "CA", "country": "USA", "zip": "90001"},
    }
    if tracking:
        samples["get_shipment_status"] = {"tracking_id": tracking[0]["tracking_id"]}
    if pending:
        order_id = pending[0]["order_id"]
        samples["cancel_pending_order"] = {"order_id": order_id, "reason": "no longer needed"}
        samples["modify_pending_order_address"] = {"order_id": order_id, "address1": "1 Test Street",
                                                   "address2": "", "city": "Testville", "state": "CA",
                                                   "country": "USA", "zip": "90001"}
    if delivered:
        order = backend.execute("get_order_details", backend.operation("get_order_details").input_model(
            order_id=delivered[0]["order_id"])).order
        first = order.items[0]
        method = order.payment_history[0].payment_method_id
        samples["return_delivered_order_items"] = {"order_id": order.order_id, "item_ids": [first.item_id],
                                                   "payment_method_id": method}
        samples["exchange_delivered_order_items"] = {"order_id": order.order_id, "item_ids": [first.item_id],
                                                     "new_item_ids": [first.item_id], "payment_method_id": method}
    return samples


def check_contracts(backend: RetailBackend, policy: GatewayPolicy | None = None) -> list[ContractCheck]:
    samples = _samples(backend)
    with tempfile.TemporaryDirectory(prefix="procall-drift-") as tmp:
        backend.db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        scratch = RetailBackend(copy_file_database(backend.db.path, Path(tmp) / "scratch.db"))
        audit = AuditLog(Path(tmp) / "audit.db")
        live = Gateway(backend, audit, policy)
        sandbox = Gateway(scratch, audit, policy)
        ctx = CallContext(conversation_id="contract-check", role="admin", confirmed=True)
        checks = []
        try:
            for spec in live.registry.list():
                args = samples.get(spec.name)
                if args is None:
                    checks.append(ContractCheck(tool=spec.name, version=spec.version, kind=spec.kind, ok=True,
                                                detail="skipped: no record to call it on"))
                    continue
                gateway = sandbox if spec.is_write else live
                result = gateway.call(spec.name, args, ctx.at(step=spec.name))
                drift = not result.ok and result.error and result.error.code == "output_drift"
                detail = "output matches the contract" if result.ok else str(result.error)
                checks.append(ContractCheck(tool=spec.name, version=spec.version, kind=spec.kind,
                                            ok=not drift, detail=detail))
        finally:
            live.close()
            sandbox.close()
            audit.close()
            scratch.close()
        return checks
