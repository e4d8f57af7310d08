"""A retail process: the process builder with the steps the store's processes share."""

from __future__ import annotations

from ...nodes.collect import forget
from ...nodes.step import frame_of, say, update
from ...state.conversation import ConversationState, TraceEvent
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

    def not_eligible(self, step: str, template: str) -> RetailProcess:
        """The order the customer named has a status this process can't use: say so (`template`, e.g.
        "Order #W… is shipped, so it can't be cancelled"), forget it and ask which order they mean, offering
        the ones that qualify (or, if none does, say that and end: the slot's `no_order_id`). Another order is
        never taken in its place without the customer choosing it."""
        spec = self.spec

        def node(state: ConversationState) -> dict:
            frame = frame_of(state)
            line = say(spec, frame, state, template)  # said while the refused order is still loaded
            frame = frame.with_(slots=forget(spec, frame.slots, "order_id"), step="ask_order",
                                results={k: v for k, v in frame.results.items() if k != "load_order"},
                                attempts={**frame.attempts, "order_id": frame.attempts.get("order_id", 0) + 1})
            event = TraceEvent(event="refused", process=spec.name, slot="order_id", detail=template)
            return update(state, frame, [line], [event])

        node.__name__ = f"refuse_{template}"
        return self.node(step, node, then="ask_order")
