"""The tasks with outputs (evals/output_tasks.py, committed as evals/tasks/outputs.json): deterministic, built
from the train split's customers, every figure the store's, read back by the simulator, and a few of them played
against the local assistant to a pass. Needs the tau-bench folder (see evals/taubench.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from procall.evals import taubench
from procall.evals.output_tasks import Data, build
from procall.evals.simulator.agenda import Question, compare_actions
from procall.evals.simulator.parse import ParsedTask, parse
from procall.tools.backend import records

pytestmark = pytest.mark.skipif(not taubench.available(), reason=taubench.missing_reason())

COMMITTED = Path(__file__).resolve().parents[1] / "evals" / "tasks" / "outputs.json"


@pytest.fixture(scope="module")
def data() -> Data:
    return Data(taubench.data_folder())


@pytest.fixture(scope="module")
def tasks(data) -> list[dict]:
    return build(data)


@pytest.fixture(scope="module")
def parsed(tasks, store) -> dict[str, ParsedTask]:
    return {t["id"]: parse(t, store) for t in tasks}


def test_the_generator_is_deterministic_and_the_committed_file_is_its_output(data, tasks):
    assert build(data) == tasks
    assert build(data, seed=1) != tasks  # the seed matters
    assert json.loads(COMMITTED.read_text()) == tasks, "run: python -m procall.evals.output_tasks DATA > " \
                                                       "evals/tasks/outputs.json"


def test_at_least_30_tasks_in_the_benchmark_shape_each_with_outputs(tasks):
    assert len(tasks) >= 30
    assert len({t["id"] for t in tasks}) == len(tasks)
    for task in tasks:
        # The benchmark's keys, plus the split its customer comes from (read by `procall play`).
        assert set(task) == {"id", "user_id", "instruction", "actions", "outputs", "split"}
        assert task["split"] == "train"
        assert task["outputs"] and all(isinstance(o, str) and o for o in task["outputs"])
        assert task["instruction"].startswith("Your name is ")


def test_customers_are_the_train_splits_and_never_the_dev_splits(tasks):
    train = {t["user_id"] for t in taubench.load_tasks("train")}
    dev = {t["user_id"] for t in taubench.load_tasks("dev")}
    used = [t["user_id"] for t in tasks]
    assert set(used) <= train and not set(used) & dev
    assert len(set(used)) == len(used), "one task per customer"


def test_every_kind_of_question_is_asked_alone_and_some_before_a_confirmation(parsed):
    questions = [r for p in parsed.values() for r in p.agenda.requests if isinstance(r, Question)]
    topics = Counter(q.topic for q in questions)
    assert set(topics) == {"tracking", "variant_count", "gift_card_balance", "orders_total", "return_refund",
                           "change_difference", "cheapest_price", "cancel_refund"}
    mid = Counter(q.topic for q in questions if q.before_confirming)
    assert set(mid) == {"return_refund", "change_difference", "cancel_refund", "tracking"}
    assert any(q.pending for q in questions) and any(not q.pending for q in questions if q.changes)


def test_the_simulator_reads_every_task_and_its_writes_are_the_gold_ones(tasks, parsed):
    for task in tasks:
        agenda = parsed[task["id"]]
        assert isinstance(agenda, ParsedTask), (task["id"], agenda)
        assert compare_actions(agenda.expected_actions(), task["actions"]) == "exact", task["id"]
        questions = [r for r in agenda.agenda.requests if isinstance(r, Question)]
        assert len(questions) == len(task["outputs"]), task["id"]
        if not task["actions"]:
            assert len(questions) == len(agenda.agenda.requests), "read-only tasks only ask"


def test_the_gold_writes_replay_without_an_error(tasks):
    from procall.evals.scoring import base_store, replay

    with base_store().fresh() as backend:
        for task in tasks:
            assert replay(backend, task["actions"]) == [], task["id"]


def _figure(question: Question, store) -> str:
    """The figure the question asks for, read from the store's records (not the JSON files the generator read)."""
    conn = store.db.connection
    orders = [records.read_order(conn, o) for o in question.order_ids]
    if question.topic == "tracking":
        (tracking,) = [t for f in orders[0].fulfillments for t in f.tracking_id]
        return tracking
    if question.topic in ("variant_count", "cheapest_price"):
        product = next(p for p in (records.read_product(conn, r["product_id"]) for r in
                                   conn.execute("SELECT product_id FROM products"))
                       if p.name == question.product)
        available = [v.price for v in product.variants.values() if v.available]
        return str(len(available)) if question.topic == "variant_count" else f"{min(available):.2f}"
    if question.topic == "gift_card_balance":
        user = records.read_user(conn, _owner(store, question))
        return f"{user.payment_methods[question.payment_method_id].balance:.2f}"
    if question.topic in ("orders_total", "cancel_refund"):
        return f"{sum(p.amount for o in orders for p in o.payment_history if p.transaction_type == 'payment'):.2f}"
    if question.topic == "return_refund":
        prices = {i.item_id: i.price for i in orders[0].items}
        return f"{sum(prices[r.item_id] for r in question.items):.2f}"
    items = {i.item_id: i for i in orders[0].items}
    difference = 0.0
    for change in question.changes:
        product = records.read_product(conn, items[change.item.item_id].product_id)
        difference += product.variants[change.new_item_id].price - items[change.item.item_id].price
    return f"{abs(round(difference, 2)):.2f}"


def _owner(store, question: Question) -> str:
    row = store.db.connection.execute("SELECT user_id FROM payment_methods WHERE payment_method_id = ?",
                                      (question.payment_method_id,)).fetchone()
    return row[0]


def test_every_output_is_the_figure_the_store_holds(tasks, parsed, store):
    for task in tasks:
        questions = [r for r in parsed[task["id"]].agenda.requests if isinstance(r, Question)]
        assert [_figure(q, store) for q in questions] == task["outputs"], task["id"]


# -- played against the local assistant -------------------------------------------------------------


@pytest.fixture(scope="module")
def player():
    from procall.evals.simulator.play import Player

    p = Player(taubench.data_folder())
    yield p
    p.close()


def _first(tasks, parsed, topic: str, before_confirming: bool = False, count: int = 1) -> dict:
    return next(t for t in tasks if [(q.topic, q.before_confirming) for q in parsed[t["id"]].agenda.requests
                                     if isinstance(q, Question)] == [(topic, before_confirming)] * count)


@pytest.mark.parametrize("topic, before_confirming", [
    ("tracking", False), ("variant_count", False), ("gift_card_balance", False), ("return_refund", False),
    ("change_difference", True),
])
def test_a_few_tasks_play_to_a_pass_with_the_question_asked_and_answered(player, tasks, parsed, topic,
                                                                         before_confirming):
    task = _first(tasks, parsed, topic, before_confirming)
    result = player.play_task(task)
    assert result.passed, result.line + "\n" + result.transcript
    transcript = result.record["transcript"]
    assert transcript["ended"] == "done", result.line
    asked = [t for t in transcript["turns"] if any(c.get("process", "").startswith("ask_")
                                                   for c in t["customer"]["commands"])]
    assert asked, "the customer asked the question"
    assert any(task["outputs"][0] in t["assistant"].replace(",", "") for t in transcript["turns"])
