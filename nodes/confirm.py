"""The confirm node kind: list the details and get an explicit yes before a write.

The yes is bound to the exact details listed (a fingerprint of the rendered text): if the
customer changes anything afterwards, the details are listed again and a new yes is needed.
"""

from __future__ import annotations

import hashlib

from ..state.conversation import ConversationState, TraceEvent
from ..state.frames import Asking, StepResult
from .process_spec import ProcessSpec
from .step import frame_of, say, update


def confirm(spec: ProcessSpec, template: str, step: str):
    def node(state: ConversationState) -> dict:
        frame = frame_of(state)
        details = say(spec, frame, state, template)
        fingerprint = hashlib.sha256(details.text.encode()).hexdigest()[:16]
        answer = frame.confirmation.get(fingerprint)
        if isinstance(answer, bool):
            result = StepResult(tool="confirm", digest=fingerprint, ok=answer)
            return update(state, frame.with_(results={**frame.results, step: result}))
        results = {k: v for k, v in frame.results.items() if k != step}
        asking = Asking(slot="confirmed", kind="yes_no", prompt_key=details.key, fingerprint=fingerprint)
        return update(state, frame.with_(asking=asking, step=step, results=results), [details],
                      [TraceEvent(event="asked", process=spec.name, slot="confirmed")])

    node.__name__ = f"confirm_{step}"
    return node


def confirmed(state: ConversationState, step: str) -> bool:
    """Did the customer say yes to the details this confirm step listed?"""
    result = frame_of(state).results.get(step)
    return bool(result is not None and result.tool == "confirm" and result.ok)
