"""Conversation-level bot messages (not owned by any one process): greeting, small talk,
repairs. Templates, like every other bot message."""

from __future__ import annotations

TEMPLATES = {
    "greeting": "Hi! I'm the store's assistant. I can help with your orders (status, cancellations, returns, "
                "exchanges, changes, missing items), your address and our products. How can I help?",
    "anything_else": "Is there anything else I can help you with?",
    "not_understood": "Sorry, I didn't quite get that. I can help with order status, cancellations, returns, "
                      "exchanges, changes to an order or your address, missing items and product questions.",
    "not_understood_in_process": "Sorry, I didn't quite get that.",
    "how_can_i_help": "What can I help you with today?",
    "chitchat": "Happy to help! What can I do for you?",
    "take_your_time": "Sure, take your time.",
    "out_of_scope": "I'm sorry, that's not something I can do here: I can help with orders, returns, "
                    "exchanges, your address and our products.",
    "other_customer": "I'm sorry, I can only help with the account of the customer I'm speaking with, so I "
                      "can't look at or change anyone else's account or orders.",
    "cancelled": "Okay, I've stopped {what}; nothing was changed.",
    "nothing_to_cancel": "Okay, no problem.",
    "goodbye": "Thank you for contacting us. Have a great day!",
    "handed_off": "A human agent has your conversation and will continue from here.",
    "loop_guard": "Sorry, I got stuck on that. Could you tell me again what you'd like to do?",
    "too_long": "That message is very long, so I've read only its beginning.",
    # Told first after a restart, before the reply to a new message (procall/assistant.py).
    "cut_off": "We were cut off before I could answer your message \"{message}\". This is what happened:",
}
