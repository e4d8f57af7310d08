"""The Python API: talk to the assistant, look at a conversation.

    from procall import Assistant
    bot = Assistant()                       # embedded defaults: local understanding, SQLite, demo data
    print(bot.send("t1", "I want to cancel an order").text)
    bot.view("t1").stack                    # the dialogue stack of that conversation

Conversations are saved in SQLite at the end of every turn and before every write, so a new
`Assistant` on the same files continues a conversation where it stopped, also after the program was
killed mid-turn. The
customer is then told what happened first: `send` (or `resume`, without a new message) finishes
the cut-off turn and returns its lines before the reply to the new message, which is understood
against the conversation as that turn left it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command
from pydantic import BaseModel

from .config import Settings
from .deliveries import DeliveryLog
from .graphs.catalogue import build_processes
from .graphs.router import SAVE, build_router
from .nodes.conversation_lines import TEMPLATES
from .nodes.customer_text import customer_message, plain_text
from .nodes.services import Services
from .runtime import checkpointer_for, make_gateway, make_understander, open_backend
from .state import Customer, Frame, TraceEvent, Utterance
from .tools.gateway.faults import FaultPlan
from .transcript import Transcript


class Reply(BaseModel):
    text: str                       # every line said this turn, one per line
    lines: list[Utterance]          # the template of every line (a cut-off earlier turn's lines first)
    trace: list[TraceEvent]         # what the assistant did this turn (and in a cut-off earlier turn)
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
        self.deliveries = DeliveryLog(self.checkpointer)
        self.transcript = Transcript(self.checkpointer)  # every message; the state keeps the last few

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
        """Answer a customer message. If the turn before it was cut off (the program stopped), that
        turn is finished first and its lines come first in the reply: the new message is read
        against the conversation as the finished turn left it, never taken as its answer."""
        config = self._config(thread_id)
        durability = self.settings.durability
        untold = None
        # Nothing to finish or tell when the latest checkpoint is the one the last reply came from (it waits in
        # `listen`): the run loads the state itself, so it is not read (and deserialised) twice.
        if not self.deliveries.up_to_date(thread_id):
            snapshot = self.graph.get_state(config)  # the one read of the saved state before the turn
            untold = self._untold(thread_id, config, snapshot)
            if snapshot.metadata is None:
                self.graph.invoke({"messages": []}, config, durability=durability)  # a new conversation: greet
        # Nothing is written before the message is saved: a turn about to write stops at the router's
        # `save` step (graphs/router.py) and returns only once that checkpoint, with the message, is
        # written; then it goes on. So a crash after a write finishes this message's turn on restart
        # instead of losing the message after its write ran. A turn that writes nothing is saved with
        # the configured durability (by default once, at its end): a crash loses only that message.
        values = self.graph.invoke(Command(resume=customer_message(text)), config, durability=durability,
                                   interrupt_before=[SAVE])
        if "__interrupt__" not in values:  # stopped before `save`, not waiting for the next message
            values = self.graph.invoke(None, config, durability=durability)
        return self._handed_out(thread_id, config, untold, values=values)  # the state the turn ended with

    def resume(self, thread_id: str) -> Reply | None:
        """After a restart, before the customer says anything: finish a turn that was cut off and
        return what the customer has not been told yet (None if they heard everything)."""
        config = self._config(thread_id)
        untold = self._untold(thread_id, config)
        if untold is None:
            return None
        return self._handed_out(thread_id, config, None, untold)

    def _untold(self, thread_id: str, config: dict, snapshot: Any = None) -> Reply | None:
        """Finish a cut-off turn; return the lines of the last turn if the caller never got them."""
        snapshot = snapshot if snapshot is not None else self.graph.get_state(config)
        # Between turns a conversation always waits in listen's interrupt (the router has no end),
        # so a saved conversation that is not waiting there was cut off. (`next` is no test: after a
        # stop right when a step's writes were saved, it is empty although the turn is not over.)
        cut_off = snapshot.metadata is not None and not snapshot.interrupts
        if cut_off:
            # Memoised steps and idempotent writes make finishing the turn safe: a write that
            # committed before the stop is not made again, its stored result is reported.
            self.graph.invoke(None, config, durability=self.settings.durability)
            snapshot = self.graph.get_state(config)
        turn = snapshot.values.get("turn") or 0
        told = self.deliveries.last(thread_id)
        if turn == 0 or (told is not None and turn <= told) or (told is None and not cut_off):
            return None
        messages = snapshot.values.get("messages") or []
        asked = next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")
        asked = plain_text(asked)
        asked = asked if len(asked) <= 80 else asked[:79].rstrip() + "…"
        lead = Utterance(key="conversation.cut_off", text=TEMPLATES["cut_off"].format(message=asked))
        said = self._reply(config)
        lines = said.lines or [Utterance(key="conversation.not_understood", text=said.text)]
        return said.model_copy(update={"lines": [lead, *lines], "text": f"{lead.text}\n{said.text}"})

    def _handed_out(self, thread_id: str, config: dict, untold: Reply | None, reply: Reply | None = None,
                    values: dict | None = None) -> Reply:
        """This turn's reply (after the lines of a cut-off turn, if any), recorded as handed out. `values`: the
        state the turn ended with, as the graph returned it (not read again)."""
        values = values if values is not None else self.graph.get_state(config).values
        reply = reply or self._reply(config, values)
        if untold is not None:
            reply = reply.model_copy(update={"lines": [*untold.lines, *reply.lines],
                                             "text": f"{untold.text}\n{reply.text}",
                                             "trace": [*untold.trace, *reply.trace]})
        self.transcript.record(thread_id, values.get("messages") or [])
        self.deliveries.mark(thread_id, values.get("turn") or 0)
        return reply

    def _reply(self, config: dict, values: dict | None = None) -> Reply:
        values = values if values is not None else self.graph.get_state(config).values
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
            values = self.graph.invoke({"messages": []}, config, durability=self.settings.durability)
            self.deliveries.mark(thread_id, values.get("turn") or 0)  # so the first message needs no state read
            return self._reply(config, values).text
        return self._reply(config).text

    def view(self, thread_id: str) -> ConversationView:
        values = self.graph.get_state(self._config(thread_id)).values
        messages = self.transcript.lines(thread_id, values.get("messages") or [])
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
