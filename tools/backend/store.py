"""The retail backend: runs registered operations on one store database.

Only the gateway calls `execute`; processes and the ReAct baseline reach the store
through the gateway's tools. Writes run in one transaction together with their
idempotency key, so a write that committed is never applied a second time.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from . import operations as _operations  # noqa: F401  (registers the operations)
from . import records
from .database import Database
from .operation import OPERATIONS, Operation


class RetailBackend:
    def __init__(self, database: Database):
        self.db = database

    @classmethod
    def open(cls, path: str | Path) -> RetailBackend:
        return cls(Database(path))

    @staticmethod
    def operation(name: str) -> Operation:
        return OPERATIONS[name]

    def execute(self, name: str, args: BaseModel, idempotency_key: str | None = None) -> BaseModel:
        op = OPERATIONS[name]
        if op.kind == "read":
            return op(self.db.connection, args)
        with self.db.transaction() as conn:
            if idempotency_key is not None:
                row = conn.execute("SELECT result FROM idempotency_keys WHERE key = ?", (idempotency_key,)).fetchone()
                if row is not None:
                    return op.output_model.model_validate_json(row["result"])
            result = op(conn, args)
            if idempotency_key is not None:
                conn.execute("INSERT INTO idempotency_keys (key, operation, result) VALUES (?, ?, ?)",
                             (idempotency_key, name, result.model_dump_json()))
            return result

    def was_applied(self, idempotency_key: str) -> bool:
        return self.stored_result(idempotency_key) is not None

    def stored_result(self, idempotency_key: str) -> BaseModel | None:
        """The output a keyed write returned when it committed, or None if it never did."""
        rows = self.db.query("SELECT operation, result FROM idempotency_keys WHERE key = ?", (idempotency_key,))
        if not rows:
            return None
        return OPERATIONS[rows[0]["operation"]].output_model.model_validate_json(rows[0]["result"])

    # Ownership facts for the gateway's checks (not tools: the customer never asks for these).

    def order_owner(self, order_id: str) -> str | None:
        return records.order_owner(self.db.connection, order_id)

    def payment_method_owner(self, payment_method_id: str) -> set[str]:
        rows = self.db.query("SELECT user_id FROM payment_methods WHERE payment_method_id = ?", (payment_method_id,))
        return {r["user_id"] for r in rows}

    def tracking_owner(self, tracking_id: str) -> str | None:
        rows = self.db.query(
            "SELECT o.user_id FROM shipments s JOIN orders o ON o.order_id = s.order_id WHERE s.tracking_id = ?",
            (tracking_id,),
        )
        return rows[0]["user_id"] if rows else None

    def dump(self) -> dict[str, dict]:
        return records.dump_store(self.db.connection)

    def dump_json(self) -> str:
        return json.dumps(self.dump(), sort_keys=True)

    def close(self) -> None:
        self.db.close()
