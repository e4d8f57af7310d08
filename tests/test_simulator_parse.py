"""The simulated customer's instruction parser, checked against the tau-bench gold actions.

An agenda compiles into the backend writes it implies (`expected_actions()`); for every train task
those must equal the task's gold actions, and for the free-form dev tasks too (item ids up to order
where the gold's order follows no rule). Needs the tau-bench folder (see evals/taubench.py).
"""

from __future__ import annotations

import pytest

from procall.evals import taubench
from procall.evals.simulator.agenda import ModifyItems, NoChange, Return, compare_actions
from procall.evals.simulator.parse import ParsedTask, Unparsed, parse
from procall.tools.backend.operation import OPERATIONS

pytestmark = pytest.mark.skipif(not taubench.available(), reason=taubench.missing_reason())

WRITES = {name for name, op in OPERATIONS.items() if op.kind == "write"}
DEV_PARSED = 20  # all dev instructions are read by the general rules
DEV_ORDER_ONLY = {"dev-5"}  # gold lists the item added at confirmation first; equal as a multiset


@pytest.fixture(scope="module")
def dev(store) -> dict[str, ParsedTask | Unparsed]:
    return {task["id"]: parse(task, store) for task in taubench.load_tasks("dev")}


def gold_writes(task: dict) -> list[dict]:
    return [a for a in task["actions"] if a["name"] in WRITES]


def test_every_train_instruction_compiles_to_its_gold_actions(store):
    tasks = taubench.load_tasks("train")
    problems = []
    for task in tasks:
        parsed = parse(task, store)
        if isinstance(parsed, Unparsed):
            problems.append(f"{task['id']}: unparsed: {parsed.reason}")
        elif parsed.free_segments:
            problems.append(f"{task['id']}: not read by the template: {parsed.free_segments}")
        elif compare_actions(parsed.expected_actions(), gold_writes(task)) != "exact":
            problems.append(f"{task['id']}: {parsed.expected_actions()} != {gold_writes(task)}")
    assert len(tasks) == 500
    assert not problems, f"{len(problems)} of 500 train tasks differ:\n" + "\n".join(problems[:20])


def test_dev_instructions_parse_and_compile_to_gold(dev):
    tasks = {t["id"]: t for t in taubench.load_tasks("dev")}
    unparsed = {tid: r.reason for tid, r in dev.items() if isinstance(r, Unparsed)}
    assert len(dev) - len(unparsed) == DEV_PARSED, unparsed
    verdicts = {tid: compare_actions(r.expected_actions(), gold_writes(tasks[tid]))
                for tid, r in dev.items() if isinstance(r, ParsedTask)}
    assert {tid for tid, v in verdicts.items() if v == "differ"} == set()
    assert {tid for tid, v in verdicts.items() if v == "multiset"} == DEV_ORDER_ONLY


# -- behaviours the dev instructions describe ----------------------------------------------------


def requests(dev, task_id):
    return dev[task_id].agenda.requests


def test_several_candidate_emails_are_kept_in_order(dev):
    assert dev["dev-6"].agenda.identity.emails == [
        "raj89@example.com", "rajlee@example.com", "lee42@example.com", "raj.lee6137@example.com"]
    assert dev["dev-0"].agenda.identity.method == "name_zip"


def test_out_of_scope_asks_come_first(dev):
    kinds = {tid: [(a.kind, a.insist) for a in dev[tid].agenda.out_of_scope_first] for tid in dev}
    assert kinds["dev-15"] == [("unsubscribe", False)]
    assert kinds["dev-3"] == [("coupon", True)]  # asks for a supervisor
    assert kinds["dev-2"] == [("price_match", False)]
    assert kinds["dev-4"] == [("troubleshoot", False)]
    assert kinds["dev-0"] == [] and kinds["dev-5"] == []


def test_orders_without_an_id(dev):
    (cancel,) = requests(dev, "dev-11")
    assert cancel.order_hint.id_suffix == "66" and cancel.reason == "ordered by mistake"
    (cancel,) = requests(dev, "dev-2")
    assert cancel.order_hint.products == ["Tea Kettle"]


def test_items_added_at_confirmation(dev):
    (ret,) = requests(dev, "dev-13")
    assert isinstance(ret, Return)
    assert [i.product for i in ret.items] == ["Portable Charger"]
    assert [i.product for i in ret.add_at_confirmation] == ["Bookshelf", "Cycling Helmet"]
    assert ret.payment_words == "website credit" and ret.payment_method_id.startswith("gift_card_")


def test_declined_exchange_compiles_to_nothing(dev):
    kept, declined = requests(dev, "dev-16")
    assert not kept.decline_at_confirmation
    assert declined.decline_at_confirmation and declined.changes[0].asked_as == "a green one"
    assert [a["kwargs"]["order_id"] for a in dev["dev-16"].expected_actions()] == [kept.order_id]


def test_switch_after_the_first_choice_is_available(dev):
    (exchange,) = requests(dev, "dev-18")
    assert exchange.first_choice[0].wanted == {"capacity": "1L", "color": "black"}
    assert exchange.changes[0].wanted == {"capacity": "1.5L", "material": "glass"}


def test_dont_care_picks_the_cheapest(dev):
    mouse, shelf = requests(dev, "dev-1")[0].changes
    assert mouse.flexible == ["connectivity"] and mouse.cheapest
    assert shelf.wanted == {"height": "5 ft", "material": "glass"} and shelf.undecided == ["color"]


def test_pending_exchange_is_a_modify_and_payment_words(dev):
    (modify,) = requests(dev, "dev-9")
    assert isinstance(modify, ModifyItems)
    assert (modify.payment_words, modify.payment_rather_than) == ("paypal", "gift card")
    assert modify.payment_method_id.startswith("paypal_")


def test_keeping_everything_is_no_write(dev):
    (keep,) = requests(dev, "dev-17")
    assert isinstance(keep, NoChange) and keep.about == ["Tea Kettle"] and keep.ask_options
    assert dev["dev-17"].expected_actions() == []


# -- the rules are general, not fitted to the wording ----------------------------------------


def reworded(task_id: str, old: str, new: str) -> dict:
    task = next(t for t in taubench.load_tasks("dev") if t["id"] == task_id)
    assert old in task["instruction"]
    return {**task, "instruction": task["instruction"].replace(old, new)}


def test_preference_the_other_way_round(store):
    parsed = parse(reworded("dev-9", "you prefer paypal than GC", "you prefer a gift card over paypal"), store)
    assert parsed.agenda.requests[0].payment_method_id.startswith("gift_card_")


def test_refund_means_cancel_when_pending_and_return_when_delivered(dev, store):
    assert requests(dev, "dev-0")[0].kind == "cancel"  # "not receive it ... a full refund", pending
    assert requests(dev, "dev-3")[0].kind == "return"  # "a full refund via paypal", delivered
    task = reworded("dev-0", "#W5442520", "#W5866402")  # the same words about a delivered order ...
    task["instruction"] = task["instruction"].replace("get a full refund", "get a full refund for all the items")
    (ret,) = parse(task, store).agenda.requests  # ... with two items: it must say which
    assert isinstance(ret, Return) and len(ret.items) == 2 and ret.payment_words == "full refund"


def test_mistake_words_give_the_mistake_reason(store):
    parsed = parse(reworded("dev-6", "because you don't need the items", "because you placed it by mistake"), store)
    assert parsed.agenda.requests[0].reason == "ordered by mistake"


# -- odd text never raises ---------------------------------------------------------------------

ODD = [
    "",
    "hello there",
    "Your name is Omar Anderson and your zip code is 19031. You are calm.",
    "Your name is Omar Anderson. You are calm. Cancel order #W6067464 because no longer needed.",
    "Your name is Omar Anderson and your zip code is 19031. You are calm. Cancel order #W0000000 because bored. ",
    "Your name is Omar Anderson and your zip code is 19031. You are calm. Return #W6067464 via paypal_1: Spaceship; ",
    ("Your name is Omar Anderson and your zip code is 19031. You are calm. For #W6067464, exchange Electric Kettle "
     "{'capacity': __import__('os')} to {}; via credit_card_4190576. "),
    "Your name is Omar Anderson and your zip code is 19031. You are calm. Please do something about my stuff.",
]


@pytest.mark.parametrize("instruction", ODD)
def test_odd_instructions_are_unparsed_with_a_reason(store, instruction):
    result = parse({"id": "odd", "user_id": "omar_anderson_3203", "instruction": instruction, "actions": []}, store)
    assert isinstance(result, Unparsed) and result.reason
    assert not result.reason.startswith("parser failure"), result.reason
