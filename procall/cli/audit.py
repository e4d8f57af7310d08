"""`procall audit`: the gateway's audit log as a table (or JSON)."""

from __future__ import annotations

import argparse
import json

from .errors import CLIError

# Imports of what a command needs live in its run(): `procall --help` only builds parsers.


def register(commands) -> None:
    parser = commands.add_parser("audit", help="show the audit log of backend calls")
    parser.add_argument("--conversation", help="only this conversation (thread id)")
    parser.add_argument("--tool", help="only this tool")
    parser.add_argument("--since", help="only calls at or after this ISO time (e.g. 2026-11-21T10:00)")
    parser.add_argument("--limit", type=int, help="at most this many rows")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--home", help="where the audit log is kept (default: ~/.procall or $PROCALL_HOME)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..config import Settings
    from ..tools.gateway.audit import AuditLog

    settings = Settings(**({"home": args.home} if args.home else {}))
    if not settings.audit_path.exists():
        raise CLIError(f"no audit log at {settings.audit_path} yet (run `procall demo` or `procall chat` first)")
    log = AuditLog(settings.audit_path)
    try:
        rows = log.rows(conversation=args.conversation, tool=args.tool, since=args.since, limit=args.limit)
    finally:
        log.close()
    if args.json:
        for row in rows:
            print(json.dumps(row.model_dump()))
        return 0
    table = Table("time", "conversation", "customer", "role", "process.step", "tool@version", "arguments",
                  "outcome", "error", "try", "ms")
    for r in rows:
        where = f"{r.process or '-'}.{r.step or '-'}"
        table.add_row(r.time[11:23], r.conversation, r.customer or "-", r.role, where, f"{r.tool}@{r.version}",
                      r.arguments if len(r.arguments) <= 60 else r.arguments[:57] + "...", r.outcome,
                      r.error_code or "", str(r.attempt), f"{r.latency_ms:.1f}")
    Console(width=200).print(table)
    print(f"{len(rows)} calls")
    return 0
