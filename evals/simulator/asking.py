"""The simulated customer's questions for a figure (a task's `outputs`): a mixin of `SimulatedCustomer`.

A question is asked in words of `wording.question_words`, on its own or, when the agenda says "before
confirming", at the confirmation of the request before it. The customer is done with it once an answer
to it was said (`Heard.answers`: the figure's sentence, naming what was asked about), asks it again in
plain words when a reply did not answer it (at most `MAX_ASKS` times in all), gives the order or product
the assistant asks for, and calls off a process the question was taken for once that process said the
figure ("You pay the difference of $4.14. Which payment method ...?").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procall.state.commands import CancelProcess, Command, Goodbye, SetSlot, SlotValue, StartProcess

from .agenda import Question
from .hearing import Heard
from .wording import join, question_words

if TYPE_CHECKING:
    from .dialogue import Utterance

# The process that answers each kind of question (for the commands the words mean).
QUESTION_PROCESS = {"tracking": "ask_orders", "variant_count": "ask_catalogue", "cheapest_price": "ask_catalogue",
                    "gift_card_balance": "ask_account", "orders_total": "ask_amounts", "return_refund": "ask_amounts",
                    "cancel_refund": "ask_amounts", "change_difference": "ask_amounts"}
MAX_ASKS = 3
# What a process asks on its way to a change (a question for a figure taken for a request meets these).
PROCESS_QUESTIONS = ("order", "reason", "items", "changes", "payment", "address", "confirm", "clarify", "problem")


class Asking:
    """Needs the customer's `requests`, `progress`, `current`, `know`, `voice`, `said_goodbye`, and its
    `_request`, `_say`, `_raise` and `_next`."""

    def _open_questions(self) -> list[int]:
        """The questions asked and not answered yet."""
        return [i for i, (r, p) in enumerate(zip(self.requests, self.progress, strict=True))
                if isinstance(r, Question) and p.raises and not p.finished]

    def _question_at_confirmation(self) -> int | None:
        """The question to ask now that the current request is to be confirmed, if it is next on the agenda
        and was not asked yet."""
        index = self.current + 1
        if index < len(self.requests) and isinstance(self.requests[index], Question) \
                and self.requests[index].before_confirming and not self.progress[index].raises:
            return index
        return None

    def _about(self, question: Question) -> list[str]:
        """What an answer to `question` must name: its orders, its product, its gift card's number, or the
        items of a change (whose listing before a payment question may not name the order)."""
        if question.topic in ("variant_count", "cheapest_price"):
            return [question.product]
        if question.topic == "change_difference":
            return [c.item.product for c in question.changes]
        if question.topic == "gift_card_balance":
            return [question.payment_method_id.rsplit("_", 1)[-1]]
        return list(question.order_ids)

    def _question_words(self, index: int, mid: bool = False) -> tuple[str, list[Command]]:
        question = self.requests[index]
        p = self.progress[index]
        p.raised = True
        p.raises += 1
        text = question_words(question, self.know, self.voice, plain=p.raises > 1, mid=mid)
        slots = [SlotValue(name="question", value=text)]
        if question.topic in ("variant_count", "cheapest_price"):
            slots.append(SlotValue(name="product", value=question.product))
        elif QUESTION_PROCESS[question.topic] == "ask_amounts" and len(question.order_ids) == 1:
            slots.append(SlotValue(name="order_id", value=question.order_ids[0]))
        return text, [StartProcess(process=QUESTION_PROCESS[question.topic], slots=slots)]

    def _ask(self, index: int, mid: bool = False) -> Utterance:
        text, commands = self._question_words(index, mid=mid)
        return self._say(text, commands)

    def _only_asking(self) -> Utterance:
        """The figure was said by a process the question was taken for (the price difference listed before
        a payment question): call the process off, then the next thing on the agenda."""
        text = self.voice.pick(("Thanks, that's what I wanted to know. I don't want to change anything.",
                                "Okay, thanks. No need to go ahead, I was only asking.",
                                "Good to know, thanks. Please don't change anything, I only had a question."))
        if self._request() is None:
            self.said_goodbye = True
            return self._say(text + " That's all.", [CancelProcess(), Goodbye()])
        more, commands = self._raise(self.current)
        return self._say(f"{text} {_capital(more)}", [CancelProcess(), *commands])

    def _question_turn(self, heard: Heard) -> Utterance:
        """The assistant's reply while a question for a figure is open: which order or product it means
        is answered; a process's question (items, a confirmation, ...) means it took the question for a
        request: called off, and the question asked again."""
        question = self._request()
        q = heard.question
        if q == "order" and question.order_ids:
            said = join(question.order_ids)
            return self._say(self.voice.pick((said, f"{_capital(said)}, please.", f"I mean {said}.")),
                             [SetSlot(slot="order_id", value=question.order_ids[0])])
        if q == "product" and question.product:
            name = question.product.lower() if self.progress[self.current].raises < 2 else question.product
            return self._say(self.voice.pick((f"The {name}.", name, f"I mean the {name}.")),
                             [SetSlot(slot="product", value=question.product)])
        if q in ("anything_else", "none", "greeting"):
            return self._next(heard)
        text, commands = self._question_words(self.current)
        lead = self.voice.pick(("No, I just have a question. ", "Sorry, I only wanted to know something. ",
                                "That's not what I meant. "))
        return self._say(lead + _capital(text), [CancelProcess(), *commands])



def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
