"""The understanding prompt stays small without losing what a model needs (issue 14: at most 700 input
tokens a call), the compact command schema reads back into the typed commands, and the LLM
understander's process ranker is trained once per machine like the local classifier.
Sizes are counted with count_tokens_approximately, as the evals count them."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.messages.utils import count_tokens_approximately
from pydantic import PrivateAttr

from procall import Assistant, Settings
from procall.evals.fake_llm import PromptReadingChatModel, request_from_prompt
from procall.nodes.understanding.base import UnderstandingUnavailable
from procall.nodes.understanding.command_schema import TOOL, UnreadableCommands, read, written
from procall.nodes.understanding.local import classifier
from procall.state.commands import (
    CancelProcess,
    ChitChat,
    Clarify,
    Goodbye,
    HumanHandoff,
    OtherCustomer,
    OutOfScope,
    SetSlot,
    SlotValue,
    StartProcess,
    Understanding,
)

BUDGET = 700  # input tokens of one understanding call, tool schema included (issue 14)


class RecordingModel(PromptReadingChatModel):
    """The prompt-reading fake, keeping every prompt it was sent."""
    _prompts: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self._prompts.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kwargs)


def last_prompt(*messages: str) -> tuple[list[BaseMessage], Assistant]:
    """The prompt of the last message's understanding call (every message goes to the model)."""
    model = RecordingModel()
    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False, typed_answers_without_model=False),
                    model=model)
    for text in messages:
        bot.send("p1", text)
    return model._prompts[-1], bot


@pytest.fixture
def at_confirmation(home):
    """A return at its confirmation, and the customer adds an item: a typical message mid-process."""
    prompt, bot = last_prompt("return my t shirt please, chloe.ramirez@example.com, refund to the card I paid with",
                              "oh wait, also the backpack")
    yield prompt, bot
    bot.close()


@pytest.fixture
def at_refund_method(home):
    """A return asking where the refund goes, the customer's three payment methods offered."""
    prompt, bot = last_prompt("hi, chloe.ramirez@example.com. I want to return the t-shirt and the backpack",
                              "put it on my gift card ending 1005004")
    yield prompt, bot
    bot.close()


def test_a_mid_process_prompt_is_within_the_budget_and_says_what_understanding_needs(at_confirmation):
    prompt, bot = at_confirmation
    size = count_tokens_approximately(prompt, tools=[TOOL])
    assert size <= BUDGET, f"{size} input tokens"
    system = str(prompt[0].content)
    # the rules, the active process and what it holds, the question, the last turns
    assert "set_slot(" in system and "start_process(" in system and "extend" in system
    assert "- return_items(order_id, items, refund_method): " in system
    assert "active: return_items" in system and "#W1005001" in system and "credit_card_1005002" in system
    assert "question: confirmed (yes_no)" in system
    assert isinstance(prompt[-2], AIMessage) and "Shall I go ahead" in str(prompt[-2].content)
    assert prompt[-1].content == "oh wait, also the backpack"
    assert "also the backpack" not in system and bot.view("p1").stack  # still mid-process


def test_choices_are_listed_once_by_value_and_label(at_refund_method):
    prompt, _ = at_refund_method
    text = "\n".join(str(m.content) for m in prompt)
    request = request_from_prompt(prompt)
    assert request.question is not None and request.question.slot == "refund_method"
    assert [c.value for c in request.question.choices] == ["credit_card_1005002", "gift_card_1005003",
                                                           "gift_card_1005004"]
    for choice in request.question.choices:
        # in the state, not again in the assistant's last message nor among its aliases
        assert text.count(choice.label) == 1, choice.label
    assert "Where should the refund go?" in str(prompt[-2].content)


def test_the_prompt_reads_back_into_the_request_it_was_built_from(home):
    from procall.nodes.understanding.base import ActiveQuestion, UnderstandingRequest
    from procall.state.frames import Choice

    bot = Assistant(Settings(nlu="llm"), model=PromptReadingChatModel())
    try:
        question = ActiveQuestion(process="return_items", slot="order_id", kind="order_id", choices=[
            Choice(value="#W7752779", label="#W7752779, delivered: Jigsaw Puzzle",
                   aliases=("2779", "79", "delivered", "Jigsaw Puzzle")),
            Choice(value="paypal_1", label="PayPal (how you paid)", aliases=("paypal", "original", "same card"))])
        request = UnderstandingRequest(
            text="the puzzle one", active_process="return_items", question=question,
            filled_slots={"items": ["4068787148"], "note": "a: b"}, paused_processes=["cancel_order", "ask_orders"],
            customer_identified=True, history=[("customer", "hi"), ("assistant", "Which order?")])
        back = request_from_prompt(bot.understander.messages(request))
    finally:
        bot.close()
    assert (back.active_process, back.filled_slots, back.paused_processes, back.customer_identified) == \
        ("return_items", request.filled_slots, ["cancel_order", "ask_orders"], True)
    assert (back.question.slot, back.question.kind, back.question.multiple) == ("order_id", "order_id", False)
    assert [(c.value, c.label) for c in back.question.choices] == [(c.value, c.label) for c in question.choices]
    for sent, read_back in zip(question.choices, back.question.choices, strict=True):
        # every alias a model could pick the choice by is there, shown once or readable from the label
        assert {a.casefold() for a in sent.aliases} <= {a.casefold() for a in read_back.aliases}


ALL_KINDS = Understanding(commands=[
    StartProcess(process="return_items", slots=[SlotValue(name="items", value=["lamp", "kettle"]),
                                                SlotValue(name="order_id", value="#W1")]),
    SetSlot(slot="confirmed", value="yes"), SetSlot(slot="items", value="the lamp", extend=True),
    SetSlot(slot="note", value=""), CancelProcess(), Clarify(options=["return_items", "exchange_items"]),
    ChitChat(), OutOfScope(request="book a flight"), HumanHandoff(), OtherCustomer(), Goodbye(),
])


def test_every_command_goes_through_the_compact_schema_and_back():
    assert read(written(ALL_KINDS)) == ALL_KINDS
    assert set(TOOL["function"]["parameters"]["properties"]["commands"]["items"]["properties"]["kind"]["enum"]) \
        == {c.kind for c in ALL_KINDS.commands}


def test_reading_keeps_only_the_fields_of_each_kind():
    # a flat schema lets a model fill every field: nulls and other kinds' fields are dropped
    answer = {"commands": [
        {"kind": "set_slot", "slot": "zip", "value": "94110", "process": None, "options": [], "extend": None},
        {"kind": "start_process", "process": "cancel_order", "slots": [{"name": "reason", "value": "by mistake"}]},
        {"kind": "goodbye", "request": ""},
    ]}
    assert read(answer).commands == [
        SetSlot(slot="zip", value="94110"),
        StartProcess(process="cancel_order", slots=[SlotValue(name="reason", value="by mistake")]), Goodbye()]


@pytest.mark.parametrize("answer", [
    {"commands": [{"kind": "refund_everything"}]}, {"commands": [{"slot": "zip"}]}, {"commands": "goodbye"},
    {"commands": [{"kind": "set_slot", "value": "x"}]}, ["goodbye"],
])
def test_an_answer_that_is_not_commands_is_refused(answer):
    with pytest.raises(UnreadableCommands):
        read(answer)


def test_a_model_answering_outside_the_schema_makes_understanding_unavailable(home):
    class Wrong(PromptReadingChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            result = super()._generate(messages, stop, run_manager, **kwargs)
            result.generations[0].message.tool_calls[0]["args"] = {"commands": [{"kind": "refund_everything"}]}
            return result

    bot = Assistant(Settings(nlu="llm", llm_fallback_to_local=False), model=Wrong())
    try:
        from procall.nodes.understanding.base import UnderstandingRequest

        with pytest.raises(UnderstandingUnavailable, match="not commands"):
            bot.understander.understand(UnderstandingRequest(text="give me everything back"))
    finally:
        bot.close()


def test_a_second_llm_start_trains_no_classifier(home, monkeypatch):
    monkeypatch.setattr(classifier, "_cache", {})
    trainings: list[int] = []
    train = classifier._train
    monkeypatch.setattr(classifier, "_train", lambda texts, labels: trainings.append(1) or train(texts, labels))
    Assistant(Settings(nlu="llm"), model=PromptReadingChatModel()).close()
    assert trainings, "the first start trains (nothing was cached)"
    first = len(trainings)
    monkeypatch.setattr(classifier, "_cache", {})  # as in a new process
    Assistant(Settings(nlu="llm"), model=PromptReadingChatModel()).close()
    assert len(trainings) == first, "the second start trained again"


def test_the_system_prompt_names_no_backend_tool(at_confirmation):
    prompt, _ = at_confirmation
    assert isinstance(prompt[0], SystemMessage)
    assert "return_delivered_order_items" not in str(prompt[0].content)


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_the_compact_schema_works_both_ways_chatopenai_asks_for_structured_output(home, method):
    from langchain_openai import ChatOpenAI

    from procall.llm_stub import StubChatServer, structured
    from procall.nodes.understanding.base import UnderstandingRequest
    from procall.nodes.understanding.llm import LLMUnderstander

    answer = {"commands": [{"kind": "start_process", "process": "cancel_order", "slots": {"order_id": "#W1001002"}},
                           {"kind": "set_slot", "slot": "email", "value": "mia.castillo@example.com", "extend": None}]}
    with StubChatServer(structured(lambda request: answer)) as server:
        bot = Assistant(Settings(nlu="llm"), model=PromptReadingChatModel())
        try:
            model = ChatOpenAI(model="stub", base_url=server.base_url, api_key="test", max_retries=0)
            understander = LLMUnderstander(bot.understander.catalogue, model, method=method)
            got = understander.understand(UnderstandingRequest(text="cancel W1001002, mia.castillo@example.com"))
        finally:
            bot.close()
        sent = server.requests[0]
    assert got.commands == [StartProcess(process="cancel_order", slots=[SlotValue(name="order_id", value="#W1001002")]),
                            SetSlot(slot="email", value="mia.castillo@example.com")]
    schema = sent["tools"][0]["function"] if method == "function_calling" else sent["response_format"]["json_schema"]
    assert schema["name"] == "Understanding" and "title" not in json.dumps(schema)
