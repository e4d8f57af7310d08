"""Settling: after commands are applied or a process ran, tidy the stack and decide what runs next.
It ends the router's apply step and every process step (graphs/router.py), in the same LangGraph step.

Finished frames are released. A finished digression offers to continue the process it
interrupted (which resumes at its paused step); a finished prerequisite or queued request
lets the frame below continue at once. The router then runs the top frame if it has not
asked anything yet, or answers the customer.
"""

from __future__ import annotations

from ..state.commands import Goodbye
from ..state.conversation import ConversationState, TraceEvent, Utterance
from ..state.frames import Frame
from .catalogue import Catalogue
from .conversation_lines import TEMPLATES

MAX_HOPS = 12  # process runs per customer message; more means a loop


def _same_target(a: Frame, b: Frame) -> bool:
    """Do two frames of one process act on the same order (or is either still without one)?"""
    first = a.slots.get("order_id", a.mentions.get("order_id"))
    second = b.slots.get("order_id", b.mentions.get("order_id"))
    return first is None or second is None or first == second


def make_settle(catalogue: Catalogue):
    def is_pattern(frame: Frame) -> bool:
        entry = catalogue.get(frame.process)
        return bool(entry and entry.spec.pattern)

    def is_question(frame: Frame) -> bool:
        entry = catalogue.get(frame.process)
        return bool(entry and entry.spec.question)

    def settle(state: ConversationState) -> dict:
        stack = list(state.get("stack") or [])
        lines = list(state.get("outbox") or [])
        events = list(state.get("trace") or [])
        counter = state.get("frames_started") or 0
        released = False
        released_processes: set[str] = set()
        while stack and stack[-1].status != "active":
            finished = stack.pop()
            released = True
            released_processes.add(finished.process)
            if finished.status == "done":
                # The same request asked again ("I want to exchange item 1 only") started a second frame of the
                # process; once one of them is done, the other is that request, not something left to resume.
                superseded = [f for f in stack if f.process == finished.process and f.status == "active"
                              and f.kind != "queued" and _same_target(f, finished)]
                for frame in superseded:
                    events.append(TraceEvent(event="cancelled", process=frame.process, detail="superseded"))
                stack = [f for f in stack if f not in superseded]
            if not stack or stack[-1].status != "active":
                continue
            below = stack[-1]
            # A question asked mid-process was answered: the process just asks its question again, below.
            # (A request asked in the same message as the finished one, queued below it, just goes on.)
            if finished.kind == "interrupting" and below.kind != "queued" and not is_pattern(below) \
                    and not is_question(finished) and not state.get("handed_off"):
                counter += 1
                stack.append(Frame(frame_id=f"{counter}-continue_interrupted", process="continue_interrupted",
                                   kind="pattern", summary=below.summary,
                                   slots={"interrupted": below.frame_id}))
                events.append(TraceEvent(event="started", process="continue_interrupted"))
                break
            stack[-1] = below.with_(asking=None)  # continues now, at the step where it paused
            if below.step is not None:
                events.append(TraceEvent(event="resumed", process=below.process))
        top = stack[-1] if stack else None
        if top is not None and top.status == "active" and state.get("customer") is None \
                and catalogue.spec(top.process).requires_identity:
            # Never run a process that needs the customer before they are identified.
            counter += 1
            stack.append(Frame(frame_id=f"{counter}-identify_customer", process="identify_customer",
                               kind="prerequisite", summary=catalogue.spec("identify_customer").summary))
            events.append(TraceEvent(event="started", process="identify_customer"))
        hops = (state.get("hops") or 0) + 1
        if hops > MAX_HOPS:
            lines.append(Utterance(key="conversation.loop_guard", text=TEMPLATES["loop_guard"]))
            stack = []
        said_goodbye = any(isinstance(c, Goodbye) for c in (state.get("understanding") or _NoCommands).commands)
        if released and not stack and not state.get("handed_off") and not said_goodbye:
            # Only identified so far ("hi, it's jane@…, I have a few things"): nothing was done yet to ask
            # "anything else?" about.
            key = "how_can_i_help" if released_processes == {"identify_customer"} else "anything_else"
            lines.append(Utterance(key=f"conversation.{key}", text=TEMPLATES[key]))
        return {"stack": stack, "outbox": lines, "trace": events, "frames_started": counter, "hops": hops}

    return settle


def make_next_step(catalogue: Catalogue):
    names = set(catalogue.names)

    def next_step(state: ConversationState) -> str:
        stack = state.get("stack") or []
        if state.get("handed_off") or not stack or (state.get("hops") or 0) > MAX_HOPS:
            return "respond"
        frame = stack[-1]
        if frame.status == "active" and frame.asking is None and frame.process in names:
            return frame.process
        return "respond"

    return next_step


class _NoCommands:
    commands: list = []
