"""The apply node: the command processor. Deterministic; no model, no backend.

It turns what understanding said into changes of the dialogue stack:
- a new request starts a process (on top of an active one: a digression; several in one
  message: the first now, the others queued), with identification pushed first when needed;
- values go to the frame that has that slot (a value for a filled slot is a correction: the
  process continues from the step that collected it, and memoised steps whose arguments did
  not change are not run again);
- yes/no at a confirmation is bound to the details that were listed;
- cancel, clarify, small talk, out-of-scope, other customers, a person, goodbye: the repair
  patterns, as templates or as pattern frames (`graphs/patterns`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from pydantic import JsonValue

from ..state.commands import (
    CancelProcess,
    ChitChat,
    Clarify,
    Goodbye,
    HumanHandoff,
    OtherCustomer,
    OutOfScope,
    SetSlot,
    StartProcess,
)
from ..state.conversation import ConversationState, TraceEvent, Utterance
from ..state.frames import Frame
from .catalogue import Catalogue
from .confirmation_gate import hesitates_only, read_reply, settled_answer
from .conversation_lines import TEMPLATES
from .understanding.local.extractors import mentions_any, order_ids
from .yes_no import as_bool

IDENTITY_SLOTS = ("email", "first_name", "last_name", "zip")


def _line(key: str, **values: Any) -> Utterance:
    return Utterance(key=f"conversation.{key}", text=TEMPLATES[key].format(**values))


class _Turn:
    """The stack and everything said while applying one message's commands."""

    def __init__(self, state: ConversationState, catalogue: Catalogue):
        self.state = state
        self.catalogue = catalogue
        self.stack: list[Frame] = list(state.get("stack") or [])
        self.counter = state.get("frames_started") or 0
        self.lines: list[Utterance] = list(state.get("outbox") or [])
        self.events: list[TraceEvent] = list(state.get("trace") or [])
        self.started: list[Frame] = []
        self.answers: dict[str, JsonValue] = {}  # the values this message gives, by slot (set by `apply`)
        messages = state.get("messages") or []
        # The customer's own words and what they answer: the confirmation gate reads these, not
        # what understanding made of them.
        self.text = str(messages[-1].content) if messages and isinstance(messages[-1], HumanMessage) else ""
        self.asked = next((str(m.content) for m in reversed(messages[:-1]) if isinstance(m, AIMessage)), "")

    # -- frames ------------------------------------------------------------------------

    def new(self, process: str, kind: str, **fields: Any) -> Frame:
        self.counter += 1
        spec = self.catalogue.spec(process)
        return Frame(frame_id=f"{self.counter}-{process}", process=process, kind=kind,
                     summary=fields.pop("summary", spec.summary or spec.description), **fields)

    def active_request(self) -> Frame | None:
        return next((f for f in reversed(self.stack) if f.status == "active" and not self._is_pattern(f)), None)

    def _is_pattern(self, frame: Frame) -> bool:
        entry = self.catalogue.get(frame.process)
        return bool(entry and entry.spec.pattern)

    def drop_patterns(self) -> None:
        while self.stack and self._is_pattern(self.stack[-1]):
            self.stack.pop()

    def start(self, command: StartProcess) -> None:
        entry = self.catalogue.get(command.process)
        if entry is None:
            return
        if command.process == "identify_customer" and self.state.get("customer") is None:
            self.identify(command)
            return
        top = self.stack[-1] if self.stack else None
        if top is not None and top.process == command.process and top.status == "active" and not self.started:
            if not self._for_another(top, command, self.answers.get("order_id")):
                for slot in command.slots:
                    self.set_slot(slot.name, slot.value)
                return
            # "W7866392 and W3313742" to "which order?": the same request for the other order, after this one
            frame = self.new(command.process, "queued")
            self.stack.insert(len(self.stack) - 1, frame)
            self.events.append(TraceEvent(event="started", process=command.process))
            for slot in command.slots:
                self.set_slot(slot.name, slot.value, prefer=frame.frame_id)
            return
        if self.resume_paused(command):
            return
        offered_by = None
        if top is not None and top.asking is not None and top.asking.kind == "process":
            offered_by = self.stack.pop()  # a question offering processes gives way to the one chosen
        if self.started and entry.spec.question and not any(self.catalogue.spec(f.process).question
                                                             for f in self.started):
            # A question asked along with a request ("I wanted to pay with my gift card. how much is on it?") is
            # answered first, in this turn; the request then asks what it needs.
            frame = self.new(command.process, "interrupting")
            self.stack.append(frame)
        elif self.started:  # a further request in the same message waits below the ones before it, in order
            frame = self.new(command.process, "queued")
            started = {f.frame_id for f in self.started}
            index = min(i for i, f in enumerate(self.stack) if f.frame_id in started)
            self.stack.insert(index, frame)
        else:
            self.drop_patterns()
            kind = "interrupting" if self.active_request() is not None else "regular"
            frame = self.new(command.process, kind)
            self.stack.append(frame)
        self.started.append(frame)
        self.events.append(TraceEvent(event="started", process=command.process))
        for slot in command.slots:
            self.set_slot(slot.name, slot.value, prefer=frame.frame_id)
        if entry.spec.slots and entry.spec.slots[0].kind == "process":
            # a question offering processes keeps the words that asked for it, for the process chosen
            self.replace(frame, self.frame(frame.frame_id).with_(slots={SAID: self.text}))
        elif offered_by is not None:
            self.carry_order(offered_by, command, frame.frame_id)

    def carry_order(self, offered_by: Frame, command: StartProcess, frame_id: str) -> None:
        """"I'd like to change an order I placed - it's #W8073920" … "the hiking boots": the order named with the
        first request is the chosen process's order, unless the answer names another."""
        said = str(offered_by.slots.get(SAID) or "")
        named = [s for s in command.slots if s.name == "order_id" and order_ids(str(s.value))]
        spec = self.catalogue.spec(command.process)
        if order_ids(said) and not named and any(s.name == "order_id" for s in spec.slots):
            self.set_slot("order_id", order_ids(said)[0], prefer=frame_id)

    def frame(self, frame_id: str) -> Frame:
        return next(f for f in self.stack if f.frame_id == frame_id)

    def item_change_last(self) -> None:
        """Changing a pending order's items is final (policy: the order can't be changed or cancelled afterwards),
        so asked along with other requests in one message ("all three: address, payment, items") it runs last."""
        if len(self.started) < 2:
            return
        ids = {f.frame_id for f in self.started}
        final = [f for f in self.stack if f.frame_id in ids and f.process == ITEM_CHANGE]
        if not final or final[0].frame_id == self.started[-1].frame_id:
            return
        lowest = min(i for i, f in enumerate(self.stack) if f.frame_id in ids)
        self.stack.remove(final[0])
        self.stack.insert(lowest, final[0].with_(kind="queued"))
        rest = [f for f in self.stack if f.frame_id in ids]
        top = rest[-1]  # the one that now runs first takes the kind the first one had
        self.stack[self.stack.index(top)] = top.with_(kind=final[0].kind)

    @staticmethod
    def _for_another(frame: Frame, command: StartProcess, answered: JsonValue) -> bool:
        """Is the request for another order than the one this frame has, or is told in this message?"""
        named = next((s.value for s in command.slots if s.name == "order_id"), None)
        held = answered if answered is not None else frame.mentions.get("order_id", frame.slots.get("order_id"))
        return isinstance(named, str) and isinstance(held, str) and held.startswith("#W") and named != held

    def resume_paused(self, command: StartProcess) -> bool:
        """'Ok, back to the cancellation': a request for a process that a digression interrupted is that
        process, resumed where it paused; the digressions on top of it are left. A request that names
        other values than the paused one holds is a new request."""
        if self.started:
            return False
        paused = next((f for f in reversed(self.stack[:-1]) if f.process == command.process
                       and f.status == "active" and not self._is_pattern(f)), None)
        if paused is None or any(s.name in paused.slots and paused.slots[s.name] != s.value for s in command.slots):
            return False
        index = self.stack.index(paused)
        for frame in self.stack[index + 1:]:
            if not self._is_pattern(frame):
                self.events.append(TraceEvent(event="cancelled", process=frame.process, detail="left for " +
                                              paused.process))
        del self.stack[index + 1:]
        self.stack[index] = paused.with_(asking=None)  # it asks again at the step where it paused
        self.events.append(TraceEvent(event="resumed", process=paused.process))
        for slot in command.slots:
            self.set_slot(slot.name, slot.value, prefer=paused.frame_id)
        return True

    def push_pattern(self, process: str, **fields: Any) -> None:
        self.drop_patterns()
        frame = self.new(process, "pattern", **fields)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.process == "identify_customer" and self.state.get("customer") is None:
            self.stack.insert(len(self.stack) - 1, frame)  # identification first, then the pattern
        else:
            self.stack.append(frame)
        self.events.append(TraceEvent(event="started", process=process))

    def identify(self, command: StartProcess) -> None:
        """Identification goes first, whatever else the message asked for."""
        frame = next((f for f in self.stack if f.process == "identify_customer"), None)
        if frame is None:
            frame = self.new("identify_customer", "prerequisite" if self.stack else "regular")
            self.stack.append(frame)
            self.events.append(TraceEvent(event="started", process="identify_customer"))
        for slot in command.slots:
            self.set_slot(slot.name, slot.value, prefer=frame.frame_id)

    def identify_first(self) -> None:
        if self.state.get("customer") is not None:
            return
        needs = [f for f in self.stack if f.status == "active" and self.catalogue.spec(f.process).requires_identity]
        if not needs:
            return
        present = next((f for f in self.stack if f.process == "identify_customer"), None)
        if present is not None:
            self.stack.remove(present)
        # Right above the last frame that needs the customer: nothing that needs them runs before it, and a
        # question that doesn't ("how many backpacks are in stock?") is answered first.
        index = max(i for i, f in enumerate(self.stack) if f in needs) + 1
        if present is not None:
            self.stack.insert(index, present.with_(kind="prerequisite"))
            return
        self.stack.insert(index, self.new("identify_customer", "prerequisite"))
        self.events.append(TraceEvent(event="started", process="identify_customer"))

    # -- slots -------------------------------------------------------------------------

    def target_for(self, slot: str, prefer: str | None = None) -> Frame | None:
        preferred = [f for f in self.stack if f.frame_id == prefer]
        candidates = preferred + list(reversed(self.stack))
        for frame in candidates:
            if frame.status == "active" and self.catalogue.spec(frame.process).has_slot(slot):
                return frame
        return None

    def set_slot(self, slot: str, value: JsonValue, extend: bool = False, prefer: str | None = None) -> None:
        top = self.stack[-1] if self.stack else None
        if top is not None and top.asking is not None and slot in ("confirmed", top.asking.slot) \
                and top.asking.fingerprint is not None:
            # The gate: a yes counts only if the customer's own words say yes to these details.
            answer = settled_answer(value, self.text, self.asked)
            if answer is not None:  # anything but a clear yes or no leaves the question open
                self.replace(top, top.with_(confirmation={**top.confirmation, top.asking.fingerprint: answer}))
            else:
                self.events.append(TraceEvent(event="refused", process=top.process, slot="confirmed",
                                              detail=f"not a clear yes: {read_reply(self.text, self.asked).reason}"))
            return
        if top is not None and top.asking is not None and top.asking.kind == "yes_no" and slot == top.asking.slot \
                and as_bool(value) is not None:
            # Any other yes/no question: the customer's words decide too, a little less strictly (a yes that
            # says more, "yes, and the lamp too", is still a yes to "shall we continue?").
            reading = read_reply(self.text, self.asked)
            if reading.answer == "no":
                value = "no"
            elif as_bool(value) is True and not (reading.is_yes or (reading.assent and reading.reason in (
                    "content", "exclusion"))):
                return  # a yes proposed for words that don't say yes ("how long does it take?") is no answer
        if slot in IDENTITY_SLOTS and self.target_for(slot) is None:
            if self.state.get("customer") is not None:
                # Only another email is another customer: words read as a name ("it's cancelled right") are
                # weak evidence, and refusing on them told customers their own order was someone else's.
                if slot == "email":
                    self.check_same_customer(slot, value)
                return
            # Identity given along with a request that doesn't need it yet: identify now anyway.
            self.stack.append(self.new("identify_customer", "prerequisite" if self.stack else "regular"))
            self.events.append(TraceEvent(event="started", process="identify_customer"))
        frame = self.target_for(slot, prefer)
        if frame is None:
            return
        if extend:
            held = frame.mentions.get(slot, frame.slots.get(slot))
            value = [*(held if isinstance(held, list) else [held] if held else []),
                     *(value if isinstance(value, list) else [value])]
        elif _volunteered_again(frame, slot, value):
            # Words for a slot not asked yet, said again along with another answer: what was said before is still
            # meant ("cancel it, I don't need it anymore" ... "yep that's it, #W9653558" keeps the reason), so the
            # process reads both, the newer first.
            value = f"{value} {frame.mentions[slot]}"
        changes: dict[str, Any] = {"mentions": {**frame.mentions, slot: value}}
        if frame.asking is not None and frame.asking.slot == slot:
            changes["answered"] = [*frame.answered, slot]
        if slot in frame.slots:
            changes["corrected"] = [*frame.corrected, slot]
            changes["step"] = self.catalogue.resume_step(frame.process, slot, frame.step)
        self.replace(frame, frame.with_(**changes))

    def check_same_customer(self, slot: str, value: JsonValue) -> None:
        customer = self.state["customer"]
        known = {"email": customer.email, "first_name": customer.first_name, "last_name": customer.last_name,
                 "zip": customer.zip}[slot]
        if str(value).strip().lower() != known.lower():
            self.refuse_other_customer()

    def refuse_other_customer(self) -> None:
        if not any(u.key == "conversation.other_customer" for u in self.lines):
            self.lines.append(_line("other_customer"))
            self.events.append(TraceEvent(event="refused", detail="other_customer"))

    def replace(self, old: Frame, new: Frame) -> None:
        index = next(i for i, f in enumerate(self.stack) if f.frame_id == old.frame_id)
        self.stack[index] = new
        self.started = [new if f.frame_id == old.frame_id else f for f in self.started]

    # -- repairs -----------------------------------------------------------------------

    def cancel(self) -> None:
        self.drop_patterns()
        frame = self.active_request()
        if frame is None:
            self.lines.append(_line("nothing_to_cancel"))
            return
        self.replace(frame, frame.with_(status="cancelled", asking=None))
        self.lines.append(_line("cancelled", what=frame.summary or frame.process.replace("_", " ")))
        self.events.append(TraceEvent(event="cancelled", process=frame.process))

    def goodbye(self) -> None:
        for frame in list(self.stack):
            self.events.append(TraceEvent(event="cancelled", process=frame.process, detail="goodbye"))
        self.stack = []
        self.lines.append(_line("goodbye"))


def make_apply(catalogue: Catalogue):
    def apply(state: ConversationState) -> dict:
        turn = _Turn(state, catalogue)
        if state.get("handed_off"):
            turn.lines.append(_line("handed_off"))
            return {"outbox": turn.lines}
        understanding = state.get("understanding")
        commands = list(understanding.commands) if understanding else []
        asking = turn.stack[-1].asking if turn.stack and turn.stack[-1].status == "active" else None
        if asking is not None and asking.kind != "yes_no" and hesitates_only(turn.text) \
                and not mentions_any(turn.text, asking.choices) \
                and not any(isinstance(c, (StartProcess, CancelProcess, HumanHandoff, Goodbye)) for c in commands):
            # "hmm, not sure yet... let me think": no answer, and no failed one either (it would count towards
            # offering a person); whatever was read into it is dropped, and the question waits.
            turn.lines.append(_line("take_your_time"))
            turn.stack[-1] = turn.stack[-1].with_(asking=None)
            return {"stack": turn.stack, "frames_started": turn.counter, "outbox": turn.lines, "trace": turn.events}
        turn.answers = {c.slot: c.value for c in commands if isinstance(c, SetSlot)}
        # The answer to the pending question goes to the frame that asked it, even when a question asked in the same
        # message is put on top ("W7866392. how does the refund work?": the order is the cancellation's, not the
        # refund question's)
        asked_by = turn.stack[-1] if turn.stack and turn.stack[-1].asking is not None else None
        for command in commands:
            if isinstance(command, CancelProcess):
                turn.cancel()
        for command in commands:
            if isinstance(command, StartProcess):
                turn.start(command)
        turn.item_change_last()
        turn.identify_first()
        slot_values = [c for c in commands if isinstance(c, SetSlot)]
        changes = [c for c in slot_values if c.slot != "confirmed"]
        for command in changes:
            answers = asked_by is not None and asked_by.asking is not None and command.slot == asked_by.asking.slot
            turn.set_slot(command.slot, command.value, extend=command.extend,
                          prefer=asked_by.frame_id if answers else None)
        for command in slot_values:
            # The yes or no is bound to the details listed: if a change in the same message ("no, just the
            # shoes") alters them, the process lists them again and asks anew.
            if command.slot == "confirmed":
                turn.set_slot(command.slot, command.value)
        for command in commands:
            if isinstance(command, SetSlot):
                continue
            elif isinstance(command, ChitChat):
                turn.lines.append(_line("chitchat"))
            elif isinstance(command, OtherCustomer):
                turn.refuse_other_customer()
            elif isinstance(command, OutOfScope):
                turn.lines.append(_line("out_of_scope"))
                turn.push_pattern("offer_human", slots={"request": command.request or _last_text(state)},
                                  summary="your request")
            elif isinstance(command, HumanHandoff):
                turn.drop_patterns()
                turn.stack.append(turn.new("human_handoff", "interrupting", slots={"request": _last_text(state)}))
                turn.events.append(TraceEvent(event="started", process="human_handoff"))
            elif isinstance(command, Clarify):
                turn.push_pattern("clarify", slots={"options": list(command.options)})
                turn.events.append(TraceEvent(event="clarified", detail=",".join(command.options)))
            elif isinstance(command, Goodbye):
                turn.goodbye()
        if not commands:
            in_process = turn.stack and turn.stack[-1].asking is not None
            turn.lines.append(_line("not_understood_in_process" if in_process else "not_understood"))
        if turn.stack and turn.stack[-1].status == "active":
            turn.stack[-1] = turn.stack[-1].with_(asking=None)  # it runs now and asks again if it must
        return {"stack": turn.stack, "frames_started": turn.counter, "outbox": turn.lines, "trace": turn.events}

    return apply


def _last_text(state: ConversationState) -> str:
    messages = state.get("messages") or []
    return str(messages[-1].content)[:500] if messages else ""


ITEM_CHANGE = "change_order_items"
SAID = "said"  # a process-choice frame's record of the words that asked for it


def _volunteered_again(frame: Frame, slot: str, value: JsonValue) -> bool:
    """Text for a slot that is neither asked nor resolved yet, while earlier text for it is still unread."""
    earlier = frame.mentions.get(slot)
    return (isinstance(value, str) and isinstance(earlier, str) and earlier != value and slot not in frame.slots
            and (frame.asking is None or frame.asking.slot != slot))
