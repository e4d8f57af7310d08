"""The local understander: intent classification plus typed extraction, read in the context of
the active process's question. Deterministic: the same message in the same context always
gives the same commands.
"""

from __future__ import annotations

import re

from pydantic import JsonValue

from ....state.commands import (
    CancelProcess,
    ChitChat,
    Clarify,
    Command,
    Goodbye,
    HumanHandoff,
    OtherCustomer,
    OutOfScope,
    SetSlot,
    SlotValue,
    StartProcess,
    Understanding,
)
from ...catalogue import Catalogue
from ...process_spec import ProcessSpec
from ..base import ActiveQuestion, UnderstandingRequest
from . import extractors as x
from .classifier import classifier_for
from .intents import CANCEL, CHITCHAT, GOODBYE, INFORM, META_EXAMPLES, OTHER_CUSTOMER, OUT_OF_SCOPE

REQUEST_CONFIDENCE = 0.4      # a clause is a request for a process
DIGRESSION_CONFIDENCE = 0.6   # a request overrides an answer to the pending question
CLARIFY_MARGIN = 0.12         # two processes closer than this: ask which
TEXT_KINDS = {"items", "item_changes", "payment_method", "address", "product", "text", "choice", "reason"}
CORRECTION_CUES = re.compile(r"\b(instead|actually|i meant|i mean|sorry|rather|change|switch|not the|make it|"
                             r"wait|also|as well|too|add|plus|and the|another|oh and|one more)\b", re.I)
ADDITION_CUES = re.compile(r"\b(also|as well|too|add|plus|and the|another|one more|oh and)\b", re.I)
CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+(?:and also|also|and then|then|plus)\s+(?=[a-z])", re.I)
IDENTITY = ("email", "first_name", "last_name", "zip")


class LocalUnderstander:
    name = "local"

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.requests = {s.name: s for s in catalogue.requests}
        examples = {name: spec.examples for name, spec in self.requests.items() if spec.examples}
        self.classifier = classifier_for({**examples, **META_EXAMPLES})

    # -- the decision ------------------------------------------------------------------

    def understand(self, request: UnderstandingRequest) -> Understanding:
        text = request.text.strip()
        ranking = self.classifier.rank(text)
        best, confidence = ranking[0]
        question = request.question
        active = request.active_process

        if question is not None and question.kind == "process":
            return self._pick_process(text, question, ranking)
        if best == CANCEL and confidence >= 0.5 and active:
            return Understanding(commands=[CancelProcess()], confidence=confidence)
        if best == "human_handoff" and confidence >= 0.45:
            return Understanding(commands=[HumanHandoff()], confidence=confidence)
        if best == OTHER_CUSTOMER and confidence >= 0.5:
            return Understanding(commands=[OtherCustomer()], confidence=confidence)

        # Something other than an answer, said clearly: a new request, small talk, out of scope, goodbye.
        requests = self._requests(text, active)
        elsewhere = best not in (INFORM, active) and confidence >= DIGRESSION_CONFIDENCE
        answers = [] if question is None or (elsewhere and not self._typed_answer(question, text)) \
            else self._answer(question, text)
        identity = self._identity(text, request)
        commands: list[Command] = []
        for name, _, chunk in requests:
            commands.append(StartProcess(process=name, slots=self._slots(self.requests[name], chunk)))
        if requests:
            commands += identity
        else:
            commands += answers + self._volunteered(text, request, answers)
            if not answers and identity and not request.customer_identified and active is None:
                # "hi, it's jane@example.com": identification is a process of its own
                commands.append(StartProcess(process="identify_customer",
                                             slots=[SlotValue(name=s.slot, value=s.value) for s in identity]))
            elif active is None or not answers:
                commands += [c for c in identity if c not in commands]
        if not requests and not answers:
            meta = self._meta(best, confidence, text, question)
            if meta is not None:
                commands.append(meta)
            elif not commands and best == active and active in self.requests:
                commands += [SetSlot(slot=s.name, value=s.value) for s in self._slots(self.requests[active], text)]
            elif not commands:
                commands += self._weak_request(ranking, text)
        return Understanding(commands=commands, confidence=round(float(confidence), 3))

    def _meta(self, best: str, confidence: float, text: str, question: ActiveQuestion | None) -> Command | None:
        if best == GOODBYE and confidence >= 0.45 and (question is None or question.kind != "yes_no"):
            return Goodbye()
        if best == CHITCHAT and confidence >= 0.4:
            return ChitChat()
        if best == OUT_OF_SCOPE and confidence >= 0.4:
            return OutOfScope(request=text[:300])
        return None

    def _weak_request(self, ranking: list[tuple[str, float]], text: str) -> list[Command]:
        """No clear request: start the likely process, or ask which of two close ones is meant."""
        processes = [(n, p) for n, p in ranking if n in self.requests]
        if not processes or processes[0][1] < 0.3:
            return []
        (best, p), runner_up = processes[0], (processes[1] if len(processes) > 1 else ("", 0.0))
        if p - runner_up[1] < CLARIFY_MARGIN:
            return [Clarify(options=[best, runner_up[0]])]
        return [StartProcess(process=best, slots=self._slots(self.requests[best], text))]

    def _typed_answer(self, question: ActiveQuestion, text: str) -> bool:
        """Does the text hold a value of the asked kind (not just words that might be one)?"""
        if question.kind in ("yes_no", "email", "zip", "order_id", "identity", "person_name"):
            return bool(self._answer(question, text))
        return bool(x.choice(text, question.choices, question.multiple))

    # -- requests ------------------------------------------------------------------------

    def _requests(self, text: str, active: str | None) -> list[tuple[str, float, str]]:
        """(process, confidence, the part of the text about it), in the order the customer said them."""
        found: list[tuple[str, float, str]] = []
        for clause in [c for c in CLAUSE_SPLIT.split(text) if c and c.strip()]:
            name, confidence = self.classifier.rank(clause)[0]
            if name in self.requests and confidence >= REQUEST_CONFIDENCE:
                if found and found[-1][0] == name:
                    found[-1] = (name, max(confidence, found[-1][1]), f"{found[-1][2]} {clause}")
                else:
                    found.append((name, confidence, clause))
            elif found:  # details following a request belong to it ("... #W123. Ordered it by mistake.")
                found[-1] = (found[-1][0], found[-1][1], f"{found[-1][2]} {clause}")
        if not found:
            name, confidence = self.classifier.rank(text)[0]
            if name in self.requests and confidence >= REQUEST_CONFIDENCE:
                found.append((name, confidence, text))
        return [r for r in found if r[0] != active]

    def _pick_process(self, text: str, question: ActiveQuestion, ranking) -> Understanding:
        picked = x.choice(text, question.choices)
        if picked:
            name = str(picked[0].value)
        else:
            name = next((n for n, p in ranking if n in self.requests and p >= 0.3), "")
        if name in self.requests:
            return Understanding(commands=[StartProcess(process=name, slots=self._slots(self.requests[name], text))])
        best, confidence = ranking[0]
        if best == CANCEL:
            return Understanding(commands=[CancelProcess()])
        return Understanding(commands=[])

    # -- values --------------------------------------------------------------------------

    def _slots(self, spec: ProcessSpec, text: str) -> list[SlotValue]:
        values: list[SlotValue] = []
        for slot in spec.slots:
            value = self._typed(slot.kind, text)
            if value is None and slot.kind in TEXT_KINDS:
                value = text
            if value is not None:
                values.append(SlotValue(name=slot.name, value=value))
        return values

    @staticmethod
    def _typed(kind: str, text: str, expected: bool = False) -> JsonValue | None:
        if kind == "order_id":
            found = x.order_ids(text)
            return found[0] if found else None
        if kind == "email":
            found = x.emails(text)
            return found or None
        if kind == "zip":
            return x.zip_code(text, expected)
        if kind == "yes_no":
            answer = x.yes_no(text)
            return None if answer is None else ("yes" if answer else "no")
        return None

    def _identity(self, text: str, request: UnderstandingRequest, expected: bool = False) -> list[SetSlot]:
        found: list[SetSlot] = []
        emails = x.emails(text)
        if emails:
            found.append(SetSlot(slot="email", value=emails))
        name = x.person_name(text, expected)
        if name:
            found += [SetSlot(slot="first_name", value=name[0]), SetSlot(slot="last_name", value=name[1])]
        zip_code = x.zip_code(text, expected)
        if zip_code:
            found.append(SetSlot(slot="zip", value=zip_code))
        return found

    def _answer(self, question: ActiveQuestion, text: str) -> list[SetSlot]:
        """What the text says in answer to the pending question."""
        kind, slot = question.kind, question.slot
        if kind == "identity":
            return self._identity(text, None, expected=True)
        if kind in ("email", "zip", "yes_no"):
            value = self._typed(kind, text, expected=True)
            return [SetSlot(slot=slot, value=value)] if value is not None else []
        if kind == "person_name":
            name = x.person_name(text, expected=True)
            return [SetSlot(slot="first_name", value=name[0]), SetSlot(slot="last_name", value=name[1])] if name else []
        picked = x.choice(text, question.choices, question.multiple)
        if picked:
            value = [c.value for c in picked] if question.multiple else picked[0].value
            return [SetSlot(slot=slot, value=value)]
        if kind == "order_id":
            found = x.order_ids(text)
            return [SetSlot(slot=slot, value=found[0])] if found else []
        if kind in TEXT_KINDS:
            return [SetSlot(slot=slot, value=text)]
        return []

    def _volunteered(self, text: str, request: UnderstandingRequest, answers: list[SetSlot]) -> list[SetSlot]:
        """Facts the customer adds that were not asked for: identity, and new values for the active
        process's slots (corrections and additions, recognised from their cues)."""
        answered = {a.slot for a in answers}
        found: list[SetSlot] = []
        active = self.requests.get(request.active_process or "")
        if active is None:
            return found
        for slot in active.slots:
            if slot.name in answered or slot.name in IDENTITY:
                continue
            typed = self._typed(slot.kind, text)
            if typed is not None and slot.kind != "yes_no":
                if request.filled_slots.get(slot.name) != typed:
                    found.append(SetSlot(slot=slot.name, value=typed))
            elif slot.kind in TEXT_KINDS and slot.name in request.filled_slots and CORRECTION_CUES.search(text):
                extend = bool(slot.kind in ("items", "item_changes") and ADDITION_CUES.search(text))
                found.append(SetSlot(slot=slot.name, value=text, extend=extend))
        return found
