"""`procall demo`: a scripted conversation on the embedded defaults, printed.

Identification, a missing-items report that ends in the refund-or-wait choice, and a
cancellation with its confirmation, on a fresh copy of the demo store (so it can be run
again and again); the backend calls go to the usual audit log.
"""

from __future__ import annotations

import argparse
from datetime import datetime

# Imports of what a command needs live in its run(): `procall --help` only builds parsers.

SCRIPT = (
    "Hi! Part of my order never arrived.",
    "It's Mia Castillo, zip code 94110.",
    "The desk lamp wasn't in the box.",
    "I'd rather get a refund, please.",
    "Yes, go ahead.",
    "Also, please cancel my other order, #W1001002.",
    "I ordered it by mistake.",
    "yes",
    "That's all, thanks!",
)


def register(commands) -> None:
    parser = commands.add_parser("demo", help="play a scripted conversation on the demo data and print it")
    parser.add_argument("--home", help="where the audit log is kept (default: ~/.procall or $PROCALL_HOME)")
    parser.add_argument("--trace", action="store_true", help="show what the assistant did after each reply")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..assistant import Assistant
    from ..config import Settings
    from ..tools.backend.stores import create_store

    settings = Settings(**({"home": args.home} if args.home else {}), nlu="local", data=None)
    settings.home.mkdir(parents=True, exist_ok=True)
    backend = create_store(settings.home / "stores" / "demo-run.db")  # fresh every run
    assistant = Assistant(settings, backend=backend)
    thread = f"demo-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    try:
        print(f"assistant: {assistant.greeting(thread)}")
        for text in SCRIPT:
            print(f"\ncustomer:  {text}")
            reply = assistant.send(thread, text)
            print("assistant: " + reply.text.replace("\n", "\n           "))
            if args.trace:
                print("           [" + ", ".join(f"{e.event} {e.process or ''}".strip() for e in reply.trace) + "]")
    finally:
        assistant.close()
    print(f"\nThe backend calls of this conversation: procall audit --conversation {thread}")
    return 0
