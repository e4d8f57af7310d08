"""Options named by their feature: denied ("don't need to be waterproof") or wanted ("waterproof ones")."""

import pytest

from procall.graphs.retail.option_presence import feature_wishes

BOOTS = {"size": ["10", "11"], "material": ["leather", "synthetic"], "waterproof": ["yes", "no"]}
KEYBOARD = {"switch type": ["clicky", "linear"], "backlight": ["none", "white", "RGB"]}
BULB = {"brightness": ["60W equivalent", "75W equivalent"], "connectivity": ["Wi-Fi", "Bluetooth", "none"]}
CHAIR = {"color": ["black", "grey"], "armrest": ["fixed", "adjustable", "none"]}
SPEAKER = {"color": ["blue", "green"], "water resistance": ["yes", "no"]}


@pytest.mark.parametrize("values, text, wish", [
    (BOOTS, "they don't need to be waterproof", {"waterproof": "no"}),
    (BOOTS, "size 11, not waterproof", {"waterproof": "no"}),
    (BOOTS, "the non-waterproof ones please", {"waterproof": "no"}),
    (BOOTS, "I want waterproof ones in size 11", {"waterproof": "yes"}),
    (BOOTS, "no, make them waterproof", {"waterproof": "yes"}),  # the "no" answers; a comma ends its reach
    (BOOTS, "size 11 leather", {}),
    (KEYBOARD, "linear switches with no backlight", {"backlight": "none"}),
    (KEYBOARD, "without backlight please", {"backlight": "none"}),
    (KEYBOARD, "linear with RGB backlight", {}),  # a value, read by the option matcher, not a denial
    (BULB, "75W, no wifi needed", {"connectivity": "none"}),
    (BULB, "75W with wifi", {}),
    (CHAIR, "grey with no armrests", {"armrest": "none"}),
    (SPEAKER, "doesn't have to be water resistant, blue", {"water resistance": "no"}),
])
def test_feature_wishes(values, text, wish):
    assert feature_wishes(values, text) == wish


@pytest.mark.parametrize("text, wish", [
    ("size 11, leather material, waterproof: no one", {"waterproof": "no"}),
    ("waterproof yes please", {"waterproof": "yes"}),
])
def test_an_option_said_with_its_value(text, wish):
    assert feature_wishes(BOOTS, text) == wish


def test_a_bare_yes_or_no_is_no_option_value():
    """ "yes, I need them in size 8" answers; it does not ask for waterproof boots (role-played train-451)."""
    from procall.graphs.retail.items import wanted_options
    from procall.tools.backend.models import Product

    boots = Product.model_validate({"product_id": "1", "name": "Hiking Boots", "variants": {
        "11": {"item_id": "11", "options": {"size": "8", "waterproof": "yes"}, "available": True, "price": 1.0},
        "12": {"item_id": "12", "options": {"size": "12", "waterproof": "no"}, "available": True, "price": 1.0}}})
    current = {"size": "12", "waterproof": "no"}
    assert wanted_options(boots, current, "yes, I need them in size 8 instead") == {"size": "8"}
    assert wanted_options(boots, current, "size 8, waterproof: yes") == {"size": "8", "waterproof": "yes"}
