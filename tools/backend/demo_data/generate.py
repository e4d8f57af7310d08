"""Seeded generator of the demo store: users, orders, products, shipments and stock.

The records have the schema of the public tau-bench retail data but are all invented here,
so the project runs on a fresh machine without that data set. A few fixed "scenario
customers" (see README.md next to this file) exercise particular branches of the processes;
everything else is random but drawn from one `random.Random(seed)`, so every run writes the
same bytes.

    python -m procall.tools.backend.demo_data.generate [output folder]
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import sys
from datetime import timedelta
from pathlib import Path

from procall.tools.backend.logistics import AS_OF, CARRIERS, NEIGHBOURS

HERE = Path(__file__).resolve().parent
COLLECTIONS = ("users", "orders", "products", "shipments", "stock")
RESTOCK_DATE = (AS_OF + timedelta(days=7)).isoformat()  # every shortage is expected back in a week
CANCEL_REASONS = ("no longer needed", "ordered by mistake")

# Product types: name, price range in dollars, option dimensions ("dimension: value, value; ...").
CATALOG = [
    ("T-Shirt", (14, 42), "color: white, black, navy, heather grey, forest green, red; size: S, M, L, XL, XXL; "
                          "material: cotton, organic cotton, linen blend; style: crew neck, v-neck"),
    ("Electric Kettle", (28, 120), "capacity: 1L, 1.5L, 1.7L, 2L; material: stainless steel, glass, plastic; "
                                   "color: black, white, silver, copper"),
    ("Gaming Mouse", (24, 110), "color: black, white, pink; sensor type: optical, laser; "
                                "connectivity: wired, wireless, bluetooth"),
    ("Bookshelf", (60, 320), "material: oak, walnut, pine, metal, bamboo; color: natural, black, white, espresso; "
                             "height: 3 ft, 4 ft, 5 ft, 6 ft"),
    ("Running Shoes", (55, 180), "size: 7, 8, 9, 10, 11, 12; color: black, white, blue, neon yellow; "
                                 "material: mesh, knit, synthetic"),
    ("Office Chair", (120, 480), "material: mesh, fabric, leather; color: black, grey, blue; "
                                 "armrest: fixed, adjustable, none; backrest height: standard, high-back"),
    ("Backpack", (28, 140), "color: black, olive, navy, grey, burgundy; size: small, medium, large; "
                            "material: nylon, canvas, polyester; compartment: laptop, hydration, camera"),
    ("Water Bottle", (12, 45), "capacity: 500ml, 750ml, 1000ml; material: stainless steel, glass, plastic; "
                               "color: blue, green, black, white, red"),
    ("Desk Lamp", (19, 110), "color: black, white, brass, silver; brightness: low, medium, high; "
                             "power source: AC adapter, USB, battery"),
    ("Headphones", (35, 350), "type: over-ear, on-ear, in-ear; connectivity: wired, wireless; "
                              "color: black, white, blue, red"),
    ("Jigsaw Puzzle", (10, 45), "pieces: 500, 1000, 1500, 2000; theme: animals, landscapes, art, cities, fantasy; "
                                "difficulty level: beginner, intermediate, expert"),
    ("Skateboard", (50, 220), "deck material: maple, bamboo, plastic; length: 28 inch, 31 inch, 34 inch; "
                              "design: plain, graphic, custom"),
    ("Wristwatch", (40, 400), "strap material: leather, metal, silicone; dial color: black, white, blue, green; "
                              "movement: quartz, automatic"),
    ("Yoga Mat", (18, 90), "thickness: 4mm, 6mm, 8mm; material: PVC, TPE, natural rubber, cork; "
                           "color: purple, teal, black, pink, grey"),
    ("Coffee Maker", (40, 260), "color: black, stainless steel, white; capacity: 4 cups, 8 cups, 10 cups, 12 cups; "
                                "type: drip, espresso, french press, pour-over"),
    ("Bluetooth Speaker", (30, 200), "color: black, blue, red, sand; battery life: 8 hours, 12 hours, 20 hours; "
                                     "water resistance: none, IPX4, IPX7"),
    ("Laptop Sleeve", (15, 55), "size: 13 inch, 14 inch, 15 inch, 16 inch; color: black, grey, navy, tan; "
                                "material: neoprene, felt, leather"),
    ("Air Purifier", (90, 400), "room size: small, medium, large; filter type: HEPA, carbon, ionic; "
                                "features: none, smart sensors, quiet mode"),
    ("Tent", (80, 450), "capacity: 1-person, 2-person, 4-person, 6-person; color: green, orange, blue; "
                        "season: 3-season, 4-season"),
    ("Sunglasses", (25, 220), "frame color: black, tortoise, gold, silver; lens color: grey, brown, green, blue; "
                              "lens type: polarized, non-polarized"),
    ("Mechanical Keyboard", (60, 240), "switch type: linear, tactile, clicky; layout: full size, TKL, 75%, 60%; "
                                       "backlight: none, white, RGB"),
    ("Cookware Set", (70, 400), "material: stainless steel, cast iron, aluminium; piece count: 5, 8, 10, 12; "
                                "coating: none, ceramic, non-stick"),
    ("Hiking Boots", (90, 260), "size: 7, 8, 9, 10, 11, 12; material: leather, synthetic; waterproof: yes, no"),
    ("Throw Blanket", (25, 120), "material: fleece, wool, cotton, sherpa; size: throw, twin, queen; "
                                 "color: cream, grey, mustard, sage"),
    ("Wall Clock", (20, 120), "diameter: 10 inches, 12 inches, 14 inches; color: black, white, wood; "
                              "style: modern, vintage, minimalist"),
    ("Garden Hose", (20, 80), "length: 25 ft, 50 ft, 75 ft, 100 ft; material: rubber, vinyl, latex; "
                              "color: green, black, blue"),
    ("Notebook", (5, 30), "paper type: lined, dotted, blank, grid; size: pocket, A5, A4; cover: hardcover, softcover"),
    ("Cycling Helmet", (35, 200), "size: S, M, L; color: black, white, red, silver; ventilation: low, medium, high"),
    ("Pet Bed", (25, 140), "size: small, medium, large; material: memory foam, polyester, cotton; "
                           "color: grey, beige, brown"),
    ("Blender", (35, 300), "capacity: 500ml, 1L, 1.5L, 2L; material: plastic, glass; speed settings: 3, 5, 10"),
    ("Action Camera", (120, 500), "resolution: 1080p, 4K, 5K; waterproof: yes, no; color: black, silver"),
    ("Electric Toothbrush", (25, 180), "color: white, black, pink, blue; speed settings: low, high; "
                                       "battery type: rechargeable, AA batteries"),
    ("Luggage Set", (90, 450), "piece count: 2-piece, 3-piece, 4-piece; color: black, navy, red, silver; "
                               "material: hardshell, softshell"),
    ("Planter", (15, 90), "material: ceramic, terracotta, concrete, plastic; "
                          "diameter: 6 inch, 8 inch, 10 inch, 12 inch; color: white, grey, black"),
    ("Vacuum Cleaner", (80, 500), "type: upright, canister, robotic, stick; bagged: bagged, bagless; "
                                  "features: pet hair removal, HEPA filter, cordless"),
]

FIRST_NAMES = ("Ava Olivia Emma Sophia Isabella Amelia Harper Evelyn Abigail Ella Scarlett Aria Layla Nora Zoe "
               "Hannah Leah Maya Ruby Stella James Noah Lucas Mason Logan Elijah Aiden Jackson Samuel Henry "
               "Owen Caleb Isaac Julian Adrian Miles Omar Rafael Yusuf Mateo").split()
LAST_NAMES = ("Foster Hayes Miller Bennett Coleman Fischer Ortiz Clark Lewis Walker Hall Young Allen Wright Scott "
              "Green Baker Adams Nelson Hill Campbell Mitchell Roberts Phillips Evans Turner Torres Parker Collins "
              "Edwards Stewart Morris Murphy Cook Rogers Reed Bailey Sullivan Reyes").split()
# City, state and the first three digits of its zip codes.
CITIES = [tuple(city.split("/")) for city in (
    "San Francisco/CA/941, Los Angeles/CA/900, San Diego/CA/921, Seattle/WA/981, Portland/OR/972, Denver/CO/802, "
    "Phoenix/AZ/850, Austin/TX/787, Houston/TX/770, Chicago/IL/606, Minneapolis/MN/554, Atlanta/GA/303, "
    "Miami/FL/331, Boston/MA/021, New York/NY/100, Philadelphia/PA/191, Nashville/TN/372, Columbus/OH/432"
).split(", ")]
STREETS = ("Maple Avenue, Birch Court, Cedar Lane, Juniper Street, Pine Road, Aspen Way, Hillcrest Road, "
           "Willow Way, Magnolia Avenue, Quarry Road, Harbor Boulevard, Sunset Terrace, Mill Road, "
           "Orchard Lane, River Street, Highland Avenue").split(", ")
BRANDS = ["visa", "mastercard", "amex"]


# -- scenario customers (documented in README.md; tests/test_demo_data.py relies on them) ----

def paypal(method_id):
    return {"source": "paypal", "id": method_id}


def card(method_id, brand, last_four):
    return {"source": "credit_card", "id": method_id, "brand": brand, "last_four": last_four}


def gift_card(method_id, balance):
    return {"source": "gift_card", "id": method_id, "balance": balance}


def parcel(positions, tracking_id, status, day=None, left_with=None):
    """A scenario parcel: which items (positions in the order) it holds and what the carrier says.
    `day` is the delivered date of a delivered parcel, the expected date of one in transit."""
    return positions, tracking_id, status, day, left_with


# Orders are listed oldest first (a user's `orders` keep that order). Each scenario item is an
# available variant, chosen at random, of the named product.
SCENARIOS = [
    {"user_id": "mia_castillo_1001", "name": ("Mia", "Castillo"), "email": "mia.castillo@example.com",
     "address": ("1420 Valencia Street", "Apt 3", "San Francisco", "CA", "94110"),
     "methods": [paypal("paypal_1001001"), card("credit_card_1001002", "visa", "4821"),
                 gift_card("gift_card_1001003", 150.0)],
     "orders": [("#W1001001", "delivered", ["Electric Kettle", "Desk Lamp", "Yoga Mat"], "credit_card_1001002",
                 [parcel([0, 1], "100100100101", "delivered", "2024-05-15"),
                  parcel([2], "100100100102", "delivered", "2024-05-16")]),
                ("#W1001002", "pending", ["Water Bottle", "Backpack"], "gift_card_1001003", [])]},
    {"user_id": "ethan_brooks_1002", "name": ("Ethan", "Brooks"), "email": "ethan.brooks@example.com",
     "address": ("2218 North Halsted Street", "", "Chicago", "IL", "60614"),
     "methods": [card("credit_card_1002001", "mastercard", "3390"), paypal("paypal_1002002")],
     "orders": [("#W1002001", "delivered", ["Jigsaw Puzzle"], "paypal_1002002",
                 [parcel([0], "100200200101", "delivered", "2024-05-02")]),
                ("#W1002002", "processed", ["Office Chair", "Headphones", "Gaming Mouse"], "credit_card_1002001",
                 [parcel([1, 2], "100200200201", "delivered", "2024-05-18"),
                  parcel([0], "100200200202", "in_transit", "2024-05-23")])]},
    {"user_id": "grace_okafor_1003", "name": ("Grace", "Okafor"), "email": "grace.okafor@example.com",
     "address": ("215 West 104th Street", "Apt 5C", "New York", "NY", "10025"),
     "methods": [paypal("paypal_1003001"), card("credit_card_1003002", "amex", "1007")],
     "orders": [("#W1003001", "delivered", ["Wristwatch", "Skateboard"], "paypal_1003001",
                 [parcel([0, 1], "100300300101", "delivered", "2024-05-17", "your neighbour at no. 12")])]},
    {"user_id": "oliver_hughes_1004", "name": ("Oliver", "Hughes"), "email": "oliver.hughes@example.com",
     "address": ("3510 Fremont Avenue North", "", "Seattle", "WA", "98103"),
     "methods": [card("credit_card_1004001", "visa", "6612"), paypal("paypal_1004002")],
     "orders": [("#W1004001", "delivered", ["Bookshelf"], "credit_card_1004001",
                 [parcel([0], "100400400101", "delivered", "2024-04-26")]),
                ("#W1004002", "delivered", ["Running Shoes", "Water Bottle"], "paypal_1004002",
                 [parcel([0, 1], "100400400201", "delivered", "2024-05-09")]),
                ("#W1004003", "delivered", ["Headphones", "T-Shirt", "Desk Lamp"], "credit_card_1004001",
                 [parcel([0, 1, 2], "100400400301", "delivered", "2024-05-14")])]},
    {"user_id": "chloe_ramirez_1005", "name": ("Chloe", "Ramirez"), "email": "chloe.ramirez@example.com",
     "address": ("1908 South Congress Avenue", "Unit 12", "Austin", "TX", "78704"),
     "methods": [paypal("paypal_1005001"), card("credit_card_1005002", "mastercard", "7745"),
                 gift_card("gift_card_1005003", 12.5), gift_card("gift_card_1005004", 420.0)],
     "orders": [("#W1005001", "delivered", ["T-Shirt", "Running Shoes", "Backpack"], "credit_card_1005002",
                 [parcel([0, 1, 2], "100500500101", "delivered", "2024-05-12")]),
                ("#W1005002", "pending", ["Gaming Mouse", "Electric Kettle", "Jigsaw Puzzle"], "paypal_1005001", [])]},
    {"user_id": "liam_carter_1006", "name": ("Liam", "Carter"), "email": "liam.carter@example.com",
     "address": ("640 Ponce de Leon Avenue", "Suite 210", "Atlanta", "GA", "30307"),
     "methods": [card("credit_card_1006001", "visa", "2290")],
     "orders": [("#W1006001", "delivered", ["Bookshelf"], "credit_card_1006001",
                 [parcel([0], "100600600101", "delivered", "2024-05-10")])]},
    {"user_id": "liam_carter_1007", "name": ("Liam", "Carter"), "email": "liam.carter2@example.com",
     "address": ("1734 SE Hawthorne Boulevard", "", "Portland", "OR", "97214"),
     "methods": [paypal("paypal_1007001"), gift_card("gift_card_1007002", 60.0)],
     "orders": [("#W1007001", "pending", ["Yoga Mat", "Jigsaw Puzzle"], "paypal_1007001", [])]},
]
# Mia's Desk Lamp: a delivered item that is out of stock, for "refund or wait for the restock".
SCENARIO_SHORTAGES = [("#W1001001", 1)]


class Ids:
    """Random numeric ids that never repeat; the scenarios' fixed ids are reserved first."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def new(self, digits: int, prefix: str = "") -> str:
        while True:
            value = prefix + str(self.rng.randrange(10 ** (digits - 1), 10 ** digits))
            if value not in self.used:
                self.used.add(value)
                return value


def reserve_scenario_ids(ids: Ids) -> None:
    for spec in SCENARIOS:
        ids.used.update([spec["user_id"], *(m["id"] for m in spec["methods"])])
        for order_id, *_, parcels in spec["orders"]:
            ids.used.update([order_id, *(p[1] for p in parcels)])


# -- catalogue -------------------------------------------------------------------------------

def make_products(rng: random.Random, ids: Ids) -> dict:
    products = {}
    for name, (low, high), spec in CATALOG:
        dimensions = {key: values.split(", ") for key, values in (part.split(": ") for part in spec.split("; "))}
        product_id = ids.new(10)
        combos = list(itertools.product(*dimensions.values()))
        base = rng.uniform(low, high)  # variants of one product cost about the same
        variants = {}
        for combo in rng.sample(combos, rng.randint(4, min(15, len(combos)))):
            item_id = ids.new(10)
            variants[item_id] = {"item_id": item_id, "options": dict(zip(dimensions, combo, strict=True)),
                                 "available": rng.random() < 0.87, "price": round(base * rng.uniform(0.85, 1.15), 2)}
        # At least three available variants, so an exchange or item change always has a choice.
        for variant in variants.values():
            if sum(v["available"] for v in variants.values()) >= 3:
                break
            variant["available"] = True
        products[product_id] = {"name": name, "product_id": product_id, "variants": variants}
    return products


def order_item(product: dict, variant: dict) -> dict:
    return {"name": product["name"], "product_id": product["product_id"], "item_id": variant["item_id"],
            "price": variant["price"], "options": dict(variant["options"])}


def random_items(rng: random.Random, products: list[dict]) -> list[dict]:
    items = [order_item(p, rng.choice(list(p["variants"].values())))
             for p in rng.sample(products, rng.randint(1, 5))]
    if rng.random() < 0.05:  # now and then someone buys two of the same thing
        items.append(copy.deepcopy(rng.choice(items)))
    return items


# -- customers and orders --------------------------------------------------------------------

def make_address(rng: random.Random) -> dict:
    city, state, zip3 = rng.choice(CITIES)
    address2 = rng.choice(["", "", f"Apt {rng.randint(1, 40)}", f"Suite {rng.randint(100, 999)}"])
    return {"address1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}", "address2": address2, "city": city,
            "country": "USA", "state": state, "zip": f"{zip3}{rng.randint(0, 99):02d}"}


def make_methods(rng: random.Random, ids: Ids) -> dict:
    methods = {}
    for _ in range(rng.choices([1, 2, 3, 4], weights=[45, 32, 16, 7])[0]):
        source = rng.choices(["credit_card", "paypal", "gift_card"], weights=[45, 25, 30])[0]
        if source == "paypal" and any(m["source"] == "paypal" for m in methods.values()):
            source = "credit_card"  # one PayPal account per customer
        method_id = ids.new(7, f"{source}_")
        if source == "paypal":
            methods[method_id] = paypal(method_id)
        elif source == "credit_card":
            methods[method_id] = card(method_id, rng.choice(BRANDS), f"{rng.randint(0, 9999):04d}")
        else:
            methods[method_id] = gift_card(method_id, round(rng.uniform(0, 250), rng.choice([0, 2, 2])))
    return methods


def make_order(rng: random.Random, order_id: str, user_id: str, address: dict, items: list[dict],
               status: str, method_id: str) -> dict:
    amount = round(sum(item["price"] for item in items), 2)
    order = {"order_id": order_id, "user_id": user_id, "address": dict(address), "items": items,
             "fulfillments": [], "status": status,
             "payment_history": [{"transaction_type": "payment", "amount": amount, "payment_method_id": method_id}]}
    if status == "cancelled":  # cancelled while pending: the whole payment went back to the same method
        order["payment_history"].append({"transaction_type": "refund", "amount": amount,
                                         "payment_method_id": method_id})
        order["cancel_reason"] = rng.choice(CANCEL_REASONS)
    return order


def scenario_variant(rng: random.Random, product: dict, used: set) -> dict:
    """An available variant not yet in another scenario order, so each scenario's stock facts stay its own."""
    available = [v for v in product["variants"].values() if v["available"]]
    variant = rng.choice([v for v in available if v["item_id"] not in used] or available)
    used.add(variant["item_id"])
    return variant


def scenario_customers(rng: random.Random, by_name: dict) -> tuple[dict, dict, list[dict]]:
    users, orders, shipments, used = {}, {}, [], set()
    for spec in SCENARIOS:
        address1, address2, city, state, zip_code = spec["address"]
        address = {"address1": address1, "address2": address2, "city": city, "country": "USA", "state": state,
                   "zip": zip_code}
        for order_id, status, names, method_id, parcels in spec["orders"]:
            items = [order_item(by_name[n], scenario_variant(rng, by_name[n], used)) for n in names]
            order = orders[order_id] = make_order(rng, order_id, spec["user_id"], address, items, status, method_id)
            for positions, tracking_id, ship_status, day, left_with in parcels:
                order["fulfillments"].append({"tracking_id": [tracking_id],
                                              "item_ids": [items[i]["item_id"] for i in positions]})
                shipments.append(shipment(tracking_id, order_id, rng.choice(CARRIERS), ship_status,
                                          day if ship_status == "in_transit" else None,
                                          day if ship_status == "delivered" else None, left_with))
        first, last = spec["name"]
        methods = {m["id"]: dict(m) for m in spec["methods"]}
        users[spec["user_id"]] = {"name": {"first_name": first, "last_name": last}, "address": address,
                                  "email": spec["email"], "payment_methods": methods,
                                  "orders": [o[0] for o in spec["orders"]]}
    return users, orders, shipments


def random_customers(rng: random.Random, ids: Ids, products: list[dict], count: int) -> tuple[dict, dict]:
    taken = {(*spec["name"], spec["address"][4]) for spec in SCENARIOS}
    scenario_names = {spec["name"] for spec in SCENARIOS}  # keep name+zip look-ups of scenarios unambiguous
    users, orders = {}, {}
    while len(users) < count:
        first, last, address = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), make_address(rng)
        if (first, last) in scenario_names or (first, last, address["zip"]) in taken:
            continue
        taken.add((first, last, address["zip"]))
        user_id = ids.new(4, f"{first.lower()}_{last.lower()}_")
        methods = make_methods(rng, ids)
        statuses = rng.choices(["pending", "delivered", "processed", "cancelled"], weights=[40, 35, 12, 13],
                               k=rng.choices([1, 2, 3, 4, 5, 6], weights=[14, 20, 24, 20, 13, 9])[0])
        # Oldest first: delivered before cancelled before those still on their way or not yet sent.
        statuses.sort(key=["delivered", "cancelled", "processed", "pending"].index)
        user_orders = []
        for status in statuses:
            order_id = ids.new(7, "#W")
            ship_to = address if rng.random() < 0.9 else make_address(rng)  # a few went to another address
            orders[order_id] = make_order(rng, order_id, user_id, ship_to, random_items(rng, products), status,
                                          rng.choice(list(methods)))
            user_orders.append(order_id)
        users[user_id] = {"name": {"first_name": first, "last_name": last}, "address": address,
                          "email": ids.new(4, f"{first.lower()}.{last.lower()}") + "@example.com",
                          "payment_methods": methods, "orders": user_orders}
    return users, orders


# -- parcels and stock -----------------------------------------------------------------------

def shipment(tracking_id, order_id, carrier, status, expected_date=None, delivered_date=None, left_with=None):
    return {"tracking_id": tracking_id, "order_id": order_id, "carrier": carrier, "status": status,
            "expected_date": expected_date, "delivered_date": delivered_date, "left_with": left_with}


def split_items(rng: random.Random, item_ids: list[str], status: str) -> list[list[str]]:
    """About a quarter of shipped orders went out in 2-3 parcels, each with some of the items."""
    if status not in ("delivered", "processed") or len(item_ids) < 2 or rng.random() >= 0.35:
        return [item_ids]
    count = rng.randint(2, min(3, len(item_ids)))
    positions = list(range(len(item_ids)))
    rng.shuffle(positions)
    groups = [sorted(positions[i::count]) for i in range(count)]
    return [[item_ids[i] for i in group] for group in groups]


def ship_order(rng: random.Random, ids: Ids, order: dict) -> list[dict]:
    """Fulfilments and carrier records of a random order, consistent with its status."""
    status, shipments = order["status"], []
    if status == "pending":  # nothing has left the warehouse yet
        return shipments
    groups = split_items(rng, [item["item_id"] for item in order["items"]], status)
    delivered_on = AS_OF - timedelta(days=rng.randint(3, 30))  # later parcels arrived a day apart
    for number, group in enumerate(groups):
        tracking_id = ids.new(12)
        order["fulfillments"].append({"tracking_id": [tracking_id], "item_ids": group})
        carrier = rng.choice(CARRIERS)
        if status == "cancelled":  # a label was printed, then the order was cancelled
            shipments.append(shipment(tracking_id, order["order_id"], carrier, "label_created"))
        elif status == "processed" and (number == len(groups) - 1 or rng.random() < 0.5):
            expected = AS_OF + timedelta(days=rng.randint(1, 6))
            shipments.append(shipment(tracking_id, order["order_id"], carrier, "in_transit", expected.isoformat()))
        else:
            day = delivered_on + timedelta(days=number)
            if status == "processed":  # an earlier parcel of an order still on its way
                day = AS_OF - timedelta(days=rng.randint(1, 4))
            left_with = rng.choice(NEIGHBOURS) if rng.random() < 0.15 else None
            shipments.append(shipment(tracking_id, order["order_id"], carrier, "delivered",
                                      delivered_date=day.isoformat(), left_with=left_with))
    return shipments


def make_stock(rng: random.Random, products: dict, orders: dict) -> list[dict]:
    """Unavailable variants are out of stock; so are a handful of available ones that customers already
    received (the missing-items process then offers a refund or the wait), and the scenario's shortages."""
    scenario_items = {item["item_id"] for spec in SCENARIOS for o in spec["orders"] for item in orders[o[0]]["items"]}
    available = {v["item_id"] for p in products.values() for v in p["variants"].values() if v["available"]}
    delivered = [item["item_id"] for order in orders.values() if order["status"] == "delivered"
                 for item in order["items"]]
    candidates = [i for i in dict.fromkeys(delivered) if i in available and i not in scenario_items]
    short = set(rng.sample(candidates, 6))
    short.update(orders[order_id]["items"][position]["item_id"] for order_id, position in SCENARIO_SHORTAGES)
    rows = []
    for product in products.values():
        for variant in product["variants"].values():
            in_stock = variant["available"] and variant["item_id"] not in short
            rows.append({"item_id": variant["item_id"], "in_stock": in_stock,
                         "restock_date": None if in_stock else RESTOCK_DATE})
    return rows


# -- the whole store -------------------------------------------------------------------------

def generate(seed: int = 2024, users: int = 100) -> dict:
    """The five collections, keyed by file name (without .json), as the JSON files hold them."""
    rng = random.Random(seed)
    ids = Ids(rng)
    reserve_scenario_ids(ids)
    products = make_products(rng, ids)
    by_name = {p["name"]: p for p in products.values()}
    all_users, all_orders, shipments = scenario_customers(rng, by_name)
    more_users, more_orders = random_customers(rng, ids, list(products.values()), users - len(all_users))
    all_users.update(more_users)
    for order in more_orders.values():
        shipments.extend(ship_order(rng, ids, order))
    all_orders.update(more_orders)
    stock = make_stock(rng, products, all_orders)
    return {"users": all_users, "orders": all_orders, "products": products, "shipments": shipments, "stock": stock}


def render(collection) -> str:
    """The exact text of a data file (the tests compare it byte for byte)."""
    return json.dumps(collection, indent=2) + "\n"


def write(folder: Path = HERE, seed: int = 2024) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, collection in generate(seed).items():
        (folder / f"{name}.json").write_text(render(collection))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
