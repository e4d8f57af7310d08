"""Addresses: reading one from what the customer writes, or taking one they point to
("the same as my order #W1234567", "my default address")."""

from __future__ import annotations

import re

from pydantic import JsonValue

from ...nodes.matching import ANOTHER_ORDERS_ADDRESS
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
# A unit on the street line or in words around it: "Suite 613", "Apt 4B", "unit #12", "Apt C"
UNIT = re.compile(r"\b(?:suite|ste|apt|apartment|unit|room|floor|building|bldg)\.?\s*#?\s*[A-Za-z]?\d+[A-Za-z]?\b"
                  r"|\b(?:suite|ste|apt|apartment|unit)\.?\s+[A-Za-z]\b", re.I)
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


def referenced_order(text: str) -> str | None:
    """The order whose address the customer points to ("same as my other order W1603792"), as "#W…"."""
    match = ANOTHER_ORDERS_ADDRESS.search(text)
    return f"#W{next(g for g in match.groups() if g)}" if match else None


def _split_unit(line: str) -> tuple[str, str]:
    """'967 Sunset Drive Suite 613' -> ('967 Sunset Drive', 'Suite 613'): a unit written on the street line."""
    match = UNIT.search(line)
    if match is None or match.start() == 0 or not STREET.match(line[:match.start()].strip(" ,")):
        return line, ""
    return line[:match.start()].strip(" ,"), line[match.start():].strip(" ,")


def _second_line(part: str) -> str:
    """'then Suite 564 on the second line' -> 'Suite 564'; a building name or the like is kept as written."""
    match = UNIT.search(part)
    return match.group(0) if match else part


def _cased(line: str) -> str:
    """'760 elm ave' -> '760 Elm Ave'; a line the customer wrote with capitals is kept as written."""
    return " ".join(w[:1].upper() + w[1:] for w in line.split(" ")) if line.islower() else line


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
    # a unit, suite or building name, on its own line or after the street ("967 Sunset Drive Suite 613")
    address2 = ", ".join(_second_line(p) for p in rest[1:-1] if p)
    if not address2:
        address1, address2 = _split_unit(address1)
    return Address(address1=_cased(address1), address2=_cased(address2), city=city.title() if city.islower() else city,
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
    order_id = referenced_order(text)
    if order_id:
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
