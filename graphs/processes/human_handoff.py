"""Transfer to a human agent (policy: only when the request cannot be handled within the
assistant's processes, or when the customer asks for a person).

The summary tells the agent who the customer is, what they asked and what was open.
"""

from __future__ import annotations

from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of, say, update
from ...state.conversation import ConversationState, TraceEvent
from ...tools.backend.contracts import HandoffResult
from ..process import ProcessGraph

SPEC = ProcessSpec(
    name="human_handoff",
    description="Transfer the customer to a human agent",
    summary="transferring you to a person",
    offer="transfer you to a human agent",
    requires_identity=False,
    examples=(
        "I want to talk to a human", "get me a real person", "can I speak to an agent",
        "transfer me to customer service", "I need a supervisor", "let me talk to someone",
        "human please", "connect me with a representative", "this bot is useless, give me a person",
        "I'd like to speak with your manager",
        'human',
        'agent',
        'representative',
        'let me speak to a human',
        'i want a real person',
        'transfer me',
        'can i talk to a supervisor',
        'connect me to an agent',
        "i'd like to speak with someone",
        'get me your manager',
        'operator',
        'talk to a person please',
    ),
    slots=(SlotSpec("request", "text", "what the customer wants a person for", ask="transferred"),),
    templates={
        "transferred": "I've passed your conversation to a human agent, who will continue from here. "
                       "Thank you for your patience.",
        "failed": "I'm sorry, I couldn't reach our support team just now. Please try again in a few minutes.",
    },
)


def summary(frame, state: ConversationState) -> str:
    customer = state.get("customer")
    who = (f"{customer.first_name} {customer.last_name} ({customer.user_id})" if customer
           else "a customer who is not identified yet")
    stack = state.get("stack") or []
    open_requests = [f.summary for f in stack[:-1] if f.status == "active" and f.summary]
    text = f"Customer: {who}. Asked: {frame.slots.get('request') or 'to speak with a person'}."
    if open_requests:
        text += f" Open: {'; '.join(open_requests)}."
    return text[:2000]


def handed_off(state: ConversationState) -> dict:
    frame = frame_of(state)
    result = output_of(frame, "transfer", HandoffResult)
    changes = update(state, frame.with_(status="done"), [say(SPEC, frame, state, "transferred")],
                     [TraceEvent(event="handed_off", process=SPEC.name,
                                 detail=str(result.handoff_id) if result else None)])
    # The rest of the stack is the person's now.
    changes["stack"] = [f.with_(status="cancelled") for f in changes["stack"]]
    return {**changes, "handed_off": True}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        # Asking for a person (or accepting the offer of one) is itself the explicit yes for this write.
        .call("transfer", "transfer_to_human_agents", lambda f, s: {"summary": summary(f, s)},
              then="handed_off", confirmed_by=lambda s: True)
        .node("handed_off", handed_off)
    )
