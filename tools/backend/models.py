"""The store's records, typed: the schema of the tau-bench retail data.

These models are the contract between the SQLite backend and everything above it.
`model_dump()` of a record gives exactly the JSON shape of the benchmark files, so a
database can be compared record by record with an expected one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ORDER_ID_PATTERN = r"^#W\d{7}$"
ITEM_ID_PATTERN = r"^\d{10}$"
PAYMENT_METHOD_ID_PATTERN = r"^(gift_card|paypal|credit_card)_\d+$"

OrderStatus = Literal[
    "pending",
    "processed",
    "delivered",
    "cancelled",
    "pending (item modified)",
    "return requested",
    "exchange requested",
]
CancelReason = Literal["no longer needed", "ordered by mistake"]
PaymentSource = Literal["gift_card", "paypal", "credit_card"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Name(Record):
    first_name: str
    last_name: str


class Address(Record):
    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str

    def one_line(self) -> str:
        parts = [self.address1, self.address2, self.city, f"{self.state} {self.zip}", self.country]
        return ", ".join(p for p in parts if p)


class PaymentMethod(Record):
    source: PaymentSource
    id: str
    brand: str | None = None
    last_four: str | None = None
    balance: float | None = None

    def label(self, balance: bool = True) -> str:
        """How a person names this method: 'PayPal', 'Visa card ending 1234', 'gift card 1234567 ($12.00 left)'."""
        if self.source == "paypal":
            return "PayPal"
        if self.source == "credit_card":
            return f"{(self.brand or 'credit').title()} card ending {self.last_four}"
        left = f" (${self.balance or 0:,.2f} left)" if balance else ""
        return f"gift card {self.id.rsplit('_', 1)[-1]}{left}"


class User(Record):
    user_id: str
    name: Name
    address: Address
    email: str
    payment_methods: dict[str, PaymentMethod]
    orders: list[str]

    @property
    def full_name(self) -> str:
        return f"{self.name.first_name} {self.name.last_name}"


class OrderItem(Record):
    name: str
    product_id: str
    item_id: str
    price: float
    options: dict[str, str]


class Fulfillment(Record):
    tracking_id: list[str]
    item_ids: list[str]


class Transaction(Record):
    transaction_type: Literal["payment", "refund"]
    amount: float
    payment_method_id: str


class Order(Record):
    order_id: str
    user_id: str
    address: Address
    items: list[OrderItem]
    fulfillments: list[Fulfillment]
    status: OrderStatus
    payment_history: list[Transaction]
    # Present only once the matching write happened (as in the benchmark's records).
    cancel_reason: CancelReason | None = None
    return_items: list[str] | None = None
    return_payment_method_id: str | None = None
    exchange_items: list[str] | None = None
    exchange_new_items: list[str] | None = None
    exchange_payment_method_id: str | None = None
    exchange_price_difference: float | None = None

    def as_record(self) -> dict:
        """The benchmark's JSON shape: optional fields appear only when set."""
        return self.model_dump(exclude_none=True)

    @property
    def total(self) -> float:
        return round(sum(item.price for item in self.items), 2)


class Variant(Record):
    item_id: str
    options: dict[str, str]
    available: bool
    price: float


class Product(Record):
    name: str
    product_id: str
    variants: dict[str, Variant]


class Shipment(Record):
    """Carrier status of one tracking id (the missing-items process reads it)."""

    tracking_id: str
    order_id: str
    carrier: str
    status: Literal["label_created", "in_transit", "delivered"]
    expected_date: str | None = Field(default=None, description="ISO date, while in transit")
    delivered_date: str | None = None
    left_with: str | None = Field(default=None, description="who took the parcel, e.g. 'neighbour at no. 12'")


class Stock(Record):
    """Warehouse stock of one item (variant)."""

    item_id: str
    in_stock: bool
    restock_date: str | None = None


class MissingItemsClaim(Record):
    claim_id: str
    order_id: str
    item_ids: list[str]
    resolution: Literal["reship", "refund", "wait_for_restock"]
    restock_date: str | None = None
    refund_amount: float | None = None
    refund_payment_method_id: str | None = None
