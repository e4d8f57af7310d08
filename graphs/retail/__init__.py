"""Retail building blocks the processes share: how orders, items, payment methods and
addresses are offered to the customer and how what they say is resolved to records."""
