"""Identify the customer (policy: "authenticate the user identity ... via email, or via name +
zip code. This has to be done even when the user already provides the user id.").

1. take what the customer gave: an email, or first name + last name + zip (ask for the rest)
2. look the account up (several emails: try each); not found -> say so and ask again
   (three misses -> offer a person)
3. load the profile; from now on the conversation is for this one customer
"""

from __future__ import annotations

import re
from typing import Literal

from ...nodes.failure import offer_person
from ...nodes.process_spec import ProcessSpec, SlotSpec
from ...nodes.services import Services
from ...nodes.step import frame_of, output_of, outputs_of, say, update
from ...state.conversation import ConversationState, Customer, TraceEvent
from ...state.frames import Asking
from ...tools.backend.contracts import UserIdResult, UserResult
from ..process import ProcessGraph

EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")

SPEC = ProcessSpec(
    name="identify_customer",
    description="Identify the customer by email, or by first and last name and zip code",
    summary="checking who you are",
    requires_identity=False,
    examples=(
        "my email is jane.doe@example.com", "it's john smith, zip 10001", "I'm Maria Lopez from 94110",
        "you can find me under sam@example.org", "log me in", "my user id is sam_lee_123",
        "here is my email address", "name's Kim Park and my zipcode is 60614",
        'my email is jane@example.com',
        "it's jane@example.com",
        "i'm Jane Doe, zip 12345",
        'name is john smith and zip is 10001',
        "here's my email",
        'verify me',
        'authenticate me',
        "i'd like to log in",
        'check my identity',
    ),
    slots=(
        SlotSpec("email", "email", "the customer's email address", ask="ask_identity"),
        SlotSpec("first_name", "person_name", "the customer's first name", ask="ask_identity"),
        SlotSpec("last_name", "person_name", "the customer's last name", ask="ask_identity"),
        SlotSpec("zip", "zip", "the customer's 5-digit zip code", ask="ask_identity"),
    ),
    templates={
        "ask_identity": "First I need to find your account: could you give me your email address, or your first "
                        "and last name and zip code?",
        "ask_zip": "Thanks, {first_name_given}. And your zip code?",
        "ask_name": "Thanks. And your first and last name?",
        "not_found_email": "I couldn't find an account with {email_tried}. Could you check the address, or give "
                           "me your first and last name and zip code instead?",
        "not_found_name": "I couldn't find an account for {name_tried} with zip code {zip_tried}. Could you "
                          "check them, or give me your email address instead?",
        "welcome": "Thank you, {first_name}, I've found your account.",
        "already_identified": "You're already identified as {first_name}; I can only help with this one account "
                              "in this conversation.",
        "too_many_attempts": "I still can't find your account.",
        "failed": "I'm sorry, I couldn't look up your account just now: our {system} system isn't answering.",
        "refused": "I'm sorry, {reason}.",
    },
)

MAX_ATTEMPTS = 3


def _emails(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [e.lower().strip(".") for v in values for e in EMAIL.findall(str(v))]


def gather(state: ConversationState) -> dict:
    """Take the identity facts given so far (the newest value of each wins)."""
    frame = frame_of(state)
    slots = dict(frame.slots)
    for name, value in frame.mentions.items():
        if name == "email":
            emails = _emails(value)
            if emails:
                slots["email"] = emails
                slots.pop("tried_email", None)
        elif name == "zip":
            digits = re.sub(r"\D", "", str(value))
            if len(digits) == 5:
                slots["zip"] = digits
        elif name in ("first_name", "last_name") and str(value).strip():
            slots[name] = str(value).strip().title()
    return update(state, frame.with_(slots=slots, mentions={}, answered=[], corrected=[]))


def known_already(state: ConversationState) -> Literal["already_identified", "gather"]:
    return "already_identified" if state.get("customer") is not None else "gather"


def how_to_look_up(state: ConversationState) -> Literal["find_by_email", "find_by_name", "ask"]:
    slots = frame_of(state).slots
    if slots.get("email"):
        return "find_by_email"
    if all(slots.get(k) for k in ("first_name", "last_name", "zip")):
        return "find_by_name"
    return "ask"


def ask(state: ConversationState) -> dict:
    frame = frame_of(state)
    slots = frame.slots
    if slots.get("first_name") and slots.get("last_name") and not slots.get("zip"):
        key = "ask_zip"
    elif slots.get("zip") and not (slots.get("first_name") and slots.get("last_name")):
        key = "ask_name"
    else:
        key = "ask_identity"
    line = say(SPEC, frame, state, key, first_name_given=slots.get("first_name", ""))
    asking = Asking(slot="email", kind="identity", prompt_key=f"{SPEC.name}.{key}")
    return update(state, frame.with_(asking=asking, step="ask"), [line],
                  [TraceEvent(event="asked", process=SPEC.name, slot="identity")])


def found_user_id(state: ConversationState) -> str | None:
    frame = frame_of(state)
    if "find_by_email" in frame.results and frame.slots.get("email"):
        found = [r for r in outputs_of(frame, "find_by_email", UserIdResult) if r is not None]
        return found[0].user_id if found else None
    result = output_of(frame, "find_by_name", UserIdResult)
    return result.user_id if result else None


def after_lookup(state: ConversationState) -> Literal["remember", "not_found"]:
    return "remember" if found_user_id(state) else "not_found"


def not_found(state: ConversationState) -> dict:
    frame = frame_of(state)
    slots = dict(frame.slots)
    attempts = frame.attempts.get("identity", 0) + 1
    if slots.get("email"):
        key, extra = "not_found_email", {"email_tried": " or ".join(slots.pop("email"))}
    else:  # the names stay: "oops, the zip is 60614" corrects only the zip
        key = "not_found_name"
        extra = {"name_tried": f"{slots['first_name']} {slots['last_name']}", "zip_tried": slots.pop("zip")}
    results = {k: v for k, v in frame.results.items() if k not in ("find_by_email", "find_by_name")}
    frame = frame.with_(slots=slots, results=results, attempts={**frame.attempts, "identity": attempts})
    line = say(SPEC, frame, state, key, **extra)
    event = TraceEvent(event="refused", process=SPEC.name, slot="identity", detail=key)
    if attempts >= MAX_ATTEMPTS:
        return offer_person(state, frame.with_(step="ask", attempts={}),
                            [line, say(SPEC, frame, state, "too_many_attempts")], [event])
    asking = Asking(slot="email", kind="identity", prompt_key=f"{SPEC.name}.{key}")
    return update(state, frame.with_(asking=asking, step="ask"), [line], [event])


def remember(state: ConversationState) -> dict:
    """The account is found: the conversation is now for this customer (tool calls carry the id)."""
    return {"customer": Customer(user_id=found_user_id(state))}


def welcome(state: ConversationState) -> dict:
    frame = frame_of(state)
    user = output_of(frame, "load_profile", UserResult).user
    customer = Customer(user_id=user.user_id, first_name=user.name.first_name, last_name=user.name.last_name,
                        email=user.email, zip=user.address.zip, order_ids=list(user.orders),
                        payment_methods=dict(user.payment_methods),
                        address=user.address.model_dump())
    state = {**state, "customer": customer}
    line = say(SPEC, frame, state, "welcome")
    changes = update(state, frame.with_(status="done"), [line],
                     [TraceEvent(event="completed", process=SPEC.name)])
    return {**changes, "customer": customer}


def graph(services: Services) -> ProcessGraph:
    return (
        ProcessGraph(SPEC, services)
        .decide("start", known_already)
        .say("already_identified", "already_identified")
        .node("gather", gather, then=how_to_look_up)
        .node("ask", ask)
        .call_many("find_by_email",
                   lambda f, s: [("find_user_id_by_email", {"email": e}) for e in f.slots["email"]],
                   then=after_lookup)
        .call("find_by_name", "find_user_id_by_name_zip",
              lambda f, s: {k: f.slots[k] for k in ("first_name", "last_name", "zip")}, then=after_lookup)
        .node("not_found", not_found)
        .node("remember", remember, then="load_profile")
        .call("load_profile", "get_user_details", lambda f, s: {"user_id": s["customer"].user_id}, then="welcome")
        .node("welcome", welcome)
    )
