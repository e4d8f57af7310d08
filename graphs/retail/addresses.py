"""Addresses: reading one from what the customer writes, or taking one they point to
("the same as my order #W1234567", "my default address")."""

from __future__ import annotations

import re

from pydantic import JsonValue

from ...nodes.process_spec import Rejected, Resolution, Resolved, Unrecognised
from ...tools.backend.models import Address

STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "district of columbia": "DC",
}
CODES = set(STATES.values())
STREET = re.compile(r"\b\d+[A-Za-z]?\s+[A-Za-z0-9 .'\-]+", re.I)
STATE_ZIP = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*,?\s+(\d{5})(?:-\d{4})?\b")
SAME_AS_ORDER = re.compile(r"same\s+(?:\w+\s+){0,2}as\s+(?:(?:my|the|for|in|on|that|of)\s+)*(?:order\s*)?#?\s?W?"
                           r"(\d{7})", re.I)
DEFAULT_WORDS = re.compile(r"\b(default address|my address on file|home address|my profile address|"
                           r"address on my account)\b", re.I)


def _state_zip(part: str) -> tuple[str, str, str] | None:
    """'TX 78701', 'Texas 78701', 'Austin TX 78701': (city written in the same part, state code, zip)."""
    match = STATE_ZIP.match(part.strip())
    if match is None:
        return None
    words = match.group(1).split()
    for size in (1, 2, 3):  # the state is the last one to three words; any words before are the city
        if size > len(words):
            break
        name = " ".join(words[-size:])
        state = name.upper() if name.upper() in CODES else STATES.get(name.lower())
        if state:
            return " ".join(words[:-size]), state, match.group(2)
    return None


def parse(text: str) -> Address | None:
    """'123 Main St, Apt 4, Austin, TX 78701, USA' -> Address (country defaults to USA)."""
    text = re.sub(r"^.*?(?=\b\d+[A-Za-z]?\s+[A-Za-z])", "", text.strip(), count=1, flags=re.S)
    parts = [p.strip(" .") for p in re.split(r",|\n", text) if p.strip(" .")]
    # The address ends at "STATE 12345" (or "STATE 12345, USA"): what follows is the customer talking again.
    end = next((i for i, p in enumerate(parts) if i >= 1 and _state_zip(p)), None)
    if end is None:
        return None
    country = "USA"
    city_here, state, zip_code = _state_zip(parts[end])
    rest = parts[:end] + ([city_here] if city_here else [])
    if len(rest) < 2 or not STREET.match(rest[0]):
        return None
    address1, city = rest[0], rest[-1]
    address2 = ", ".join(p for p in rest[1:-1] if p)  # a unit, suite or building name: kept as written
    return Address(address1=address1, address2=address2, city=city.title() if city.islower() else city,
                   country=country, state=state, zip=zip_code)


def resolve(mention: JsonValue, known: dict[str, Address], default: Address | None = None) -> Resolution:
    """An address from the text, or one the customer points to: `known` maps their order ids to
    the orders' addresses ("same as #W1234567"); `default` is their default address."""
    if isinstance(mention, dict):
        try:
            return Resolved(Address(**{k: mention.get(k, "") for k in Address.model_fields}).model_dump())
        except ValueError:
            return Unrecognised()
    text = str(mention)
    same = SAME_AS_ORDER.search(text)
    if same:
        order_id = f"#W{same.group(1)}"
        if order_id not in known:
            return Rejected(f"I can't find order {order_id} on your account")
        return Resolved(known[order_id].model_dump())
    address = parse(text)
    if address is not None:
        return Resolved(address.model_dump())
    if default is not None and DEFAULT_WORDS.search(text):
        return Resolved(default.model_dump())
    if STREET.search(text) and re.search(r"\d{5}", text):
        return Rejected("I need the full address: street, (apartment or suite,) city, state and zip code")
    return Unrecognised()
