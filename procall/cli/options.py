"""Options shared by the commands that run the assistant, and turning them into Settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CLIError

if TYPE_CHECKING:  # imported in settings_from(): building parsers for `procall --help` must stay cheap
    from ..config import Settings


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nlu", choices=["local", "llm"], help="how messages are understood (default: local)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="a folder of store JSON files (e.g. ../shared/taubench-retail) instead of the demo data")
    parser.add_argument("--home", type=Path, metavar="DIR", help="where conversations and the audit log are kept "
                                                                 "(default: ~/.procall or $PROCALL_HOME)")
    parser.add_argument("--model", help="model name for --nlu llm (default: $PROCALL_MODEL or gpt-4o-mini)")


def settings_from(args: argparse.Namespace) -> Settings:
    from ..config import Settings
    from ..tools.backend.loader import DataFolderError, check_data_folder

    overrides = {k: v for k, v in (("nlu", getattr(args, "nlu", None)), ("data", getattr(args, "data", None)),
                                   ("home", getattr(args, "home", None)), ("model", getattr(args, "model", None)))
                 if v is not None}
    settings = Settings(**overrides)
    if settings.data is not None:
        try:
            check_data_folder(settings.data)
        except DataFolderError as exc:
            raise CLIError(str(exc)) from None
    return settings
