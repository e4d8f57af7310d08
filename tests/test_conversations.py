"""The YAML conversation tests (tests/conversations), with local understanding and through the
LLM code path with a prompt-reading fake model."""

from __future__ import annotations

from pathlib import Path

import pytest

from procall.evals.conversations.format import load
from procall.evals.conversations.runner import ConversationRunner, report
from procall.evals.fake_llm import PromptReadingChatModel

FOLDER = Path(__file__).parent / "conversations"
CONVERSATIONS = load([FOLDER])
# "cancel_order_more: a shipped order cannot be cancelled": `-k cancel_order` picks a file's conversations
IDS = [f"{Path(c.source).stem}: {c.name}" for c in CONVERSATIONS]


def test_there_are_enough_conversations():
    names = [c.name for c in CONVERSATIONS]
    assert len(names) == len(set(names)), "conversation names must be unique"
    assert len(names) >= 40


@pytest.fixture(scope="module")
def local_runner():
    runner = ConversationRunner(nlu="local")
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def llm_runner():
    runner = ConversationRunner(nlu="llm", model=PromptReadingChatModel())
    yield runner
    runner.close()


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=IDS)
def test_local_understanding(conversation, local_runner):
    outcome = local_runner.run(conversation)
    assert outcome.passed, report([outcome], verbose=True)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=IDS)
def test_fake_llm_understanding(conversation, llm_runner):
    outcome = llm_runner.run(conversation)
    assert outcome.passed, report([outcome], verbose=True)
