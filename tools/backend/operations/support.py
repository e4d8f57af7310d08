"""Support system: handing a conversation to a person."""

from __future__ import annotations

import sqlite3

from ..contracts import HandoffResult, TransferToHuman
from ..operation import operation


@operation("write", "support")
def transfer_to_human_agents(conn: sqlite3.Connection, args: TransferToHuman) -> HandoffResult:
    """Hand the conversation to a human agent with a summary of the request. Changes no store data.
    Only for requests that no process of the assistant can handle, or when the customer asks for a person."""
    cursor = conn.execute("INSERT INTO handoffs (summary) VALUES (?)", (args.summary,))
    return HandoffResult(handoff_id=cursor.lastrowid, message="Transfer successful")
