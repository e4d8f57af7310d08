"""A retail process: the process builder with the steps the store's processes share."""

from __future__ import annotations

from ..process import ProcessGraph, Then
from . import orders


class RetailProcess(ProcessGraph):
    def choose_order(self, then: Then) -> RetailProcess:
        """Which order: taken from what the customer said, assumed when only one fits, otherwise asked
        (their orders are listed only then); then loaded, and `then` branches on it."""
        (self.collect("ask_order", "order_id", then="load_order", needs="list_orders")
         .call_many("list_orders", orders.list_calls, then="ask_order")
         .call("load_order", "get_order_details", lambda f, s: {"order_id": f.slots["order_id"]}, then=then))
        return self
