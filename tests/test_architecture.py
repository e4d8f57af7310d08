"""The architecture holds: processes reach the backend only through the gateway, only the
understand node may call a model, and every graph draws with connected edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {"graphs": "procall.graphs", "nodes": "procall.nodes", "state": "procall.state", "procall": "procall"}
BACKEND_INTERNALS = tuple(f"procall.tools.backend.{name}" for name in (
    "operations", "store", "records", "database", "operation", "loader", "stores", "payments"))
MODEL_MODULES = ("langchain_openai", "langchain_core.language_models", "langchain.chat_models", "openai")


def modules(folder: str):
    for path in sorted((REPO / folder).rglob("*.py")):
        relative = path.relative_to(REPO / folder).with_suffix("")
        parts = [p for p in relative.parts if p != "__init__"]
        yield path, ".".join([PACKAGES[folder], *parts])


def imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return found


@pytest.mark.parametrize("folder", ["graphs", "nodes", "state"])
def test_processes_never_import_backend_functions(folder):
    offenders = []
    for path, module in modules(folder):
        for name in imports(path, module):
            if name.startswith(BACKEND_INTERNALS):
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert not offenders, ("reach the backend through the gateway (tools/gateway), not directly:\n"
                           + "\n".join(offenders))


def test_only_the_understanding_calls_a_model():
    allowed = {"procall.nodes.understanding.llm", "procall.graphs.react", "procall.graphs.studio"}
    offenders = []
    for folder in ("graphs", "nodes", "state"):
        for path, module in modules(folder):
            if module in allowed:
                continue
            for name in imports(path, module):
                if name.startswith(MODEL_MODULES):
                    offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert not offenders, "\n".join(offenders)


def _graphs():
    from procall.graphs.studio import graph_for, graph_names

    return [(name, graph_for(name)) for name in graph_names()]


@pytest.mark.parametrize("name", [n for n, _ in _graphs()])
def test_graph_draws_without_disconnected_edges(name, home):
    from procall.graphs.studio import graph_for

    drawing = graph_for(name).get_graph(xray=True)
    nodes = set(drawing.nodes)
    for edge in drawing.edges:
        assert edge.source in nodes and edge.target in nodes, edge
    # Every node is reachable from the start.
    start = next(n for n in nodes if n.endswith("__start__") and ":" not in n)
    reached, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for edge in drawing.edges:
            if edge.source == current and edge.target not in reached:
                reached.add(edge.target)
                frontier.append(edge.target)
    unreachable = {n for n in nodes - reached if not n.endswith(":__start__")}
    assert not unreachable, f"{name}: unreachable nodes {sorted(unreachable)}"
    assert "graph TD" in drawing.draw_mermaid()
