"""Scoring as tau-bench does: the final store against the gold replay, plus the output strings."""

from __future__ import annotations

import pytest

from procall.evals import scoring, taubench
from procall.evals.scoring import pass_hat_k, score

needs_data = pytest.mark.skipif(not taubench.available(), reason=taubench.missing_reason())

WRITES = {"cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment",
          "modify_pending_order_items", "return_delivered_order_items", "exchange_delivered_order_items",
          "modify_user_address"}


@pytest.fixture(scope="module")
def base():
    return scoring.base_store()


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return taubench.load_tasks("train")[::17][:30]


@pytest.fixture(scope="module")
def expected(base, sample) -> dict[str, dict]:
    return {task["id"]: scoring.expected_state(task, base) for task in sample}


def run(base, actions: list[dict]) -> dict:
    """What an assistant that made exactly these calls leaves in the store."""
    with base.fresh() as backend:
        scoring.replay(backend, actions)
        return backend.dump()


@needs_data
@pytest.mark.slow
def test_replaying_the_gold_passes(base, sample, expected):
    assert len(sample) == 30
    for task in sample:
        result = score(task, run(base, task["actions"]), [], expected=expected[task["id"]])
        assert result.passed and result.db_match and not result.diff, (task["id"], result.diff)


@needs_data
@pytest.mark.slow
def test_a_missing_write_fails_and_names_the_record(base, sample, expected):
    checked = 0
    for task in sample[::2]:
        with base.fresh() as backend:
            if scoring.replay(backend, task["actions"]):
                continue  # a gold write that errors changes nothing: dropping it would not matter
        writes = [i for i, a in enumerate(task["actions"]) if a["name"] in WRITES]
        dropped = task["actions"][writes[-1]]
        actions = [a for i, a in enumerate(task["actions"]) if i != writes[-1]]
        result = score(task, run(base, actions), [], expected=expected[task["id"]])
        assert not result.passed and not result.db_match, task["id"]
        assert any(line.startswith(f"order {dropped['kwargs']['order_id']}:") for line in result.diff), result.diff
        checked += 1
    assert checked >= 12


@needs_data
def test_a_failing_gold_write_is_skipped(base):
    task = next(t for t in taubench.load_tasks("train") if t["id"] == "train-24")
    with base.fresh() as backend:
        errors = scoring.replay(backend, task["actions"])
    assert errors == ["modify_pending_order_payment: insufficient gift card balance to pay for the order"]
    writes_that_work = [a for a in task["actions"] if a["name"] != "modify_pending_order_payment"]
    assert scoring.expected_state(task, base) == run(base, writes_that_work)
    assert score(task, run(base, writes_that_work), [], source=base).passed  # expected computed from the base


@needs_data
def test_output_strings_must_be_said(base):
    task = {**taubench.load_tasks("train")[0], "outputs": ["1,234.56", "Gift Card"]}
    expected = scoring.expected_state(task, base)
    said = ["Sure.", "Your GIFT CARD balance is $1234.56."]
    assert score(task, expected, said, expected=expected).passed
    assert score(task, expected, ["Your balance is $1,234.56 on the card."], expected=expected).missing_outputs == [
        "Gift Card"]
    wrong = score(task, expected, ["Your gift card balance is $1,234.65."], expected=expected)
    assert not wrong.passed and wrong.db_match and wrong.missing_outputs == ["1,234.56"]


def test_pass_hat_k_on_hand_made_counts():
    counts = [(3, 4), (0, 4), (4, 4)]
    assert pass_hat_k(counts, 1) == pytest.approx((3 / 4 + 0 + 1) / 3)
    assert pass_hat_k(counts, 2) == pytest.approx((3 / 6 + 0 + 1) / 3)
    assert pass_hat_k(counts, 4) == pytest.approx(1 / 3)
    assert pass_hat_k([(1, 1)], 1) == 1.0
    with pytest.raises(ValueError):
        pass_hat_k([(2, 3)], 4)  # fewer trials than k
    with pytest.raises(ValueError):
        pass_hat_k([], 1)


def test_diff_names_the_records():
    expected = {"users": {"u": {"a": 1}}, "orders": {"#W1": {"status": "pending", "x": 1}}, "products": {}}
    actual = {"users": {"u": {"a": 1}}, "orders": {"#W1": {"status": "cancelled", "x": 1}, "#W2": {}}, "products": {}}
    assert scoring.diff_dumps(expected, actual) == ["order #W1: status", "order #W2: unexpected"]
