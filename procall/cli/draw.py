"""`procall draw`: the router or a process as a picture (mermaid text or PNG), offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import CLIError

# Imports of what a command needs live in its run(): `procall --help` only builds parsers.


def register(commands) -> None:
    parser = commands.add_parser("draw", help="draw the router or a process (mermaid or PNG, offline)")
    parser.add_argument("graph", nargs="?", default="router",
                        help="router (default), react, or a process name (see --list)")
    parser.add_argument("--format", choices=["mermaid", "png"], default="mermaid")
    parser.add_argument("--out", type=Path, help="write to this file (default: stdout for mermaid, GRAPH.png)")
    parser.add_argument("--list", action="store_true", help="list the graphs that can be drawn")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..drawing import render_mermaid, render_png
    from ..graphs.studio import graph_for, graph_names

    if args.list:
        print("\n".join(graph_names()))
        return 0
    if args.graph not in graph_names():
        raise CLIError(f"no graph named '{args.graph}'; choose one of: {', '.join(graph_names())}")
    drawing = graph_for(args.graph).get_graph(xray=True)
    if args.format == "mermaid":
        text = render_mermaid(drawing, title=args.graph)
        if args.out:
            args.out.write_text(text)
            print(f"wrote {args.out}")
        else:
            print(text)
        return 0
    out = args.out or Path(f"{args.graph}.png")
    render_png(drawing, out, title=args.graph)
    print(f"wrote {out}")
    return 0
