"""The typed-answer shortcut: which messages are read without a model, and which must still reach it.

A message is taken only when the local reading is certain and nothing in it could say more (a change, a
question, a new request); everything else goes to the model.
"""

from __future__ import annotations

import pytest

from procall import Assistant, Settings
from procall.evals.fake_llm import CANCEL_OPENING
from procall.graphs.catalogue import build_processes
from procall.nodes.understanding.base import ActiveQuestion, UnderstandingRequest
from procall.nodes.understanding.local.understander import LocalUnderstander
from procall.nodes.understanding.typed_answers import typed_answer
from procall.state.commands import Goodbye, SetSlot
from procall.state.frames import Choice

CARD = Choice(value="credit_card_4056740", label="Mastercard card ending 4971",
              aliases=("credit card", "card", "mastercard", "4971"), not_when=("gift card", "gift"))
PAYPAL = Choice(value="paypal_4060450", label="PayPal", aliases=("paypal",))
GIFT = Choice(value="gift_card_9708163", label="gift card 9708163 ($90.00 left)", aliases=("gift card", "gift"))
REASONS = [Choice(value="no longer needed", label="no longer needed",
                  aliases=("no longer need", "don't need", "not needed", "changed my mind")),
           Choice(value="ordered by mistake", label="ordered by mistake", aliases=("mistake", "by accident"))]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    bot = Assistant(Settings(home=tmp_path_factory.mktemp("home")))
    try:
        yield LocalUnderstander(build_processes(bot.services)[0])
    finally:
        bot.close()


def ask(text: str, kind: str | None = None, slot: str = "", choices=(), process: str = "change_order_items",
        identified: bool = True) -> UnderstandingRequest:
    question = ActiveQuestion(process=process, slot=slot, kind=kind, choices=list(choices)) if kind else None
    return UnderstandingRequest(text=text, active_process=process if kind else None, question=question,
                                customer_identified=identified)


def values(result) -> dict:
    return {c.slot: c.value for c in result.commands if isinstance(c, SetSlot)}


# -- a goodbye with nothing pending ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "No, that will be all. Have a good day.",
    "no, that will be all. have a good day.",
    "No thanks, that's all. Bye!",
    "That's all I needed, thank you. Goodbye!",
    "No, nothing else. Have a nice evening.",
])
def test_a_plain_goodbye_is_read_without_the_model(local, text):
    result = typed_answer(local, ask(text))
    assert result is not None and result.commands == [Goodbye()]


@pytest.mark.parametrize("text", [
    "No, that will be all. Actually, cancel order W1001002 too.",
    "No, that will be all. Can you confirm the refund went through?",
    "no wait",
    "Yes, one more thing.",
    "Bye, and send me the receipt please.",
    "No, I'd like to return the lamp as well.",
])
def test_a_goodbye_that_says_more_goes_to_the_model(local, text):
    assert typed_answer(local, ask(text)) is None


# -- identity facts in their usual frame ---------------------------------------------------------------

@pytest.mark.parametrize("text, first, last, zip_code", [
    ("My name is Olivia Silva and my zip code is 32240.", "Olivia", "Silva", "32240"),
    ("my name is mei silva and my zip code is 91147.", "Mei", "Silva", "91147"),
])
def test_identity_facts_in_their_frame_are_read_without_the_model(local, text, first, last, zip_code):
    result = typed_answer(local, ask(text, "identity", "email", process="identify_customer", identified=False))
    assert result is not None
    assert values(result) == {"first_name": first, "last_name": last, "zip": zip_code}


@pytest.mark.parametrize("text", [
    "My name is Olivia Silva and my zip code is 32240, and I want to cancel an order.",
    "My name is Olivia Silva and my zip code is 32240 but my email changed.",
    "My name is Olivia Silva and my zip code is 32240, is that enough?",
])
def test_identity_facts_with_anything_more_go_to_the_model(local, text):
    assert typed_answer(local, ask(text, "identity", "email", process="identify_customer", identified=False)) is None


# -- a choice, with a typo mended ----------------------------------------------------------------------

@pytest.mark.parametrize("text, choices, picked", [
    ("The firrst one.", [CARD], "credit_card_4056740"),
    ("The frist one.", [GIFT], "gift_card_9708163"),
    ("Use PyaPal.", [CARD, PAYPAL], "paypal_4060450"),
    ("With PaPyal.", [PAYPAL], "paypal_4060450"),
    ("Number 2.", [CARD, PAYPAL], "paypal_4060450"),
    ("the second one", [CARD, PAYPAL], "paypal_4060450"),
    ("PayPal, please.", [CARD, PAYPAL], "paypal_4060450"),
])
def test_a_choice_is_read_without_the_model_typos_and_all(local, text, choices, picked):
    result = typed_answer(local, ask(text, "payment_method", "payment_method", choices))
    assert result is not None and values(result) == {"payment_method": picked}


@pytest.mark.parametrize("text, choices", [
    ("the second one, and also cancel the other order", [CARD, PAYPAL]),
    ("The firrst one, but change the address.", [CARD, PAYPAL]),
    ("My gift card, please.", [CARD]),   # not offered: the model reads what is meant
    ("There.", [CARD, PAYPAL, GIFT]),    # a word of its own, not "three" misspelt
    ("no wait", [CARD, PAYPAL]),
])
def test_a_choice_that_says_more_or_is_not_certain_goes_to_the_model(local, text, choices):
    assert typed_answer(local, ask(text, "payment_method", "payment_method", choices)) is None


@pytest.mark.parametrize("text, reason", [
    ("I no loger need it.", "no longer needed"),
    ("I ordered it by misatke.", "ordered by mistake"),
    ("don't need it", "no longer needed"),
])
def test_a_reason_among_the_offered_ones_is_read_without_the_model(local, text, reason):
    result = typed_answer(local, ask(text, "reason", "reason", REASONS, process="cancel_order"))
    assert result is not None and values(result) == {"reason": reason}


# -- yes or no at a confirmation -----------------------------------------------------------------------

@pytest.mark.parametrize("text, answer", [
    ("yes pls go ahead", True), ("Yes, that's correct.", True), ("yse, proceed", True), ("No, thanks.", False),
])
def test_a_bare_yes_or_no_is_read_without_the_model(local, text, answer):
    result = typed_answer(local, ask(text, "yes_no", "confirmed", process="cancel_order"))
    assert result is not None and [c.value for c in result.commands] in ([answer], ["yes" if answer else "no"])


@pytest.mark.parametrize("text", ["yes but change the address", "no wait", "yes? how much is the refund",
                                  "ok, but use paypal"])
def test_a_yes_or_no_that_says_more_goes_to_the_model(local, text):
    assert typed_answer(local, ask(text, "yes_no", "confirmed", process="cancel_order")) is None


# -- end to end: the goodbye costs no model call ---------------------------------------------------------

def test_the_closing_goodbye_costs_no_model_call(llm_bot):
    bot = llm_bot(CANCEL_OPENING)
    bot.send("g1", "please cancel my order W1001002, I'm mia.castillo@example.com")
    bot.send("g1", "I no loger need it.")
    assert "is cancelled" in bot.send("g1", "Yes, that's correct.").text
    assert "Have a great day" in bot.send("g1", "No, that will be all. Have a good day.").text
    assert len(bot.understander.usage.calls) == 1  # the opening only
