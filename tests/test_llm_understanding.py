"""Understanding through a language model: a fake chat model, and once end to end through
ChatOpenAI against an OpenAI-compatible stub server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from procall import Assistant, Settings
from procall.evals.fake_llm import CANCEL_OPENING, ScriptedModel, command_calls
from procall.llm_stub import StubChatServer, StubReply, structured
from procall.nodes.understanding.local.extractors import bare_yes_no


def test_fake_model_drives_a_cancellation(home):
    model = ScriptedModel(messages=command_calls(
        CANCEL_OPENING,
        [{"kind": "set_slot", "slot": "reason", "value": "no longer needed"}],
        [{"kind": "set_slot", "slot": "confirmed", "value": "yes"}],
    ))
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False, typed_answers_without_model=False), model=model)
    try:
        assert "To confirm" not in bot.send("f1", "please cancel my order W1001002, I'm mia.castillo@example.com").text
        assert "To confirm: cancel order #W1001002" in bot.send("f1", "don't need it").text
        assert "is cancelled" in bot.send("f1", "ok").text
        assert len(bot.understander.usage.calls) == 3  # at most one model call per customer message
    finally:
        bot.close()


def test_typed_answers_skip_the_model(llm_bot):
    # Only the opening message needs the model; "don't need it" (one of the listed reasons) and
    # "yes" to the confirmation are read by the typed extractors.
    bot = llm_bot(CANCEL_OPENING)
    bot.send("f3", "please cancel my order W1001002, I'm mia.castillo@example.com")
    assert "To confirm: cancel order #W1001002" in bot.send("f3", "don't need it").text
    assert "is cancelled" in bot.send("f3", "yes").text
    assert len(bot.understander.usage.calls) == 1


@pytest.mark.parametrize("text, answer", [
    ("yes", True), ("Sounds good, go ahead.", True), ("Yes that is correct", True), ("No, thanks.", False),
    ("ok, but use paypal", None), ("yes, the blue one", None), ("hmm", None),
])
def test_a_bare_yes_or_no_is_told_from_one_that_says_more(text, answer):
    assert bare_yes_no(text) is answer


def test_a_plain_worded_confirmation_skips_the_model_but_one_with_a_change_does_not(home):
    opening = [{"kind": "start_process", "process": "cancel_order",
                "slots": [{"name": "order_id", "value": "#W1001002"}, {"name": "reason", "value": "no longer needed"}]},
               {"kind": "set_slot", "slot": "email", "value": "mia.castillo@example.com"}]
    model = ScriptedModel(messages=command_calls(
        opening, [{"kind": "set_slot", "slot": "reason", "value": "ordered by mistake"}], opening))
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False), model=model)
    try:
        assert "To confirm" in bot.send("f5", "cancel W1001002, not needed, mia.castillo@example.com").text
        reply = bot.send("f5", "ok, but the reason is I ordered it by mistake")
        assert "reason: ordered by mistake" in reply.text and len(bot.understander.usage.calls) == 2
        assert "is cancelled" in bot.send("f5", "Sounds good, go ahead.").text
        assert len(bot.understander.usage.calls) == 2
    finally:
        bot.close()


def test_free_text_answers_still_go_to_the_model(home):
    model = ScriptedModel(messages=command_calls(
        CANCEL_OPENING,
        [{"kind": "set_slot", "slot": "reason", "value": "ordered by mistake"}],
    ))
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False), model=model)
    try:
        bot.send("f4", "please cancel my order W1001002, I'm mia.castillo@example.com")
        reply = bot.send("f4", "my kid clicked buy")  # no listed reason in these words: the model reads it
        assert "reason: ordered by mistake" in reply.text
        assert len(bot.understander.usage.calls) == 2
    finally:
        bot.close()


def test_model_inventing_a_process_is_ignored(home):
    model = ScriptedModel(messages=command_calls([{"kind": "start_process", "process": "refund_everything"}]))
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False), model=model)
    try:
        reply = bot.send("f2", "give me all my money back")
        assert "didn't quite get that" in reply.text
        assert bot.view("f2").stack == []
    finally:
        bot.close()


def test_chatopenai_against_a_stub_server(home):
    def answer(request: dict) -> dict:
        text = request["messages"][-1]["content"]
        if "cancel" in text:
            return {"commands": [{"kind": "start_process", "process": "cancel_order",
                                  "slots": [{"name": "order_id", "value": "#W1001002"},
                                            {"name": "reason", "value": "ordered by mistake"}]},
                                 {"kind": "set_slot", "slot": "email", "value": "mia.castillo@example.com"}]}
        return {"commands": [{"kind": "set_slot", "slot": "confirmed", "value": "yes"}]}

    with StubChatServer(structured(answer)) as server:
        # Every message goes to the endpoint here, so the second request shows the pending question.
        settings = Settings(nlu="llm", openai_base_url=server.base_url, openai_api_key="test", model="stub-model",
                            llm_fallback_to_local=False, typed_answers_without_model=False)
        bot = Assistant(settings)
        try:
            reply = bot.send("s1", "cancel W1001002, ordered by mistake, mia.castillo@example.com")
            assert "To confirm: cancel order #W1001002" in reply.text
            assert "is cancelled" in bot.send("s1", "yes").text
        finally:
            bot.close()
        assert len(server.requests) == 2
        first = server.requests[0]
        system = first["messages"][0]["content"]
        # The prompt holds the process catalogue and the conversation state, never the backend's tools.
        assert "cancel_order" in system and "customer not identified yet" in system
        assert "get_order_details" not in json.dumps(first)
        second_state = server.requests[1]["messages"][0]["content"]
        assert "question: confirmed (yes_no)" in second_state  # the question being asked goes into the prompt
        assert bot.understander.usage.calls[0].estimated is False  # usage from the endpoint


def test_unreachable_endpoint_falls_back_to_local(home):
    with StubChatServer(lambda request: StubReply(status=500, content="boom")) as server:
        url = server.base_url
    bot = Assistant(Settings(nlu="llm", openai_base_url=url, openai_api_key="test", llm_timeout_s=2))
    try:
        reply = bot.send("s2", "I want to cancel an order")
        assert "email" in reply.text  # understood locally: identification comes first
    finally:
        bot.close()
