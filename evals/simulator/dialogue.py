"""The simulated customer: works through a parsed agenda in conversation with the assistant.

    customer = SimulatedCustomer(parsed, Customer.load(store, parsed.agenda.user_id), seed=0)
    utterance = customer.opening()
    while utterance is not None:
        reply = assistant.send(thread, utterance.text)
        utterance = customer.reply_to(reply.text)

Each `Utterance` carries the words (`text`) and what they mean as the assistant's understanding
commands (`commands`), which an eval's oracle mode feeds to a scripted model. The customer
reacts to the assistant's words only (`hearing.py`), like a person: it identifies itself when
asked, raises its requests one by one (sometimes with every detail at once, sometimes only the
gist), answers questions from its agenda in its own words (`wording.py`), checks the details
listed before a change and corrects what is wrong, and honours the agenda's behaviours (adding
items or changing its mind at the confirmation, switching from a first choice, asking for
something out of scope first). It gives up when the conversation is stuck.

Questions for a figure (a task's `outputs`) are asked and heard as `asking.py` describes.

Everything it says is chosen by `random.Random(seed + task number)`: the same seed gives the same
conversation, another seed other words.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from procall.state.commands import (
    CancelProcess,
    Clarify,
    Command,
    Goodbye,
    OutOfScope,
    SetSlot,
    SlotValue,
    StartProcess,
)
from procall.tools.backend.models import Order, PaymentMethod

from .agenda import (
    Cancel,
    ChangeDefaultAddress,
    ChangeOrderAddress,
    ChangeOrderPayment,
    Exchange,
    ItemChange,
    ModifyItems,
    NoChange,
    OrderHint,
    OutOfScopeAsk,
    Question,
    Return,
)
from .asking import MAX_ASKS, PROCESS_QUESTIONS, Asking
from .customer import Customer
from .hearing import ORDER_ID, Heard, hear
from .parse import ParsedTask
from .wording import (
    Voice,
    address_words,
    change_phrase,
    hint_answer,
    hint_words,
    item_phrases,
    join,
    order_words,
    payment_words,
    reason_words,
)

Ended = Literal["done", "stuck", "turn_limit"]

PROCESS = {"cancel": "cancel_order", "return": "return_items", "exchange": "exchange_items",
           "modify_items": "change_order_items", "change_order_address": "change_order_address",
           "change_order_payment": "change_order_payment", "change_default_address": "change_default_address",
           "no_change": "order_problem"}
PAYMENT_SLOT = {"return": "refund_method", "exchange": "payment_method", "modify_items": "payment_method",
                "change_order_payment": "payment_method"}
# The questions each kind of request can be asked; anything else means the assistant took a wrong turn.
QUESTIONS = {"cancel": {"order", "reason"}, "return": {"order", "items", "payment"},
             "exchange": {"order", "items", "changes", "payment"},
             "modify_items": {"order", "items", "changes", "payment"},
             "change_order_address": {"order", "address"}, "change_order_payment": {"order", "payment"},
             "change_default_address": {"address"}}
# Words of "which order ...?" questions and "shall we get back to ...?" summaries, per kind of request.
TOPIC_WORDS = {"cancel": r"cancel", "return": r"return", "exchange": r"exchang|items are from|chang\w* the items",
               "modify_items": r"chang\w* the items|would you like to change|exchang|items are from",
               "change_order_address": r"address", "change_order_payment": r"pa(?:y|id)",
               "change_default_address": r"default address", "no_change": r"problem|wrong"}
# How the details listed before a change start, per kind of request.
CONFIRM_WORDS = {"cancel": r"confirm: cancel order", "return": r"confirm: return ",
                 "exchange": r"the exchange for order",
                 "modify_items": r"the changes to order", "change_order_address": r"confirm: ship order",
                 "change_order_payment": r"confirm: pay order", "change_default_address": r"your default address from"}
# Words of the offered choices ('return items from a delivered order for a refund') per kind of request.
PICK_WORDS = {"cancel": r"\bcancel", "return": r"\breturn", "exchange": r"\bexchange",
              "modify_items": r"change (?:the )?items|change an item|modify",
              "change_order_address": r"shipping address",
              "change_order_payment": r"\bpaid\b|\bpay", "change_default_address": r"default address",
              "no_change": r"wrong|problem"}
MAX_REPEATS = 3
MAX_CORRECTIONS = 2


class Utterance(BaseModel):
    """What the customer says, and what it means as understanding commands."""

    model_config = ConfigDict(frozen=True)
    text: str
    commands: list[Command] = Field(default_factory=list)


@dataclass
class Progress:
    """How far one request of the agenda has come."""

    raised: bool = False
    finished: bool = False
    succeeded: bool = False
    confirms: int = 0
    corrections: int = 0
    raises: int = 0
    added: bool = False       # the items to add at the confirmation were added
    switched: bool = False    # switched from the first choice
    declined: bool = False    # said no at the confirmation on purpose
    abandoned: bool = False   # said no at the confirmation because the details stayed wrong
    precise: bool = False     # say it again with the order number and the exact verb
    order_corrected: bool = False  # pointed the assistant to the right order once
    hesitated: bool = False   # voiced the indecision (options, payment) once
    complained: int = 0       # no-change requests: turns spent on the complaint


@dataclass
class OutOfScopeState:
    ask: OutOfScopeAsk
    asked: bool = False
    pushed: bool = False
    dropped: bool = False


ASSUMED_ORDER = re.compile(r"(#W\d{7}), so I'm looking at that one|looking at your order (#W\d{7})", re.I)


# A refusal no other answer can get around (the customer's agenda names that very method).
RULE_REFUSAL = re.compile(r"enough balance|different method than the current", re.I)


def q_not_about_order(heard: Heard) -> bool:
    """Questions where an order mix-up can't be the matter (identity, yes/no to a person or resuming)."""
    return heard.question in ("identity", "zip", "name", "offer_human", "resume", "clarify")


def task_number(task_id: str) -> int:
    digits = re.findall(r"\d+", task_id)
    return int(digits[-1]) if digits else zlib.crc32(task_id.encode())


class SimulatedCustomer(Asking):
    def __init__(self, parsed: ParsedTask, customer_knowledge: Customer, seed: int, max_turns: int = 30):
        self.parsed = parsed
        self.agenda = parsed.agenda
        self.know = customer_knowledge
        self.rng = random.Random(seed + task_number(parsed.task_id))
        identity = self.agenda.identity
        self.voice = Voice(self.rng, keep=[identity.first_name, identity.last_name])
        self.max_turns = max_turns
        self.turns = 0
        self.ended: Ended | None = None
        self.requests = list(self.agenda.requests)
        self.progress = [Progress() for _ in self.requests]
        self.current = 0
        self.oos = [OutOfScopeState(a) for a in self.agenda.out_of_scope_first]
        self.identified = False
        self.emails_tried = 0
        self.name_zip_tried = False
        self.said_goodbye = False
        self.last_key: tuple | None = None
        self.repeats = 0
        self.texts = Counter()
        self.refusals = Counter()  # (request, question) -> answers refused
        self.last_said: Utterance | None = None
        self.just_answered = False  # the last reply answered a question asked on its own

    # -- the conversation ------------------------------------------------------------------

    def opening(self) -> Utterance:
        """The first message: an out-of-scope ask, or a greeting with who they are, or a request."""
        self.turns = 1
        style = self.voice.pick(("identity", "request", "request", "both"))
        hello = self.voice.pick(("Hi, ", "Hello, ", "Hi! ", "Hey, ", "", ""))
        if self.oos:
            return self._say(hello + self._out_of_scope_words(self.oos[0]), [self._oos_command(self.oos[0])],
                             mark_oos=True)
        if style == "identity":
            text, commands = self._identity_words(opening=True)
            return self._say(hello + text, [StartProcess(process="identify_customer",
                                                         slots=[SlotValue(name=c.slot, value=c.value)
                                                                for c in commands])])
        request_text, request_commands = self._raise(self.current, opening=True)
        if style == "both":
            text, commands = self._identity_words(opening=True)
            return self._say(f"{hello}{text} {request_text}", request_commands + commands)
        return self._say(hello + _capital(request_text), request_commands)

    def reply_to(self, assistant_text: str) -> Utterance | None:
        """The customer's answer to what the assistant said; None when they are done or give up."""
        if self.ended is not None:
            return None
        heard = hear(assistant_text)
        self._note(heard)
        if heard.goodbye or heard.handed_off or (self.said_goodbye and heard.question in ("none", "anything_else")):
            self.ended = "done" if self.all_finished() else "stuck"
            return None
        if self.turns >= self.max_turns:
            self.ended = "turn_limit"
            return None
        if self._refused_twice(heard):  # before "stuck": a person drops what keeps being refused
            self.turns += 1
            return self._give_up(heard)
        if self._stuck(heard):
            self.ended = "stuck"
            return None
        self.turns += 1
        return self._respond(heard)

    def all_finished(self) -> bool:
        return all(p.finished for p in self.progress)

    # -- bookkeeping -----------------------------------------------------------------------

    def _say(self, text: str, commands: list[Command], mark_oos: bool = False) -> Utterance:
        if mark_oos and self.oos:
            self.oos[0].asked = True
        # Addresses are typed with care (a slip there would be a different address).
        protect = [str(v) for c in commands for v in ([c.value] if isinstance(c, SetSlot) else
                                                        [s.value for s in getattr(c, "slots", [])])
                   if isinstance(v, str) and re.search(r"\d+ \w+", v)]
        utterance = Utterance(text=self.voice.finish(text.strip(), protect), commands=commands)
        self.last_said = utterance
        return utterance

    def _request(self):
        return self.requests[self.current] if self.current < len(self.requests) else None

    def _progress(self) -> Progress | None:
        return self.progress[self.current] if self.current < len(self.requests) else None

    def _finish(self, succeeded: bool, index: int | None = None) -> None:
        """Request `index` (default: the current one) is over; the current one becomes the next unfinished."""
        index = self.current if index is None else index
        if index >= len(self.requests):
            return
        p = self.progress[index]
        p.finished, p.succeeded = True, succeeded
        while self.current < len(self.requests) and self.progress[self.current].finished:
            self.current += 1

    def _note(self, heard: Heard) -> None:
        if heard.welcome:
            self.identified = True
        self.just_answered = False
        for index in self._open_questions():
            if heard.answers(self.requests[index].topic, self._about(self.requests[index])):
                self._finish(True, index)
                self.just_answered = not self.requests[index].before_confirming
        p = self._progress()
        if p is None or not p.raises:
            return
        request = self._request()
        if isinstance(request, Question):  # not answered: asked again, unless that was the last time
            if p.raises >= MAX_ASKS and heard.question in ("anything_else", "none", "greeting"):
                self._finish(False)
            return
        order_id = getattr(request, "order_id", None)
        done_here = heard.done and not (order_id and ORDER_ID.search(heard.done_line)
                                        and order_id not in heard.done_line)
        if done_here:
            self._finish(True)
        elif heard.kept:
            if p.declined:
                self._finish(True)
            elif p.raises >= 2:
                self._finish(False)
            else:
                p.raised = False  # the assistant dropped it, or the customer gave up on the details: again
                p.abandoned = False
        elif heard.cannot and heard.question in ("anything_else", "none", "greeting") and p.raised:
            if p.raises >= 2:
                self._finish(False)
            else:  # e.g. "only delivered orders can be exchanged": say it again, precisely
                p.raised, p.precise = False, True
        elif isinstance(request, NoChange) and p.complained >= 2 and heard.question in ("anything_else", "none"):
            self._finish(True)

    def _stuck(self, heard: Heard) -> bool:
        """The same reply three times while on one request, or the same question three times in a row."""
        self.texts[(self.current, heard.text)] += 1
        if self.texts[(self.current, heard.text)] >= MAX_REPEATS and not heard.done:
            return True
        if heard.question in ("anything_else", "greeting", "none"):
            self.last_key, self.repeats = None, 0
            return False
        key = (heard.question, heard.question_line, self.current)
        self.repeats = self.repeats + 1 if key == self.last_key else 1
        self.last_key = key
        return self.repeats >= MAX_REPEATS

    # -- answering -------------------------------------------------------------------------

    def _respond(self, heard: Heard) -> Utterance:
        q = heard.question
        request = self._request()
        wrong_order = self._wrong_order(heard, request)
        if wrong_order is not None:
            return wrong_order
        if q in ("identity", "zip", "name"):
            return self._identify(heard)
        if q == "offer_human":
            return self._decline_person(heard)
        if q == "resume":
            return self._resume(heard)
        if self.just_answered and q in PROCESS_QUESTIONS:
            return self._only_asking()
        if isinstance(request, Question):
            return self._question_turn(heard)
        if q == "confirm" and request is not None:
            index = self._question_at_confirmation()
            if index is not None:
                return self._ask(index, mid=True)
            return self._confirm(heard)
        if q in ("clarify", "problem") and request is not None:
            return self._pick_process(heard)
        if q in ("order", "reason", "items", "changes", "payment", "address") and request is not None:
            if isinstance(request, NoChange):
                return self._complain_more(heard)
            if q not in QUESTIONS[request.kind] or not self._on_topic(heard):
                return self._wrong_turn(heard)
            return getattr(self, f"_answer_{q}")(heard)
        return self._next(heard)

    def _wrong_order(self, heard: Heard, request) -> Utterance | None:
        """The assistant took another order than the one they mean ('Your delivered order is #W..., so I'm
        looking at that one', or it lists items they never bought): point to the right one, once."""
        order_id = getattr(request, "order_id", None)
        p = self._progress()
        if order_id is None or p is None or q_not_about_order(heard):
            return None
        assumed = ASSUMED_ORDER.search(heard.text)
        other = assumed is not None and (assumed.group(1) or assumed.group(2)) != order_id
        if heard.question == "items" and heard.choices and not other:
            names = {self._item(self._order(request), r.item_id).name.lower() for r in self._refs(request)}
            other = not any(c.lower().startswith(n) for c in heard.choices for n in names)
        if not other:
            return None
        if p.order_corrected:  # pointed it out already: call this off and ask again
            text, commands = self._raise(self.current, detail="order")
            return self._say(self.voice.pick(("No, that's the wrong order. ", "Let's start over. ")) + _capital(text),
                             [CancelProcess(), *commands])
        p.order_corrected = True
        lead = self.voice.pick(("That's not the order I mean. ", "Wrong order, sorry. ", "Not that one. "))
        if getattr(request, "order_hint", None) is not None:
            text = lead + _capital(hint_words(self._hint(request), self.voice)) + "."
        else:
            text = lead + self.voice.pick((f"It's {order_id}.", f"I mean order {order_id}."))
        status = self._order(request).status if self._order(request) else ""
        if status == "pending" and isinstance(request, ModifyItems):
            text += " It hasn't shipped yet."
        return self._say(text, [SetSlot(slot="order_id", value=order_id)])

    @staticmethod
    def _refs(request) -> list:
        if isinstance(request, Return):
            return request.items
        if isinstance(request, (Exchange, ModifyItems)):
            return [c.item for c in request.changes]
        return []

    def _refused_twice(self, heard: Heard) -> bool:
        """An answer refused a second time, or their payment method refused by a rule they can't get
        around (a gift card without the balance): time to drop this request."""
        if self._request() is None or not heard.refused or not self._progress().raised:
            return False
        if RULE_REFUSAL.search(heard.refused) and self._named_payment() and heard.question in ("payment", "confirm"):
            return True
        if heard.question not in ("payment", "changes", "items", "address"):
            return False
        self.refusals[(self.current, heard.question)] += 1
        return self.refusals[(self.current, heard.question)] >= 2

    def _named_payment(self) -> bool:
        """Did their last message name the payment method (so a refusal is about their choice)?"""
        said = self.last_said.commands if self.last_said else []
        names = {c.slot for c in said if isinstance(c, SetSlot)}
        names |= {s.name for c in said if isinstance(c, StartProcess) for s in c.slots}
        return bool(names & {"payment_method", "refund_method"})

    def _give_up(self, heard: Heard) -> Utterance:
        """What they want can't be done (a gift card without enough balance), or the same answer was
        refused again: drop this request and go on with the rest of the agenda."""
        self._finish(False)
        text = self.voice.pick(("Oh. Then never mind, leave it as it is.", "Okay, forget about that then.",
                                "Hmm, then let's not do that."))
        return self._say(text, [CancelProcess()])

    def _next(self, heard: Heard) -> Utterance:
        """Nothing (else) asked: the next thing on the agenda, or goodbye."""
        pending_oos = next((o for o in self.oos if not o.dropped), None)
        if pending_oos is not None and not pending_oos.asked:
            return self._say(self._out_of_scope_words(pending_oos), [self._oos_command(pending_oos)], mark_oos=True)
        request = self._request()
        if request is None:
            return self._goodbye()
        p = self._progress()
        if isinstance(request, NoChange) and p.raised:
            return self._complain_more(heard)
        lead = ""
        if any(q.finished for q in self.progress) and not p.raised:
            lead = self.voice.pick(("Yes, one more thing. ", "Yes. ", "Actually, yes: ", "Also, ", "Yes please. ",
                                    "There's something else too. "))
        elif p.raised:
            lead = self.voice.pick(("Sorry, let me say it again. ", "Let me rephrase: ", "What I mean is, ", ""))
        # Said again after it was not understood: the gist only, then the details when asked.
        text, commands = self._raise(self.current, detail="order" if p.raised else None)
        return self._say(lead + _capital(text), commands)

    def _goodbye(self) -> Utterance:
        self.said_goodbye = True
        return self._say(self.voice.pick(("No, that's all. Thanks!", "That's everything, thank you.",
                                          "No thanks, bye!", "Nope, that's it. Thanks for your help.",
                                          "No, that will be all. Have a good day.", "that's all, thanks")),
                         [Goodbye()])

    # -- identity --------------------------------------------------------------------------

    def _identity_words(self, opening: bool = False) -> tuple[str, list[SetSlot]]:
        identity = self.agenda.identity
        if identity.method == "email" and self.emails_tried < len(identity.emails):
            email = identity.emails[self.emails_tried]
            self.emails_tried += 1
            if opening:
                text = self.voice.pick((f"My email is {email}.", f"This is {identity.first_name}, {email}.",
                                        f"I'm {identity.first_name} {identity.last_name} ({email})."))
            else:
                text = self.voice.pick((email, f"My email is {email}.", f"It's {email}", f"sure, {email}"))
            return text, [SetSlot(slot="email", value=[email])]
        first, last, zip_code = identity.first_name, identity.last_name, identity.zip
        self.name_zip_tried = True
        text = self.voice.pick((f"I'm {first} {last}, zip code {zip_code}.",
                                f"My name is {first} {last} and my zip code is {zip_code}.",
                                f"{first} {last}, zip {zip_code}." if not opening else
                                f"This is {first} {last}, zip code {zip_code}."))
        return text, [SetSlot(slot="first_name", value=first), SetSlot(slot="last_name", value=last),
                      SetSlot(slot="zip", value=zip_code)]

    def _identify(self, heard: Heard) -> Utterance:
        identity = self.agenda.identity
        if heard.question == "zip" and identity.zip:
            return self._say(self.voice.pick((identity.zip, f"It's {identity.zip}.", f"{identity.zip}")),
                             [SetSlot(slot="zip", value=identity.zip)])
        if heard.question == "name":
            first, last = identity.first_name, identity.last_name
            return self._say(self.voice.pick((f"{first} {last}", f"It's {first} {last}.")),
                             [SetSlot(slot="first_name", value=first), SetSlot(slot="last_name", value=last)])
        if heard.not_found and identity.method == "email":
            left = identity.emails[self.emails_tried:]
            if left:
                if len(left) > 1 and (self.emails_tried > 1 or self.voice.chance(0.5)):
                    self.emails_tried = len(identity.emails)
                    either = join(left).replace(" and ", " or ")
                    text = self.voice.pick((f"Hmm, I have a few addresses. Could it be {either}?",
                                            f"Maybe one of these then: {', '.join(left)}"))
                    return self._say(text, [SetSlot(slot="email", value=left)])
                self.emails_tried += 1
                text = self.voice.pick((f"Sorry, try {left[0]}", f"Oh, maybe it's {left[0]} then.",
                                        f"Hmm. What about {left[0]}?"))
                return self._say(text, [SetSlot(slot="email", value=[left[0]])])
        if heard.not_found and identity.zip is None and self.emails_tried >= len(identity.emails):
            return self._say("I don't know what else to try, sorry.", [])
        text, commands = self._identity_words()
        return self._say(text, commands)

    # -- out of scope and a person -----------------------------------------------------------

    def _out_of_scope_words(self, oos: OutOfScopeState) -> str:
        request = self._request()
        about = ""
        if request is not None and getattr(request, "order_hint", None) and request.order_hint.products:
            about = request.order_hint.products[0].lower()
        elif request is not None and getattr(request, "items", None):
            about = request.items[0].product.lower()
        thing = about or "item"
        words = {
            "unsubscribe": ("Please unsubscribe me from all your marketing emails, I get way too many of them.",
                            "I want to stop receiving your marketing emails. Can you unsubscribe me?",
                            "Can you take me off your marketing email list? The emails are far too frequent."),
            "coupon": (f"The {thing} I got was missing pieces and I'm really disappointed. Can I get a coupon for "
                       f"my next purchase for the inconvenience?",
                       "I'd like a coupon for my next order because of all the trouble I had with my last one."),
            "price_match": (f"I just found the exact same {thing} for half the price at another store. Can you "
                            f"match that price?",
                            f"Your prices are disappointing: the same {thing} is 50% cheaper elsewhere. Will you "
                            f"price match it?"),
            "troubleshoot": (f"My {thing} won't pair with my iPhone, even after resetting the phone several times. "
                             f"Can you help me troubleshoot it?",
                             f"I need help troubleshooting my {thing}, they don't connect to my phone reliably."),
        }[oos.ask.kind]
        return self.voice.pick(words)

    def _oos_command(self, oos: OutOfScopeState) -> Command:
        return OutOfScope(request=oos.ask.kind.replace("_", " "))

    def _decline_person(self, heard: Heard) -> Utterance:
        oos = next((o for o in self.oos if o.asked and not o.dropped), None)
        if oos is not None and oos.ask.insist and not oos.pushed:
            oos.pushed = True
            text = self.voice.pick(("Really? I think I deserve at least that after all the hassle. Isn't there "
                                    "anything you can do?",
                                    "That's disappointing. I really insist, there must be someone who can approve "
                                    "it."))
            return self._say(text, [self._oos_command(oos)])
        if oos is not None:
            oos.dropped = True
        no = self.voice.pick(("No, that's okay.", "No thanks.", "No, I don't need a person.", "No, never mind."))
        commands: list[Command] = [SetSlot(slot="accept", value="no")]
        request = self._request()
        p = self._progress()
        if request is not None and not p.raised and self.voice.chance(0.5):
            lead = self.voice.pick((" Then ", " In that case ", " Fine. Then "))
            text, more = self._raise(self.current)
            return self._say(no + lead + text[0].lower() + text[1:], commands + more)
        return self._say(no, commands)

    def _resume(self, heard: Heard) -> Utterance:
        request = self._request()
        summary = re.search(r"get back to (.+?)\?", heard.text, re.I)
        topic = summary.group(1).lower() if summary else ""
        wanted = request is not None and not isinstance(request, Question) \
            and re.search(TOPIC_WORDS[request.kind], topic) is not None
        if wanted:
            return self._say(self.voice.pick(("Yes please.", "yes", "Yes, let's continue.", "Sure.")),
                             [SetSlot(slot="resume", value="yes")])
        return self._say(self.voice.pick(("No, that's fine.", "no thanks", "No.")),
                         [SetSlot(slot="resume", value="no")])

    def _pick_process(self, heard: Heard) -> Utterance:
        request = self._request()
        process = PROCESS[request.kind]
        number = next((i for i, c in enumerate(heard.choices, 1) if re.search(PICK_WORDS[request.kind], c.lower())),
                      None)
        if isinstance(request, NoChange):
            if heard.question == "clarify":  # the options are on the table: they keep it after all
                return self._keep_everything()
            self._progress().complained += 1
            text = self.voice.pick(("It just doesn't look like the pictures. What are my options?",
                                    "The item isn't what I expected from the website. What could you offer?"))
            return self._say(text, [Clarify(options=["return_items", "exchange_items"])])
        if number is not None and self.voice.chance(0.5):
            return self._say(self.voice.pick((f"{number}", f"The {_ordinal(number)} one.", f"number {number}")),
                             [StartProcess(process=process)])
        text, commands = self._raise(self.current, full=True)
        return self._say(text, commands)

    # -- requests --------------------------------------------------------------------------

    def _order(self, request) -> Order | None:
        order_id = getattr(request, "order_id", None)
        return self.know.orders.get(order_id) if order_id else None

    def _order_ref(self, request) -> tuple[str, list[SlotValue]]:
        """How the customer names the request's order, and the order_id slot if they quote the number."""
        if getattr(request, "order_hint", None) is not None:
            return hint_words(self._hint(request), self.voice), []
        return order_words(request.order_id, self.voice), [SlotValue(name="order_id", value=request.order_id)]

    @staticmethod
    def _hint(request) -> OrderHint:
        """The order hint with only the products the request acts on (not those added later)."""
        hint = request.order_hint
        acted = [r.product for r in getattr(request, "items", [])] + [c.item.product for c in
                                                                      getattr(request, "changes", [])]
        products = [p for p in hint.products if p in acted] or hint.products
        return hint.model_copy(update={"products": products[:2]})

    def _method(self, method_id: str) -> PaymentMethod:
        return self.know.user.payment_methods[method_id]

    def _pay(self, request) -> tuple[str, str]:
        """(words, slot value) for the request's payment method."""
        method_id = request.payment_method_id if isinstance(request, ChangeOrderPayment) else request.pays_with
        words = payment_words(self._method(method_id), self.know, self.voice)
        return words, words

    def _changes(self, request) -> list[ItemChange]:
        p = self.progress[self.requests.index(request)]
        return request.first_choice if request.first_choice and not p.switched else request.changes

    def _changes_words(self, request, with_items: bool | None = None, explicit: bool = False,
                       plain: bool = False) -> str:
        """The new options in words; `explicit` names every option that differs from the current item
        (a customer correcting the agent says 'the wired one' rather than 'whichever is cheaper')."""
        order = self._order(request)
        changes = self._changes(request)
        if with_items is None:
            with_items = len(changes) > 1 or self.voice.chance(0.5)
        phrases = [change_phrase(c, self.know.products[self._item(order, c.item.item_id).product_id], order,
                                 self.voice, with_item=with_items, explicit=explicit, plain=plain) for c in changes]
        return join(phrases) if with_items else phrases[0]

    @staticmethod
    def _item(order: Order, item_id: str):
        return next(it for it in order.items if it.item_id == item_id)

    def _raise(self, index: int, opening: bool = False, full: bool = False,
               detail: str | None = None) -> tuple[str, list[Command]]:
        """Words that ask for request `index`, with some, all or none of its details."""
        request = self.requests[index]
        p = self.progress[index]
        if isinstance(request, Question):
            return self._question_words(index)
        p.raised = True
        p.raises += 1
        if detail is None:
            detail = "full" if full else self.voice.pick(("bare", "order", "order", "full", "full", "full"))
        if p.precise and detail == "bare":
            detail = "order"
        process = PROCESS[request.kind]
        slots: list[SlotValue] = []
        v = self.voice
        if isinstance(request, NoChange):
            o = order_words(request.order_id, v) if request.order_id else "my last order"
            about = request.about[0].lower() if request.about else "item"
            text = v.pick((f"I'm really unhappy with {o}. The {about} doesn't look at all like the pictures on "
                           f"your website.",
                           f"I'm not happy with {o}: the {about} looks nothing like the photos on the site."))
            if request.ask_options:
                text += v.pick((" What are my options?", " What can you do to make it right?"))
            p.complained += 1
            return text, [StartProcess(process=process,
                                       slots=[SlotValue(name="order_id", value=request.order_id)]
                                       if request.order_id else [])]
        if isinstance(request, ChangeDefaultAddress):
            if detail == "bare":
                text = v.pick(("I moved and need to update my default address.",
                               "I'd like to change the address on my account."))
            else:
                address = address_words(request.address, v)
                text = v.pick((f"Please update my default address to {address}.",
                               f"I moved. Can you change the address on my account to {address}?"))
                slots.append(SlotValue(name="address", value=address))
            return text, [StartProcess(process=process, slots=slots)]
        if detail == "bare" and getattr(request, "order_hint", None) is None:
            order_text, order_slots = "", []
        else:
            order_text, order_slots = self._order_ref(request)
        slots += order_slots
        of = f" {order_text}" if order_text else ""
        if isinstance(request, Cancel):
            text = v.pick((f"I'd like to cancel{of or ' an order'}.", f"I need to cancel{of or ' my order'}.",
                           f"Can you cancel{of or ' an order'} for me?", f"Please cancel{of or ' my order'}."))
            if detail == "full":
                reason = reason_words(request.reason, v)
                text = text[:-1] + v.pick((f", {reason}.", f". {_capital(reason)}.", f" because {reason}."))
                slots.append(SlotValue(name="reason", value=request.reason))
        elif isinstance(request, Return):
            order = self._order(request)
            if detail == "full":
                items = item_phrases(request.items, order, v)
                where = f" from{of}" if of else ""
                text = v.pick((f"I'd like to return {join(items)}{where}.",
                               f"I want to send back {join(items)}{where}.",
                               f"I need to return {join(items)}{where}."))
                slots.append(SlotValue(name="items", value=items))
                if not request.payment_undecided and v.chance(0.6):
                    words, value = self._pay(request)
                    text = text[:-1] + v.pick((f", refund to {words} please.", f". Please put the refund on {words}.",
                                               f" and get the refund to {words}."))
                    slots.append(SlotValue(name="refund_method", value=value))
            else:
                text = v.pick((f"I'd like to return some items{' from' + of if of else ''}.",
                               f"I want to return something I received{' in' + of if of else ''}."))
        elif isinstance(request, (Exchange, ModifyItems)):
            verb = "exchange" if isinstance(request, Exchange) or (v.chance(0.3) and not p.precise) \
                else v.pick(("change", "modify"))
            process = "exchange_items" if verb == "exchange" else "change_order_items"
            if detail == "full":
                changes = self._changes_words(request, with_items=True)
                where = f" in{of}" if of else ""
                text = v.pick((f"I'd like to {verb}{where}: {changes}.", f"I want to {verb} {changes}{where}.",
                               f"Can I {verb} {changes}{where}?"))
                order = self._order(request)
                items = item_phrases([c.item for c in request.changes], order, v)
                slots += [SlotValue(name="items", value=items), SlotValue(name="changes", value=changes)]
                if request.payment_method_id and not request.payment_undecided and v.chance(0.25):
                    words, value = self._pay(request)
                    text += v.pick((f" Please use {words} for any difference.", f" Use {words} for the payment."))
                    slots.append(SlotValue(name="payment_method", value=value))
            else:
                what = "an item I received" if isinstance(request, Exchange) else "an item in my order"
                text = v.pick((f"I'd like to {verb} some items{' in' + of if of else ''}.",
                               f"I want to {verb} {what}{' (' + order_text + ')' if of else ''}."))
        elif isinstance(request, ChangeOrderAddress):
            if detail == "full":
                if request.same_as_order and v.chance(0.4):
                    address = f"the same address as my order {request.same_as_order}"
                else:
                    address = address_words(request.address, v)
                text = v.pick((f"Please ship{of or ' my order'} to {address} instead.",
                               f"I need to change the shipping address of{of or ' my order'} to {address}."))
                slots.append(SlotValue(name="address", value=address))
            else:
                text = v.pick((f"I need to change the shipping address of{of or ' one of my orders'}.",
                               f"Can you send{of or ' my order'} to a different address?"))
        elif isinstance(request, ChangeOrderPayment):
            if detail == "full":
                words, value = self._pay(request)
                text = v.pick((f"I'd like to pay for{of or ' my order'} with {words} instead.",
                               f"Can you switch the payment of{of or ' my order'} to {words}?"))
                slots.append(SlotValue(name="payment_method", value=value))
            else:
                text = v.pick((f"I want to change the payment method of{of or ' my order'}.",
                               f"Can I pay for{of or ' my order'} with a different card?"))
        else:
            raise TypeError(f"unknown request {request!r}")
        return text, [StartProcess(process=process, slots=slots)]

    # -- answers to the process questions ------------------------------------------------------

    def _on_topic(self, heard: Heard) -> bool:
        """A 'which order' or payment question must be about this kind of request ('Which order would you
        like to cancel?'; a refund, a price difference, or paying an order another way)."""
        line = heard.question_line.lower()
        kind = self._request().kind
        if heard.question == "payment":
            topic = ("return" if "refund" in line else "change_order_payment" if "instead" in line
                     else "items" if "difference" in line else None)
            wanted = "items" if kind in ("exchange", "modify_items") else kind
            return topic is None or topic == wanted
        if heard.question != "order":
            return True
        kinds = [k for k, pattern in TOPIC_WORDS.items() if re.search(pattern, line)]
        return not kinds or kind in kinds

    def _wrong_turn(self, heard: Heard) -> Utterance:
        text, commands = self._raise(self.current, detail="order")
        lead = self.voice.pick(("No, that's not what I want. ", "Sorry, no. ", "That's not it. "))
        return self._say(lead + _capital(text), [CancelProcess(), *commands])

    def _answer_order(self, heard: Heard) -> Utterance:
        request = self._request()
        commands = [SetSlot(slot="order_id", value=request.order_id)]
        if request.order_hint is not None and self.reasked and request.order_id in heard.order_ids:
            return self._say(f"{request.order_id}, the {_ordinal(heard.choice_number(request.order_id) or 1)} one.",
                             commands)
        if request.order_hint is not None:
            number = heard.choice_number(request.order_id)
            if number is not None and self.voice.chance(0.3) and not request.order_hint.id_suffix:
                return self._say(self.voice.pick((f"The {_ordinal(number)} one.", f"number {number}")), commands)
            return self._say(hint_answer(self._hint(request), self.voice), commands)
        o = request.order_id
        return self._say(self.voice.pick((o, f"It's {o}.", f"order {o}", f"{o}, please.", f"The order number is {o}.")),
                         commands)

    @property
    def reasked(self) -> bool:
        """The same question again (the last answer was not understood or refused): say it plainly."""
        return self.repeats >= 2

    def _answer_reason(self, heard: Heard) -> Utterance:
        request = self._request()
        words = request.reason if self.reasked else reason_words(request.reason, self.voice)
        return self._say(_capital(words) + ".", [SetSlot(slot="reason", value=request.reason)])

    def _by_number(self, refs, order: Order, heard: Heard) -> list[int] | None:
        """The listed numbers of the items, when words can't tell them apart (one of two identical
        items): a customer then points at the list."""
        wanted = Counter(r.item_id for r in refs)
        in_order = Counter(it.item_id for it in order.items)
        if not heard.choices or all(in_order[i] <= n for i, n in wanted.items()):
            return None
        numbers: list[int] = []
        for ref in refs:
            item = self._item(order, ref.item_id)
            free = [i for i in range(1, len(heard.choices) + 1) if i not in numbers
                    and heard.choices[i - 1].lower().startswith(item.name.lower())
                    and all(v.lower() in heard.choices[i - 1].lower() for v in item.options.values())]
            if not free:
                return None
            numbers.append(free[0])
        return numbers

    def _answer_items(self, heard: Heard) -> Utterance:
        request = self._request()
        order = self._order(request)
        refs = request.items if isinstance(request, Return) else [c.item for c in request.changes]
        numbers = self._by_number(refs, order, heard)
        if numbers is not None:
            said = join([str(n) for n in numbers])
            text = self.voice.pick((f"Number{'s' if len(numbers) > 1 else ''} {said}.",
                                    f"Item{'s' if len(numbers) > 1 else ''} {said}, please."))
            return self._say(text, [SetSlot(slot="items", value=[r.item_id for r in refs])])
        items = item_phrases(refs, order, self.voice, plain=self.reasked)
        text = self.voice.pick((join(items), f"Just {join(items)}.", f"{_capital(join(items))}, please.",
                                f"I'd like to {'return' if isinstance(request, Return) else 'change'} {join(items)}."))
        commands: list[Command] = [SetSlot(slot="items", value=items)]
        if isinstance(request, (Exchange, ModifyItems)) and self.voice.chance(0.35) and not request.first_choice \
                and not self.reasked:
            changes = self._changes_words(request, with_items=True)
            text = self.voice.pick((f"{_capital(join(items))}. I'd like {changes}.",
                                    f"{_capital(join(items))}: {changes}." if len(items) == 1 else
                                    f"{_capital(join(items))}. {_capital(changes)}."))
            commands.append(SetSlot(slot="changes", value=changes))
        return self._say(_capital(text), commands)

    def _answer_changes(self, heard: Heard) -> Utterance:
        request = self._request()
        p = self._progress()
        if heard.refused and request.decline_at_confirmation:  # not available: they were about to drop it anyway
            p.declined = True
            return self._say(self.voice.pick(("Oh well. Never mind then, I'll keep it as it is.",
                                              "Okay, forget it then. I'll keep what I have.")), [CancelProcess()])
        if heard.refused and request.first_choice and not p.switched and "no available" in heard.refused:
            p.switched = True
        changes = self._changes_words(request, plain=self.reasked, with_items=True if self.reasked else None)
        lead = ""
        undecided = [o for c in self._changes(request) for o in c.undecided]
        if (undecided or request.ask_options) and not p.hesitated:
            p.hesitated = True
            lead = self.voice.pick((f"Hmm, I wasn't sure about the {join(undecided) or 'options'}, but looking at "
                                    f"these: ", "Okay, let me see... ", "Thanks for listing them. "))
        elif heard.refused:
            lead = self.voice.pick(("Hmm. Let me say it again: ", "I meant ", ""))
        body = self.voice.pick((f"{changes}.", f"{changes}, please.", f"{changes}.", f"I'd like {changes}.",
                                f"Make it {changes}."))
        if lead and not lead.endswith(": "):
            body = body[:1].lower() + body[1:]
        return self._say(_capital(lead + body), [SetSlot(slot="changes", value=changes)])

    def _answer_payment(self, heard: Heard) -> Utterance:
        request = self._request()
        p = self._progress()
        slot = PAYMENT_SLOT[request.kind]
        method_id = request.payment_method_id if isinstance(request, ChangeOrderPayment) else request.pays_with
        method = self._method(method_id)
        number = heard.choice_number(method.label(balance=False))
        if getattr(request, "payment_method_id", "x") is None and self.voice.chance(0.5) and not heard.refused:
            text = self.voice.pick(("The original payment method is fine.", "Same as I paid with, please.",
                                    "Just use the original payment method."))
            return self._say(text, [SetSlot(slot=slot, value=method_id)])
        if number is not None and self.voice.chance(0.25):
            return self._say(self.voice.pick((f"{number}", f"The {_ordinal(number)} one.", f"number {number} please")),
                             [SetSlot(slot=slot, value=method_id)])
        words, value = self._pay(request)
        if self.reasked:  # as the assistant lists it
            return self._say(f"{method.label(balance=False)}.", [SetSlot(slot=slot, value=method_id)])
        if getattr(request, "payment_undecided", False) and not p.hesitated:
            p.hesitated = True
            text = self.voice.pick((f"Hmm, I wasn't sure which to pick. Okay, let's do {words}.",
                                    f"I wasn't sure, but seeing the options, {words} please."))
        elif getattr(request, "payment_rather_than", None) and not heard.refused and not heard.not_understood:
            text = self.voice.pick((f"{_capital(words)}, please. I'd rather not use the {request.payment_rather_than}.",
                                    f"I prefer {words}."))
        else:
            text = self.voice.pick((f"{_capital(words)}.", f"{_capital(words)}, please.", f"{_capital(words)}, please.",
                                    f"Use {words}.", f"To {words}." if request.kind == "return" else f"With {words}."))
        return self._say(text, [SetSlot(slot=slot, value=value)])

    def _answer_address(self, heard: Heard) -> Utterance:
        request = self._request()
        if getattr(request, "same_as_order", None) and self.voice.chance(0.3) and not heard.refused:
            text = f"The same address as my order {request.same_as_order}, please."
            value = f"same as order {request.same_as_order}"
        else:
            value = address_words(request.address, self.voice)
            text = self.voice.pick((value, f"It's {value}.", f"The new address is {value}."))
        return self._say(text, [SetSlot(slot="address", value=value)])

    def _complain_more(self, heard: Heard) -> Utterance:
        p = self._progress()
        p.complained += 1
        if p.complained <= 2 and heard.question not in ("order", "items"):
            text = self.voice.pick(("It just doesn't look like the pictures. What are my options?",
                                    "So what could you do to make it right?"))
            return self._say(text, [])
        return self._keep_everything()

    def _keep_everything(self) -> Utterance:
        text = self.voice.pick(("You know what, never mind. I'll just keep everything as it is.",
                                "Actually, forget it. I'll keep the items.",
                                "Hmm, I think I'll just keep it then."))
        self._finish(True)
        return self._say(text, [CancelProcess()])

    # -- the confirmation ------------------------------------------------------------------

    def _confirm(self, heard: Heard) -> Utterance:
        request = self._request()
        p = self._progress()
        p.confirms += 1
        if getattr(request, "decline_at_confirmation", False):
            p.declined = True
            text = self.voice.pick(("Actually, no. I've changed my mind, I'll keep it as it is.",
                                    "No, on second thought I don't want to do that after all."))
            return self._say(text, [SetSlot(slot="confirmed", value="no")])
        if isinstance(request, (Exchange, ModifyItems)) and request.first_choice and not p.switched:
            # The first choice is available: now they change their mind (whatever the details say).
            p.switched = True
            changes = self._changes_words(request, with_items=len(request.changes) > 1)
            text = self.voice.pick((f"Hmm, actually I've changed my mind. Could I get {changes} instead?",
                                    f"On second thought I'd rather have {changes}."))
            return self._say(text, [SetSlot(slot="changes", value=changes)])
        problem = self._mismatch(heard, request)
        if problem == "request":  # details of something they never asked for
            p.abandoned = True
            return self._say(self.voice.pick(("No, that's not what I asked for.", "No, I don't want that.")),
                             [SetSlot(slot="confirmed", value="no")])
        if problem is not None and p.corrections < MAX_CORRECTIONS:
            p.corrections += 1
            return self._correct(problem, request)
        if problem is not None:
            p.abandoned = True
            return self._say(self.voice.pick(("No, that's still not right. Forget it.", "No. Let's leave it.")),
                             [SetSlot(slot="confirmed", value="no")])
        if isinstance(request, Return) and request.add_at_confirmation and not p.added:
            p.added = True
            added = item_phrases(request.add_at_confirmation, self._order(request), self.voice)
            text = self.voice.pick((f"Oh wait, I'd also like to return {join(added)} from the same order.",
                                    f"Before you do that: please add {join(added)} to the return as well."))
            return self._say(text, [SetSlot(slot="items", value=added, extend=True)])
        return self._say(self.voice.pick(("Yes, go ahead.", "yes please", "Yes, that's right.",
                                          "Correct, please proceed.",
                                          "yep", "Sounds good, go ahead.", "Yes.")),
                         [SetSlot(slot="confirmed", value="yes")])

    def _expected_changes(self, request) -> Counter:
        order = self._order(request)
        wanted = Counter()
        for c in self._changes(request):
            item = self._item(order, c.item.item_id)
            product = self.know.products[item.product_id]
            new = product.variants.get(c.new_item_id) if c.new_item_id else None
            values = tuple(sorted(v.lower() for v in (new.options if new else {}).values()))
            wanted[(item.name.lower(), values)] += 1
        return wanted

    def _mismatch(self, heard: Heard, request) -> str | None:
        """What in the listed details differs from the agenda ('order', 'items', ...), or None."""
        text = heard.text
        lowered = text.lower()
        listed = next((kind for kind, pattern in CONFIRM_WORDS.items() if re.search(pattern, lowered)), None)
        if listed is not None and listed != request.kind and {listed, request.kind} != {"exchange", "modify_items"}:
            return "request"
        order_id = getattr(request, "order_id", None)
        if order_id and heard.order_ids and order_id not in heard.order_ids:
            return "order"
        if isinstance(request, Cancel):
            return None if request.reason in lowered else "reason"
        if isinstance(request, Return):
            refs = request.items + (request.add_at_confirmation if self._progress().added else [])
            order = self._order(request)
            wanted = Counter((it.name, f"${it.price:,.2f}") for r in refs for it in [self._item(order, r.item_id)])
            segment = re.search(r"return (.+?) from order", text, re.S)
            listed = Counter(re.findall(r"([A-Z][\w\- ]*?) \((\$[\d,]+\.\d\d)\)",
                                        segment.group(1) if segment else text))
            if listed != wanted:
                return "items"
            return None if self._method(request.pays_with).label(balance=False).lower() in lowered else "payment"
        if isinstance(request, (Exchange, ModifyItems)):
            listed = Counter()
            for m in re.finditer(r"^\s*\d+\.\s*(.+?): .+? \(\$[\d,.]+\) -> (.+?) \(\$[\d,.]+\)\s*$", text, re.M):
                values = tuple(sorted(v.strip().lower() for v in m.group(2).split(", ")))
                listed[(m.group(1).strip().lower(), values)] += 1
            # "1. The same Gaming Mouse: black, optical, wired ($137.32)": an identical replacement
            for m in re.finditer(r"^\s*\d+\.\s*The same (.+?): (.+?) \(\$[\d,.]+\)\s*$", text, re.M):
                values = tuple(sorted(v.strip().lower() for v in m.group(2).split(", ")))
                listed[(m.group(1).strip().lower(), values)] += 1
            if listed != self._expected_changes(request):
                return "changes"
            label = self._method(request.pays_with).label(balance=False).lower()
            return None if label in lowered else "payment"
        if isinstance(request, ChangeOrderPayment):
            return None if self._method(request.payment_method_id).label(balance=False).lower() in lowered \
                else "payment"
        if isinstance(request, (ChangeOrderAddress, ChangeDefaultAddress)):
            a = request.address
            target = lowered.split(" instead of ")[0] if isinstance(request, ChangeOrderAddress) \
                else lowered.split(" to ", 1)[-1]
            parts = [a.address1, a.address2, a.city, a.zip]
            return None if all(x.lower() in target for x in parts if x) else "address"
        return None

    def _correct(self, problem: str, request) -> Utterance:
        v = self.voice
        lead = v.pick(("That's not right. ", "Hmm, that's not what I asked for. ", "That's not quite it. ",
                       "Actually, "))
        if problem == "order":
            return self._say(lead + f"It's order {request.order_id}.",
                             [SetSlot(slot="order_id", value=request.order_id)])
        if problem == "reason":
            reason = reason_words(request.reason, v)
            return self._say(lead + _capital(reason) + ".", [SetSlot(slot="reason", value=request.reason)])
        if problem == "items":
            refs = request.items + (request.add_at_confirmation if self._progress().added else [])
            items = item_phrases(refs, self._order(request), v)
            return self._say(lead + f"I want to return {join(items)}.", [SetSlot(slot="items", value=items)])
        if problem == "changes":
            changes = self._changes_words(request, with_items=True, explicit=True)
            return self._say(lead + f"I want {changes}.", [SetSlot(slot="changes", value=changes)])
        if problem == "payment":
            words, value = self._pay(request)
            return self._say(lead + f"Please use {words}.", [SetSlot(slot=PAYMENT_SLOT[request.kind], value=value)])
        address = address_words(request.address, v)
        return self._say(lead + f"The address should be {address}.", [SetSlot(slot="address", value=address)])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")
