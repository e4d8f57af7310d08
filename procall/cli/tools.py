"""`procall tools list|check`: the gateway's registry, and its contracts against the live store."""

from __future__ import annotations

import argparse
import json

from .options import add_run_options, settings_from

# Imports of what a command needs live in its run functions: `procall --help` only builds parsers.


def register(commands) -> None:
    parser = commands.add_parser("tools", help="list the registered tools, or check their contracts")
    sub = parser.add_subparsers(dest="tools_command", required=True)
    listing = sub.add_parser("list", help="every tool with its version, kind, system, roles and timeout")
    listing.add_argument("--json", action="store_true", help="OpenAI tool schemas as JSON")
    listing.set_defaults(run=run_list)
    check = sub.add_parser("check", help="call each tool on known records; report outputs that drifted")
    add_run_options(check)
    check.set_defaults(run=run_check)


def run_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..tools.gateway.policy import GatewayPolicy
    from ..tools.gateway.registry import ToolRegistry

    registry = ToolRegistry(GatewayPolicy.load())
    if args.json:
        print(json.dumps(registry.openai_schemas(), indent=2))
        return 0
    table = Table("tool", "version", "kind", "system", "roles", "timeout", "retry-safe")
    for t in registry.list():
        table.add_row(t.name, t.version, t.kind, t.system, ", ".join(t.roles), f"{t.timeout_s:g}s",
                      "yes" if t.retry_safe else "no")
    Console().print(table)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..runtime import open_backend
    from ..tools.gateway.drift import check_contracts
    from ..tools.gateway.policy import GatewayPolicy

    settings = settings_from(args)
    backend = open_backend(settings)
    try:
        checks = check_contracts(backend, GatewayPolicy.load(settings.gateway_policy))
    finally:
        backend.close()
    table = Table("tool", "version", "kind", "contract", "detail")
    for c in checks:
        table.add_row(c.tool, c.version, c.kind, "[green]ok[/green]" if c.ok else "[red]DRIFT[/red]", c.detail)
    Console().print(table)
    drifted = [c.tool for c in checks if not c.ok]
    print(f"{len(checks) - len(drifted)} ok, {len(drifted)} drifted" + (f": {', '.join(drifted)}" if drifted else ""))
    return 1 if drifted else 0
