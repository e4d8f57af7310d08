"""Matching by meaning (nodes/meaning.py): WordLlama's embeddings, loaded from its wheel, never downloaded."""

from __future__ import annotations

import socket

import pytest

from procall.nodes import meaning
from procall.nodes.understanding.local import extractors as x
from procall.state.frames import Choice

ITEMS = ["Espresso Machine", "Running Shoes", "Desk Lamp", "Electric Kettle", "Wireless Earbuds", "Office Chair"]


def test_the_model_loads_from_the_installed_package_without_the_network(monkeypatch):
    meaning._model.cache_clear()

    def no_network(*args, **kwargs):
        raise AssertionError("matching by meaning tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert meaning._model() is not None


@pytest.mark.parametrize(("said", "meant"), [
    ("the coffee machine", "Espresso Machine"), ("my headphones", "Wireless Earbuds"), ("the lamp please", "Desk Lamp"),
    ("my sneakers", "Running Shoes"), ("the kettle one", "Electric Kettle"), ("the chair", "Office Chair"),
])
def test_a_thing_named_in_the_customers_words_is_found(said, meant):
    assert meaning.closest(said, ITEMS) == ITEMS.index(meant)


@pytest.mark.parametrize("said", ["hmm", "no", "both", "not sure", "whatever you think", "the thing"])
def test_words_that_mean_none_of_them_match_nothing(said):
    assert meaning.closest(said, ITEMS) is None


def test_an_offered_order_is_picked_by_what_it_holds():
    orders = [Choice(value="#W1", label="#W1, delivered: Bluetooth Speaker and Desk Lamp",
                     aliases=("Bluetooth Speaker", "Desk Lamp")),
              Choice(value="#W2", label="#W2, pending: Espresso Machine", aliases=("Espresso Machine",))]
    assert [c.value for c in x.choice("the order with the speaker", orders, by_meaning=True)] == ["#W1"]
    assert [c.value for c in x.choice("the coffee machine one", orders, by_meaning=True)] == ["#W2"]
    assert x.choice("the coffee machine one", orders) == []  # a closed set (reasons, payment methods): by name only
    assert x.choice("gift card", orders, by_meaning=True) == []


def test_one_candidate_is_scored_too():
    assert meaning.closest("the coffee machine", ["Espresso Machine"]) == 0
    assert meaning.closest("hmm", ["Espresso Machine"]) is None
