"""Two items of one product, each changed its own way, told apart by how the customer describes them
("the green one ... the black one"): role-played train-443, where both speakers got the last colour said."""

from procall.graphs.retail.items import pick_variants
from procall.nodes.process_spec import Resolved
from procall.tools.backend.models import Address, Order, OrderItem, Product, Variant

OPTIONS = {"1": ("green", "10 hours"), "2": ("black", "10 hours"), "3": ("red", "20 hours"), "4": ("blue", "20 hours")}
SPEAKER = Product(name="Bluetooth Speaker", product_id="p", variants={
    k: Variant(item_id=k, options={"color": c, "battery life": b}, available=True, price=10.0)
    for k, (c, b) in OPTIONS.items()})
ORDER = Order(order_id="#W1", user_id="u", status="delivered", fulfillments=[], payment_history=[],
              address=Address(address1="1 Main St", address2="", city="Austin", state="TX", country="USA", zip="78704"),
              items=[OrderItem(name="Bluetooth Speaker", product_id="p", item_id=k, price=10.0,
                               options=SPEAKER.variants[k].options) for k in ("1", "2")])


def new_items(text: str) -> dict[str, str]:
    resolution = pick_variants(ORDER, ["1", "2"], {"p": SPEAKER}, text)
    assert isinstance(resolution, Resolved), resolution
    return {c["item_id"]: c["new_item_id"] for c in resolution.value}


def test_each_twin_by_its_colour():
    assert new_items("the green one i'd like in red, 20 hours. and the black one in blue with 20 hours") == \
        {"1": "3", "2": "4"}


def test_each_twin_by_its_colour_and_product():
    assert new_items("the black speaker in blue, 20 hours, and the green speaker in red, 20 hours") == \
        {"1": "3", "2": "4"}
