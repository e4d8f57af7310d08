"""Ask which process the customer means when understanding is unsure between several.

The answer is understood as a request for the chosen process, which then replaces this
frame (`nodes/apply.py`); this pattern only asks.
"""

from __future__ import annotations

from ...nodes.catalogue import Catalogue
from ...nodes.process_spec import ProcessSpec, SlotSpec, Unrecognised
from ...nodes.services import Services
from ...state.conversation import ConversationState
from ...state.frames import Choice, Frame
from ..process import ProcessGraph


def spec(catalogue_descriptions: dict[str, str]) -> ProcessSpec:
    def offered(frame: Frame, state: ConversationState) -> list[Choice]:
        return [Choice(value=name, label=catalogue_descriptions.get(name, name))
                for name in frame.slots.get("options", []) if name in catalogue_descriptions]

    return ProcessSpec(
        name="clarify",
        description="Ask which of several requests the customer means",
        pattern=True,
        requires_identity=False,
        examples=(),
        slots=(SlotSpec("choice", "process", "which request", ask="ask_choice", choices=offered,
                        resolve=lambda mention, frame, state: Unrecognised()),),
        templates={"ask_choice": "Just to be sure I help with the right thing: should I\n{choices}",
                   "no_choice": "Sorry, I'm not sure what you'd like to do. Could you put it another way?"},
    )


def graph(services: Services, catalogue: Catalogue) -> ProcessGraph:
    descriptions = {s.name: (s.offer or s.description) for s in catalogue.requests}
    # The choice never resolves here: the customer's pick starts that process and this frame gives way.
    return (
        ProcessGraph(spec(descriptions), services)
        .collect("ask_choice", "choice", then="no_choice")
        .say("no_choice", "no_choice")
    )
