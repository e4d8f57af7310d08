"""Exchange delivered items (policy: "Exchange delivered order").

1. which order; only a delivered order can be exchanged (a pending one has its items changed
   instead: that process takes over with what was said)
2. which items: all of them now, since an exchange can be done only once
3. for each item, the new options, resolved to an available variant of the same product
   (if none matches, say so and offer what is available)
4. the payment method for the price difference (a gift card must cover it)
5. list the details, get a yes, request the exchange
"""

from __future__ import annotations

from typing import Literal

from ...nodes.process_spec import ProcessSpec
from ...nodes.services import Services
from ...nodes.step import frame_of
from ...state.conversation import ConversationState
from ..retail import item_change, orders
from ..retail.process import RetailProcess

NOT_ELIGIBLE = "it can't be exchanged: only delivered orders can"

SPEC = ProcessSpec(
    name="exchange_items",
    description="Exchange items of a delivered order for another variant (size, color, ...) of the same product",
    summary="exchanging your items",
    offer="exchange items from a delivered order for another size, color or version",
    examples=(
        "I want to exchange an item", "can I swap the shirt for a different size", "exchange my order",
        "the shoes are too small, I need a bigger size", "I'd like a different color for the kettle I received",
        "can I exchange the black mouse for a white one", "I received the wrong size, I want to exchange it",
        "exchange #W1234567", "swap my headphones for the wireless version", "I want the blue one instead",
        "the bookshelf is too short, can I get the taller one", "I'd like to trade it for another model",
        "the item I got isn't the right variant, can I exchange", "change the size of what I received",
        'exchange',
        'i want to exchange something',
        'exchange the tablet for a different color',
        "i'd like a different size",
        'swap the mouse for the white one',
        'can i exchange my keyboard for one with linear switches',
        'exchange it for a bigger one',
        'i want to trade my shoes for another size',
        'exchange the hiking boots',
        'i got the wrong color, exchange please',
        'exchange #W1234567',
        'can i get the 5 feet version instead',
        'change the skateboard i received to a bamboo one',
        'exhange my item',
        'for #W1234567 exchange the keyboard for the one with linear switches',
        'i want to swap the lamp from order #W1234567 for the black one',
        'exchange the bookshelf to the glass version',
        # in the words of role-played customers (evals/roleplay/transcripts)
        "can you help me swap a bookshelf I ordered?",
        "i got a notebook but it's the small one and i wanted the bigger one",
    ),
    slots=item_change.slots("delivered", "pending", NOT_ELIGIBLE),
    facts=item_change.facts,
    templates={
        "assumed_order_id": "Your {status} order is {order_id}, so I'm looking at that one.",
        "ask_order": "Which order are the items from?\n{choices}",
        "no_order_id": "None of your orders is delivered, and only delivered orders can be exchanged.",
        "not_delivered": f"Order {{order_id}} is {{status}}, so {NOT_ELIGIBLE}.",
        "pending_instead": "Order {order_id} hasn't shipped yet, so instead of an exchange I can change the items "
                           "on the order itself.",
        "ask_items": "Which items would you like to exchange? Please list all of them now: an order can be "
                     "exchanged only once.\n{choices}",
        "ask_changes": "What would you like instead? These options are available:\n{options}",
        "no_payment_method": "Here is the change:\n{change_list}\n{difference}, but none of your payment methods "
                             "can pay it (a gift card must cover the whole difference{gift_balances}), so I can't "
                             "make this change.",
        "ask_payment": "Here is the change:\n{change_list}\n{difference}. Which payment method should I use "
                       "{pay_for}?\n{choices}",
        "confirm": "To confirm the exchange for order {order_id}:\n{change_list}\n{difference}, with {method}. "
                   "An order can be exchanged only once, so no other item of it can be exchanged later. Shall I "
                   "go ahead with exactly these items (yes/no)?",
        "done": "Done: the exchange for order {order_id} is requested. You'll get an email explaining how to send "
                "the items back; no new order is needed.",
        "kept": "Okay, I haven't changed anything.",
        "rule": "I couldn't request the exchange: {error}.",
    },
)


def order_state(state: ConversationState) -> Literal["ask_items", "pending_instead", "not_delivered"]:
    status = orders.the_order(frame_of(state)).status
    return {"delivered": "ask_items", "pending": "pending_instead"}.get(status, "not_delivered")


def graph(services: Services) -> RetailProcess:
    return (
        RetailProcess(SPEC, services)
        .choose_order(then=order_state)
        .not_eligible("not_delivered", "not_delivered")
        .say("pending_instead", "pending_instead", then="hand_over")
        .node("hand_over", item_change.hand_over_to("change_order_items", "changing the items of your order"))
        .collect("ask_items", "items", then="load_products")
        .call_many("load_products", item_change.product_calls, then="ask_changes")
        .collect("ask_changes", "changes", then="load_profile")
        .call("load_profile", "get_user_details", lambda f, s: {"user_id": s["customer"].user_id}, then="ask_payment")
        .collect("ask_payment", "payment_method", then="confirm")
        .confirm_and_write("exchange", "exchange_delivered_order_items", item_change.write_args)
    )
