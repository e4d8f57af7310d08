"""Read-only questions: the parts that decide what is answered, without a conversation around them
(the conversations are in tests/conversations/questions*.yaml)."""

from __future__ import annotations

import pytest

from procall.graphs.catalogue import PROCESSES
from procall.graphs.questions import ask_amounts, ask_orders, ask_policy, context
from procall.nodes.understanding.local.question_ranker import QUESTION_CONFIDENCE, QuestionAwareRanker
from procall.state.frames import Frame


def _frame(process: str, words: str, **fields) -> Frame:
    return Frame(frame_id=f"1-{process}", process=process, slots={"question": words}, **fields)


@pytest.mark.parametrize(("words", "rules"), [
    ("can I cancel only part of an order?", ["partial_cancel"]),
    ("can I cancel just the kettle?", ["partial_cancel"]),
    ("can the refund go to my other card?", ["refund_elsewhere"]),
    ("can I change the items again later?", ["change_again"]),
    ("can a cancellation be undone?", ["undo_cancel"]),
    ("how long does the refund take?", ["refund_timing"]),
    ("can I exchange it for a different product?", ["other_product"]),
    ("what's your return policy?", ["returns"]),
    ("what are the rules?", []),
])
def test_policy_questions_pick_their_rule(words, rules):
    assert ask_policy.rules(_frame("ask_policy", words)) == rules


def test_every_policy_rule_has_a_template():
    for rule in ask_policy.RULES:
        assert f"rule_{rule}" in ask_policy.SPEC.templates


def test_question_processes_are_registered_and_marked():
    questions = [m.SPEC for m in PROCESSES if m.SPEC.question]
    assert {s.name for s in questions} == {"ask_orders", "ask_account", "ask_catalogue", "ask_amounts", "ask_policy"}
    # what needs no account: the catalogue and the rules; everything about the customer does
    assert {s.name for s in questions if not s.requires_identity} == {"ask_catalogue", "ask_policy"}


@pytest.mark.parametrize(("words", "parts"), [
    ("what's the tracking number?", ["parcels"]),
    ("which card did each order use?", ["payments"]),
    ("where does that order ship to?", ["ships_to"]),
    ("which of my orders can still be changed?", ["changeable"]),
])
def test_order_questions_pick_the_details_asked(words, parts):
    assert ask_orders.parts(_frame("ask_orders", words), {}) == parts


@pytest.mark.parametrize(("words", "kind", "below"), [
    ("how much would I get back if I returned the backpack?", "return", None),
    ("how much would I get back?", "cancel", "cancel_order"),
    ("how much would I get back?", "return", "return_items"),
    ("what's the price difference?", "exchange", "exchange_items"),
    ("how much did I spend on these two orders?", "total", "return_items"),
    ("what would I get back if I cancel it?", "cancel", "return_items"),
])
def test_amount_questions_read_the_words_then_the_interrupted_request(words, kind, below):
    stack = ([Frame(frame_id="1-x", process=below)] if below else []) + [_frame("ask_amounts", words)]
    assert ask_amounts.kind(stack[-1], {"stack": stack}) == kind


def test_order_ids_and_option_words():
    assert context.order_ids_in("is it #W1234567, order 7654321 or W1111111?") == \
        ["#W1234567", "#W7654321", "#W1111111"]
    assert context.order_ids_in("ship #W1234567 to the same address as #W7654321") == ["#W1234567"]
    assert context.for_options("what's the cheapest one? they're all S") == "what the cheapest one? they all S"


class _Fixed:
    def __init__(self, ranking):
        self.ranking = tuple(ranking)

    def rank(self, text):
        return self.ranking


def test_question_processes_count_only_when_asked_and_likely():
    full = _Fixed([("ask_account", 0.8), ("return_items", 0.1)])
    plain = _Fixed([("return_items", 0.6), ("inform", 0.3)])
    questions = frozenset({"ask_account"})
    assert QuestionAwareRanker(full, plain, questions, asking=True).rank("x")[0][0] == "ask_account"
    # an answer to a pending question asks nothing back
    assert QuestionAwareRanker(full, plain, questions, asking=False).rank("x")[0][0] == "return_items"
    # a question process that is only a guess leaves the ranking as it was without them
    weak = _Fixed([("ask_account", QUESTION_CONFIDENCE - 0.01), ("return_items", 0.2)])
    assert QuestionAwareRanker(weak, plain, questions, asking=True).rank("x") == plain.ranking
