"""`procall serve`: the HTTP API and the web chat (imports the server only when run)."""

from __future__ import annotations

import argparse

from .errors import CLIError
from .options import add_run_options, settings_from


def register(commands) -> None:
    parser = commands.add_parser("serve", help="serve the HTTP API and the web chat (http://HOST:PORT/)")
    add_run_options(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (default: 1); several share the home folder, or Postgres when "
                             "PROCALL_DATABASE_URL or --database-url is set")
    parser.add_argument("--database-url", metavar="URL",
                        help="postgresql://... : keep everything shared in Postgres (default: $PROCALL_DATABASE_URL; "
                             "unset: SQLite files under home)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise CLIError("--workers must be at least 1")
    if not 0 < args.port < 65536:
        raise CLIError("--port must be between 1 and 65535")
    settings = settings_from(args)
    if args.database_url:
        if not args.database_url.startswith(("postgresql://", "postgres://")):
            raise CLIError("--database-url must be a postgresql:// URL")
        settings = settings.model_copy(update={"database_url": args.database_url})
    from ..server.run import serve

    print(f"procall: serving on http://{args.host}:{args.port}/ ({args.workers} worker(s), "
          f"{'Postgres' if settings.database_url else 'SQLite under ' + str(settings.home)}); Ctrl-C stops")
    serve(settings, args.host, args.port, args.workers, args.log_level)
    return 0
