"""`procall test-conversations PATH...`: run YAML conversation tests."""

from __future__ import annotations

import argparse
from pathlib import Path

from .endpoint import check_endpoint
from .errors import CLIError
from .options import settings_from

# Imports of what a command needs live in its run(): `procall --help` only builds parsers.


def register(commands) -> None:
    parser = commands.add_parser("test-conversations", help="run YAML conversation tests (files or folders)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--nlu", choices=["local", "llm"], default="local",
                        help="local (default), or llm: the configured model endpoint (OPENAI_*)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="run on this data folder instead of the demo data")
    parser.add_argument("--model", help="model name for --nlu llm")
    parser.add_argument("-k", dest="match", help="only conversations whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the transcript of failures")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..evals.conversations.format import load
    from ..evals.conversations.runner import ConversationRunner, report

    settings = settings_from(args)
    try:
        conversations = load(args.paths)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    if args.match:
        conversations = [c for c in conversations if args.match.lower() in c.name.lower()]
    if not conversations:
        raise CLIError("no conversations found")
    model = None
    if settings.nlu == "llm":
        check_endpoint(settings)
        from ..nodes.understanding.llm import chat_model

        model = chat_model(settings)
    runner = ConversationRunner(data=settings.data, nlu=settings.nlu, model=model)
    try:
        outcomes = []
        for conversation in conversations:
            outcome = runner.run(conversation)
            print(f"{'PASS' if outcome.passed else 'FAIL'}  {conversation.name}", flush=True)
            outcomes.append(outcome)
    finally:
        runner.close()
    failed = [o for o in outcomes if not o.passed]
    if failed:
        print("\nFailures:")
        print(report(failed, verbose=args.verbose).rsplit("\n", 1)[0])
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
