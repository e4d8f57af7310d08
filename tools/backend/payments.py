"""Money movements on a customer's payment methods."""

from __future__ import annotations

import sqlite3

from . import records
from .models import PaymentMethod, User


def cents(amount: float) -> float:
    return round(amount, 2)


def move_balance(conn: sqlite3.Connection, user: User, method: PaymentMethod, delta: float) -> None:
    """Gift cards pay and are refunded at once; other methods settle outside the store."""
    if method.source == "gift_card":
        method.balance = cents((method.balance or 0) + delta)
        records.save_balance(conn, user.user_id, method.id, method.balance)
