"""The confirmation gate, table-driven: nothing changes without an explicit yes in the customer's words.

Each phrasing is answered to a real confirmation ("To confirm: cancel order #W1001002 … Shall I go
ahead?") reached by a real conversation; the real understand and apply nodes then read it, with
local understanding and with a language model. Two models: one that reads the prompt like the local
understander, and an adversarial one that proposes `confirmed=yes` whatever was said. The yes
counts only for the YES phrasings; NO phrasings are refusals; the rest (questions, hedges,
conditions, corrections, sarcasm, negated yeses) must never count as a yes.
"""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from procall import Assistant, Settings
from procall.evals.fake_llm import PromptReadingChatModel
from procall.graphs.catalogue import build_processes
from procall.nodes.apply import make_apply
from procall.nodes.confirmation_gate import read_reply
from procall.nodes.understand import make_understand
from procall.runtime import make_understander

YES = [
    "yes", "Yes.", "YES!", "yes please", "yeah", "yep", "yup", "sure", "ok", "okay", "OK!", "k", "alright",
    "all right", "correct", "that's correct", "that's right", "confirm", "confirmed", "I confirm", "proceed",
    "please proceed", "go ahead", "yes go ahead", "go for it", "do it", "please do", "sounds good",
    "Sounds good, go ahead.", "looks good to me", "perfect", "great", "fine", "that's fine", "fine by me",
    "absolutely", "definitely", "of course", "certainly", "yes I'm sure", "yes, cancel it", "yes please cancel it",
    "yes cancel the order", "yep that's it", "yes that's all correct", "👍", "yse", "yess", "yesss", "okya", "okk",
    "proceeed", "yes pls", "yes plz", "sure thing", "no problem, go ahead", "yes thank you", "ok thanks",
    "yeah go for it", "affirmative", "will do", "that works", "works for me", "by all means", "let's do it",
    "yes, let's do it", "ok do it", "sure why not", "alright then", "yes I do", "I'd like to proceed",
    "yes, that is correct", "yes cancel W1001002", "Yes, go ahead and cancel it please.",
    # typos, as the simulated and role-played customers make them
    "Suonds good, go ahead.", "Yes, go ahhead.", "Sonuds good, go ahad.", "plese proceed", "absolutley",
    # thinking aloud, then a firm yes (train-206: asked again before)
    "hmm ok... yes, go ahead", "um, yes please go ahead",
]
NO = [
    "no", "No.", "nope", "nah", "no thanks", "no thank you", "absolutely not", "definitely not", "not now",
    "don't", "do not", "please don't", "no don't", "no no no", "no way", "hell no", "never", "negative",
    "I don't think so", "I'd rather not", "okay, no, actually don't", "ok wait, no", "yes... no", "perfect, but no",
    "hmm no", "I changed my mind, keep it", "no I changed my mind", "don't cancel it", "no, don't do that",
    "that's wrong", "that's not right", "not correct", "noo", "nooo", "naw", "no, not today", "nope, leave it",
    "okay then no", "yeah no", "sure... actually no", "absolutley not", "i dont thikn so", "No, that's okay.",
    "nah, I'm good",
]
NOT_YES = [
    # hedges and pauses
    "not sure", "I'm not sure", "ok let me think about it", "let me think", "maybe", "maybe later", "probably",
    "hmm", "hmm ok", "hmm... ok", "yes... hmm", "I guess", "I guess so", "I suppose", "perhaps", "wait", "hold on",
    "hang on a sec",
    "one moment", "not yet", "i dont know", "idk", "dunno", "um", "depends", "ok, let me ask my husband",
    "let me check my bank first", "ok, let me check with my wife first", "sure, after I check",
    # questions
    "can you confirm the amount?", "yes?", "ok?", "right, what was the amount again?",
    "how long does the refund take?", "when will I get the money?", "is that the full amount",
    "what's the total?", "will I get an email?", "ok so what happens next?", "hello?", "what?", "why?",
    "could you repeat that", "?", "can you do it tomorrow instead", "yes, and will I still be able to return the rest?",
    "do I get the full refund?", "is it too late to change my mind?",
    # conditions
    "sure, but first tell me when the refund arrives", "yes, but change the address first", "yes but use paypal",
    "yes actually, but not the backpack - the tea kettle", "ok not that one",
    "ok but only if it's refunded today", "yes if the refund goes to my card", "sure, as long as it's free",
    "only if you refund it to paypal", "depends on the fee", "yes but not the gift card", "yess but wait",
    # changes, corrections, new requests
    "yes, and also the lamp", "ok, actually use my credit card", "oops, apt 6 not 5", "sorry, I meant #W1001003",
    "wait, can I change the address instead?", "actually I want to return it instead",
    "yes, cancel order W1001003", "yes, change the address",
    # sarcasm, contradictions, negated yeses, noise
    "yeah right, as if", "yeah right", "as if", "whatever", "fine, whatever", "sure sure", "no wait, yes",
    "I'm not saying yes", "I didn't say yes", "not a yes", "thanks", "thank you", "huh", "lol", "...",
    "yes... maybe", "not sure, yes?", "I wouldn't say yes", "yes no", "yet", "no no, go ahead", "not sure, ok",
]

Outcome = Literal["yes", "no", "open"]


def test_the_table_is_large_and_has_no_duplicates():
    phrases = [p.lower() for p in YES + NO + NOT_YES]
    assert len(phrases) >= 150
    assert len(set(phrases)) == len(phrases)


@pytest.mark.parametrize("text", YES)
def test_gate_reads_yes(text):
    assert read_reply(text, CONFIRMATION).answer == "yes"


@pytest.mark.parametrize("text", NO)
def test_gate_reads_no(text):
    assert read_reply(text, CONFIRMATION).answer == "no"


@pytest.mark.parametrize("text", NOT_YES)
def test_gate_never_reads_yes(text):
    assert read_reply(text, CONFIRMATION).answer != "yes"


CONFIRMATION = ("To confirm: cancel order #W1001002 (Espresso Machine), reason: ordered by mistake. The $95.92 paid "
                "with your gift card will be refunded. Shall I go ahead (yes/no)?")


class AlwaysYes(GenericFakeChatModel):
    """A model that proposes `confirmed=yes` to anything: the gate must hold on its own."""

    def bind_tools(self, tools, **kwargs):
        return self


def _always_yes() -> AlwaysYes:
    def answers():
        while True:
            yield AIMessage(content="", tool_calls=[{"name": "Understanding", "id": "c", "args": {
                "commands": [{"kind": "set_slot", "slot": "confirmed", "value": "yes"}]}}])
    return AlwaysYes(messages=answers())


MODES = {"local": None, "llm": PromptReadingChatModel, "llm-always-yes": _always_yes}


@pytest.fixture(scope="module")
def at_confirmation(tmp_path_factory):
    """The state of a conversation that has just listed a cancellation and asked for a yes."""
    home = tmp_path_factory.mktemp("gate")
    bot = Assistant(Settings(home=home))
    try:
        bot.send("gate", "hi, I'm mia.castillo@example.com and I want to cancel order #W1001002")
        reply = bot.send("gate", "I ordered it by mistake")
        assert reply.asking == "confirmed", reply.text
        values = bot.graph.get_state({"configurable": {"thread_id": "gate"}}).values
        catalogue = build_processes(bot.services)[0]
        nodes = {}
        for mode, model in MODES.items():
            settings = Settings(home=home, nlu="local" if model is None else "llm", llm_fallback_to_local=False)
            setup = make_understander(settings, bot.services, model() if model else None, catalogue)
            nodes[mode] = (make_understand(setup.primary, setup.fallback, setup.shortcut), make_apply(catalogue))
        yield values, nodes
    finally:
        bot.close()


def _answer(at_confirmation, mode: str, text: str) -> Outcome:
    values, nodes = at_confirmation
    understand, apply = nodes[mode]
    state = {**values, "messages": [*values["messages"], HumanMessage(content=text)], "outbox": [], "trace": []}
    state.update(understand(state))
    state.update(apply(state))
    frame = next((f for f in state["stack"] if f.process == "cancel_order"), None)
    if frame is None or frame.status == "cancelled":
        return "no"
    fingerprint = values["stack"][-1].asking.fingerprint
    answer = frame.confirmation.get(fingerprint)
    return "yes" if answer is True else "no" if answer is False else "open"


@pytest.mark.parametrize("mode", list(MODES))
def test_only_an_explicit_yes_confirms(at_confirmation, mode):
    wrong = {}
    for text in YES:
        if (got := _answer(at_confirmation, mode, text)) != "yes":
            wrong[text] = got
    for text in NO:
        if (got := _answer(at_confirmation, mode, text)) != "no":
            wrong[text] = got
    for text in NOT_YES:
        if (got := _answer(at_confirmation, mode, text)) == "yes":
            wrong[text] = got
    assert not wrong, f"{mode}: {wrong}"


def test_a_models_yes_to_a_question_runs_no_write(home):
    """--nlu llm: the model proposes confirmed=yes to "how long does the refund take?"; the order stays."""
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False, typed_answers_without_model=False),
                    model=PromptReadingChatModel())
    try:
        bot.send("q", "hi, I'm mia.castillo@example.com and I want to cancel order #W1001002")
        assert bot.send("q", "I ordered it by mistake").asking == "confirmed"
        swap_model(bot, _always_yes())
        reply = bot.send("q", "how long does the refund take?")
        assert bot.backend.dump()["orders"]["#W1001002"]["status"] == "pending"
        assert reply.asking == "confirmed"
        assert bot.send("q", "ok, yes go ahead").asking is None
        assert bot.backend.dump()["orders"]["#W1001002"]["status"] == "cancelled"
    finally:
        bot.close()


def swap_model(bot: Assistant, model) -> None:
    from procall.nodes.understanding.llm import LLMUnderstander

    fresh = LLMUnderstander(bot.understander.catalogue, model)
    bot.understander.model = fresh.model
    bot.understander.structured = fresh.structured


def test_a_model_cannot_identify_someone_the_customer_did_not_name(home):
    """The model fills `email` with another customer's address: dropped, nobody is identified."""
    model = AlwaysYes(messages=iter([AIMessage(content="", tool_calls=[{"name": "Understanding", "id": "c", "args": {
        "commands": [{"kind": "start_process", "process": "order_status", "slots": []},
                     {"kind": "set_slot", "slot": "email", "value": "ethan.brooks@example.com"}]}}])]))
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False), model=model)
    try:
        reply = bot.send("id", "hi, I'm mia.castillo@example.com, where is my order?")
        view = bot.view("id")
        assert view.customer is None or view.customer.email == "mia.castillo@example.com"
        assert "ethan" not in reply.text.lower()
    finally:
        bot.close()
