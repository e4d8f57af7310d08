"""The transcript keeps every message of a conversation although the state keeps only the last few."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from procall.runtime import sqlite_checkpointer
from procall.state.conversation import KEPT_MESSAGES, recent_messages
from procall.transcript import Transcript


@pytest.fixture(params=["sqlite", "memory"])
def transcript(request, tmp_path):
    if request.param == "memory":
        yield Transcript(InMemorySaver())
        return
    saver = sqlite_checkpointer(tmp_path / "c.db")
    yield Transcript(saver)
    saver.conn.close()


def _turn(n: int) -> list:
    return [HumanMessage(content=f"question {n}", id=f"h{n}"),
            AIMessage(content=f"answer {n}", id=f"a{n}", additional_kwargs={"template_keys": [f"t.{n}"]})]


def test_a_sliding_window_recorded_every_turn_gives_the_whole_conversation(transcript):
    state: list = []
    for n in range(3 * KEPT_MESSAGES):
        state = recent_messages(state, _turn(n))
        assert len(state) <= KEPT_MESSAGES
        transcript.record("t", state)
        transcript.record("t", state)  # recording the same window again adds nothing
    entries = transcript.entries("t", state)
    assert [e.text for e in entries] == [t for n in range(3 * KEPT_MESSAGES) for t in (f"question {n}", f"answer {n}")]
    assert entries[1].template_keys == ["t.0"] and entries[0].template_keys is None
    assert transcript.lines("other", []) == []


def test_messages_not_recorded_yet_are_shown_after_the_record(transcript):
    """A turn the graph ran without Assistant (Studio, a direct invoke) shows from the state."""
    state = recent_messages([], _turn(0))
    transcript.record("t", state)
    state = recent_messages(state, [*_turn(1), ToolMessage(content="x", tool_call_id="c", id="tool")])
    assert transcript.lines("t", state) == [("customer", "question 0"), ("assistant", "answer 0"),
                                            ("customer", "question 1"), ("assistant", "answer 1")]


def test_the_state_keeps_the_last_messages_and_replaces_by_id():
    state = recent_messages([], [HumanMessage(content=f"m{n}", id=f"m{n}") for n in range(KEPT_MESSAGES + 5)])
    assert [m.id for m in state] == [f"m{n}" for n in range(5, KEPT_MESSAGES + 5)]
    state = recent_messages(state, HumanMessage(content="again", id=f"m{KEPT_MESSAGES + 4}"))
    assert len(state) == KEPT_MESSAGES and state[-1].content == "again"
