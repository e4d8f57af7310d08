"""Customer text is plain text wherever the assistant repeats or stores it: markup typed by a
customer is never echoed in a reply, written to the store, passed to a person, or checkpointed."""

from __future__ import annotations

import pytest

from procall import Assistant
from procall.nodes.customer_text import customer_message, plain_text
from procall.nodes.respond import respond
from procall.state import Utterance

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
MARKS = ("<img", "<script", "onerror", "alert(1)", "</")


@pytest.mark.parametrize("typed, kept", [
    (IMG, ""),
    (SCRIPT, ""),
    ("<SCRIPT src=//evil.example>alert(1)</SCRIPT>", ""),
    ("<b>Paris</b>", "Paris"),
    ("Mia<br>Castillo", "Mia Castillo"),
    (f"12 Main St {IMG}, Springfield", "12 Main St, Springfield"),
    ("x<!-- hidden -->y", "x y"),
    ("<img src=x onerror=alert(1)", "img src=x onerror=alert(1)"),  # never closed: no tag can start
    ("size < 10 and price <3 dollars", "size < 10 and price <3 dollars"),  # not markup: kept as typed
    ("plain words, #W1001002, mia.castillo@example.com", "plain words, #W1001002, mia.castillo@example.com"),
])
def test_markup_is_stripped_and_words_are_kept(typed, kept):
    assert customer_message(typed) == kept
    assert plain_text(plain_text(typed)) == plain_text(typed)


def test_no_line_leaves_respond_with_markup():
    """Whatever filled a template (a model's slot value, a data folder), the reply is plain text."""
    state = {"outbox": [Utterance(key="x.confirm", text=f"To confirm: ship to 12 Main St {IMG}, Springfield."),
                        Utterance(key="x.ask", text=f"Thanks, <b>Mia</b>{SCRIPT}. And your zip code?")]}
    out = respond(state)
    text = out["messages"][0].content
    assert text == "To confirm: ship to 12 Main St, Springfield.\nThanks, Mia. And your zip code?"
    assert [u.text for u in out["outbox"]] == text.splitlines()


def _has_markup(text: str) -> bool:
    return any(mark in text for mark in MARKS)


def _stored_bytes(home) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*.db*")) if p.is_file())


def test_markup_typed_by_a_customer_is_never_repeated_nor_stored(home):
    bot = Assistant()
    try:
        conversations = {
            "address": ["mia.castillo@example.com I want to change the address of order #W1001002",
                        f"12 Main St {IMG}, Springfield, IL 62704{SCRIPT}", "yes"],
            "name": ["I want to check my order status", f"Mia {IMG}Castillo{SCRIPT}"],
            "handoff": [f"get me a person: {IMG} {SCRIPT} my parcel is late"],
            "out_of_scope": [f"{SCRIPT} book me a flight to <b>Paris</b> {IMG}"],
        }
        replies = {thread: [bot.send(thread, text) for text in texts] for thread, texts in conversations.items()}
        for thread, said in replies.items():
            for reply in said:
                assert not _has_markup(reply.text), (thread, reply.text)
                assert not any(_has_markup(u.text) for u in reply.lines), (thread, reply.lines)
            assert not any(_has_markup(text) for _, text in bot.view(thread).messages), thread
        # The markup was around words the assistant did use: the address and the name.
        assert "ship order #W1001002 to 12 Main St, Springfield, IL 62704" in replies["address"][1].text
        assert "Thanks, Mia." in replies["name"][1].text
        address = bot.backend.dump()["orders"]["#W1001002"]["address"]
        assert address["address1"] == "12 Main St" and not _has_markup(str(address))
        summaries = [r.arguments for r in bot.gateway.audit.rows(tool="transfer_to_human_agents")]
        assert summaries and "my parcel is late" in summaries[0] and not _has_markup(summaries[0])
    finally:
        bot.close()
    stored = _stored_bytes(home)  # checkpoints, audit log, store: not even a pending write keeps the markup
    for mark in (b"<img", b"<script", b"onerror"):
        assert mark not in stored
