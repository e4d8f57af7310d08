"""procall.drawing: offline PNG rendering of LangGraph graphs, and the mermaid wrapper."""

from __future__ import annotations

import socket
from typing import TypedDict

import matplotlib.image as mpimg
import pytest
from langchain_core.runnables.graph import Graph
from langgraph.graph import END, START, StateGraph

from procall.drawing import render_mermaid, render_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _State(TypedDict, total=False):
    intent: str
    reason: str


def _process(name: str):
    """A small process subgraph: ask (retrying itself), confirm, execute."""
    g = StateGraph(_State)
    g.add_node("ask_reason", lambda s: {})
    g.add_node("confirm", lambda s: {})
    g.add_node("execute", lambda s: {})
    g.add_edge(START, "ask_reason")
    g.add_conditional_edges("ask_reason", lambda s: "ok" if s.get("reason") else "retry",
                            {"ok": "confirm", "retry": "ask_reason"})
    g.add_edge("confirm", "execute")
    g.add_edge("execute", END)
    return g.compile(name=name)


def _router():
    """Router-like graph: understand -> one of two process subgraphs or fallback."""
    g = StateGraph(_State)
    g.add_node("understand", lambda s: {})
    g.add_node("cancel_order", _process("cancel_order"))
    g.add_node("track_parcel", _process("track_parcel"))
    g.add_node("fallback", lambda s: {})
    g.add_edge(START, "understand")
    g.add_conditional_edges("understand", lambda s: s.get("intent", "fallback"),
                            ["cancel_order", "track_parcel", "fallback", END])
    for node in ("cancel_order", "track_parcel", "fallback"):
        g.add_edge(node, END)
    return g.compile()


@pytest.fixture
def no_network(monkeypatch):
    """Any name lookup or connection attempt fails the test (no mermaid.ink & co.).

    Attempts are also recorded and checked afterwards, in case a library (say,
    requests with retries) catches the error it gets."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError(f"network use attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield
    assert not attempts, f"network use attempted: {attempts!r}"


def _assert_png(path, min_side=200):
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    assert image.shape[0] > min_side and image.shape[1] > min_side
    return image


def test_render_png_xray_router(tmp_path, no_network):
    graph = _router().get_graph(xray=True)
    assert any(":" in node_id for node_id in graph.nodes)  # the subgraphs really are inlined
    assert any(edge.conditional for edge in graph.edges)
    out = render_png(graph, tmp_path / "router.png", title="router (xray)")
    assert out == tmp_path / "router.png"
    image = _assert_png(out)
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def test_render_png_flat_graph_and_str_path(tmp_path, no_network):
    out = render_png(_router().get_graph(), str(tmp_path / "sub" / "flat.png"))
    _assert_png(out)


def test_render_png_disconnected_cycles_and_self_loops(tmp_path, no_network):
    graph = Graph()
    nodes = {name: graph.add_node(None, name) for name in "abcdefg"}  # "g" stays isolated
    for src, dst, data, conditional in [
        ("a", "b", None, False), ("b", "a", "back", True), ("b", "c", None, False),
        ("c", "c", "loop", True), ("d", "e", None, False), ("e", "f", "x", True),
        ("f", "d", "cycle", True),
    ]:
        graph.add_edge(nodes[src], nodes[dst], data, conditional)
    _assert_png(render_png(graph, tmp_path / "odd.png"), min_side=150)


def test_render_png_large_graph_stays_capped(tmp_path, no_network):
    g = StateGraph(_State)
    names = [f"step_{i:02d}" for i in range(64)]
    for name in names:
        g.add_node(name, lambda s: {})
    g.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        g.add_edge(a, b)
    g.add_edge(names[-1], END)
    image = _assert_png(render_png(g.compile().get_graph(), tmp_path / "long.png"))
    assert max(image.shape[:2]) <= 6000


def test_render_mermaid(no_network):
    graph = _router().get_graph(xray=True)
    text = render_mermaid(graph)
    assert text == graph.draw_mermaid()
    assert "subgraph cancel_order" in text and "-.->" in text
    titled = render_mermaid(graph, title="Procall router")
    assert titled.startswith("---\n") and "title: Procall router" in titled.split("---")[1]
    assert render_mermaid(graph, title="T", with_styles=False).startswith("%% T\ngraph TD;")
