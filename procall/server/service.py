"""The conversations the server holds: create one, check who may use it, answer a message exactly once.

A message is answered under the conversation's lock, so the turns of one conversation never overlap,
whichever instance each message lands on. Every message has an id (the client's, or a fresh one); the
turn ledger keeps the reply, so a message sent again after a lost answer gets that reply back. If an
instance died after reading a message (the checkpoint's turn counter moved past the one recorded when
the message was taken up), the message sent again finishes that turn (`Assistant.resume`) instead of
reading the message a second time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
import uuid
from collections.abc import Callable

from ..assistant import Assistant, Reply
from ..config import Settings
from ..state import Utterance
from .locks import ConversationLocks, FileLocks
from .models import Choice, ConversationOut, Message, NewConversation, TurnReply
from .records import ServerRecords, SqliteRecords

YES_NO = [Choice(number=1, label="Yes", text="yes"), Choice(number=2, label="No", text="no")]


class UnknownConversation(Exception):
    pass


class NotYourConversation(Exception):
    pass


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_records(settings: Settings) -> ServerRecords:
    if settings.database_url:
        from .postgres_records import PostgresRecords

        return PostgresRecords(settings.database_url, settings.db_pool_size)
    return SqliteRecords(settings.home / "server.db")


def open_locks(settings: Settings) -> ConversationLocks:
    if settings.database_url:
        from .postgres_locks import PostgresLocks

        return PostgresLocks(settings.database_url, settings.db_pool_size)
    return FileLocks(settings.home / "locks")


class ChatService:
    def __init__(self, settings: Settings, assistant: Assistant | None = None, records: ServerRecords | None = None,
                 locks: ConversationLocks | None = None, instance: str | None = None):
        self.settings = settings
        self._owns_assistant = assistant is None
        self.assistant = assistant or Assistant(settings)
        self.records = records or open_records(settings)
        self.locks = locks or open_locks(settings)
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}"

    # -- conversations -----------------------------------------------------------------------

    def create(self) -> NewConversation:
        conversation, secret = uuid.uuid4().hex, secrets.token_urlsafe(24)
        self.records.add_conversation(conversation, secret_digest(secret))
        with self.locks.hold(conversation, self.settings.turn_wait_s):
            greeting = self.assistant.greeting(conversation)
        return NewConversation(id=conversation, secret=secret, greeting=greeting)

    def check_access(self, conversation: str, secret: str | None) -> None:
        stored = self.records.secret_of(conversation)
        if stored is None:
            raise UnknownConversation(conversation)
        if not secret or not hmac.compare_digest(stored, secret_digest(secret)):
            raise NotYourConversation(conversation)

    def view(self, conversation: str) -> ConversationOut:
        view = self.assistant.view(conversation)
        return ConversationOut(id=conversation, messages=[Message(role=r, text=t) for r, t in view.messages],
                               customer=view.customer, stack=[f.model_dump(mode="json") for f in view.stack],
                               handed_off=view.handed_off, turn=view.turn)

    # -- turns -------------------------------------------------------------------------------

    def send(self, conversation: str, text: str, message_id: str | None = None,
             on_line: Callable[[Utterance], None] | None = None) -> TurnReply:
        """Answer one message; `on_line` gets each line of the reply (for server-sent events)."""
        message_id = message_id or uuid.uuid4().hex
        with self.locks.hold(conversation, self.settings.turn_wait_s):
            earlier = self.records.turn(conversation, message_id)
            if earlier is not None and earlier.status == "done":
                reply = TurnReply.model_validate_json(earlier.reply or "{}")
            else:
                turn = self._values(conversation).get("turn") or 0
                if earlier is not None and turn > earlier.turn_before:
                    # An instance stopped after reading this message: finish its turn and tell what it
                    # said, don't read the message a second time.
                    told = self._finish_cut_off_turn(conversation)
                    reply = self._turn_reply(conversation, told) if told is not None else self.reply(conversation)
                else:
                    self.records.start_turn(conversation, message_id, turn, self.instance)
                    reply = self._turn_reply(conversation, self.assistant.send(conversation, text))
                self.records.finish_turn(conversation, message_id, reply.model_dump_json())
        for line in reply.lines if on_line else ():
            on_line(line)
        return reply

    def _finish_cut_off_turn(self, conversation: str) -> Reply | None:
        """Finish a turn an instance began and never ended; its lines if the customer was not told them."""
        resume = getattr(self.assistant, "resume", None)
        if resume is not None:
            return resume(conversation)
        # An Assistant without `resume`: run the turn's remaining steps; its reply is then the last one.
        config = {"configurable": {"thread_id": conversation}}
        snapshot = self.assistant.graph.get_state(config)
        if snapshot.next and not snapshot.interrupts:
            self.assistant.graph.invoke(None, config, durability=self.settings.durability)
        return None

    def _values(self, conversation: str) -> dict:
        return self.assistant.graph.get_state({"configurable": {"thread_id": conversation}}).values

    def reply(self, conversation: str) -> TurnReply:
        """The last reply of the conversation."""
        return self._turn_reply(conversation, self.assistant.reply(conversation))

    def _turn_reply(self, conversation: str, reply: Reply) -> TurnReply:
        values = self._values(conversation)
        stack = values.get("stack") or []
        asking = stack[-1].asking if stack else None
        if asking is None:
            choices = []
        elif asking.kind == "yes_no":
            choices = YES_NO
        else:
            choices = [Choice(number=i, label=c.label, text=c.label) for i, c in enumerate(asking.choices, 1)]
        return TurnReply(**reply.model_dump(), choices=choices, handed_off=bool(values.get("handed_off")),
                         turn=values.get("turn") or 0)

    # -- health ------------------------------------------------------------------------------

    def check_ready(self) -> None:
        """Raises if a database the server needs does not answer."""
        self.records.ping()
        self.assistant.backend.db.query("SELECT 1")
        self.assistant.graph.get_state({"configurable": {"thread_id": "readyz-probe"}})

    def close(self) -> None:
        self.records.close()
        close = getattr(self.locks, "close", None)
        if close:
            close()
        if self._owns_assistant:
            self.assistant.close()
