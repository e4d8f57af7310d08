"""The processes the assistant runs. A new process is one module here and a line in PROCESSES."""

from __future__ import annotations

from ..nodes.catalogue import Catalogue
from ..nodes.services import Services
from .patterns import clarify, continue_interrupted, offer_human
from .process import ProcessGraph
from .processes import (
    cancel_order,
    change_default_address,
    change_order,
    change_order_address,
    change_order_items,
    change_order_payment,
    exchange_items,
    human_handoff,
    identify_customer,
    missing_items,
    order_problem,
    order_status,
    product_info,
    return_items,
)
from .questions import ask_account, ask_amounts, ask_catalogue, ask_orders, ask_policy

PROCESSES = (
    identify_customer, order_status, cancel_order, missing_items, return_items, exchange_items,
    change_order_items, change_order_address, change_order_payment, change_default_address, product_info,
    order_problem, change_order, human_handoff,
    ask_orders, ask_account, ask_catalogue, ask_amounts, ask_policy,
)
PATTERNS = (continue_interrupted, offer_human)


def build_processes(services: Services) -> tuple[Catalogue, dict[str, ProcessGraph]]:
    """Every process and pattern as a (not yet compiled) graph, and the catalogue describing them."""
    builders = {m.SPEC.name: m.graph(services) for m in (*PROCESSES, *PATTERNS)}
    partial = Catalogue(tuple(b.entry() for b in builders.values()))
    builders["clarify"] = clarify.graph(services, partial)  # offers the processes above
    catalogue = Catalogue(tuple(b.entry() for b in builders.values()))
    return catalogue, builders
