"""`procall chat`: talk to the assistant in the terminal."""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING

from .endpoint import check_endpoint
from .options import add_run_options, settings_from

if TYPE_CHECKING:
    from ..assistant import Assistant

EXIT_WORDS = {"/quit", "/exit", "quit", "exit"}


def register(commands) -> None:
    parser = commands.add_parser("chat", help="talk to the assistant (Ctrl-D or /quit to stop)")
    add_run_options(parser)
    parser.add_argument("--thread", help="continue this conversation (default: a new one)")
    parser.add_argument("--trace", action="store_true", help="show what the assistant did after each reply")
    parser.set_defaults(run=run)


def opening(assistant: Assistant, thread: str) -> list[str]:
    """What to show first: the greeting of a new conversation, or where a continued one left off
    (the customer's last message and the reply to it). A reply the customer never got, because the
    program stopped mid-turn, is finished and shown with a note that we were cut off."""
    untold = assistant.resume(thread)
    messages = assistant.view(thread).messages
    last = max((i for i, (who, _) in enumerate(messages) if who == "customer"), default=None)
    if last is None:
        return [f"assistant: {assistant.greeting(thread)}"]
    answer = untold.text if untold else "\n".join(text for who, text in messages[last + 1:] if who == "assistant")
    return ["[where we left off]", f"you: {messages[last][1]}", f"assistant: {answer}"]


def run(args: argparse.Namespace) -> int:
    from ..assistant import Assistant  # here, not at the top: `procall --help` must not load the assistant

    settings = settings_from(args)
    if settings.nlu == "llm":
        check_endpoint(settings)
    assistant = Assistant(settings)
    thread = args.thread or f"chat-{uuid.uuid4().hex[:8]}"
    print(f"[conversation {thread}; continue it later with: procall chat --thread {thread}]")
    for line in opening(assistant, thread):
        print(line)
    try:
        while True:
            try:
                text = input("you: ")
            except EOFError:
                print()
                break
            if text.strip().lower() in EXIT_WORDS:
                break
            reply = assistant.send(thread, text)
            print(f"assistant: {reply.text}")
            if args.trace:
                events = ", ".join(f"{e.event} {e.process or ''}{'.' + e.slot if e.slot else ''}".strip()
                                   for e in reply.trace)
                print(f"  [{events}]")
    except KeyboardInterrupt:
        print()
    finally:
        assistant.close()
    print(f"[saved; continue with: procall chat --thread {thread}]")
    return 0
