"""Change the items of a pending order (policy: "Modify pending order" > "Modify items").

1. which order; only a pending order can be changed (a delivered one is exchanged instead)
2. which items: all of them now, since items can be changed only once and the order can't
   be changed or cancelled afterwards
3. for each item, the new options, resolved to an available variant of the same product
4. the payment method for the price difference (a gift card must cover it)
5. list the details, get a yes, change the items
"""

from __future__ import annotations

from typing import Literal

from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ..retail import item_change, orders
from ..retail.process import RetailProcess

NOT_ELIGIBLE = "its items can't be changed: only pending orders can"

SPEC = ProcessSpec(
    name="change_order_items",
    description="Change items of a pending (not yet shipped) order to another variant of the same product",
    summary="changing the items of your order",
    offer="change the items of an order that hasn't shipped yet",
    examples=(
        "I want to change an item in my order before it ships", "can I modify the items in my pending order",
        "change the size of the shirt I just ordered", "I picked the wrong color, can you change it",
        "switch the item in my order to the red one", "update the items on my order",
        "I ordered the wrong variant, fix it before it ships", "change the material of the skateboard I ordered",
        "can I still change what I ordered", "modify the kettle in my order to the bigger one",
        'modify the items in my pending order',
        'change the color of something i ordered',
        'i want to change an item before it ships',
        'modify the tea kettle in #W1234567 to the glass one',
        'change the size of the shoes in my pending order',
        "can i change what's in my order",
        'switch the mouse in my order to wireless',
        'update an item in my order',
        'i picked the wrong option, change it',
        'modify items',
        'change the options of my order',
        "i'd like to modify in order #W1234567: the action camera to 1080p",
        'in order #W1234567, change the kettle to the 1.5L one',
        'for #W1234567 switch the shoes to size 10',
        'modify the item in my pending order to the blue one',
        # in the words of role-played customers (evals/roleplay/transcripts)
        "on that order I want to change the wristwatch to the blue dial with a silicone strap",
        "the camera on that order, can I get the 30MP with 5x zoom instead?",
        "The mechanical keyboard has clicky switches, I'd prefer linear ones",
        "The wristwatch has a blue dial, I want a black dial with a leather strap instead",
        "I picked the wrong deck material by accident",
        "the sunglasses should be black frame instead of brown",
    ),
    slots=item_change.slots("pending", "delivered", NOT_ELIGIBLE),
    facts=item_change.facts,
    templates={
        "assumed_order_id": "Your {status} order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order would you like to change?\n{choices}",
        "no_order_id": "None of your orders is pending, and only pending orders can be changed.",
        "not_pending": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "delivered_instead": "Order {order_id} has already been delivered, so instead of changing it I can "
                             "exchange the items.",
        "ask_items": "Which items would you like to change? Please list all of them now: items can be changed "
                     "only once, and the order can't be changed or cancelled afterwards.\n{choices}",
        "ask_changes": "What would you like instead? These options are available:\n{options}",
        "no_payment_method": "Here is the change:\n{change_list}\n{difference}, but none of your payment methods "
                             "can pay it (a gift card must cover the whole difference{gift_balances}), so I can't "
                             "make this change.",
        "ask_payment": "Here is the change:\n{change_list}\n{difference}. Which payment method should I use "
                       "{pay_for}?\n{choices}",
        "confirm": "To confirm the changes to order {order_id}:\n{change_list}\n{difference}, with {method}. "
                   "After this the order can't be changed or cancelled any more, so no other item can be changed "
                   "later. Shall I go ahead with exactly these changes (yes/no)?",
        "done": "Done: order {order_id} now has the new items.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't change the items: {error}.",
    },
)


def is_pending(state: ConversationState) -> Literal["ask_items", "delivered_instead", "not_pending"]:
    status = orders.the_order(frame_of(state)).status
    return {"pending": "ask_items", "delivered": "delivered_instead"}.get(status, "not_pending")


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=is_pending)
        .not_eligible("not_pending", "not_pending")
        .say("delivered_instead", "delivered_instead", then="hand_over")
        .node("hand_over", item_change.hand_over_to("exchange_items", "exchanging your items"))
        .collect("ask_items", "items", then="load_products")
        .call_many("load_products", item_change.product_calls, then="ask_changes")
        .collect("ask_changes", "changes", then="load_profile")
        .call("load_profile", "get_user_details", lambda f, s: {"user_id": s["customer"].user_id}, then="ask_payment")
        .collect("ask_payment", "payment_method", then="confirm")
        .confirm_and_write("modify", "modify_pending_order_items", item_change.write_args)
    )
