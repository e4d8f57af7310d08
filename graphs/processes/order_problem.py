"""'My order's all wrong': a vague complaint becomes a concrete process.

The assistant asks what went wrong, offering the processes that fix it (missing items, a wrong
or damaged item to return or exchange, a late delivery, a cancellation); the customer's answer
starts the chosen one.
"""

from __future__ import annotations

from ...nodes.services import Services
from ..process import ProcessGraph
from ..process_choice import choice_graph, choice_spec

# An item that is not as described could go either way: the words pick both, and the customer is
# asked which of the two they want (understanding turns an ambiguous pick into a clarification).
NOT_AS_DESCRIBED = ("wrong", "not what i expected", "isn't what i expected", "not as described",
                    "doesn't look like", "does not look like", "looks nothing like", "pictures", "photos")

SPEC = choice_spec(
    name="order_problem",
    description="A vague complaint about an order ('my order is all wrong'): find out what went wrong",
    summary="looking into your order",
    offer="sort out a problem with an order you received",
    question="I'm sorry to hear that. What went wrong?\n{choices}",
    options=(
        ("missing_items", "something is missing, or the package hasn't arrived",
         ("missing", "never arrived", "didn't get", "not arrived", "didn't arrive", "didn't come")),
        ("return_items", "an item is wrong or damaged and I want to return it for a refund",
         ("return", "refund", "damaged", "broken", "money back", "send it back", *NOT_AS_DESCRIBED)),
        ("exchange_items", "an item is wrong or damaged and I want to exchange it",
         ("exchange", "swap", "replace", *NOT_AS_DESCRIBED)),
        ("order_status", "it's late: where is my order?", ("where", "late", "status", "track")),
        ("cancel_order", "I want to cancel it", ("cancel",)),
    ),
    examples=(
        "my order's all wrong", "there's a problem with my order", "something is wrong with my order",
        "I'm not happy with my order", "my order is a mess", "I have an issue with my purchase",
        "this order is a disaster", "I have a complaint about my order", "my order isn't right",
        "the order I got is not what I expected", "everything about my order is wrong", "my order is messed up",
        "problem with my order", "there's an issue with my order", "my order is not right",
        "i'm unhappy with my order", "my purchase was a disaster", "the order is wrong",
        "something went wrong with my order", "i have a problem with what i received",
    ),
)


def graph(services: Services) -> ProcessGraph:
    return choice_graph(SPEC, services)
