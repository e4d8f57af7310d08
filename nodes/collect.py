"""The collect node kind: get one slot's value, asking the customer only if it must.

In order: a value the customer gave (resolved against the process's data; refused with the
reason if it does not fit), a value already held, a value the process can assume, and only
then a question. Three refused answers to the same question offer a person.

A slot whose choices or assumed value come from the backend names the step that loads
them (`needs`); the process runs that step first, only when it has to ask or assume.
"""

from __future__ import annotations

from ..state.conversation import ConversationState, TraceEvent
from ..state.frames import Asking
from .failure import offer_person
from .matching import squash
from .process_spec import Ambiguous, ProcessSpec, Rejected, Resolved
from .step import COMMON_TEMPLATES, frame_of, say, update
from .templates import numbered

MAX_ATTEMPTS = 3


def collect(spec: ProcessSpec, slot_name: str, step: str, needs: str | None = None):
    slot = spec.slot(slot_name)

    def node(state: ConversationState) -> dict:
        frame = frame_of(state)
        lines, events = [], []
        mention = frame.mentions.get(slot_name)
        if mention is not None and slot_name in frame.held:
            mention = [*_as_list(frame.held[slot_name]), *_as_list(mention)]
        if mention is not None:
            asked = slot_name in frame.answered
            replaced = slot_name in frame.corrected and _replaces(mention, frame.slots.get(slot_name))
            resolution = slot.resolve(mention, frame, state)
            if not isinstance(resolution, Resolved) and needs is not None and needs not in frame.results:
                # Words like "the pending one" need the choices: load them, then read the words again.
                return update(state, frame, lines, events)
            frame = frame.with_(
                mentions={k: v for k, v in frame.mentions.items() if k != slot_name},
                answered=[s for s in frame.answered if s != slot_name],
                corrected=[s for s in frame.corrected if s != slot_name],
                held={k: v for k, v in frame.held.items() if k != slot_name},
            )
            if isinstance(resolution, Resolved):
                slots = {**frame.slots, slot_name: resolution.value}
                if slot_name in frame.slots and frame.slots[slot_name] != resolution.value:
                    events.append(TraceEvent(event="corrected", process=spec.name, slot=slot_name))
                    slots = _without_dependents(spec, slots, slot_name)
                    # An answer to a question about the old value ("just the t-shirt, the headphones are
                    # fine" asked for the new options) changed this one: it is read again, but saying
                    # nothing for the dependents is no failed answer to them.
                    kept = _without_dependents(spec, {s.name: None for s in spec.slots}, slot_name)
                    frame = frame.with_(answered=[s for s in frame.answered if s in kept])
                frame = frame.with_(slots=slots, attempts={k: v for k, v in frame.attempts.items() if k != slot_name})
                if f"assumed_{slot_name}" in spec.templates and _inferred(resolution.value, mention):
                    # Say which one we took; "your pending order is …" (assumed) only when it is also the one
                    # the process would assume (the only one that fits), else just which one it is (found).
                    found = f"found_{slot_name}"
                    only = slot.default is not None and slot.default(frame, state) == resolution.value
                    known = found in spec.templates or found in COMMON_TEMPLATES
                    lines.append(say(spec, frame, state, found if known and not only else f"assumed_{slot_name}"))
                return update(state, frame, lines, events)
            if isinstance(resolution, Rejected) and resolution.hold:
                frame = frame.with_(held={**frame.held, slot_name: mention})
            elif isinstance(resolution, Rejected) and replaced:
                # "Sorry, I meant #W…" naming one that can't be used: the old value is the one they just said
                # they didn't mean, so it is forgotten and the question asked, never kept in the new one's place.
                frame = frame.with_(slots=forget(spec, frame.slots, slot_name))
            # A value that does not fit is always refused; saying nothing usable counts only as an answer.
            if isinstance(resolution, Ambiguous):
                lines.append(say(spec, frame, state, "ambiguous", among=resolution.among))
            elif isinstance(resolution, Rejected) or asked:
                reason = resolution.reason if isinstance(resolution, Rejected) else None
                # An answer that got somewhere (options for some items; the rest still needed) is no failed attempt:
                # only failed ones lead to offering a person.
                progress = isinstance(resolution, Rejected) and not resolution.refusal and resolution.hold
                attempts = frame.attempts.get(slot_name, 0) + (0 if progress else 1)
                frame = frame.with_(attempts={**frame.attempts, slot_name: attempts})
                didnt = f"didnt_catch_{slot_name}" if f"didnt_catch_{slot_name}" in spec.templates else "didnt_catch"
                if reason and isinstance(resolution, Rejected) and not resolution.refusal:
                    lines.append(say(spec, frame, state, "still_needed", reason=reason[:1].upper() + reason[1:]))
                else:
                    lines.append(say(spec, frame, state, "refused", reason=reason) if reason
                                 else say(spec, frame, state, didnt))
                events.append(TraceEvent(event="refused", process=spec.name, slot=slot_name, detail=reason))
                if attempts >= MAX_ATTEMPTS and slot_name not in frame.slots:
                    lines.append(say(spec, frame, state, "too_many_attempts"))
                    return offer_person(state, frame.with_(step=step, attempts={}), lines, events)
        if slot_name in frame.slots:
            return update(state, frame, lines, events)
        if needs is not None and needs not in frame.results:
            return update(state, frame, lines, events)  # the route runs `needs` first, then comes back
        if slot.default is not None:
            assumed = slot.default(frame, state)
            if assumed is not None:
                frame = frame.with_(slots={**frame.slots, slot_name: assumed})
                if f"assumed_{slot_name}" in spec.templates:
                    lines.append(say(spec, frame, state, f"assumed_{slot_name}"))
                return update(state, frame, lines, events)
        choices = slot.choices(frame, state) if slot.choices else []
        if slot.choices and not choices:
            key = f"no_{slot_name}" if f"no_{slot_name}" in spec.templates else "nothing_to_offer"
            lines.append(say(spec, frame, state, key))
            return update(state, frame.with_(status="done"), lines,
                          [*events, TraceEvent(event="completed", process=spec.name, detail=f"no_{slot_name}")])
        lines.append(say(spec, frame, state, slot.ask, choices=numbered([c.label for c in choices])))
        asking = Asking(slot=slot_name, kind=slot.kind, prompt_key=f"{spec.name}.{slot.ask}", choices=choices,
                        multiple=slot.multiple)
        events.append(TraceEvent(event="asked", process=spec.name, slot=slot_name))
        return update(state, frame.with_(asking=asking, step=step), lines, events)

    node.__name__ = f"collect_{slot_name}"
    return node


def _inferred(value, mention) -> bool:
    """The value was worked out from a description ("the t-shirt order"), not named by the customer (an id
    counts as named however it was written: "W9962383" names "#W9962383")."""
    if not isinstance(value, str):
        return False
    squashed = squash(value)
    return bool(squashed) and squashed not in squash(str(mention))


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _replaces(mention, old) -> bool:
    """The mention is a new value instead of `old`, not one that adds to it ("also the lamp" carries the old)."""
    return old is not None and not any(value in _as_list(mention) for value in _as_list(old))


def forget(spec: ProcessSpec, slots: dict, name: str) -> dict:
    """The slots without `name` and the slots that depend on it."""
    return {k: v for k, v in _without_dependents(spec, slots, name).items() if k != name}


def _without_dependents(spec: ProcessSpec, slots: dict, changed: str) -> dict:
    """A new value voids the slots that depend on it (and theirs): a new order voids its items."""
    void = {changed}
    grew = True
    while grew:
        grew = False
        for other in spec.slots:
            if other.name not in void and void & set(other.depends_on):
                void.add(other.name)
                grew = True
    return {k: v for k, v in slots.items() if k == changed or k not in void}
