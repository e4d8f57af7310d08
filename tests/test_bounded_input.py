"""A message longer than what is read is stored cut, with its length noted: checkpoints (which
store the whole history at every step) stay as small as for messages of the length that is read."""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from langgraph.types import Command

from procall import Assistant
from procall.config import Settings
from procall.nodes.customer_text import customer_message
from procall.nodes.listen import listen
from procall.nodes.understand import MAX_MESSAGE_CHARS

SENTENCE = "Where is my order? I have been waiting for weeks and nobody tells me anything. "
NOTE = " [… message cut: 50,000 characters]"


def _message(length: int) -> str:
    return (SENTENCE * (length // len(SENTENCE) + 1))[:length]


def test_a_long_message_is_cut_to_what_is_read_with_its_length_noted():
    kept = customer_message(_message(50_000))
    assert kept == _message(MAX_MESSAGE_CHARS) + NOTE
    assert customer_message(kept) == kept            # cut once: the note keeps the original length
    assert customer_message(_message(MAX_MESSAGE_CHARS)) == _message(MAX_MESSAGE_CHARS)


def test_listen_cuts_a_message_passed_in_with_the_input():
    state = {"messages": [HumanMessage(content=_message(50_000), id="m1")], "turn": 0}
    changes = listen(state)
    (message,) = changes["messages"]
    assert message.id == "m1" and message.content == _message(MAX_MESSAGE_CHARS) + NOTE


def test_the_graph_stores_a_resumed_message_cut(assistant):
    """Also when the graph is resumed directly (LangGraph Studio, a server), not through `send`."""
    config = {"configurable": {"thread_id": "direct"}}
    assistant.graph.invoke({"messages": []}, config)
    assistant.graph.invoke(Command(resume=_message(50_000)), config)
    said = [text for who, text in assistant.view("direct").messages if who == "customer"]
    assert said == [_message(MAX_MESSAGE_CHARS) + NOTE]
    reply = assistant.view("direct").messages[-1][1]
    assert "only its beginning" in reply  # the customer is told too


def _conversation_db_size(home, length: int, turns: int = 40) -> int:
    bot = Assistant(Settings(home=home))
    try:
        for _ in range(turns):
            bot.send("long", _message(length))
        assert len(bot.view("long").messages) >= 2 * turns
    finally:
        bot.close()
    return sum(p.stat().st_size for p in home.glob("conversations.db*"))


def test_forty_long_messages_take_no_more_room_than_forty_read_in_full(tmp_path):
    read_in_full = _conversation_db_size(tmp_path / "short", MAX_MESSAGE_CHARS)
    long = _conversation_db_size(tmp_path / "long", 50_000)
    assert long <= read_in_full * 1.10, (long, read_in_full)
