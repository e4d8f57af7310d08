"""'My order's all wrong': a vague complaint becomes a concrete process.

The assistant asks what went wrong, offering the processes that fix it; the customer's
answer starts the chosen one (which takes this frame's place).
"""

from __future__ import annotations

from ...nodes.process_spec import ProcessSpec, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...state.frames import Choice
from ..process import ProcessGraph

OPTIONS = (
    ("missing_items", "something is missing, or the package hasn't arrived", ("missing", "never arrived", "late",
                                                                                "didn't get", "not arrived")),
    ("return_items", "an item is wrong or damaged and I want to return it for a refund",
     ("return", "refund", "damaged", "broken", "money back")),
    ("exchange_items", "an item is wrong or damaged and I want to exchange it", ("exchange", "swap", "replace")),
    ("order_status", "it's late: where is my order?", ("where", "late", "status", "track")),
    ("cancel_order", "I want to cancel it", ("cancel",)),
)

SPEC = ProcessSpec(
    name="order_problem",
    description="A vague complaint about an order ('my order is all wrong'): find out what went wrong",
    summary="the problem with your order",
    requires_identity=False,
    examples=(
        "my order's all wrong", "there's a problem with my order", "something is wrong with my order",
        "I'm not happy with my order", "my order is a mess", "I have an issue with my purchase",
        "this order is a disaster", "I have a complaint about my order", "my order isn't right",
        "the order I got is not what I expected",
        "my order's all wrong",
        'everything about my order is wrong',
        'my order is messed up',
        'problem with my order',
        "there's an issue with my order",
        'my order is not right',
        "i'm unhappy with my order",
        'my purchase was a disaster',
        'the order is wrong',
        'something went wrong with my order',
        'i have a problem with what i received',
    ),
    slots=(SlotSpec("choice", "process", "what went wrong", ask="ask_problem",
                    choices=lambda f, s: [Choice(value=name, label=label, aliases=words)
                                          for name, label, words in OPTIONS],
                    resolve=lambda mention, frame, state: Unrecognised()),),
    templates={
        "ask_problem": "I'm sorry to hear that. What went wrong?\n{choices}",
        "unclear": "Sorry, I'm not sure what went wrong. Could you tell me a bit more?",
    },
)


def graph(services: Services) -> ProcessGraph:
    # The answer starts the chosen process, which takes this frame's place (nodes/apply.py).
    return ProcessGraph(SPEC, services).collect("ask_problem", "choice", then="unclear").say("unclear", "unclear")
