"""The `procall` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import audit, chat, conversations, demo, draw, eval, play, serve, tools  # play, serve: lazy work
from .errors import CLIError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="procall", description="A customer-service assistant built on process "
                                                               "calling (LangGraph). Runs offline by default.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (chat, demo, audit, tools, draw, conversations, eval, play, serve):
        module.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.DEBUG if os.environ.get("PROCALL_DEBUG") else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # here, not at exit, so a reader gone away is caught below
        return code
    except BrokenPipeError:
        # The reader stopped reading (`procall play report | head`): that is how pipes end, not an error. Later
        # writes (the interpreter's last flush) go nowhere; 141 is what a shell reports for SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except CLIError as exc:
        print(f"procall: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback (PROCALL_DEBUG=1 shows it)
        if os.environ.get("PROCALL_DEBUG"):
            raise
        print(f"procall: unexpected error: {type(exc).__name__}: {exc} (set PROCALL_DEBUG=1 for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
