"""Which offered choice a customer's words pick (the local extractor), where the words name
something that was not offered: they must pick nothing, so the process can say why."""

from __future__ import annotations

import pytest

from procall.graphs.retail.payments import choices
from procall.nodes.understanding.local.extractors import choice
from procall.state.frames import Choice
from procall.tools.backend.models import PaymentMethod

PAYPAL = PaymentMethod(source="paypal", id="paypal_1005001")
CARD = PaymentMethod(source="credit_card", id="credit_card_1005002", brand="mastercard", last_four="7745")
BIG_GIFT = PaymentMethod(source="gift_card", id="gift_card_1005004", balance=420.0)


def picked(text: str, offered: list[PaymentMethod]) -> list[str]:
    return [c.value for c in choice(text, choices(offered))]


@pytest.mark.parametrize("text, offered, expected", [
    # a gift card too small to be offered is not the offered card
    ("Use the gift card.", [CARD], []),
    ("gift card 1005003", [BIG_GIFT, CARD], []),
    ("my 12.50 gift card", [BIG_GIFT, PAYPAL], []),
    # what is offered is still picked
    ("the gift card", [BIG_GIFT, CARD], ["gift_card_1005004"]),
    ("gift card 1005004", [BIG_GIFT, CARD], ["gift_card_1005004"]),
    ("my card", [PAYPAL, CARD], ["credit_card_1005002"]),
    ("the mastercard ending 7745", [PAYPAL, CARD], ["credit_card_1005002"]),
    ("2", [PAYPAL, CARD], ["credit_card_1005002"]),
])
def test_a_payment_method_is_picked_only_when_the_words_name_it(text, offered, expected):
    assert picked(text, offered) == expected


ORDERS = [Choice(value="#W1", label="#W1, pending: Backpack", aliases=("backpack",)),
          Choice(value="#W2", label="#W2, delivered: Perfume and Jigsaw Puzzle", aliases=("perfume", "jigsaw puzzle"))]


@pytest.mark.parametrize("text, expected", [
    # "first" saying what to do first is no pick of choice 1 (role-played train-111, train-30)
    ("the perfume one first", ["#W2"]),
    ("first, the perfume order", ["#W2"]),
    ("the shipping address first", []),
    # "first" as the first of the list still picks it
    ("first", ["#W1"]), ("the first one", ["#W1"]), ("first one, please", ["#W1"]), ("the first please", ["#W1"]),
    ("number one", ["#W1"]), ("ok first one", ["#W1"]),
])
def test_first_as_an_order_of_doing_things(text, expected):
    assert [c.value for c in choice(text, ORDERS)] == expected


@pytest.mark.parametrize("text, payment", [
    ("the camera in 24MP with an SD card instead", False),  # a camera's option (role-played train-439)
    ("CF card, same zoom", False),
    ("my card", True), ("the card ending 7745", True), ("gift card", True), ("credit card please", True),
    ("card", True), ("the other card", True),
])
def test_a_card_that_is_another_things_option_names_no_payment(text, payment):
    from procall.nodes.understanding.local.extractors import PAYMENT_WORDS

    assert bool(PAYMENT_WORDS.search(text)) is payment
