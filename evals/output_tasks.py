"""Train-style tasks whose customer asks for a figure, which the assistant must say (the task's `outputs`).

    python -m procall.evals.output_tasks DATA [--seed N] > evals/tasks/outputs.json

None of the benchmark's train or dev tasks has outputs, yet unseen tasks do: a tracking id, how many
variants of a product are available, a gift-card balance, a total over orders, the refund of a return
or a cancellation, the price difference of an exchange or an item change, a product's cheapest price.
This writes such tasks in the benchmark's task shape ({id, user_id, instruction, actions, outputs})
and in the train template's style ("Your name is X and your zip code is Y. You are … . Ask …"), so
that the project's own simulator (`evals/simulator/`) can play them with `procall eval`.

Everything comes from DATA's users, orders and products; of the task files only the `user_id`s are
read, to build on the train split's customers (those of the dev split are left out). The figures are
computed here from the records, independently of the assistant's code. Each question is unambiguous
by construction: an item's product occurs once in its order, an exchange changes one option to an
available variant, totals are over orders without refunds. Questions asked "before confirming" ride
on a write (a return, an exchange, an item change, a cancellation), whose gold action the task lists.

The output is deterministic: candidates are sorted and drawn from one `random.Random(seed)`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

SEED = 0
TRAITS = ("calm", "direct", "polite", "patient", "curious", "busy", "cautious", "logical", "organized",
          "friendly", "confident", "shy", "flexible", "happy", "pessimistic")
# How many tasks of each kind (read-only kinds first, then a question asked in the middle of a write).
PLAN: tuple[tuple[str, int], ...] = (
    ("tracking", 4), ("variant_count", 4), ("gift_card_balance", 4), ("orders_total", 4),
    ("return_refund", 4), ("exchange_difference", 4), ("modify_difference", 3), ("cheapest_price", 4),
    ("cancel_refund", 3), ("two_questions", 4),
    ("return_then_refund", 2), ("exchange_then_difference", 2), ("modify_then_difference", 1),
    ("cancel_then_refund", 1), ("return_then_tracking", 1),
)
CANCEL_REASONS = ("no longer needed", "ordered by mistake")


def money(amount: float) -> str:
    """An output figure as the scorer compares it: '1234.56' (the assistant's '$1,234.56' contains it)."""
    return f"{round(amount, 2):.2f}"


class Data:
    def __init__(self, folder: Path):
        self.users: dict = json.loads((folder / "users.json").read_text())
        self.orders: dict = json.loads((folder / "orders.json").read_text())
        self.products: dict = json.loads((folder / "products.json").read_text())
        dev = {t["user_id"] for t in json.loads((folder / "tasks_dev.json").read_text())}
        train = {t["user_id"] for t in json.loads((folder / "tasks_train.json").read_text())}
        self.customers = sorted(u for u in train - dev if u in self.users)
        self.name_zips = Counter(self._name_zip(u) for u in self.users.values())

    @staticmethod
    def _name_zip(user: dict) -> tuple[str, str, str]:
        return user["name"]["first_name"].lower(), user["name"]["last_name"].lower(), user["address"]["zip"]

    def orders_of(self, user_id: str, *statuses: str) -> list[dict]:
        found = [dict(self.orders[o], order_id=o) for o in self.users[user_id]["orders"] if o in self.orders]
        return [o for o in found if not statuses or o["status"] in statuses]

    def can_say_name_zip(self, user_id: str) -> bool:
        return self.name_zips[self._name_zip(self.users[user_id])] == 1


# -- what can be asked about ---------------------------------------------------------------------


def unique_items(order: dict) -> list[dict]:
    """The order's items whose product occurs once in it (so the product's name says which item)."""
    counts = Counter(i["product_id"] for i in order["items"])
    return [i for i in order["items"] if counts[i["product_id"]] == 1]


def paid(order: dict) -> float:
    return sum(t["amount"] for t in order["payment_history"] if t["transaction_type"] == "payment")


def refund_free(order: dict) -> bool:
    return order["status"] != "cancelled" and all(t["transaction_type"] == "payment" for t in order["payment_history"])


def tracking_ids(order: dict) -> list[str]:
    return [t for f in order["fulfillments"] for t in f["tracking_id"]]


def one_option_changes(data: Data, item: dict) -> list[tuple[dict, dict]]:
    """(wanted options, variant) for each available variant of the item's product that differs from the
    item in exactly one option and in price."""
    product = data.products[item["product_id"]]
    found = []
    for variant in product["variants"].values():
        differ = {k: v for k, v in variant["options"].items() if item["options"].get(k) != v}
        if variant["available"] and len(differ) == 1 and set(variant["options"]) == set(item["options"]) \
                and round(variant["price"] - item["price"], 2) != 0:
            found.append((differ, variant))
    return sorted(found, key=lambda c: c[1]["item_id"])


def methods(data: Data, user_id: str, *sources: str) -> list[str]:
    return sorted(m for m, v in data.users[user_id]["payment_methods"].items() if not sources or v["source"] in sources)


def original_method(order: dict) -> str:
    return order["payment_history"][0]["payment_method_id"]


# -- instruction segments (parsed back by evals/simulator/template.py) ---------------------------


def items_text(items: list[dict]) -> str:
    return "".join(f"{i['name']}; " for i in items)


def change_text(item: dict, wanted: dict) -> str:
    return f"{item['name']} {item['options']!r} to {wanted!r}; "


class Built:
    """One task's request text, writes and outputs, before the identity is put in front."""

    def __init__(self, user_id: str, segments: list[str], outputs: list[str], actions: list[dict] | None = None):
        self.user_id, self.segments, self.outputs, self.actions = user_id, segments, outputs, actions or []


Maker = Callable[[Data, random.Random, str], Built | None]


def ask_tracking(data: Data, rng: random.Random, user_id: str) -> Built | None:
    shipped = [o for o in data.orders_of(user_id, "delivered", "processed") if len(tracking_ids(o)) == 1]
    if not shipped:
        return None
    order = rng.choice(shipped)
    return Built(user_id, [f"Ask for the tracking id of {order['order_id']}. "], [tracking_ids(order)[0]])


def ask_variant_count(data: Data, rng: random.Random, user_id: str) -> Built | None:
    product = data.products[rng.choice(sorted(data.products))]
    count = sum(v["available"] for v in product["variants"].values())
    return Built(user_id, [f"Ask how many variants of {product['name']} are available. "], [str(count)])


def ask_gift_card_balance(data: Data, rng: random.Random, user_id: str) -> Built | None:
    cards = methods(data, user_id, "gift_card")
    if not cards:
        return None
    card = rng.choice(cards)
    balance = data.users[user_id]["payment_methods"][card]["balance"]
    return Built(user_id, [f"Ask the balance of {card}. "], [money(balance)])


def ask_orders_total(data: Data, rng: random.Random, user_id: str) -> Built | None:
    orders = [o for o in data.orders_of(user_id) if refund_free(o)]
    if len(orders) < 2:
        return None
    first, second = rng.sample(orders, 2)
    return Built(user_id, [f"Ask the total paid for {first['order_id']} and {second['order_id']}. "],
                 [money(paid(first) + paid(second))])


def _returnable(data: Data, rng: random.Random, user_id: str) -> tuple[dict, list[dict]] | None:
    orders = [o for o in data.orders_of(user_id, "delivered") if unique_items(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    items = unique_items(order)
    chosen = rng.sample(items, min(len(items), rng.choice((1, 1, 2))))
    return order, sorted(chosen, key=lambda i: order["items"].index(i))


def ask_return_refund(data: Data, rng: random.Random, user_id: str) -> Built | None:
    found = _returnable(data, rng, user_id)
    if found is None:
        return None
    order, items = found
    return Built(user_id, [f"Ask the refund of returning {order['order_id']}: {items_text(items)}"],
                 [money(sum(i["price"] for i in items))])


def _changeable(data: Data, rng: random.Random, user_id: str, status: str) -> tuple[dict, dict, dict, dict] | None:
    """(order, item, wanted options, new variant) for a one-option change of an item of a `status` order."""
    options = [(o, i, w, v) for o in data.orders_of(user_id, status) for i in unique_items(o)
               for w, v in one_option_changes(data, i)]
    return rng.choice(options) if options else None


def _ask_difference(status: str) -> Maker:
    def make(data: Data, rng: random.Random, user_id: str) -> Built | None:
        found = _changeable(data, rng, user_id, status)
        if found is None:
            return None
        order, item, wanted, variant = found
        segment = f"Ask the price difference of changing {order['order_id']}: {change_text(item, wanted)}"
        return Built(user_id, [segment], [money(abs(variant["price"] - item["price"]))])
    return make


def ask_cheapest_price(data: Data, rng: random.Random, user_id: str) -> Built | None:
    product = data.products[rng.choice(sorted(data.products))]
    prices = [v["price"] for v in product["variants"].values() if v["available"]]
    if not prices:
        return None
    return Built(user_id, [f"Ask the cheapest available price of {product['name']}. "], [money(min(prices))])


def ask_cancel_refund(data: Data, rng: random.Random, user_id: str) -> Built | None:
    orders = [o for o in data.orders_of(user_id, "pending") if refund_free(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    return Built(user_id, [f"Ask the refund of cancelling {order['order_id']}. "], [money(paid(order))])


READ_ONLY: dict[str, Maker] = {
    "tracking": ask_tracking, "variant_count": ask_variant_count, "gift_card_balance": ask_gift_card_balance,
    "orders_total": ask_orders_total, "return_refund": ask_return_refund,
    "exchange_difference": _ask_difference("delivered"), "modify_difference": _ask_difference("pending"),
    "cheapest_price": ask_cheapest_price, "cancel_refund": ask_cancel_refund,
}


def two_questions(data: Data, rng: random.Random, user_id: str) -> Built | None:
    """Two read-only questions of different kinds, one after the other."""
    kinds = sorted(READ_ONLY)
    rng.shuffle(kinds)
    built = []
    for kind in kinds:
        one = READ_ONLY[kind](data, rng, user_id)
        if one is not None:
            built.append(one)
        if len(built) == 2:
            return Built(user_id, built[0].segments + built[1].segments, built[0].outputs + built[1].outputs)
    return None


def return_then_refund(data: Data, rng: random.Random, user_id: str) -> Built | None:
    found = _returnable(data, rng, user_id)
    if found is None:
        return None
    order, items = found
    method = rng.choice([original_method(order), *methods(data, user_id, "gift_card")])
    action = {"name": "return_delivered_order_items",
              "kwargs": {"order_id": order["order_id"], "item_ids": [i["item_id"] for i in items],
                         "payment_method_id": method}}
    return Built(user_id, [f"Return {order['order_id']} via {method}: {items_text(items)}",
                           "Before confirming, ask the refund. "], [money(sum(i["price"] for i in items))], [action])


def _change_then_difference(status: str) -> Maker:
    def make(data: Data, rng: random.Random, user_id: str) -> Built | None:
        found = _changeable(data, rng, user_id, status)
        if found is None:
            return None
        order, item, wanted, variant = found
        difference = round(variant["price"] - item["price"], 2)
        # Pay with a method that cannot be refused: not a gift card short of the difference.
        usable = [m for m in methods(data, user_id) if not m.startswith("gift_card")
                  or data.users[user_id]["payment_methods"][m].get("balance", 0) >= max(difference, 0)]
        if not usable:
            return None
        method = rng.choice(usable)
        verb, name = ("exchange", "exchange_delivered_order_items") if status == "delivered" \
            else ("modify", "modify_pending_order_items")
        action = {"name": name, "kwargs": {"order_id": order["order_id"], "item_ids": [item["item_id"]],
                                           "new_item_ids": [variant["item_id"]], "payment_method_id": method}}
        return Built(user_id, [f"For {order['order_id']}, {verb} {change_text(item, wanted)}via {method}. ",
                               "Before confirming, ask the price difference. "], [money(abs(difference))], [action])
    return make


def cancel_then_refund(data: Data, rng: random.Random, user_id: str) -> Built | None:
    orders = [o for o in data.orders_of(user_id, "pending") if refund_free(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    reason = rng.choice(CANCEL_REASONS)
    action = {"name": "cancel_pending_order", "kwargs": {"order_id": order["order_id"], "reason": reason}}
    return Built(user_id, [f"Cancel order {order['order_id']} because {reason}. ",
                           "Before confirming, ask the refund. "], [money(paid(order))], [action])


def return_then_tracking(data: Data, rng: random.Random, user_id: str) -> Built | None:
    found = _returnable(data, rng, user_id)
    if found is None:
        return None
    order, items = found
    others = [o for o in data.orders_of(user_id, "delivered", "processed")
              if o["order_id"] != order["order_id"] and len(tracking_ids(o)) == 1]
    if not others:
        return None
    other = rng.choice(others)
    method = original_method(order)
    action = {"name": "return_delivered_order_items",
              "kwargs": {"order_id": order["order_id"], "item_ids": [i["item_id"] for i in items],
                         "payment_method_id": method}}
    return Built(user_id, [f"Return {order['order_id']} via {method}: {items_text(items)}",
                           f"Before confirming, ask for the tracking id of {other['order_id']}. "],
                 [tracking_ids(other)[0]], [action])


MAKERS: dict[str, Maker] = {
    **READ_ONLY, "two_questions": two_questions, "return_then_refund": return_then_refund,
    "exchange_then_difference": _change_then_difference("delivered"),
    "modify_then_difference": _change_then_difference("pending"), "cancel_then_refund": cancel_then_refund,
    "return_then_tracking": return_then_tracking,
}


# -- whole tasks ---------------------------------------------------------------------------------


def header(data: Data, rng: random.Random, user_id: str) -> str:
    user = data.users[user_id]
    name = f"{user['name']['first_name']} {user['name']['last_name']}"
    if data.can_say_name_zip(user_id) and rng.random() < 0.5:
        who = f"Your name is {name} and your zip code is {user['address']['zip']}."
    else:
        who = f"Your name is {name} and your email is {user['email']}."
    traits = ", ".join(rng.sample(TRAITS, rng.randint(2, 4)))
    return f"{who} You are {traits}. "


def build(data: Data, seed: int = SEED) -> list[dict]:
    """The tasks, in PLAN's order; each kind's customers drawn without repeating one across tasks."""
    rng = random.Random(seed)
    used: set[str] = set()
    tasks: list[dict] = []
    for kind, count in PLAN:
        customers = [u for u in data.customers if u not in used]
        rng.shuffle(customers)
        made = 0
        for user_id in customers:
            if made == count:
                break
            built = MAKERS[kind](data, rng, user_id)
            if built is None:
                continue
            used.add(user_id)
            made += 1
            tasks.append({"id": f"outputs-{len(tasks)}", "user_id": user_id,
                          "instruction": (header(data, rng, user_id) + "".join(built.segments)).rstrip() + " ",
                          "actions": built.actions, "outputs": built.outputs,
                          "split": "train"})  # built from the train split's customers
        if made < count:
            raise ValueError(f"only {made} customers fit {kind!r}, {count} wanted")
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.output_tasks", description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the benchmark's data folder (users, orders, products, task files)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    json.dump(build(Data(args.data), args.seed), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
