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
from .commit_gate import WriteAbandoned, current_terms
from .database import Database
from .operation import OPERATIONS, Operation


class RetailBackend:
    def __init__(self, database: Database):
        self.db = database
        self._upgrade_schema()

    def _upgrade_schema(self) -> None:
        """Stores created before writes kept their id and audit row get those columns (once, under the
        write lock, so processes opening the same old store at once do not race)."""
        def missing() -> list[str]:
            have = {r["name"] for r in self.db.query("PRAGMA table_info(idempotency_keys)")}
            return [c for c in ("write_id", "audit_row") if have and c not in have]

        if missing():
            with self.db.transaction() as conn:
                for column in missing():
                    conn.execute(f"ALTER TABLE idempotency_keys ADD COLUMN {column} TEXT")

    @classmethod
    def open(cls, path: str | Path) -> RetailBackend:
        return cls(Database(path))

    @staticmethod
    def operation(name: str) -> Operation:
        return OPERATIONS[name]

    def execute(self, name: str, args: BaseModel, idempotency_key: str | None = None) -> BaseModel:
        """Run one operation. A write run by the gateway carries `WriteTerms` (commit_gate.py): it waits
        for the store's lock only as long as the gateway waits, commits only if the gateway has not
        given up, and stores its id and `ok` audit row with its idempotency key, in its transaction."""
        op = OPERATIONS[name]
        if op.kind == "read":
            return op(self.db.connection, args)
        terms = current_terms()
        if terms is not None and not terms.gate.open():
            raise WriteAbandoned(f"the {op.system} system did not start the change in time; nothing was changed")
        with self.db.transaction(lock_wait_s=terms.gate.lock_wait_s() if terms else None) as conn:
            if idempotency_key is not None:
                row = conn.execute("SELECT result FROM idempotency_keys WHERE key = ?", (idempotency_key,)).fetchone()
                if row is not None:
                    return op.output_model.model_validate_json(row["result"])
            result = op(conn, args)
            if idempotency_key is not None:
                conn.execute("INSERT INTO idempotency_keys (key, operation, result, write_id, audit_row)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (idempotency_key, name, result.model_dump_json(), terms.write_id if terms else None,
                              terms.audit_row if terms else None))
            # Last moment to back out: past it, the change is made and must be reported as made.
            if terms is not None and not terms.gate.begin_commit():
                raise WriteAbandoned(f"the {op.system} system did not finish the change in time; "
                                     "it was rolled back, nothing was changed")
            return result

    def committed_write_id(self, idempotency_key: str) -> str | None:
        """The id of the commit that applied this key (None: not applied, or applied before ids were kept)."""
        rows = self.db.query("SELECT write_id FROM idempotency_keys WHERE key = ?", (idempotency_key,))
        return rows[0]["write_id"] if rows else None

    def audit_rows_of_writes(self) -> list[tuple[str, str]]:
        """(write id, `ok` audit row JSON) of every write committed with one: what the audit log must hold."""
        rows = self.db.query("SELECT write_id, audit_row FROM idempotency_keys"
                             " WHERE write_id IS NOT NULL AND audit_row IS NOT NULL ORDER BY created_at")
        return [(r["write_id"], r["audit_row"]) for r in rows]

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
