"""Inputs and outputs of the store's operations (the tool contracts).

Field descriptions are written for whoever calls the tool, person or model: they end up
in the tool schemas the ReAct baseline sees.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import (
    ITEM_ID_PATTERN,
    ORDER_ID_PATTERN,
    PAYMENT_METHOD_ID_PATTERN,
    CancelReason,
    MissingItemsClaim,
    Order,
    Product,
    Shipment,
    Stock,
    User,
)

OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN, description="Order id such as '#W0000000' (with the '#').")]
ItemId = Annotated[str, Field(pattern=ITEM_ID_PATTERN, description="Item id such as '1008292230'.")]
PaymentMethodId = Annotated[
    str,
    Field(pattern=PAYMENT_METHOD_ID_PATTERN,
          description="Payment method id such as 'gift_card_0000000', 'paypal_0000000' or 'credit_card_0000000'."),
]
UserId = Annotated[str, Field(min_length=1, max_length=64, description="User id such as 'sara_doe_496'.")]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- inputs --------------------------------------------------------------------------------


class FindUserByEmail(Input):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FindUserByNameZip(Input):
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str = Field(min_length=1, max_length=64)
    zip: str = Field(pattern=r"^\d{5}$")


class UserRef(Input):
    user_id: UserId


class OrderRef(Input):
    order_id: OrderId


class ProductRef(Input):
    product_id: str = Field(pattern=r"^\d{10}$", description="Product id such as '6086499569' (not an item id).")


class NoArgs(Input):
    pass


class CancelOrder(Input):
    order_id: OrderId
    reason: CancelReason = Field(description="Either 'no longer needed' or 'ordered by mistake'.")


class AddressFields(Input):
    address1: str = Field(min_length=1, max_length=200)
    address2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=1, max_length=100)
    zip: str = Field(pattern=r"^\d{5}$")


class ModifyOrderAddress(AddressFields):
    order_id: OrderId


class ModifyUserAddress(AddressFields):
    user_id: UserId


class ModifyOrderPayment(Input):
    order_id: OrderId
    payment_method_id: PaymentMethodId


class ChangeItems(Input):
    order_id: OrderId
    item_ids: list[ItemId] = Field(min_length=1, description="Items to change; may repeat an id.")
    new_item_ids: list[ItemId] = Field(min_length=1, description="New item for each item, same position, same product.")
    payment_method_id: PaymentMethodId = Field(description="Pays, or receives, the price difference.")


class ReturnItems(Input):
    order_id: OrderId
    item_ids: list[ItemId] = Field(min_length=1, description="Items to return; may repeat an id.")
    payment_method_id: PaymentMethodId = Field(description="The original payment method or a gift card of the user.")


class TransferToHuman(Input):
    summary: str = Field(min_length=1, max_length=2000,
                         description="What the customer asked and why a person is needed.")


class TrackingRef(Input):
    tracking_id: str = Field(pattern=r"^\d{6,20}$")


class ItemRef(Input):
    item_id: ItemId


class ReportMissingItems(Input):
    order_id: OrderId
    item_ids: list[ItemId] = Field(min_length=1)
    resolution: Literal["reship", "refund", "wait_for_restock"]


# -- outputs -------------------------------------------------------------------------------


class UserIdResult(Output):
    user_id: str


class UserResult(Output):
    user: User


class OrderResult(Output):
    order: Order


class ProductResult(Output):
    product: Product


class ProductTypes(Output):
    product_types: dict[str, str] = Field(description="Product name -> product id.")


class HandoffResult(Output):
    handoff_id: int
    message: str


class ShipmentResult(Output):
    shipment: Shipment


class StockResult(Output):
    stock: Stock


class ClaimResult(Output):
    claim: MissingItemsClaim
