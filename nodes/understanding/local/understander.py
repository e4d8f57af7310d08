"""The local understander: intent classification plus typed extraction, read in the context of
the active process's question. Deterministic: the same message in the same context always
gives the same commands.

The decision, in order:
1. an answer to a question offering processes (clarify, "what went wrong?") picks one;
2. a clear cancel, request for a person, or request about another customer;
3. requests for processes, clause by clause ("cancel #W1 … also return the lamp");
4. otherwise an answer to the pending question, values volunteered for the active process
   (corrections and additions), identification, small talk, out of scope, goodbye;
5. otherwise a weak guess at a process, or a question which of two is meant.
"""

from __future__ import annotations

import re
from pathlib import Path

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
from ...confirmation_gate import read_reply
from ...matching import ANOTHER_ORDER, ANOTHER_ORDERS_ADDRESS, alias_in
from ...process_spec import ProcessSpec
from ..base import ActiveQuestion, UnderstandingRequest
from . import extractors as x
from .classifier import classifier_for, normalise
from .intents import CANCEL, CHITCHAT, GOODBYE, INFORM, META_EXAMPLES, OTHER_CUSTOMER, OUT_OF_SCOPE
from .negation import ACTIONS, CHANGE_VERBS, declined_actions, declines_whole, without_declined
from .question_ranker import QUESTION_CONFIDENCE, QuestionAwareRanker, Ranker, asks_for_figure

REQUEST_CONFIDENCE = 0.4      # a clause is a request for a process
GOODBYE_CLEAR = 0.75          # a goodbye said along with an answer to a yes/no question ("no thanks, bye")
QUESTION_REQUEST = 0.33       # … or, asked as a question, a request to know something
FIGURE_REQUEST = 0.2          # … or, asked for a figure ("how much …"), one of the question processes
DIGRESSION_CONFIDENCE = 0.6   # a request overrides an answer to the pending question
QUESTION_DIGRESSION = 0.45    # … more easily when it is itself a question ("do you have it in black?")
QUESTION = re.compile(r"\?\s*$"
                      r"|^\s*(?:wait,?\s*)?(?:do you|can you|is there|are there|what|which|how|where|when|does)\b",
                      re.I)
# A question process ("what's my balance?") interrupts a pending question only when the customer asks it as one.
# (a question may be followed by more: "did I pay for that order with the mastercard? I only have the one card")
ASKING = re.compile(rf"{QUESTION.pattern}|\?\s+\S|^\s*(?:please\s+)?(?:tell|show|list|give|remind)\s+me\b|"
                    r"\b(?:like|want|need) to know\b|\b(?:i'?m|i am|i was)\s+(?:just\s+|only\s+)?asking\b", re.I)
CLARIFY_MARGIN = 0.12         # two processes closer than this: ask which
MEANING_KINDS = {"order_id", "product"}  # choices that are things, picked by meaning too ("the coffee machine one")
TEXT_KINDS = {"items", "item_changes", "payment_method", "address", "product", "text", "choice", "reason"}
LIST_KINDS = {"items"}
CORRECTION_CUES = re.compile(r"\b(instead|actually|i meant|i mean|sorry|rather|change|switch|not the|make it|"
                             r"wait|also|as well|too|add|plus|and the|another|oh and|one more|other|different|"
                             r"just|only|except|without|remove|drop|should be|should have|wrong|incorrect)\b", re.I)
# Said with these, a new value for a list slot is read against the old one (added to, taken from, narrowed);
# a list of items is only ever changed with them ("make it the 5x one and the L jacket" changes options).
MERGE_CUES = re.compile(r"\b(also|as well|too|add|plus|another|oh and|one more|instead of|rather than|"
                        r"not the|except|without|remove|drop|just|only)\b", re.I)
# "Ok, back to the cancellation": the customer leaves a digression for a request it interrupted.
RESUME_CUES = re.compile(r"^\W*(?:(?:ok(?:ay)?|so|now|alright|right|anyway)\W+)*(?:let'?s\s+)?(?:(?:get|go|come)\s+)?"
                         r"back to\b|\b(?:(?:get|go|come) back to|continue with|carry on with|resume)\b", re.I)
CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+(?:and also|also|and then|then|plus)\s+(?=[a-z])|,\s+and\s+(?=[a-z])",
                          re.I)
_ID = r"(?:order\s*)?#?\s?W?\s?\d{7}"
ID_LIST = re.compile(rf"{_ID}(?:\s*(?:,|&|\band\b|\bor\b|,\s*and\b)\s*{_ID})+", re.I)
# "… and return …", "… and I'd like to exchange …": a second action joined by "and" (not "and get a refund",
# "and refund me": what the first action leads to)
SECOND_ACTION = re.compile(r"\s+and\s+(?=(?:(?:i\s+)?(?:also\s+)?(?:want|need|would\s+like|'d\s+like|wanna)\s+to\s+"
                           rf"|also\s+)?{CHANGE_VERBS}\b)", re.I)
FIRST_ACTION = re.compile(rf"\b{CHANGE_VERBS}\b", re.I)


def _two_actions(clause: str) -> list[str]:
    """A clause with an action on each side of "and" is two clauses; one action and a thing joined is one."""
    if not clause:
        return [clause]
    parts = SECOND_ACTION.split(clause, maxsplit=1)
    return parts if len(parts) == 2 and FIRST_ACTION.search(parts[0]) else [clause]


HYPOTHETICAL = re.compile(r"\s*(?:if|when|whether|suppose|say)\b", re.I)
BUT = re.compile(r",?\s+but\s+(?=[a-z])", re.I)  # "yes, but change the address first": an answer, then a request
IDENTITY = ("email", "first_name", "last_name", "zip")
# At a confirmation, "wrong order sorry, the one with the running shoes" names another order by description.
OTHER_ORDER = re.compile(r"\b(?:wrong|other|another|different|meant|not (?:that|this))\b", re.I)
ORDER_WORDS = re.compile(r"\b(?:order|the one with|the one (?:for|from))\b", re.I)
ITEM_CHANGES = {"exchange_items", "change_order_items"}  # one request, whatever the order's status
COMPLAINT = "order_problem"
# A thing wanted in another variant, said without a verb of changing: "a blue hose i want in green instead",
# "can I get the hose in green", "I'd like it with linear switches instead". The form says an item change is
# asked, whatever the words; the process then finds the item and the variant (or asks).
VARIANT_WISH = re.compile(
    r"\b(?:want|like|need|prefer|get|have)\b(?:\s+[\w'-]+){0,5}?\s+(?:in|with)\s+(?:an?\s+|the\s+)?[\w'-]+"
    r"(?:\s+[\w'-]+){0,6}?\s+instead\b"
    r"|\b(?:can|could|may)\s+i\s+(?:get|have)\s+(?:it|them|one|(?:the|my)\s+[\w-]+(?:\s+[\w-]+)?)\s+in\s+"
    r"(?!stock\b|time\b|store\b)(?:an?\s+)?[\w-]+", re.I)
HEAD_WORDS = 12
WISH_FRAME = re.compile(r"^\W*(?:(?:oh|um+|well|so|ok(?:ay)?|actually|no|thanks?|thank you)\W+)*"
                        r"(?:i'?d|i would|i'?ll|i will|i|we'?d|we)\s+(?:much\s+|really\s+)?"
                        r"(?:rather|prefer(?:\s+to)?|like to|want to|wanna|need to)\s+(?:just\s+)?", re.I)
MISSING = "missing_items"
# A farewell said last: the closed class of words that end a conversation
FAREWELL = re.compile(r"\b(?:bye(?:\s*bye)?|goodbye|good\s+bye|cya|see\s+ya|see\s+you|ciao|take\s+care)\W*$", re.I)
# "all three", "all of them", "everything" at a question offering processes
EVERY_CHOICE = re.compile(r"\b(?:all\s+(?:three|3|of\s+(?:them|those|these|it))|all\s+(?:of\s+)?the\s+above|"
                          r"everything|each\s+of\s+them)\b", re.I)
ACTION = re.compile(rf"\b{ACTIONS}", re.I)  # a verb (or its noun) naming what a process does: cancel, return, …
STATUS = "order_status"
# "I placed an order recently", "I made a purchase last week": the scene, before what is wanted of it
PLACED = re.compile(r"\b(?:i|we)\s+(?:recently\s+|just\s+)?(?:placed|made|put\s+in|have|had|got)\s+"
                    r"(?:an?|this|my|the|one)\s+(?:\w+\s+)?(?:order|purchase)\b", re.I)
# Words that ask how an order stands, said as a statement too ("I want to know the status of #W…", "check on W…")
STATUS_ASKED = re.compile(r"\b(?:status|where|track(?:ing)?|check|when|arriv\w*|eta|update|know|tell|see|look)\b",
                          re.I)
# Several things said to be done one after the other ("first the payment, then the items", "both", "two things")
SEQUENCE = re.compile(r"\b(?:first|then|after that|afterwards|next|also|as well|both|two things|and)\b", re.I)
# A wish said after what it is about ("so I've got an espresso machine I need to send back"): read from "I need to"
WISH_INSIDE = re.compile(r"\b(?:i'?d|i would|i|we'?d|we)\s+(?:really\s+|just\s+)?(?:need|want|have|got|gotta|"
                         r"wanna|like|would like)\s+(?:to\s+)?(?=\w)", re.I)
# What of a pending order can be changed, as the customer names it, and the process that changes it. Two of them
# joined ("the shipping address and some of the items") are two requests, in the order said.
FACET = r"(?:shipping\s+|delivery\s+)?address(?:es)?|items?(?:\s+options?)?|payments?(?:\s+methods?)?"
FACETS_JOINED = re.compile(rf"\b({FACET})\s*(?:,\s*(?:and\s+)?|and\s+|&\s*|as well as\s+)(?:also\s+)?"
                           rf"(?:the\s+|my\s+|some\s+(?:of\s+the\s+)?|a\s+(?:few|couple)\s+(?:of\s+)?(?:the\s+)?)?"
                           rf"({FACET})\b", re.I)
FACET_PROCESS = {"address": "change_order_address", "item": "change_order_items", "payment": "change_order_payment"}
CHANGES = frozenset({"change_order", *FACET_PROCESS.values()})
# "order W9962383 with the keyboard and tea kettle": items that describe the order, not a choice of them
ORDER_WITH = re.compile(r"\b(?:order|one)\b[^.;!?]{0,20}?\b(?:with|containing|that has|that had)\b", re.I)
MODIFIER = re.compile(r"\s*(?:with|without|in|for|of|at|on|from|and|or|plus)\b", re.I)
# an answer and something more: "It's #W1678523. I no longer need it.", "it's #W9218746 - both the vacuum and …"
SENTENCES = re.compile(r"[.,;!?]\s+|\s[-\u2013\u2014]\s")


def _introductions_folded(found: list[tuple[str, float, str]]) -> list[tuple[str, float, str]]:
    """"last one is order W9962383, it hasnt shipped yet. i want to change the keyboard": a statement about an order
    that asks nothing about it (no question, no word asking where it is or how it stands) introduces the order of
    the request after it; it is no status request of its own."""
    folded: list[tuple[str, float, str]] = []
    for name, confidence, chunk in found:
        if folded and name != folded[-1][0] and _introduces(folded[-1][0], folded[-1][2]):
            folded[-1] = (name, confidence, f"{folded[-1][2]} {chunk}")
        else:
            folded.append((name, confidence, chunk))
    return folded


def _introduces(name: str, chunk: str) -> bool:
    """Does the chunk only introduce an order: a status statement that asks nothing, or "I placed an order
    recently, #W…" with no action named?"""
    if QUESTION.search(chunk) or ACTION.search(chunk):
        return False
    return (name == STATUS and not STATUS_ASKED.search(chunk)) or bool(PLACED.search(chunk))



class LocalUnderstander:
    name = "local"

    def __init__(self, catalogue: Catalogue, cache_dir: Path | None = None):
        """`cache_dir`: where the trained classifier is kept between processes (None: trained per process)."""
        self.catalogue = catalogue
        self.requests = {s.name: s for s in catalogue.requests}
        examples = {name: spec.examples for name, spec in self.requests.items() if spec.examples}
        self.classifier = classifier_for({**examples, **META_EXAMPLES}, cache_dir)
        # Messages that ask no question process are read by a classifier that doesn't know them (question_ranker).
        plain = {n: e for n, e in examples.items() if not self.requests[n].question}
        self.questions = frozenset(n for n, spec in self.requests.items() if spec.question)
        self.answering = self.classifier if len(plain) == len(examples) else \
            classifier_for({**plain, **META_EXAMPLES}, cache_dir)

    # -- the decision ------------------------------------------------------------------

    def understand(self, request: UnderstandingRequest) -> Understanding:
        text = request.text.strip()
        question = request.question
        # An answer to the pending question ("a black backpack and a navy t-shirt") asks nothing back.
        ranker = QuestionAwareRanker(self.classifier, self.answering, self.questions,
                                     asking=question is None or bool(ASKING.search(text)))
        # A declined action ("please don't cancel anything") is read as what is left of the message.
        ranking = ranker.rank(without_declined(text) or text)
        best, confidence = ranking[0]
        active = request.active_process
        identity = self._identity(text)

        reply = read_reply(text)
        if question is None and active is None and reply.answer == "no" and reply.only_answer:
            return Understanding(commands=[Goodbye()], confidence=1.0)  # "no" to "anything else?": done
        if question is not None and question.kind == "process":
            return self._pick_process(text, question, ranking, identity)
        resumed = self._resumed(text, request, ranking)
        if resumed is not None:
            return Understanding(commands=[StartProcess(process=resumed)], confidence=confidence)
        stopped_then = self._stopped_then(request)
        if stopped_then is not None:
            return stopped_then
        # A yes or a no answers the question ("let's do it" is no request to stop)
        answers_yes_no = question is not None and question.kind == "yes_no" and x.yes_no(text) is not None
        if best == CANCEL and confidence >= 0.5 and active and not answers_yes_no:
            return Understanding(commands=[CancelProcess()], confidence=confidence)
        if best == "human_handoff" and confidence >= 0.45 and x.yes_no(text) is not False:
            return Understanding(commands=[*identity, HumanHandoff()], confidence=confidence)
        if best == OTHER_CUSTOMER and confidence >= 0.45:
            return Understanding(commands=[c for c in identity if c.slot == "email"] + [OtherCustomer()],
                                 confidence=confidence)

        requests = self._requests(text, active, bool(identity), ranker)
        paused_change = next((p for p in request.paused_processes if p in ITEM_CHANGES), None)
        if paused_change is not None:
            # The two item-change processes are one request: asking for one while the other is paused goes back
            # to it ("shall we get back to exchanging?" - "ok good. so all three: the jacket in M, ...")
            requests = [(paused_change if n in ITEM_CHANGES else n, c, chunk) for n, c, chunk in requests]
        if requests and max(r[1] for r in requests) < DIGRESSION_CONFIDENCE and self._ends_with_goodbye(text):
            # "12 available, ok. that's what i needed, bye": an echo of the answer, then goodbye; no new request
            requests = []
        typed = question is not None and self._typed_answer(question, text)
        threshold = QUESTION_DIGRESSION if QUESTION.search(text) else DIGRESSION_CONFIDENCE
        if QUESTION.search(text) and best in self.questions and not typed:
            # "is that my only credit card on file?" at a confirmation: a question the pending one can't take
            # as its answer asks what the question processes answer, as surely as any question is ranked.
            threshold = QUESTION_CONFIDENCE
        elsewhere = best not in (INFORM, active) and confidence >= threshold
        # "What's my gift card balance?" at the refund question asks something; it does not answer.
        asks = elsewhere and best in self.requests and self.requests[best].question and bool(QUESTION.search(text))
        # ... or one of its sentences asks it ("the credit card is fine. oh, and could you give me the tracking
        # number for my other order?"): the rest of the message may still answer the pending question
        asks = asks or (question is not None and any(self.requests[n].question and ASKING.search(chunk)
                                                     for n, _, chunk in requests))
        answers = []
        if question is not None and (typed or not elsewhere) and not asks:
            answers = self._answer(question, text, request)
        elif question is not None and asks:
            # "paypal is fine. how much would the refund be?": the answer in a sentence of its own is kept too
            told = next((c for c in CLAUSE_SPLIT.split(text) if c and not QUESTION.search(c)
                         and self._typed_answer(question, c)), None)
            answers = self._answer(question, told, request) if told else []
        if typed and not asks and len(requests) == 1 and requests[0][2] == text and not (
                question.kind == "yes_no" and x.bare_yes_no(text) is None) \
                and not self._asks_besides(question, text, requests[0][0]):
            # (going back to a paused request is one only when asked for: "back to my credit card please" at the
            # refund question answers it, it does not resume a payment change paused earlier)
            # "to my gift card" answers the refund question; it is not a payment change. But a yes or no
            # that says more ("no, I want to change the address instead") also asks for something.
            requests = []
        requests = [r for r in requests if (asks and self.requests[r[0]].question)
                    or not self._continues(active, r[0], r[2], question)]
        commands: list[Command] = []
        for name, _, chunk in requests:
            slots = self._slots(self.requests[name], chunk)
            # Only ids listed together ("W6236251 and W2618034"): an id in a later sentence may belong to another
            # request the customer makes of it ("… And on W3007862 I want the grill changed").
            listed = ID_LIST.search(ANOTHER_ORDERS_ADDRESS.sub(" ", chunk))
            orders = x.order_ids(listed.group()) if listed else []
            # (a question about several orders is one question: "what did W1 and W2 cost me combined?")
            if len(orders) > 1 and any(s.name == "order_id" for s in self.requests[name].slots) \
                    and not self.requests[name].question:
                # "cancel W6236251 and W2618034": the same request for each order, one after the other
                rest = [s for s in slots if s.name != "order_id"]
                commands += [StartProcess(process=name, slots=[SlotValue(name="order_id", value=o), *rest])
                             for o in orders]
            else:
                commands.append(StartProcess(process=name, slots=slots))
        guesses: list[SetSlot] = []
        if requests and self._declines(text, active):
            # "No, I don't want to change payment again. I want to modify the lamp": the declined request is
            # dropped, not paused and offered back after the new one.
            commands.insert(0, CancelProcess())
        declined = question is not None and question.kind == "yes_no" and any(a.value == "no" for a in answers)
        if requests:
            # "no thank you... I'd rather send it back and get a refund": the no answers, the rest asks anew
            commands += answers + identity if asks or declined else identity
        else:
            firm, guesses = self._volunteered(text, request, answers)
            if not typed and declines_whole(text) and self._declines(text, active):
                # "no thanks, I don't want to do the exchange, just wanted the price": the request is off
                return Understanding(commands=[CancelProcess()], confidence=round(float(confidence), 3))
            if answers and firm and not typed and question is not None and question.kind == "payment_method":
                answers = []  # "no, stainless steel, not glass" at the payment question corrects; it names no method
            others = self._same_for_others(question, text, active, answers, firm)
            commands += answers + firm + others
            if not answers and identity and not request.customer_identified and active is None:
                # "hi, it's jane@example.com": identification is a process of its own
                commands.append(StartProcess(process="identify_customer",
                                             slots=[SlotValue(name=s.slot, value=s.value) for s in identity]))
            elif active is None or not answers:
                commands += [c for c in identity if c not in commands]
        if not requests and not answers:
            meta = self._meta(text, question, ranker)
            # ("no, that's not it. the keyboard should be clicky" corrects: its "no, that's not it" is no goodbye)
            says_more = any(isinstance(c, SetSlot) for c in commands)
            if isinstance(meta, ChitChat) and not commands and self._carries_values(text):
                # "Great thanks! Next is order #W…. Same thing - please use the address from my order #W…": the
                # thanks is small talk, the rest a request made of values; the likely request is read from them
                weak = self._weak_request(ranking, text)
                meta = None if weak else meta
                commands += weak
            if isinstance(meta, OutOfScope) or (isinstance(meta, Goodbye) and not says_more) \
                    or (meta is not None and not commands):
                commands.append(meta)
            elif meta is None and guesses:
                commands += guesses
            elif not commands and best == active and active in self.requests:
                commands += [SetSlot(slot=s.name, value=s.value) for s in self._slots(self.requests[active], text)]
            elif not commands:
                commands += self._weak_request(ranking, text)
        if question is not None and question.kind == "yes_no" and question.slot != "confirmed" \
                and not any(isinstance(c, (Goodbye, StartProcess)) for c in commands) and self._says_goodbye(text):
            commands.append(Goodbye())  # "no thanks, bye" to "shall we get back to …?": the answer, and done
        return Understanding(commands=commands, confidence=round(float(confidence), 3))

    def _stopped_then(self, request: UnderstandingRequest) -> Understanding | None:
        """"ah ok, never mind then, leave it on paypal. last thing, can I change the backpack?": the first sentence
        stops the active request, the rest asks for another one. Read as the stop, then the rest as a message of
        its own with nothing active (so "leave it on paypal" answers no question of the stopped request). Only when
        the rest asks for something; a yes or no to a yes/no question is that answer (read as usual)."""
        if request.active_process is None or (request.question is not None and request.question.kind == "yes_no"):
            return None
        text = request.text.strip()
        clauses = [c for c in CLAUSE_SPLIT.split(text) if c and c.strip(" ,.!?;")]
        if len(clauses) < 2:
            return None
        name, confidence = self.classifier.rank(clauses[0])[0]
        if name != CANCEL or confidence < 0.5:
            return None
        rest = text[text.index(clauses[0]) + len(clauses[0]):].strip()
        after = self.understand(request.model_copy(update={"text": rest, "question": None, "active_process": None,
                                                           "filled_slots": {}}))
        if not any(isinstance(c, StartProcess) for c in after.commands):
            return None
        return Understanding(commands=[CancelProcess(), *after.commands], confidence=after.confidence)

    def _ends_with_goodbye(self, text: str) -> bool:
        last = [c for c in CLAUSE_SPLIT.split(text) if c and c.strip(" ,.!?;")][-1:]
        last = last and [p for p in re.split(r"[,;]", last[0]) if p.strip(" .!?")][-1:]
        if not last or QUESTION.search(last[0]):
            return False
        name, confidence = self.classifier.rank(last[0])[0]
        return name == GOODBYE and confidence >= GOODBYE_CLEAR

    def _declines(self, text: str, active: str | None) -> bool:
        """Does the text decline the active request itself?"""
        if active is None or active not in self.requests:
            return False
        for action in declined_actions(text):
            name, confidence = self.answering.rank(action)[0]
            if confidence >= REQUEST_CONFIDENCE and (name == active or {name, active} <= ITEM_CHANGES):
                return True
        return False

    def _says_goodbye(self, text: str) -> bool:
        if QUESTION.search(text) or read_reply(text).bare:  # "… isn't there anything you can do?" goes on;
            return False  # "no, that's okay" only answers the question
        parts = [p for p in [text, *CLAUSE_SPLIT.split(text)] if p and len(p.split()) > 1]
        return any(name == GOODBYE and confidence >= GOODBYE_CLEAR
                   for name, confidence in (self.classifier.rank(p)[0] for p in parts))

    def _resumed(self, text: str, request: UnderstandingRequest, ranking) -> str | None:
        """The interrupted request the customer goes back to: the one named, or the likeliest when
        none is clearly named; None when they name another request ("continue with a return")."""
        if not request.paused_processes or not RESUME_CUES.search(text):
            return None
        if request.question is not None and request.question.kind == "payment_method" \
                and self._typed_answer(request.question, text):
            return None  # "back to my credit card please" at the refund question says where the money goes
        named = [(n, p) for n, p in ranking if n in self.requests and not self.requests[n].question]
        if named and named[0][0] in request.paused_processes:
            return named[0][0]
        if named and named[0][1] >= REQUEST_CONFIDENCE:
            return None
        return next((n for n, _ in ranking if n in request.paused_processes), request.paused_processes[0])

    def _meta(self, text: str, question: ActiveQuestion | None,
              ranker: Ranker | None = None) -> Command | None:
        """Small talk, out of scope or goodbye, in the whole message or in one of its sentences."""
        found: list[tuple[str, float, str]] = []
        for part in [text, *[c for c in CLAUSE_SPLIT.split(text) if c and c.strip()]]:
            name, confidence = (ranker or self.classifier).rank(part)[0]
            found.append((name, confidence, part))
        for name, confidence, part in found:
            if name == OUT_OF_SCOPE and confidence >= 0.4:
                request = x.EMAIL.sub("", part).strip(" ,.") or part
                return OutOfScope(request=request[:300])
        if (question is None or question.kind != "yes_no") and \
                (any(n == GOODBYE and c >= 0.4 for n, c, _ in found) or FAREWELL.search(text)):
            return Goodbye()  # ("cool thx bye": a farewell word ends it, whatever the classifier made of the rest)
        if any(n == CHITCHAT and c >= 0.4 for n, c, _ in found):
            return ChitChat()
        return None

    @staticmethod
    def _carries_values(text: str) -> bool:
        """An order id or an address: what a request is made of, more than small talk ever is."""
        return bool(x.order_ids(text)) or bool(ANOTHER_ORDERS_ADDRESS.search(text)) or x.looks_like_address(text)

    def _weak_request(self, ranking: list[tuple[str, float]], text: str) -> list[Command]:
        """No clear request: start the likely process, or ask which of two close ones is meant."""
        processes = [(n, p) for n, p in ranking if n in self.requests]
        if not processes or processes[0][1] < 0.3:
            return []
        (best, p), runner_up = processes[0], (processes[1] if len(processes) > 1 else ("", 0.0))
        if p - runner_up[1] < CLARIFY_MARGIN:
            return [Clarify(options=[best, runner_up[0]])]
        return [StartProcess(process=best, slots=self._slots(self.requests[best], text))]

    def _continues(self, active: str | None, name: str, text: str, question: ActiveQuestion | None = None) -> bool:
        """Is what looks like a new request really more of the active one? "I'd like size S" while
        exchanging; "use my PayPal" or a new address for a process that has that slot; "no, the reason is wrong"
        at its confirmation (about what was proposed, not a problem with an order)."""
        spec = self.requests.get(active or "")
        if spec is None:
            return False
        if name in (COMPLAINT, MISSING) and question is not None and question.slot == "confirmed":
            return True  # ("no, the vacuum cleaner is missing" from the list to confirm: about the proposal)
        if {active, name} <= ITEM_CHANGES:
            return True
        if name == COMPLAINT and active in ITEM_CHANGES:
            return True  # "item 1 is wrong, the green speaker should be red": about the proposal, not the order
        return any(self._names_a_value(slot.kind, text) for slot in spec.slots
                   if slot.kind in ("payment_method", "address"))

    def _same_for_others(self, question: ActiveQuestion | None, text: str, active: str | None,
                         answers: list[SetSlot], firm: list[SetSlot]) -> list[Command]:
        """"W7866392 and W3313742" to "which order would you like to cancel?": the first answers, and the same
        request follows for each other order named (with what else the text says for it). Orders listed together
        share what follows the list; orders said each with its own words ("W3746173 - no longer needed. And
        W1416704, that one I ordered by mistake.") each get their own part of the text, the first one too (`firm`,
        the values volunteered with the answer, are narrowed to its part)."""
        if question is None or question.kind != "order_id" or question.multiple or active not in self.requests:
            return []
        plain = ANOTHER_ORDERS_ADDRESS.sub(" ", text)  # an order that only lends its address is not one of them
        offered = {str(c.value) for c in question.choices}
        at = sorted((m.start(), f"#W{next(g for g in m.groups() if g)}") for m in x.ORDER_ID.finditer(plain))
        orders = list(dict.fromkeys(o for _, o in at))
        answered = next((a.value for a in answers if a.slot == question.slot), None)
        if len(orders) < 2 or not set(orders) <= offered or answered not in orders:
            return []
        listed = ID_LIST.search(plain)
        if listed is not None and set(x.order_ids(listed.group())) == set(orders):
            parts = {o: text for o in orders}
        else:
            starts = {o: next(p for p, found in at if found == o) for o in orders}
            bounds = sorted(starts.values()) + [len(plain)]
            parts = {o: plain[(0 if starts[o] == bounds[0] else starts[o]):bounds[bounds.index(starts[o]) + 1]]
                     for o in orders}
            for k, value in enumerate(firm):
                if value.value == text:
                    firm[k] = value.model_copy(update={"value": parts[str(answered)]})
        return [StartProcess(process=active, slots=[SlotValue(name="order_id", value=o),
                                                    *[s for s in self._slots(self.requests[active], parts[o])
                                                      if s.name != "order_id"]])
                for o in orders if o != answered]

    def _asks_besides(self, question: ActiveQuestion, text: str, name: str) -> bool:
        """Does the text still ask for `name` once the values that answer the question are taken out? "to my gift
        card" at the refund question leaves "to my": an answer. "I'd like to cancel order W6975922, I don't need
        it anymore" at "which order would you like to see?" leaves a cancellation: a request that carries its
        order, not an answer to the question."""
        rest = x.ORDER_ID.sub(" ", x.EMAIL.sub(" ", text))
        if question.kind == "payment_method":
            rest = x.PAYMENT_WORDS.sub(" ", rest)
        lowered = rest.lower()
        for choice in question.choices:
            for value in sorted({str(choice.value), choice.label, *map(str, choice.aliases)}, key=len, reverse=True):
                if len(value) >= 2:
                    lowered = re.sub(rf"(?<!\w){re.escape(value.lower())}(?!\w)", " ", lowered)
        if len(lowered.split()) < 3:
            return False
        found, confidence = self._request_in(lowered, idle=False)
        return found == name and confidence >= REQUEST_CONFIDENCE

    def _typed_answer(self, question: ActiveQuestion, text: str) -> bool:
        """Does the text hold a value of the asked kind (not just words that might be one)?"""
        if question.kind == "order_id":
            return bool(x.order_ids(text)) or x.mentions_any(text, question.choices)
        if question.kind in ("yes_no", "email", "zip", "identity", "person_name"):
            return bool(self._answer(question, text, None))
        if question.kind == "address":
            return x.looks_like_address(text) or bool(ANOTHER_ORDERS_ADDRESS.search(text))
        if question.kind == "payment_method" and x.PAYMENT_WORDS.search(text):
            return True
        return x.mentions_any(text, question.choices)

    # -- requests ------------------------------------------------------------------------

    def _requests(self, text: str, active: str | None, identified_in_text: bool = False,
                  ranker: Ranker | None = None) -> list[tuple[str, float, str]]:
        """(process, confidence, the part of the text about it), in the order the customer said them.
        Identity facts in the text are identification, not a request to "log in"."""
        found: list[tuple[str, float, str]] = []
        before: list[str] = []
        text = without_declined(text)  # "please don't cancel anything" asks for no cancellation
        for clause in [c for c in self._clauses(text) if c and c.strip(" ,.!?;")]:
            name, confidence = self._request_in(clause, active is None, ranker)
            # ("the same address as my other order W…" lends that order's address; it asks nothing of that order)
            another = bool(ANOTHER_ORDER.search(ANOTHER_ORDERS_ADDRESS.sub(" ", clause)))
            if found and name in self.requests and self._detail_of(found[-1][0], name, clause) and not another \
                    and not (self.requests[name].question and QUESTION.search(clause)):
                # "… please use the credit card for any difference": a detail of it; but "how much is on the gift
                # card?" after "I wanted to pay with my gift card" asks its own question
                name = found[-1][0]
            # A question ("what's in my pending order again?") is a request more easily than a statement; but one
            # of a word or two ("um what?", "really?") says the customer is puzzled, it asks for nothing.
            if QUESTION.search(clause) and len(re.findall(r"\w+", clause)) < 3 and not x.order_ids(clause):
                name, confidence = "", 0.0
            # ... and "..., and swap the yoga mat on another" after a request says it is one more, for another order
            floor = QUESTION_REQUEST if QUESTION.search(clause) or (another and found) else REQUEST_CONFIDENCE
            if name in self.questions and asks_for_figure(clause):
                floor = FIGURE_REQUEST  # "how much is left on it now?": asked for a figure, only a question tells
            if name in self.requests and confidence >= floor:
                if found and found[-1][0] == name and not another:
                    found[-1] = (name, max(confidence, found[-1][1]), f"{found[-1][2]} {clause}")
                elif not found and before and not self.requests[name].question and another \
                        and self._same_kind(self._request_in(" ".join(before), active is None, ranker)[0], name):
                    # "I want to change the water bottle on one of my orders, and swap the yoga mat on another": what
                    # was said before is the same kind of request, for the first order
                    found += [(name, confidence, " ".join(before)), (name, confidence, clause)]
                elif not found and before and not self.requests[name].question:
                    # what was said before the first request is about it ("in order #W… there's a silver kettle.
                    # could I get it in black instead?")
                    found.append((name, confidence, " ".join([*before, clause])))
                else:
                    found.append((name, confidence, clause))
            elif found:  # details following a request belong to it ("... #W123. Ordered it by mistake.")
                found[-1] = (found[-1][0], found[-1][1], f"{found[-1][2]} {clause}")
            elif not self._identity(clause):
                before.append(clause)
        if not found and text.strip(" ,.!?;"):
            name, confidence = (ranker or self.classifier).rank(text)[0]
            if name in self.requests and confidence >= REQUEST_CONFIDENCE:
                found.append((name, confidence, text))
        found = _introductions_folded(found)
        found = [split for request in found for split in self._facets(request)]
        return [r for r in found if r[0] != active and not (identified_in_text and r[0] == "identify_customer")]

    @staticmethod
    def _same_kind(one: str, other: str) -> bool:
        return one == other or {one, other} <= ITEM_CHANGES

    def _facets(self, request: tuple[str, float, str]) -> list[tuple[str, float, str]]:
        """A change of an order that names two things to change ("the shipping address and some of the items") is
        a change of each, in the order said."""
        name, confidence, chunk = request
        joined = FACETS_JOINED.search(chunk) if name in CHANGES else None
        if joined is None:
            return [request]
        names = [FACET_PROCESS[next(k for k in FACET_PROCESS if k in g.lower())] for g in joined.groups()]
        names = [n for n in dict.fromkeys(names) if n in self.requests]
        return [(n, confidence, chunk) for n in names] if len(names) > 1 else [request]

    @staticmethod
    def _clauses(text: str) -> list[str]:
        """The text's clauses; "yes, but …" / "no, but …" are two (a bare answer, then what else is wanted), and so
        are two actions joined by "and" ("exchange a puzzle from #W1 and return a couple things from #W2")."""
        clauses: list[str] = []
        for clause in [c for part in CLAUSE_SPLIT.split(text) for c in _two_actions(part)]:
            parts = BUT.split(clause, maxsplit=1) if clause else [clause]
            clauses += parts if len(parts) == 2 and x.bare_yes_no(parts[0]) is not None else [clause]
        return clauses

    def _request_in(self, clause: str, idle: bool, ranker: Ranker | None = None) -> tuple[str, float]:
        """The request a clause makes, read from the whole clause and from its first words (a request is
        said up front; a long list of options after it only blurs it). The two item-change processes count
        as one request: the order's status decides which of them runs."""
        best = ("", 0.0)
        # ... and from its first phrase: "cancel order W9527030, no longer needed" asks first, then answers
        phrases = [re.split(r"\s+because\s+", p, maxsplit=1)[0] for p in re.split(r"[,:;]|\s[-–—]\s", clause)]
        # "Wrong order" alone is too little to be a request; "if I cancel my order, …" supposes one, asks none
        # ... and "with a timer", "in black" modify something said before: a phrase starting so asks nothing
        phrases = [p for p in phrases if (len(p.split()) >= 3 or x.order_ids(p)) and not HYPOTHETICAL.match(p)
                   and not MODIFIER.match(p)]
        # ... and from the action itself, the wish around it taken off ("I'd rather just send it back and get a
        # full refund": examples of answers start "I'd rather ..." too, and blur the request)
        actions = [WISH_FRAME.sub("", p) for p in phrases if WISH_FRAME.match(p)]
        actions = [a for a in actions if len(a.split()) >= 3]
        inner = [p[m.start():] for p in phrases for m in [WISH_INSIDE.search(p)] if m and m.start() > 0]
        parts = list(dict.fromkeys((clause, " ".join(clause.split()[:HEAD_WORDS]), *phrases, *actions, *inner)))
        # When some part names an action ("… and I'd like to change the charger"), a part naming none ("I placed an
        # order recently") only sets the scene: it is not read for a request of its own.
        if any(ACTION.search(p) for p in parts):
            parts = [p for p in parts if ACTION.search(p)]
        for part in parts:
            ranking = dict((ranker or self.classifier).rank(part))
            for name in ITEM_CHANGES:
                ranking[name] = sum(ranking.get(n, 0.0) for n in ITEM_CHANGES) if ranking.get(name) == max(
                    ranking.get(n, 0.0) for n in ITEM_CHANGES) else ranking.get(name, 0.0)
            top = max(ranking.items(), key=lambda kv: kv[1])
            if top[0] == INFORM and idle:
                # With nothing going on there is nothing to answer: a close request is meant.
                top = max(((n, p) for n, p in ranking.items() if n in self.requests), key=lambda kv: kv[1],
                          default=("", 0.0))
                top = top if top[1] >= 0.3 else ("", 0.0)
            if top[0] in self.requests and top[1] > best[1]:
                best = top
        # ... also over a question process: "can I get the hose in green" wants it, it doesn't ask the policy
        wish = VARIANT_WISH.search(clause)
        if (best[1] < REQUEST_CONFIDENCE or best[0] in self.questions) and wish \
                and not x.PAYMENT_WORDS.search(wish.group()):  # "… with my paypal instead" pays another way
            ranking = dict((ranker or self.classifier).rank(clause))
            best = (max(ITEM_CHANGES, key=lambda n: ranking.get(n, 0.0)), REQUEST_CONFIDENCE)
        return best

    def _detail_of(self, previous: str, name: str, clause: str) -> bool:
        spec = self.requests[previous]
        if {previous, name} <= ITEM_CHANGES:
            return True
        return any(self._names_a_value(slot.kind, clause) for slot in spec.slots
                   if slot.kind in ("payment_method", "address"))

    def _pick_process(self, text: str, question: ActiveQuestion, ranking, identity: list[SetSlot]) -> Understanding:
        lowered = text.lower()
        found = sorted(((at, c) for c in question.choices
                        for at in [min((lowered.find(str(a).lower()) for a in c.aliases
                                        if alias_in(str(a), lowered)), default=-1)] if at >= 0), key=lambda p: p[0])
        named = [c for _, c in found]
        # (two choices named by the same words, "not what I expected" for a return and an exchange, are one
        # ambiguous answer, not two things to do)
        apart = len({at for at, _ in found}) == len(found)
        if EVERY_CHOICE.search(text) or (len(named) > 1 and apart and SEQUENCE.search(text)):
            # "all three actually. first the address": each of them, those named in the order said, then the rest;
            # "First the payment method, … Then I want to change three items": those named, in that order
            ordered = named + ([c for c in question.choices if c not in named] if EVERY_CHOICE.search(text) else [])
            starts = [StartProcess(process=str(c.value), slots=self._slots(self.requests[str(c.value)], text))
                      for c in ordered if str(c.value) in self.requests]
            return Understanding(commands=[*starts, *identity])
        picked = x.choice(text, question.choices, multiple=True)
        if len(picked) > 1 and not x.choice(text, question.choices):
            # The words fit several ("it's not what I expected": return or exchange): ask which.
            return Understanding(commands=[Clarify(options=[str(c.value) for c in picked]), *identity])
        if picked:
            name = str(picked[0].value)
        else:
            name = next((n for n, p in ranking if n in self.requests and p >= 0.3), "")
        if name in self.requests:
            # "3" or "the exchange" only picks; a longer answer may also say what it is about
            slots = self._slots(self.requests[name], text) if len(text.split()) > 3 else []
            return Understanding(commands=[StartProcess(process=name, slots=slots), *identity])
        if ranking[0][0] == CANCEL:
            return Understanding(commands=[CancelProcess()])
        return Understanding(commands=list(identity))

    # -- values --------------------------------------------------------------------------

    def _slots(self, spec: ProcessSpec, text: str) -> list[SlotValue]:
        values: list[SlotValue] = []
        for slot in spec.slots:
            value = self._typed(slot.kind, text)
            if value is None and (slot.kind in TEXT_KINDS or slot.kind == "order_id"):
                value = text  # "the pending one", "the kettle order": the process matches it to an order
            if value is not None:
                values.append(SlotValue(name=slot.name, value=value))
        return values

    @staticmethod
    def _typed(kind: str, text: str, expected: bool = False) -> JsonValue | None:
        if kind == "order_id":
            found = x.order_ids(ANOTHER_ORDERS_ADDRESS.sub(" ", text))  # "the same address as #W…" names another order
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

    @staticmethod
    def _identity(text: str, expected_name: bool = False, expected_zip: bool = False) -> list[SetSlot]:
        found: list[SetSlot] = []
        emails = x.emails(text)
        if emails:
            found.append(SetSlot(slot="email", value=emails))
        name = x.person_name(text, expected_name)
        if name:
            found += [SetSlot(slot="first_name", value=name[0]), SetSlot(slot="last_name", value=name[1])]
        zip_code = x.zip_code(text, expected_zip)
        if zip_code:
            found.append(SetSlot(slot="zip", value=zip_code))
        return found

    def _answer(self, question: ActiveQuestion, text: str, request: UnderstandingRequest | None) -> list[SetSlot]:
        """What the text says in answer to the pending question."""
        kind, slot = question.kind, question.slot
        if kind == "identity":  # a bare "liam carter" or "omar silva, 92107" is a name here, "oops typo, 60614" not
            return self._identity(text, expected_name=x.names_only_besides_zip(text), expected_zip=True)
        if kind == "person_name":
            return self._identity(text, expected_name=True)
        if kind in ("email", "zip", "yes_no"):
            value = self._typed(kind, text, expected=True)
            if kind == "zip" and value is None:
                return self._identity(text)
            return [SetSlot(slot=slot, value=value)] if value is not None else []
        if len(question.choices) == 1 and kind == "payment_method" and x.bare_yes_no(text) is True:
            # "ok sure" when the policy leaves one method ("It can only go back to the original payment method:
            # 1. PayPal") takes it: the choice, not a confirmation, which is still asked before anything changes.
            # (Never an order: a "yes" after "I can't find order #W…; which order? 1. #W…" chooses nothing.)
            value = question.choices[0].value
            return [SetSlot(slot=slot, value=[value] if question.multiple else value)]
        if kind == "order_id":
            # "#W6832752. ship it to the same address as my order #W2166301": the other order only lends its address
            text = ANOTHER_ORDERS_ADDRESS.sub(" ", text)
        if kind not in ("items",):  # items are read by the process: it knows duplicates, "both", positions
            picked = x.choice(text, question.choices, question.multiple, by_meaning=kind in MEANING_KINDS)
            if picked:
                value = [c.value for c in picked] if question.multiple else picked[0].value
                return [SetSlot(slot=slot, value=value)]
        if kind == "order_id":  # descriptions ("the pending one", "the latest") were matched as choices above
            found = x.order_ids(text)
            return [SetSlot(slot=slot, value=found[0])] if found else []
        if kind in TEXT_KINDS:
            if request is not None and self._corrects_something_else(text, request):
                return []  # "sorry, it's #W1004003": a correction, not an answer to this question
            return [SetSlot(slot=slot, value=text)]
        return []

    @staticmethod
    def _names_a_value(kind: str, text: str) -> bool:
        """'ok, use paypal' at the confirmation names a payment method: a change, not just a yes."""
        if kind == "payment_method":
            return bool(x.PAYMENT_WORDS.search(text))
        if kind == "address":
            return x.looks_like_address(text) or bool(ANOTHER_ORDERS_ADDRESS.search(text))
        return False

    def _corrects_something_else(self, text: str, request: UnderstandingRequest) -> bool:
        active = self.requests.get(request.active_process or "")
        if active is None:
            return False
        rest = normalise(text)
        for slot in active.slots:
            typed = self._typed(slot.kind, text) if slot.kind not in ("yes_no",) else None
            if typed is not None and slot.name in request.filled_slots and typed != request.filled_slots[slot.name]:
                return len(rest.split()) <= 8  # a short message around the new value
        return False

    def _changes_options(self, text: str, asked: str | None) -> bool:
        """Are these words, said after the options were given, new options ("no wait, it should be stainless
        steel"), to be read with what was asked before?"""
        return bool(CORRECTION_CUES.search(text)) or self._names_a_value("item_changes", text) \
            or (asked == "confirmed" and len(text.split()) > 3 and not read_reply(text).is_yes)

    def _volunteered(self, text: str, request: UnderstandingRequest, answers: list[SetSlot]
                     ) -> tuple[list[SetSlot], list[SetSlot]]:
        """Facts the customer adds that were not asked for: new values for the active process's slots
        (corrections and additions, recognised from their cues), and, when they did not answer the
        question, what the text may say for the slots still empty (the process decides)."""
        answered = {a.slot for a in answers}
        found: list[SetSlot] = []
        guesses: list[SetSlot] = []
        active = self.requests.get(request.active_process or "")
        if active is None:
            return found, guesses
        asked = request.question.slot if request.question else None
        if asked == "confirmed" and read_reply(text).bare:
            return found, guesses  # "ok wait, no", "yes please": an answer and nothing else, so no correction
        # the number of the payment method just answered is not an order number ("… written down as 8041020")
        paying = request.question is not None and request.question.kind == "payment_method"
        answered_values = [str(a.value) for a in answers if paying and a.slot == asked]
        for slot in active.slots:
            if slot.name in answered or slot.name in IDENTITY or slot.name == asked:
                continue
            typed = self._typed(slot.kind, text)
            if slot.kind == "order_id" and typed and any(str(typed)[2:] in v for v in answered_values):
                typed = None
            if typed is not None and slot.kind != "yes_no":
                if request.filled_slots.get(slot.name) != typed:
                    found.append(SetSlot(slot=slot.name, value=typed))
            elif slot.kind == "order_id" and slot.name in request.filled_slots and asked == "confirmed" \
                    and OTHER_ORDER.search(text) and ORDER_WORDS.search(text):
                found.append(SetSlot(slot=slot.name, value=text))  # "wrong order, the one with the running shoes"
            elif slot.kind == "item_changes" and slot.name in request.filled_slots \
                    and self._changes_options(text, asked):
                # "no wait, it should be stainless steel": read with what was asked before, which it corrects
                found.append(SetSlot(slot=slot.name, value=text, extend=True))
            elif slot.kind in TEXT_KINDS and slot.name in request.filled_slots:
                # At the confirmation, a longer reply may carry a change, unless it is only a yes
                # ("yes that's everything, go ahead" changes nothing).
                at_confirmation = asked == "confirmed" and len(text.split()) > 3 and not read_reply(text).is_yes
                if slot.kind in LIST_KINDS:
                    # Items named while confirming or describing the changes, but not chosen, are added to them
                    # ("… and the shoes to a yellow one"); with cues, also taken out or narrowed.
                    # (and at the payment question, words read as new options may name one more item to change:
                    # "wait I said 4 items, I'm not done. the stainless steel 2 liter tea kettle -> glass"; the
                    # process adds the items of the order they name, if any)
                    if MERGE_CUES.search(text) or at_confirmation or asked == "changes" or (
                            paying and self._changes_options(text, asked)):
                        found.append(SetSlot(slot=slot.name, value=text, extend=True))
                elif at_confirmation or self._names_a_value(slot.kind, text) or CORRECTION_CUES.search(text):
                    found.append(SetSlot(slot=slot.name, value=text))
            elif slot.kind == "item_changes" and request.question is not None and request.question.kind in LIST_KINDS:
                found.append(SetSlot(slot=slot.name, value=text))  # "the mouse, to a wireless one": what they want too
            elif slot.kind in TEXT_KINDS and not answers and request.question is not None:
                guesses.append(SetSlot(slot=slot.name, value=text))
            elif answers and slot.name not in request.filled_slots and len(SENTENCES.split(text.strip())) > 1 and (
                    slot.kind == "reason"
                    or (slot.kind in ("payment_method", "address") and self._names_a_value(slot.kind, text))
                    or (asked == "order_id" and slot.kind in ("items", "item_changes")
                        and not ORDER_WITH.search(text))):
                # ("#W2421430. the fleece jacket, the yoga mat and the action camera": the items of that order)
                # Said along with the answer: "#W3529525. I no longer need it", "the bookshelf. refund to paypal",
                # "#W6832752. ship it to the same address as my order #W2166301"
                # (a reason or a method the process reads when it gets there; words it can't use are not asked)
                found.append(SetSlot(slot=slot.name, value=text))
        return found, guesses
