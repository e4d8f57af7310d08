"""Draw a LangGraph graph as a PNG without network access.

`draw_mermaid_png()` needs mermaid.ink or a headless browser, `draw_png()` needs
graphviz; neither is available offline.  So we lay the graph out with grandalf's
Sugiyama layout (as `draw_ascii` does) and paint it with matplotlib's Agg renderer
(no pyplot, so no global backend state).
matplotlib and grandalf are imported when a PNG is drawn, not with this module: mermaid text
needs neither, and importing matplotlib costs about half a second.
Subgraph nodes from `get_graph(xray=True)` have ids like `cancel_order:ask_reason`.
Sugiyama knows nothing of clusters and would interleave different subgraphs, so
each id prefix is laid out on its own first and then takes part in its parent's
layout as one big box: clusters never overlap each other or outside nodes.
"""

from __future__ import annotations

import math
import os.path
import pathlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.runnables.graph import Graph

# Layout units are typographic points: the figure is sized so one unit is one
# point, hence font sizes and box sizes agree whatever dpi we end up with.
FONT, SMALL = 10.0, 7.5
PAD_X, NODE_H, TERM_W, TERM_H = 10.0, 26.0, 46.0, 18.0
XSPACE, YSPACE = 28.0, 44.0          # YSPACE leaves room for edge labels
CPAD, CTITLE = 12.0, 16.0            # cluster padding and its label band
LOOP = 24.0                          # size of a self-loop drawn right of its node
MARGIN, MAX_PX, DPI = 18.0, 6000, 110
TERMINALS = {"__start__": "START", "__end__": "END"}
NODE_FACE, NODE_EDGE, END_FACE, INK = "#f2f0ff", "#5b4b9a", "#bfb6fc", "#333333"
ROUND = "round,pad=0,rounding_size="
CLUSTER_COLORS = ["#e6f0fa", "#e8f5e6", "#fbf1e1", "#f5e6f1", "#eeeeee"]

@cache
def _measure():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point


def _text_w(s: str, size: float) -> float:
    from matplotlib.font_manager import FontProperties

    return _measure().get_text_width_height_descent(s, FontProperties(size=size), ismath=False)[0]


@dataclass
class _Block:
    """A laid-out (sub)graph; coordinates local until shifted into its parent."""
    w: float = 0.0
    h: float = 0.0
    pos: dict = field(default_factory=dict)       # node id -> centre
    clusters: dict = field(default_factory=dict)  # prefix tuple -> (x0, y0, x1, y1)
    bends: dict = field(default_factory=dict)     # (item_a, item_b) -> bend points
    tall: dict = field(default_factory=dict)      # node id -> half height of its layer

    def shift(self, dx: float, dy: float) -> None:
        self.pos = {k: (x + dx, y + dy) for k, (x, y) in self.pos.items()}
        self.clusters = {k: (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
                         for k, (x0, y0, x1, y1) in self.clusters.items()}
        self.bends = {k: [(x + dx, y + dy) for x, y in p] for k, p in self.bends.items()}


def _item(node_id: str, depth: int):
    """The box standing for `node_id` at nesting `depth`: the node or its cluster."""
    parts = node_id.split(":")
    return node_id if len(parts) <= depth + 1 else tuple(parts[: depth + 1])


def _place(prefix: tuple, ids: list, pairs: list, size: dict, loops: dict) -> _Block:
    from grandalf.graphs import Edge as GEdge
    from grandalf.graphs import Graph as GGraph
    from grandalf.graphs import Vertex
    from grandalf.layouts import SugiyamaLayout, VertexViewer

    depth, groups, views, subs = len(prefix), defaultdict(list), {}, {}
    for i in ids:
        groups[_item(i, depth)].append(i)
    for key, members in groups.items():
        if isinstance(key, tuple):  # a subgraph: lay it out first, then treat it as one box
            sub = subs[key] = _place(key, members, pairs, size, loops)
            w = max(sub.w, _text_w(key[-1], SMALL + 1) + 8)
            views[key] = VertexViewer(w + 2 * CPAD, sub.h + 2 * CPAD + CTITLE)
        else:  # room for a self-loop on the right; grandalf centres, so on both sides
            views[key] = VertexViewer(size[key][0] + 2 * loops.get(key, 0.0), size[key][1])
    inside = set(ids)  # dicts, not sets, as ordered sets: same graph -> same picture
    level = dict.fromkeys((_item(s, depth), _item(t, depth)) for s, t in pairs
                          if s in inside and t in inside and _item(s, depth) != _item(t, depth))
    verts = {k: Vertex(k) for k in views}
    for k, v in verts.items():
        v.view = views[k]  # grandalf reads .w/.h and writes the centre to .xy
    block, cursor = _Block(), 0.0
    # grandalf lays out one connected component at a time: put them side by side.
    for comp in GGraph(list(verts.values()), [GEdge(verts[a], verts[b]) for a, b in level]).C:
        sug = SugiyamaLayout(comp)
        # bend (dummy) vertices: thin, not as wide as the median box
        sug.dw, sug.dh, sug.xspace, sug.yspace = 16.0, NODE_H, XSPACE, YSPACE
        sug.init_all(optimize=True)  # finds feedback edges and reverses them: cycles are fine
        sug.draw()
        # A bend point sits mid-layer; beside a tall cluster a straight line to it
        # would cut the cluster's corner, so run the edge over the layer's full height.
        half = {lay[0].view.xy[1]: max(v.view.h for v in lay) / 2 for lay in sug.layers}
        allv = [v for lay in sug.layers for v in lay]  # bend vertices take room too
        dx = cursor - min(v.view.xy[0] - v.view.w / 2 for v in allv)
        dy = -min(v.view.xy[1] - v.view.h / 2 for v in allv)
        block.w = max(block.w, max(v.view.xy[0] + v.view.w / 2 for v in allv) + dx)
        block.h = max(block.h, max(v.view.xy[1] + v.view.h / 2 for v in allv) + dy)
        for v in comp.sV:
            block.tall[v.data] = half[v.view.xy[1]]
            v.view.xy = (v.view.xy[0] + dx, v.view.xy[1] + dy)
        for e in comp.sE:  # sug.ctrls: rank -> vertex, for edges spanning several layers
            ctrl, pts = sug.ctrls.get(e, {}), []
            up = sug.grx[e.v[0]].rank > sug.grx[e.v[1]].rank  # reversed to break a cycle
            for r in sorted(ctrl, reverse=up)[1:-1]:
                (x, y), hh = ctrl[r].view.xy, half[ctrl[r].view.xy[1]]
                hh = hh if hh > NODE_H else 0
                pts += sorted({(x + dx, y + dy - hh), (x + dx, y + dy + hh)},
                              key=lambda p: p[1], reverse=up)
            block.bends[(e.v[0].data, e.v[1].data)] = pts
        cursor = block.w + 2 * XSPACE
    for key, view in views.items():
        (x, y), w, h = view.xy, view.w, view.h
        if key not in subs:
            block.pos[key] = (x, y)
            continue
        subs[key].shift(x - subs[key].w / 2, y - h / 2 + CPAD + CTITLE)
        block.clusters[key] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        for part in ("pos", "clusters", "bends", "tall"):  # nested clusters after (on top of) it
            getattr(block, part).update(getattr(subs[key], part))
    return block


def _clip(c, toward, w, h, oval):
    """Where the ray from centre `c` towards `toward` leaves the node outline."""
    dx, dy = toward[0] - c[0], toward[1] - c[1]
    t = (1 / math.hypot(dx / (w / 2), dy / (h / 2)) if oval and (dx or dy) else
         min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf))
    return (c[0] + dx * min(t, 1.0), c[1] + dy * min(t, 1.0))


def _attach(node, q, common, block, size):
    """Corners between `node` and the next point `q` of its edge.  Leaving a cluster: go
    round its side if a straight line would cross the cluster's other nodes or leave by
    its side into the neighbours (the parent layout saw the cluster as one box).  A plain
    node in a layer made tall by a cluster: leave vertically, not across the layer."""
    (nx, ny), key = block.pos[node], _item(node, common)
    if not isinstance(key, tuple):
        hh = block.tall.get(node, 0) if key == node else 0
        return [(nx, ny - hh if q[1] < ny else ny + hh)] if hh > size[node][1] / 2 + 1 else []
    x0, y0, x1, y1 = block.clusters[key]
    rects = [(px - size[i][0] / 2, py - size[i][1] / 2, px + size[i][0] / 2, py + size[i][1] / 2)
             for i, (px, py) in block.pos.items() if i != node and _item(i, common) == key]
    samples = [(nx + (q[0] - nx) * k / 40, ny + (q[1] - ny) * k / 40) for k in range(41)]
    if not any(a <= x <= c and b <= y <= d for x, y in samples for a, b, c, d in rects) and \
            not any(y0 < y < y1 and not x0 <= x <= x1 for x, y in samples):
        return []
    side = x0 - XSPACE / 2 if nx - x0 < x1 - nx else x1 + XSPACE / 2
    return [(side, ny), (side, y0 - YSPACE / 4 if q[1] < y0 else y1 + YSPACE / 4)]


def _edge_path(e, block, size):
    """Points, path codes, label anchor and label alignment of an edge."""
    from matplotlib.path import Path

    (s, t), (w, h, _) = (block.pos[e.source], block.pos[e.target]), size[e.source]
    if e.source == e.target:  # loop out of the right side and back in lower down
        r, far = s[0] + w / 2, s[0] + w / 2 + 1.6 * LOOP
        pts = [(r, s[1] - h / 4), (far, s[1] - h), (far, s[1] + h), (r, s[1] + h / 4)]
        return pts, [Path.MOVETO] + [Path.CURVE4] * 3, (r + 1.2 * LOOP + 3, s[1]), "left"
    # Bends were recorded at the level where the ends sit in different boxes,
    # i.e. at the length of their common id prefix.
    common = len(os.path.commonprefix([e.source.split(":")[:-1], e.target.split(":")[:-1]]))
    bends = block.bends.get((_item(e.source, common), _item(e.target, common)), [])
    bends = (_attach(e.source, (bends or [t])[0], common, block, size) + bends
             + _attach(e.target, (bends or [s])[-1], common, block, size)[::-1])
    codes = [Path.MOVETO] + [Path.LINETO] * (len(bends) + 1)
    if not bends and t[1] < s[1]:  # short back edge: bow it upwards (left if vertical: loops
        dx, dy = t[0] - s[0], t[1] - s[1]  # are right) so it can't hide a forward edge
        k = 2 * LOOP / math.hypot(dx, dy) * (1 if dx >= 0 else -1)
        bends = [((s[0] + t[0]) / 2 + dy * k, (s[1] + t[1]) / 2 - dx * k)]
        codes = [Path.MOVETO] + [Path.CURVE3] * 2
    pts = [_clip(s, (bends or [t])[0], *size[e.source]), *bends,
           _clip(t, (bends or [s])[-1], *size[e.target])]
    if codes[1] == Path.CURVE3:  # label on the curve, not at its control point
        return pts, codes, tuple(0.25 * a + 0.5 * b + 0.25 * c for a, b, c in zip(*pts, strict=True)), "center"
    a, b = pts[(len(pts) - 1) // 2], pts[len(pts) // 2]
    return pts, codes, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), "center"


def render_png(graph: Graph, path: str | pathlib.Path, *, title: str | None = None) -> pathlib.Path:
    """Lay `graph` out top-to-bottom and write it as a PNG to `path`; returns the path."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch
    from matplotlib.path import Path

    path = pathlib.Path(path)
    term = {i: TERMINALS.get(i.split(":")[-1]) for i in graph.nodes}
    label = {i: term[i] or n.name for i, n in graph.nodes.items()}
    size = {i: (TERM_W, TERM_H, True) if term[i] else
            (_text_w(label[i], FONT) + 2 * PAD_X, NODE_H, False) for i in graph.nodes}
    edges = [e for e in graph.edges if e.source in graph.nodes and e.target in graph.nodes]
    loops = {e.source: 1.2 * LOOP + (_text_w(str(e.data), SMALL) + 8 if e.data is not None else 4)
             for e in edges if e.source == e.target}  # room beside a node for loop + label
    pairs = list(dict.fromkeys((e.source, e.target) for e in edges if e.source != e.target))
    block = _place((), list(graph.nodes), pairs, size, loops)
    top = MARGIN + (FONT + 10 if title else 0)
    block.shift(MARGIN, top)
    # A floor keeps tiny graphs sensible; big ones lower the dpi to stay <= MAX_PX.
    W, H = max(block.w + 2 * MARGIN, 240.0), max(block.h + top + MARGIN, 160.0)
    dpi = min(DPI, MAX_PX / (W / 72), MAX_PX / (H / 72))
    fig = Figure(figsize=(W / 72, H / 72), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, W), ax.set_ylim(H, 0), ax.axis("off")  # y grows downward, like the layout
    if title:
        ax.text(W / 2, MARGIN, title, ha="center", va="top", size=FONT + 2, weight="bold",
                parse_math=False)
    for n, (key, (x0, y0, x1, y1)) in enumerate(block.clusters.items()):
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, zorder=len(key), lw=0.8,
                                    boxstyle=ROUND + "8", ec="#8a9bb0",
                                    fc=CLUSTER_COLORS[n % len(CLUSTER_COLORS)]))
        ax.text(x0 + 8, y0 + 5, key[-1], fontsize=SMALL + 1, va="top", weight="bold",
                color="#3d4f66", zorder=len(key), parse_math=False)
    for i, (x, y) in block.pos.items():
        w, h, oval = size[i]
        patch = Ellipse((x, y), w, h, fc=END_FACE if term[i] == "END" else "white") if oval else \
            FancyBboxPatch((x - w / 2, y - h / 2), w, h, fc=NODE_FACE, boxstyle=ROUND + "6")
        ax.add_patch(patch).set(ec=NODE_EDGE, lw=1 if oval else 1.2, zorder=20)
        ax.text(x, y, label[i], ha="center", va="center", fontsize=SMALL if oval else FONT,
                zorder=21, parse_math=False)
    for e in edges:
        pts, codes, mid, ha = _edge_path(e, block, size)
        style = (0, (4, 3)) if e.conditional else "-"
        ax.add_patch(PathPatch(Path(pts, codes), fill=False, ec=INK, lw=1, ls=style, zorder=10))
        # The head is drawn on its own, solid, so dashed edges still get a crisp arrow.
        (ax_, ay), (bx, by) = pts[-2], pts[-1]
        d = math.hypot(bx - ax_, by - ay) or 1.0
        ax.annotate("", xy=(bx, by), xytext=(bx - (bx - ax_) / d, by - (by - ay) / d), zorder=11,
                    arrowprops=dict(arrowstyle="-|>,head_length=0.7,head_width=0.3", color=INK,
                                    lw=1, shrinkA=0, shrinkB=0, mutation_scale=10))
        if e.data is not None:
            ax.text(*mid, str(e.data), fontsize=SMALL, ha=ha, va="center", zorder=30,
                    color="#555555", parse_math=False,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi, facecolor="white")
    return path


def render_mermaid(graph: Graph, *, title: str | None = None, **kwargs) -> str:
    """`graph.draw_mermaid()` text; extra keyword arguments are passed through.
    The title goes into the YAML front matter, which must open the text."""
    if title is not None:
        if kwargs.get("with_styles") is False:  # no front matter is written then
            return f"%% {title}\n" + graph.draw_mermaid(**kwargs)
        kwargs["frontmatter_config"] = {"title": title, **(kwargs.get("frontmatter_config") or {})}
    return graph.draw_mermaid(**kwargs)
