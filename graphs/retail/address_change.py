"""What changing an order's address and the default address share: reading the new address,
or taking the address of an order the customer points to ("same as #W1234567")."""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from ...nodes.process_spec import Resolution, Resolved, SlotSpec
from ...nodes.step import frame_of, output_of
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ...tools.backend.contracts import OrderResult
from ...tools.backend.models import Address
from . import addresses


def resolver(default_allowed: bool):
    """`default_allowed`: "my default address" names an address (for an order, not for the default itself)."""

    def resolve_address(mention: JsonValue, frame: Frame, state: ConversationState) -> Resolution:
        customer = state["customer"]
        text = str(mention)
        same = addresses.referenced_order(text)
        if same and same in customer.order_ids:
            return Resolved({"same_as": same})  # its address is looked up next
        default = Address(**customer.address) if customer.address and default_allowed else None
        return addresses.resolve(mention, {}, default)

    return resolve_address


def address_slot(description: str, default_allowed: bool) -> SlotSpec:
    return SlotSpec("address", "address", description, ask="ask_address", resolve=resolver(default_allowed))


def points_to_order(state: ConversationState) -> Literal["load_reference", "confirm"]:
    value = frame_of(state).slots.get("address") or {}
    return "load_reference" if "same_as" in value else "confirm"


def reference_args(frame: Frame, state: ConversationState) -> dict:
    return {"order_id": frame.slots["address"]["same_as"]}


def use_reference(state: ConversationState) -> dict:
    frame = frame_of(state)
    order = output_of(frame, "load_reference", OrderResult).order
    slots = {**frame.slots, "address": order.address.model_dump()}
    return {"stack": [*state["stack"][:-1], frame.with_(slots=slots)]}


def one_line(value: dict | None) -> str:
    if not value or "same_as" in value:
        return ""
    return Address(**value).one_line()


def address_args(frame: Frame) -> dict:
    return {k: v for k, v in frame.slots["address"].items()}
