"""Change the customer's default address (policy: "modify their default user address").

1. the new address (or "the same as order #W…", whose address is looked up)
2. list it, get a yes, change it
"""

from __future__ import annotations

from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ...state.frames import Frame
from ...tools.backend.models import Address
from ..process import ProcessGraph
from ..retail import address_change


def facts(frame: Frame, state: ConversationState) -> dict:
    customer = state.get("customer")
    old = Address(**customer.address).one_line() if customer and customer.address else "none"
    return {"old_address": old, "new_address": address_change.one_line(frame.slots.get("address"))}


SPEC = ProcessSpec(
    name="change_default_address",
    description="Change the customer's default address on their account (not an order's shipping address)",
    summary="changing your default address",
    offer="change the default address on your account",
    examples=(
        "update my default address", "change the address on my account", "I moved, update my profile address",
        "change my home address", "my default shipping address should be different",
        "set my account address to the one from my last order", "update my address in my profile",
        "please change the address you have on file for me",
        'change my address',
        'update my default address',
        'i moved, please update my address',
        'change my account address',
        'my address has changed',
        'update the address in my profile',
        'change my home address on file',
        'set my default address to 12 Elm Street',
        'please update my profile with my new address',
        'i moved! please update my profile',
        'please update my profile with my new address',
        'new address for my account',
        'update the address on my profile',
        'i have a new home address',
    ),
    slots=(address_change.address_slot("the new default address: street, apartment/suite, city, state, zip",
                                       default_allowed=False),),
    facts=facts,
    templates={
        "ask_address": "What's your new default address (street, apartment or suite, city, state and zip code)?",
        "confirm": "To confirm: change your default address from {old_address} to {new_address}. Shall I go ahead "
                   "(yes/no)?",
        "done": "Done: your default address is now {new_address}. Orders already placed keep their address.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't change your address: {error}.",
    },
)


def remember(state: ConversationState) -> dict:
    """The conversation's copy of the profile follows the change."""
    customer = state["customer"]
    return {"customer": customer.model_copy(update={"address": address_change.address_args(frame_of(state))})}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .collect("ask_address", "address", then=address_change.points_to_order)
        .call("load_reference", "get_order_details", address_change.reference_args, then="use_reference")
        .node("use_reference", address_change.use_reference, then="confirm")
        .confirm_and_write("change", "modify_user_address",
                           lambda f, s: {"user_id": s["customer"].user_id, **address_change.address_args(f)},
                           after="remember")
        .node("remember", remember, then="done")
        .say("done", "done")
    )
