"""A model-driven simulated customer (as the benchmark does for `--model openai:NAME`): a chat
model is given the task's instruction and plays the customer, one message at a time."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

STOP = "###STOP###"

RULES = """You are a customer talking to a store's customer service agent. Your situation and goal:

{instruction}

Rules:
- Write only the customer's next message: short and natural, one message at a time.
- Give information only when it is asked for or needed; never invent facts not in your situation.
- When your goal is done (or cannot be done), end the conversation by writing only {stop}."""


class LLMCustomer:
    def __init__(self, model: BaseChatModel, instruction: str, max_turns: int = 30):
        self.model = model
        self.system = SystemMessage(content=RULES.format(instruction=instruction, stop=STOP))
        # From the customer's side the agent is the "human" speaking to them.
        self.history: list[BaseMessage] = []
        self.turns = 0
        self.max_turns = max_turns

    def _say(self) -> str | None:
        self.turns += 1
        if self.turns > self.max_turns:
            return None
        reply = self.model.invoke([self.system, *self.history])
        text = str(reply.content).strip()
        self.history.append(AIMessage(content=text))
        return None if not text or STOP in text else text

    def opening(self) -> str | None:
        self.history.append(HumanMessage(content="Hi! How can I help you today?"))
        return self._say()

    def reply_to(self, agent_text: str) -> str | None:
        self.history.append(HumanMessage(content=agent_text))
        return self._say()
