"""The simulated customer's questions for a figure (a task's `outputs`), on the demo data: the question
segments of an instruction, the words it asks in, when it counts a question as answered, asking again, and a
question asked at the confirmation of a change. The assistant is played by lines in its templates' words."""

from __future__ import annotations

import pytest

from procall.evals.simulator.agenda import Cancel, Question, Return
from procall.evals.simulator.customer import Customer
from procall.evals.simulator.dialogue import MAX_ASKS, SimulatedCustomer, Utterance
from procall.evals.simulator.hearing import hear
from procall.evals.simulator.parse import ParsedTask, Unparsed, parse
from procall.state.commands import CancelProcess, Goodbye, SetSlot, StartProcess

CHLOE = ("chloe_ramirez_1005", "Your name is Chloe Ramirez and your email is chloe.ramirez@example.com. You are calm. ")
MIA = ("mia_castillo_1001", "Your name is Mia Castillo and your zip code is 94110. You are busy, direct. ")
ASK_IDENTITY = ("First I need to find your account: could you give me your email address, or your first and last "
                "name and zip code?")
WELCOME = "Thank you, Chloe, I've found your account."
ANYTHING_ELSE = "Is there anything else I can help you with?"
GOODBYE = "Thank you for contacting us. Have a great day!"
PUZZLE_CHANGE = ("Jigsaw Puzzle {'pieces': '500', 'theme': 'cities', 'difficulty level': 'beginner'} to "
                 "{'pieces': '1000', 'theme': 'animals', 'difficulty level': 'expert'}; ")
ANSWERS = {  # the answer lines of the question processes, for the demo store
    "gift_card_balance": "You have 2 gift cards: gift card 1005003 has $12.50 and gift card 1005004 has $420.00; "
                         "$432.50 in all.",
    "return_refund": "Returning Backpack $77.26 from order #W1005001 would refund $77.26, to Mastercard card ending "
                     "7745.",
    "change_difference": "For order #W1005002:\n  - Jigsaw Puzzle: 500, cities, beginner ($20.31) -> 1000, animals, "
                         "expert ($24.45)\nYou would pay the difference of $4.14, with the payment method you choose.",
    "variant_count": "11 Backpack options are available (3 more sold out). The options are: color: grey, black.",
    "cheapest_price": "The cheapest available Backpack is olive, small, polyester, laptop, at $64.30.",
    "orders_total": "You paid $444.08 for these 2 orders: $238.07 for #W1005001 and $206.01 for #W1005002.",
    "tracking": "Order #W1005001 is delivered.\n  - Parcel 100500500101 (UPS): delivered on 2024-05-12",
    "cancel_refund": "Cancelling order #W1001002 would refund $95.92 to gift card 1001003, at once.",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from procall.tools.backend.stores import create_store

    backend = create_store(tmp_path_factory.mktemp("demo") / "store.db")
    yield backend
    backend.close()


def parsed(store, requests: str, who=CHLOE) -> ParsedTask | Unparsed:
    return parse({"id": "q-1", "user_id": who[0], "instruction": who[1] + requests, "actions": [], "outputs": []},
                 store)


def customer(store, requests: str, seed: int = 0, who=CHLOE) -> SimulatedCustomer:
    task = parsed(store, requests, who)
    assert isinstance(task, ParsedTask), task
    return SimulatedCustomer(task, Customer.load(store, who[0]), seed)


def asked_process(utterance: Utterance) -> str | None:
    return next((c.process for c in utterance.commands if isinstance(c, StartProcess)
                 and c.process.startswith("ask_")), None)


def to_the_question(c: SimulatedCustomer) -> Utterance:
    """Through the opening and identification to the first message that asks a question."""
    said = c.opening()
    for line in (ASK_IDENTITY, WELCOME + "\nWhat can I help you with today?"):
        if asked_process(said) is not None:
            return said
        said = c.reply_to(line)
    assert asked_process(said) is not None, said
    return said


ALL_KINDS = ("Ask the balance of gift_card_1005004. Ask how many variants of Backpack are available. "
             "Ask the cheapest available price of Backpack. Ask the total paid for #W1005001 and #W1005002. "
             "Ask the refund of returning #W1005001: T-Shirt; Backpack; "
             f"Ask the price difference of changing #W1005002: {PUZZLE_CHANGE}Ask for the tracking id of #W1005001. ")


def test_question_segments_are_read_into_questions_that_write_nothing(store):
    task = parsed(store, ALL_KINDS)
    assert isinstance(task, ParsedTask) and task.free_segments == []
    questions = task.agenda.requests
    assert [q.topic for q in questions] == ["gift_card_balance", "variant_count", "cheapest_price", "orders_total",
                                            "return_refund", "change_difference", "tracking"]
    assert questions[0].payment_method_id == "gift_card_1005004"
    assert questions[3].order_ids == ["#W1005001", "#W1005002"]
    assert [i.item_id for i in questions[4].items] == ["5137125744", "3972009826"]
    (change,) = questions[5].changes
    assert questions[5].pending and change.item.item_id == "7167148116" and change.new_item_id
    assert not any(q.before_confirming for q in questions)
    assert task.expected_actions() == []


def test_a_question_before_confirming_is_about_the_request_before_it(store):
    task = parsed(store, "Return #W1005001 via paypal_1005001: Backpack; Before confirming, ask the refund. ")
    ret, question = task.agenda.requests
    assert isinstance(ret, Return) and question.topic == "return_refund" and question.before_confirming
    assert question.order_ids == ["#W1005001"] and question.items == ret.items
    assert [a["name"] for a in task.expected_actions()] == ["return_delivered_order_items"]
    task = parsed(store, "Cancel order #W1001002 because no longer needed. Before confirming, ask the refund. ", MIA)
    cancel, question = task.agenda.requests
    assert isinstance(cancel, Cancel) and question.topic == "cancel_refund" and question.order_ids == ["#W1001002"]


@pytest.mark.parametrize("requests, reason", [
    ("Before confirming, ask the refund. ", "follows no request"),
    ("Ask the balance of gift_card_1001003. ", "not one of chloe_ramirez_1005's gift cards"),
    ("Cancel order #W1005002 because no longer needed. Before confirming, ask the price difference. ", "does not fit"),
])
def test_questions_that_cannot_be_asked_leave_the_task_unparsed(store, requests, reason):
    task = parsed(store, requests)
    assert isinstance(task, Unparsed) and reason in task.reason


@pytest.mark.parametrize("requests, process, named", [
    ("Ask the balance of gift_card_1005004. ", "ask_account", "gift card"),
    ("Ask how many variants of Backpack are available. ", "ask_catalogue", "backpack"),
    ("Ask the total paid for #W1005001 and #W1005002. ", "ask_amounts", "1005002"),
    ("Ask the refund of returning #W1005001: Backpack; ", "ask_amounts", "1005001"),
    ("Ask for the tracking id of #W1005001. ", "ask_orders", "1005001"),
])
def test_a_question_is_asked_in_varied_words_that_name_what_it_is_about(store, requests, process, named):
    texts = set()
    for seed in range(12):
        said = to_the_question(customer(store, requests, seed))
        assert asked_process(said) == process
        start = next(cmd for cmd in said.commands if isinstance(cmd, StartProcess))
        words = next(s.value for s in start.slots if s.name == "question")  # as meant, before any typo
        assert named in words.lower(), words
        texts.add(words)
    assert len(texts) >= 3


@pytest.mark.parametrize("topic, requests", [
    ("gift_card_balance", "Ask the balance of gift_card_1005004. "),
    ("return_refund", "Ask the refund of returning #W1005001: Backpack; "),
    ("change_difference", f"Ask the price difference of changing #W1005002: {PUZZLE_CHANGE}"),
    ("variant_count", "Ask how many variants of Backpack are available. "),
    ("cheapest_price", "Ask the cheapest available price of Backpack. "),
    ("orders_total", "Ask the total paid for #W1005001 and #W1005002. "),
    ("tracking", "Ask for the tracking id of #W1005001. "),
])
def test_once_the_answer_is_said_the_customer_is_done(store, topic, requests):
    c = customer(store, requests)
    to_the_question(c)
    bye = c.reply_to(f"{ANSWERS[topic]}\n{ANYTHING_ELSE}")
    assert any(isinstance(cmd, Goodbye) for cmd in bye.commands), bye
    assert c.progress[0].succeeded
    assert c.reply_to(GOODBYE) is None and c.ended == "done"


def test_answers_must_be_about_what_was_asked():
    refund = hear(ANSWERS["return_refund"])
    assert refund.answers("return_refund", ["#W1005001"])
    assert not refund.answers("return_refund", ["#W1005002"])  # another order's refund
    assert not refund.answers("orders_total", ["#W1005001"])
    assert not hear("Which order do you mean?\n  1. #W1005001").answers("return_refund", ["#W1005001"])
    listing = hear("Backpack:\n  - grey, small, canvas, hydration: $77.26, available")
    assert not listing.answers("variant_count", ["Backpack"])  # a list, not a number
    assert hear("Order #W1005001 is delivered.\nTracking: 100500500101").answers("tracking", ["#W1005001"])


def test_unanswered_it_is_asked_again_plainly_then_dropped(store):
    c = customer(store, "Ask the refund of returning #W1005001: Backpack; ")
    said = to_the_question(c)
    asks = [said]
    for _ in range(MAX_ASKS):
        said = c.reply_to(f"Backpack:\n  - grey, small, canvas, hydration: $77.26, available\n{ANYTHING_ELSE}")
        asks.append(said)
    questions = [u for u in asks if asked_process(u) == "ask_amounts"]
    assert len(questions) == MAX_ASKS
    assert all("order #W1005001" in u.text.lower().replace("#w", "#W") for u in questions[1:]), "plainly: the order"
    assert any(isinstance(cmd, Goodbye) for cmd in asks[-1].commands)
    assert c.progress[0].finished and not c.progress[0].succeeded


def test_the_order_or_product_asked_for_is_given(store):
    c = customer(store, f"Ask the price difference of changing #W1005002: {PUZZLE_CHANGE}")
    to_the_question(c)
    said = c.reply_to("Which order do you mean?\n  1. #W1005001, delivered\n  2. #W1005002, pending")
    assert SetSlot(slot="order_id", value="#W1005002") in said.commands and "#W1005002" in said.text
    c = customer(store, "Ask the cheapest available price of Backpack. ")
    to_the_question(c)
    said = c.reply_to("Which product do you mean? We sell:\n  1. Backpack\n  2. T-Shirt")
    assert SetSlot(slot="product", value="Backpack") in said.commands and "backpack" in said.text.lower()


def test_a_change_that_lists_the_figure_instead_of_answering_is_called_off(store):
    c = customer(store, f"Ask the price difference of changing #W1005002: {PUZZLE_CHANGE}")
    to_the_question(c)
    said = c.reply_to("Here is the change:\n  1. Jigsaw Puzzle: 500, cities, beginner ($20.31) -> 1000, animals, "
                      "expert ($24.45)\nYou pay the difference of $4.14. Which payment method should I use for the "
                      "difference?\n  1. PayPal")
    assert CancelProcess() in said.commands and any(isinstance(cmd, Goodbye) for cmd in said.commands)
    assert c.progress[0].succeeded


RETURN_CONFIRM = ("To confirm: return Backpack ($77.26) from order #W1005001, and refund $77.26 to PayPal. "
                  "Shall I go ahead (yes/no)?")


def test_a_question_before_confirming_is_asked_at_the_confirmation_then_yes(store):
    c = customer(store, "Return #W1005001 via paypal_1005001: Backpack; Before confirming, ask the refund. ")
    c.opening()
    c.reply_to(ASK_IDENTITY)
    c.reply_to(WELCOME)
    said = c.reply_to(RETURN_CONFIRM)
    assert asked_process(said) == "ask_amounts", said
    assert not any(isinstance(cmd, SetSlot) and cmd.slot == "confirmed" for cmd in said.commands)
    said = c.reply_to(ANSWERS["return_refund"].replace("Mastercard card ending 7745", "PayPal") + "\n"
                      + RETURN_CONFIRM)
    assert SetSlot(slot="confirmed", value="yes") in said.commands
    assert c.progress[1].succeeded and not c.progress[0].finished
    bye = c.reply_to("Done: the return for order #W1005001 is requested.\n" + ANYTHING_ELSE)
    assert any(isinstance(cmd, Goodbye) for cmd in bye.commands)
    assert c.all_finished()


def test_a_question_before_confirming_left_unanswered_is_asked_again_after_the_change(store):
    c = customer(store, "Return #W1005001 via paypal_1005001: Backpack; "
                        "Before confirming, ask for the tracking id of #W1005001. ")
    c.opening()
    c.reply_to(ASK_IDENTITY)
    c.reply_to(WELCOME)
    assert asked_process(c.reply_to(RETURN_CONFIRM)) == "ask_orders"
    said = c.reply_to("Sorry, I didn't catch that.\n" + RETURN_CONFIRM)
    assert SetSlot(slot="confirmed", value="yes") in said.commands  # asked once at the confirmation
    said = c.reply_to("Done: the return for order #W1005001 is requested.\n" + ANYTHING_ELSE)
    assert asked_process(said) == "ask_orders" and "#W1005001" in said.text
    assert isinstance(c.requests[1], Question) and not c.progress[1].finished
    assert c.reply_to(ANSWERS["tracking"] + "\n" + ANYTHING_ELSE).commands == [Goodbye()]
    assert c.progress[1].succeeded


def test_a_confirmation_that_states_the_refund_answers_a_question_about_it(store):
    c = customer(store, "Return #W1005001 via paypal_1005001: Backpack; Before confirming, ask the refund. ")
    c.opening()
    c.reply_to(ASK_IDENTITY)
    c.reply_to(WELCOME)
    assert asked_process(c.reply_to(RETURN_CONFIRM)) == "ask_amounts"
    said = c.reply_to("Sorry, I didn't catch that.\n" + RETURN_CONFIRM)  # "... and refund $77.26 to PayPal"
    assert SetSlot(slot="confirmed", value="yes") in said.commands and c.progress[1].succeeded
