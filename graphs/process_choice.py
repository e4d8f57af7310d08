"""A process that only asks which of several processes the customer needs ("my order's all wrong",
"I want to change my order"). The answer starts the chosen process, which takes this frame's place
(`nodes/apply.py`)."""

from __future__ import annotations

from ..nodes.process_spec import ProcessSpec, SlotSpec, Unrecognised
from ..nodes.services import Services
from ..state.frames import Choice
from .process import ProcessGraph

Option = tuple[str, str, tuple[str, ...]]  # process, how it is offered, words that pick it


def choice_spec(name: str, description: str, examples: tuple[str, ...], question: str, options: tuple[Option, ...],
                summary: str, offer: str = "") -> ProcessSpec:
    return ProcessSpec(
        name=name, description=description, summary=summary, requires_identity=False, examples=examples,
        offer=offer,
        slots=(SlotSpec("choice", "process", "which process", ask="ask_choice",
                        choices=lambda f, s: [Choice(value=p, label=label, aliases=words)
                                              for p, label, words in options],
                        resolve=lambda mention, frame, state: Unrecognised()),),
        templates={"ask_choice": question,
                   "unclear": "Sorry, I'm not sure which you mean. Could you tell me a bit more?"},
    )


def choice_graph(spec: ProcessSpec, services: Services) -> ProcessGraph:
    return ProcessGraph(spec, services).collect("ask_choice", "choice", then="unclear").say("unclear", "unclear")
