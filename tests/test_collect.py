"""The collect node's reading of what the customer named: a value they said is not announced back to them."""

from __future__ import annotations

from procall.nodes.collect import _inferred


def test_an_id_written_without_its_hash_was_named_not_inferred():
    # "last one is order W9962383, ..." was answered "Your pending order is #W9962383, so I'm looking at that one."
    assert not _inferred("#W9962383", "last one is order W9962383, it hasnt shipped yet")
    assert not _inferred("#W9962383", "order #w9962383 please")


def test_a_value_worked_out_from_a_description_was_inferred():
    assert _inferred("#W9962383", "the order with the keyboard")
    assert not _inferred(["item-1"], "the kettle")  # only single values are announced
