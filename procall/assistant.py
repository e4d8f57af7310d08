"""The Python API: talk to the assistant, look at a conversation.

    from procall import Assistant
    bot = Assistant()                       # embedded defaults: local understanding, SQLite, demo data
    print(bot.send("t1", "I want to cancel an order").text)
    bot.view("t1").stack                    # the dialogue stack of that conversation

Conversations are saved in SQLite after every step, so a new `Assistant` on the same files
continues a conversation where it stopped, also after the program was killed mid-turn.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command
from pydantic import BaseModel

from .config import Settings
from .graphs.catalogue import build_processes
from .graphs.router import build_router
from .nodes.services import Services
from .runtime import checkpointer_for, make_gateway, make_understander, open_backend
from .state import Customer, Frame, TraceEvent, Utterance
from .tools.gateway.faults import FaultPlan


class Reply(BaseModel):
    text: str
    lines: list[Utterance]          # the template of every line
    trace: list[TraceEvent]         # what the assistant did this turn
    active_process: str | None
    asking: str | None              # the slot the active process is waiting for


class ConversationView(BaseModel):
    thread_id: str
    messages: list[tuple[str, str]]
    customer: Customer | None
    stack: list[Frame]
    handed_off: bool
    turn: int


class Assistant:
    def __init__(self, settings: Settings | None = None, *, faults: FaultPlan | None = None, model: Any = None,
                 checkpointer: Any = None, backend: Any = None):
        """`model` is a LangChain chat model to understand with (tests pass a fake one); `backend` an
        already open store (evals pass a fresh copy per conversation)."""
        self.settings = settings or Settings()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.faults = faults
        self.backend = backend or open_backend(self.settings)
        self.gateway = make_gateway(self.settings, self.backend, faults)
        self.services = Services(gateway=self.gateway, role=self.settings.role)
        processes = build_processes(self.services)
        setup = make_understander(self.settings, self.services, model, processes[0])
        self.understander = setup.primary
        self.checkpointer = checkpointer or checkpointer_for(self.settings)
        self.graph = build_router(self.services, setup.primary, fallback=setup.fallback, shortcut=setup.shortcut,
                                  checkpointer=self.checkpointer, processes=processes)

    def use_store(self, backend: Any) -> None:
        """Point this assistant at another store (evals run each conversation on a fresh copy).
        The graphs stay compiled: processes reach the store only through the gateway."""
        old = self.gateway
        self.backend = backend
        self.gateway = make_gateway(self.settings, backend, self.faults, audit=old.audit)
        self.services.gateway = self.gateway
        old.close()

    @staticmethod
    def _config(thread_id: str) -> dict:
        return {"configurable": {"thread_id": thread_id}}

    def send(self, thread_id: str, text: str) -> Reply:
        config = self._config(thread_id)
        snapshot = self.graph.get_state(config)
        durability = self.settings.durability
        if snapshot.next and not snapshot.interrupts:
            # A turn was cut off (the program stopped mid-run): finish it first. Memoised steps and
            # idempotent writes make the replay safe.
            self.graph.invoke(None, config, durability=durability)
            snapshot = self.graph.get_state(config)
        if not snapshot.interrupts:
            self.graph.invoke({"messages": []}, config, durability=durability)  # a new conversation: greet, wait
        self.graph.invoke(Command(resume=text), config, durability=durability)
        return self._reply(config)

    def _reply(self, config: dict) -> Reply:
        values = self.graph.get_state(config).values
        messages = values.get("messages") or []
        last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        stack = values.get("stack") or []
        frame = stack[-1] if stack else None
        return Reply(
            text=str(last.content) if last else "",
            lines=values.get("outbox") or [],
            trace=values.get("trace") or [],
            active_process=frame.process if frame else None,
            asking=frame.asking.slot if frame and frame.asking else None,
        )

    def reply(self, thread_id: str) -> Reply:
        """What the assistant answered last in this conversation (what `send` returned)."""
        return self._reply(self._config(thread_id))

    def greeting(self, thread_id: str) -> str:
        """Start a conversation (if new) and return what the assistant last said."""
        config = self._config(thread_id)
        if not self.graph.get_state(config).values:
            self.graph.invoke({"messages": []}, config)
        return self._reply(config).text

    def view(self, thread_id: str) -> ConversationView:
        values = self.graph.get_state(self._config(thread_id)).values
        messages = [("customer" if isinstance(m, HumanMessage) else "assistant", str(m.content))
                    for m in values.get("messages") or [] if isinstance(m, (HumanMessage, AIMessage))]
        return ConversationView(thread_id=thread_id, messages=messages, customer=values.get("customer"),
                                stack=values.get("stack") or [], handed_off=bool(values.get("handed_off")),
                                turn=values.get("turn") or 0)

    def close(self) -> None:
        self.gateway.close()
        self.gateway.audit.close()
        self.backend.close()
        conn = getattr(self.checkpointer, "conn", None)
        if conn is not None:
            conn.close()
