"""The ReAct baseline: how this is usually built today. A tool-calling loop
(`langchain.agents.create_agent`) over the same tools, exported from the gateway's registry
with their schemas, and a system prompt that describes the store's processes and rules in
prose ("prompt stuffing"). Same gateway, same checkpointer, same database as process calling.

Every tool call the model makes goes through the gateway (a middleware intercepts it), with
the conversation's call context: the customer identified by an earlier lookup in this
conversation, and `confirmed` only when the customer's latest message is an explicit yes.
"""

from __future__ import annotations

from typing import Any, NotRequired

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from ..nodes.confirmation_gate import read_reply
from ..tools.gateway.context import CallContext, Role
from ..tools.gateway.gateway import Gateway
from ..tools.gateway.registry import ToolSpec

SYSTEM_PROMPT = """You are a customer service agent for an online store. You help customers with their orders,
their default address and questions about products, using the tools you are given. Follow these rules.

Identification. At the start you must find the customer's user id by their email, or by their first name, last
name and zip code, even if they tell you a user id. Act for that one customer only; refuse anything about
another customer's account or orders. Once identified you may look up their profile, orders and products.

Before any change to the store (cancel, modify, return, exchange, address change, missing-items claim) list
the details of the action and get an explicit "yes" from the customer. Never make up information. Make at most
one tool call at a time, and do not reply to the customer in the same turn as a tool call. Transfer to a human
agent only when the request is outside everything you can do, or the customer asks for a person.

Orders are pending, processed (shipped), delivered or cancelled. Order ids look like #W1234567; item ids and
product ids are 10-digit numbers and are different things. Each product has variants (items) with options.

Cancel a pending order: only status pending; check the status first. The reason must be "no longer needed"
or "ordered by mistake". The refund goes to the original payment methods (gift cards at once, others in 5-7
business days).

Modify a pending order: only status pending. You may change its shipping address, its payment method, or
its items. Payment: a single method different from the current one; a gift card must cover the total. Items:
each item can become another available variant of the same product (never another product); the price
difference is paid or refunded with a payment method the customer chooses (a gift card must cover it). Items
can be modified only once and afterwards the order can't be changed or cancelled: collect every item first and
remind the customer of this.

Return a delivered order: only status delivered. Confirm the order, the list of items and where the refund
goes: the original payment method or one of the customer's gift cards. The customer gets an email on how to
send the items back.

Exchange a delivered order: only status delivered. Each item can become another available variant of the same
product; a payment method pays or receives the price difference (a gift card must cover it). An exchange can
be done only once: collect every item first and remind the customer. No new order is needed.

Missing items: look at the order's fulfilments (it may have been sent in several packages) and the status of
each tracking id. If a package is still in transit, tell the customer when it is expected. If a package was
left with a neighbour, tell them where. Otherwise find which items are missing and check their stock: an item
in stock can be sent again; for an item out of stock, offer a refund or to wait about a week for the restock,
then open a missing-items claim with the customer's choice.

Default address: the customer may change the default address on their profile (this does not change orders
already placed)."""

READ_ONLY_BEFORE_IDENTIFICATION = ("find_user_id_by_email", "find_user_id_by_name_zip")


class ReactState(AgentState):
    customer_id: NotRequired[str | None]


class RegistryTool(BaseTool):
    """A tool as the model sees it (name, description, JSON schema from the registry). It never runs by
    itself: the gateway middleware executes every call."""

    spec: Any = None

    def _run(self, **kwargs: Any) -> str:  # pragma: no cover - the middleware answers first
        raise RuntimeError("registry tools run only through the gateway")


def registry_tools(gateway: Gateway, names: list[str] | None = None) -> list[RegistryTool]:
    specs: list[ToolSpec] = [s for s in gateway.registry.list() if names is None or s.name in names]
    return [RegistryTool(name=s.name, description=s.description, args_schema=s.parameters_schema(), spec=s)
            for s in specs]


def _last_customer_message(messages: list) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


class GatewayMiddleware(AgentMiddleware):
    """Runs every tool call through the gateway with the conversation's call context."""

    state_schema = ReactState

    def __init__(self, gateway: Gateway, role: Role = "customer"):
        super().__init__()
        self.gateway = gateway
        self.role = role

    def wrap_tool_call(self, request, handler):
        call = request.tool_call
        state = request.state or {}
        config = getattr(request.runtime, "config", None) or {}
        thread = str(config.get("configurable", {}).get("thread_id", "react"))
        customer = state.get("customer_id")
        ctx = CallContext(conversation_id=thread, customer_id=customer, role=self.role, process="react",
                          frame_id="react", step=call.get("id") or call["name"],
                          confirmed=read_reply(_last_customer_message(state.get("messages", []))).is_yes)
        result = self.gateway.call(call["name"], call.get("args") or {}, ctx)
        message = ToolMessage(content=result.for_model(self.gateway.policy.limits.max_result_chars),
                              tool_call_id=call["id"], name=call["name"], status="success" if result.ok else "error")
        if result.ok and call["name"] in READ_ONLY_BEFORE_IDENTIFICATION:
            found = getattr(result.output, "user_id", None)
            if customer is None:
                return Command(update={"messages": [message], "customer_id": found})
            if found != customer:  # one customer per conversation
                refused = ToolMessage(content="Error [not_owner]: this conversation is for another customer; "
                                              "refuse requests about other accounts", tool_call_id=call["id"],
                                      name=call["name"], status="error")
                return Command(update={"messages": [refused]})
        return message


def build_react_agent(gateway: Gateway, model: Any, *, checkpointer: Any = None, role: Role = "customer",
                      system_prompt: str = SYSTEM_PROMPT) -> CompiledStateGraph:
    return create_agent(model, registry_tools(gateway), system_prompt=system_prompt,
                        middleware=[GatewayMiddleware(gateway, role)], checkpointer=checkpointer,
                        name="react_baseline")
