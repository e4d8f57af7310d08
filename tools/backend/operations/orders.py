"""Orders system: reading orders and the six writes the store's policy allows on them.

Every write checks its rules first and raises `RuleViolation` (nothing changed) when one
fails, with the benchmark's wording, so a process or a model can act on it.
"""

from __future__ import annotations

import sqlite3

from .. import records
from ..contracts import (
    CancelOrder,
    ChangeItems,
    ModifyOrderAddress,
    ModifyOrderPayment,
    OrderRef,
    OrderResult,
    ReturnItems,
)
from ..errors import NotFound, RuleViolation
from ..models import Address, Order, PaymentMethod, Transaction, User
from ..operation import operation
from ..payments import cents, move_balance


def _order(conn: sqlite3.Connection, order_id: str) -> Order:
    order = records.read_order(conn, order_id)
    if order is None:
        raise NotFound("order not found")
    return order


def _owner(conn: sqlite3.Connection, order: Order) -> User:
    user = records.read_user(conn, order.user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def _method(user: User, payment_method_id: str) -> PaymentMethod:
    method = user.payment_methods.get(payment_method_id)
    if method is None:
        raise RuleViolation("payment method not found")
    return method


def _check_items_present(order: Order, item_ids: list[str], message: str) -> None:
    in_order = [item.item_id for item in order.items]
    for item_id in item_ids:
        if item_ids.count(item_id) > in_order.count(item_id):
            raise RuleViolation(message.format(item_id=item_id))


def _price_difference(conn: sqlite3.Connection, order: Order, item_ids: list[str], new_item_ids: list[str]) -> float:
    if len(item_ids) != len(new_item_ids):
        raise RuleViolation("the number of items to be exchanged should match")
    difference = 0.0
    for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
        item = next(i for i in order.items if i.item_id == item_id)
        product = records.read_product(conn, item.product_id)
        variant = product.variants.get(new_item_id) if product else None
        if variant is None or not variant.available:
            raise RuleViolation(f"new item {new_item_id} not found or available")
        difference += variant.price - item.price
    return cents(difference)


@operation("read", "orders")
def get_order_details(conn: sqlite3.Connection, args: OrderRef) -> OrderResult:
    """An order's status, items (with item ids and options), shipping address, fulfilments and payments."""
    return OrderResult(order=_order(conn, args.order_id))


@operation("write", "orders")
def cancel_pending_order(conn: sqlite3.Connection, args: CancelOrder) -> OrderResult:
    """Cancel a pending order. Refunds every payment to its method (gift cards at once, others in 5-7
    business days). List the details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "pending":
        raise RuleViolation("non-pending order cannot be cancelled")
    user = _owner(conn, order)
    refunds = []
    for payment in order.payment_history:
        refunds.append(Transaction(transaction_type="refund", amount=payment.amount,
                                   payment_method_id=payment.payment_method_id))
        if payment.payment_method_id in user.payment_methods:
            move_balance(conn, user, user.payment_methods[payment.payment_method_id], payment.amount)
    order.status = "cancelled"
    order.cancel_reason = args.reason
    order.payment_history.extend(refunds)
    records.save_order(conn, order)
    return OrderResult(order=order)


@operation("write", "orders")
def modify_pending_order_address(conn: sqlite3.Connection, args: ModifyOrderAddress) -> OrderResult:
    """Change the shipping address of a pending order. List the details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "pending":
        raise RuleViolation("non-pending order cannot be modified")
    order.address = Address(**args.model_dump(exclude={"order_id"}))
    records.save_order(conn, order)
    return OrderResult(order=order)


@operation("write", "orders")
def modify_pending_order_payment(conn: sqlite3.Connection, args: ModifyOrderPayment) -> OrderResult:
    """Pay a pending order with another single payment method of the customer (a gift card must cover
    the total). List the details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "pending":
        raise RuleViolation("non-pending order cannot be modified")
    user = _owner(conn, order)
    new_method = _method(user, args.payment_method_id)
    history = order.payment_history
    if len(history) != 1 or history[0].transaction_type != "payment":
        raise RuleViolation("there should be exactly one payment for a pending order")
    old_method_id = history[0].payment_method_id
    if old_method_id == args.payment_method_id:
        raise RuleViolation("the new payment method should be different from the current one")
    amount = history[0].amount
    if new_method.source == "gift_card" and (new_method.balance or 0) < amount:
        raise RuleViolation("insufficient gift card balance to pay for the order")
    history.append(Transaction(transaction_type="payment", amount=amount, payment_method_id=new_method.id))
    history.append(Transaction(transaction_type="refund", amount=amount, payment_method_id=old_method_id))
    move_balance(conn, user, new_method, -amount)
    if old_method_id in user.payment_methods:
        move_balance(conn, user, user.payment_methods[old_method_id], amount)
    records.save_order(conn, order)
    return OrderResult(order=order)


def _replace_items(conn: sqlite3.Connection, order: Order, item_ids: list[str], new_item_ids: list[str]) -> None:
    replaced: set[int] = set()
    for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
        # With duplicates, each listed id takes the next not-yet-replaced item of that id.
        index = next(i for i, it in enumerate(order.items) if it.item_id == item_id and i not in replaced)
        replaced.add(index)
        item = order.items[index]
        variant = records.read_product(conn, item.product_id).variants[new_item_id]
        item.item_id, item.price, item.options = new_item_id, variant.price, dict(variant.options)


@operation("write", "orders")
def modify_pending_order_items(conn: sqlite3.Connection, args: ChangeItems) -> OrderResult:
    """Change items of a pending order to other available variants of the same products. Allowed once:
    collect every item first. The price difference is paid or refunded with the given method (a gift
    card must cover it). List the details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "pending":
        raise RuleViolation("non-pending order cannot be modified")
    _check_items_present(order, args.item_ids, "{item_id} not found")
    difference = _price_difference(conn, order, args.item_ids, args.new_item_ids)
    user = _owner(conn, order)
    method = _method(user, args.payment_method_id)
    if method.source == "gift_card" and (method.balance or 0) < difference:
        raise RuleViolation("insufficient gift card balance to pay for the new item")
    order.payment_history.append(
        Transaction(transaction_type="payment" if difference > 0 else "refund", amount=abs(difference),
                    payment_method_id=method.id)
    )
    move_balance(conn, user, method, -difference)
    _replace_items(conn, order, args.item_ids, args.new_item_ids)
    order.status = "pending (item modified)"
    records.save_order(conn, order)
    return OrderResult(order=order)


@operation("write", "orders")
def return_delivered_order_items(conn: sqlite3.Connection, args: ReturnItems) -> OrderResult:
    """Request the return of items of a delivered order; the refund goes to the original payment method or
    a gift card of the customer. The customer gets an email on how to send the items back. List the
    details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "delivered":
        raise RuleViolation("non-delivered order cannot be returned")
    user = _owner(conn, order)
    _method(user, args.payment_method_id)
    original = order.payment_history[0].payment_method_id
    if "gift_card" not in args.payment_method_id and args.payment_method_id != original:
        raise RuleViolation("payment method should be either the original payment method or a gift card")
    _check_items_present(order, args.item_ids, "some item not found")
    order.status = "return requested"
    order.return_items = sorted(args.item_ids)
    order.return_payment_method_id = args.payment_method_id
    records.save_order(conn, order)
    return OrderResult(order=order)


@operation("write", "orders")
def exchange_delivered_order_items(conn: sqlite3.Connection, args: ChangeItems) -> OrderResult:
    """Exchange items of a delivered order for other available variants of the same products. Allowed
    once: collect every item first. The price difference is paid or refunded with the given method (a
    gift card must cover it). List the details and get an explicit yes first."""
    order = _order(conn, args.order_id)
    if order.status != "delivered":
        raise RuleViolation("non-delivered order cannot be exchanged")
    _check_items_present(order, args.item_ids, "{item_id} not found")
    difference = _price_difference(conn, order, args.item_ids, args.new_item_ids)
    user = _owner(conn, order)
    method = _method(user, args.payment_method_id)
    if method.source == "gift_card" and (method.balance or 0) < difference:
        raise RuleViolation("insufficient gift card balance to pay for the price difference")
    order.status = "exchange requested"
    order.exchange_items = sorted(args.item_ids)
    order.exchange_new_items = sorted(args.new_item_ids)
    order.exchange_payment_method_id = method.id
    order.exchange_price_difference = difference
    records.save_order(conn, order)
    return OrderResult(order=order)
