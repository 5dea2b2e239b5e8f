"""A workflow definition drawn as an inline SVG, laid out in Python (no online service, no JavaScript).

`render_svg(definition, current=..., trail=..., lang=...)` is a pure function of its arguments: the same
definition always gives the same markup, so pages can cache it and tests can compare its structure.

The layout is a compact Sugiyama-style layered drawing, top to bottom:
1. cycles are broken by a depth-first walk from the initial state (edges pointing back up the walk are
   drawn reversed);
2. each state gets the layer of its longest path from a source (the initial state on top);
3. edges spanning several layers pass through invisible "dummy" points, one per layer crossed;
4. the order inside each layer is improved by a few barycentre sweeps, down then up;
5. every layer is centred; a state whose position is saved in `definition["layout"]` ({key: [x, y]},
   the centre of its box) is drawn there instead.

Boxes are coloured by phase (with a legend); the current state is outlined; the ticket's trail (the
states it went through, in order) is traced with bold edges numbered by step. All text is escaped:
labels are an administrator's input.
"""

from __future__ import annotations

import functools
import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PHASES = ("open", "working", "waiting", "resolved", "closed")
PHASE_LABELS = {
    "open": pgettext_lazy("phase", "Open"), "working": pgettext_lazy("phase", "Working"),
    "waiting": pgettext_lazy("phase", "Waiting"), "resolved": pgettext_lazy("phase", "Resolved"),
    "closed": pgettext_lazy("phase", "Closed"),
}
# fill, stroke (text is always dark): GitHub Primer's light palette, readable on white.
PHASE_COLOURS = {
    "open": ("#ddf4ff", "#0969da"),
    "working": ("#fff1e5", "#bc4c00"),
    "waiting": ("#fff8c5", "#9a6700"),
    "resolved": ("#dafbe1", "#1a7f37"),
    "closed": ("#eaeef2", "#57606a"),
}
UNKNOWN_COLOURS = ("#ffffff", "#cf222e")
CURRENT = "#8250df"
TRAIL = "#8250df"
EDGE = "#6e7781"

FONT = 13  # state labels
SMALL = 11  # edge labels, legend
BOX_H = 40
MIN_BOX_W = 96
PAD_X = 14
LAYER_GAP = 86  # between the bottoms and tops of two layers' boxes
NODE_GAP = 44  # between two boxes of a layer
DUMMY_W = 24
MARGIN = 16
SWEEPS = 4
BOLD = ' font-weight="600"'
ARIA_CURRENT = ' aria-current="step"'


def text_width(text: str, size: int = FONT) -> float:
    """A close enough estimate of a label's width: CJK characters are square, Latin ones ~0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def label_of(item: dict, lang: str) -> str:
    """An item's label in `lang` ("zh-hans"/"en"), else in the other language, else its key."""
    label = item.get("label")
    if isinstance(label, str):
        return label or str(item.get("key", ""))
    if isinstance(label, dict):
        lang = (lang or "").lower()
        base = "zh-hans" if lang.startswith("zh") else "en"
        for choice in (lang, base, "zh-hans", "en", *sorted(label)):
            value = label.get(choice)
            if isinstance(value, str) and value.strip():
                return value
    return str(item.get("key", ""))


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _sources(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass
class Node:
    key: str
    label: str = ""
    phase: str = ""
    initial: bool = False
    dummy: bool = False
    width: float = DUMMY_W
    layer: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class Edge:
    source: str
    target: str
    labels: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)  # trail steps that took this edge (1-based)
    chain: list[str] = field(default_factory=list)  # node keys along the drawn path, source→target
    reversed: bool = False


@dataclass
class Diagram:
    nodes: dict[str, Node]
    edges: list[Edge]
    layers: list[list[str]]


def _graph(definition: dict, lang: str) -> tuple[dict[str, Node], list[Edge]]:
    nodes: dict[str, Node] = {}
    for state in _list(definition.get("states")):
        if not isinstance(state, dict) or not isinstance(state.get("key"), str) or not state["key"]:
            continue
        key = state["key"]
        if key in nodes:
            continue
        label = label_of(state, lang)
        nodes[key] = Node(key=key, label=label, phase=str(state.get("phase") or ""),
                          initial=bool(state.get("initial")),
                          width=max(MIN_BOX_W, text_width(label) + 2 * PAD_X), dummy=False)
    edges: dict[tuple[str, str], Edge] = {}
    for transition in _list(definition.get("transitions")):
        if not isinstance(transition, dict):
            continue
        target = transition.get("to")
        if target not in nodes:
            continue
        for source in _sources(transition.get("from")):
            if source not in nodes:
                continue
            edge = edges.setdefault((source, target), Edge(source, target))
            label = label_of(transition, lang)
            if label and label not in edge.labels:
                edge.labels.append(label)
            edge.keys.append(str(transition.get("key", "")))
    return nodes, list(edges.values())


def _order_of_walk(nodes: dict[str, Node], edges: list[Edge]) -> list[str]:
    """States from the initial one, then any the walk did not reach, in definition order."""
    initial = [k for k, n in nodes.items() if n.initial][:1]
    return initial + [k for k in nodes if k not in initial]


def _break_cycles(nodes: dict[str, Node], edges: list[Edge]) -> None:
    """Mark the edges that point back up a depth-first walk from the initial state as reversed."""
    out: dict[str, list[Edge]] = {k: [] for k in nodes}
    for edge in edges:
        if edge.source != edge.target:
            out[edge.source].append(edge)
    state: dict[str, int] = {}  # 1 = on the walk's stack, 2 = done
    for root in _order_of_walk(nodes, edges):
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            key, i = stack[-1]
            if i < len(out[key]):
                stack[-1] = (key, i + 1)
                edge = out[key][i]
                seen = state.get(edge.target)
                if seen == 1:
                    edge.reversed = True
                elif seen is None:
                    state[edge.target] = 1
                    stack.append((edge.target, 0))
            else:
                state[key] = 2
                stack.pop()


def _assign_layers(nodes: dict[str, Node], edges: list[Edge]) -> None:
    """Longest path from the sources of the acyclic graph (Kahn's order, definition order on ties)."""
    succ: dict[str, list[str]] = {k: [] for k in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for edge in edges:
        if edge.source == edge.target:
            continue
        a, b = (edge.target, edge.source) if edge.reversed else (edge.source, edge.target)
        succ[a].append(b)
        indeg[b] += 1
    ready = [k for k in nodes if indeg[k] == 0]
    # The initial state goes first even when something (wrongly) points at it.
    order: list[str] = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for nxt in succ[key]:
            nodes[nxt].layer = max(nodes[nxt].layer, nodes[key].layer + 1)
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)


def _insert_dummies(nodes: dict[str, Node], edges: list[Edge]) -> None:
    for n, edge in enumerate(edges):
        if edge.source == edge.target:
            edge.chain = [edge.source]
            continue
        top, bottom = (edge.target, edge.source) if edge.reversed else (edge.source, edge.target)
        chain = [top]
        for layer in range(nodes[top].layer + 1, nodes[bottom].layer):
            key = f"\x00{n}:{layer}"
            nodes[key] = Node(key=key, dummy=True, layer=layer)
            chain.append(key)
        chain.append(bottom)
        edge.chain = chain if not edge.reversed else chain[::-1]


def _order_layers(nodes: dict[str, Node], edges: list[Edge]) -> list[list[str]]:
    depth = max((n.layer for n in nodes.values()), default=0) + 1
    layers: list[list[str]] = [[] for _row in range(depth)]
    for key, node in nodes.items():  # definition order, dummies after the states
        layers[node.layer].append(key)
    up: dict[str, list[str]] = {k: [] for k in nodes}
    down: dict[str, list[str]] = {k: [] for k in nodes}
    for edge in edges:
        path = edge.chain if not edge.reversed else edge.chain[::-1]
        for a, b in zip(path, path[1:], strict=False):
            down[a].append(b)
            up[b].append(a)

    def barycentre(k: str, i: int, position: dict[str, int], neighbours: dict[str, list[str]]) -> float:
        near = [position[m] for m in neighbours[k] if m in position]
        return sum(near) / len(near) if near else float(i)

    def sweep(rows: Sequence[int], neighbours: dict[str, list[str]], step: int) -> None:
        for r in rows:
            position = {k: i for i, k in enumerate(layers[r - step])}
            ranked = sorted((barycentre(k, i, position, neighbours), i, k) for i, k in enumerate(layers[r]))
            layers[r] = [k for *_rank, k in ranked]

    for _sweep in range(SWEEPS):
        sweep(range(1, depth), up, 1)
        sweep(range(depth - 2, -1, -1), down, -1)
    return layers


def _place(nodes: dict[str, Node], layers: list[list[str]], edges: list[Edge], saved: dict) -> None:
    widths = [sum(nodes[k].width for k in row) + NODE_GAP * max(len(row) - 1, 0) for row in layers]
    widest = max(widths, default=0)
    for r, row in enumerate(layers):
        x = (widest - widths[r]) / 2
        for key in row:
            node = nodes[key]
            node.x = x + node.width / 2
            node.y = r * (BOX_H + LAYER_GAP) + BOX_H / 2
            x += node.width + NODE_GAP
    _straighten(nodes, layers, edges)
    left = min((n.x - n.width / 2 for n in nodes.values()), default=0.0)
    for node in nodes.values():
        node.x -= left
    for key, node in nodes.items():
        position = saved.get(key) if not node.dummy else None
        if (isinstance(position, list | tuple) and len(position) == 2
                and all(isinstance(v, int | float) and math.isfinite(v) for v in position)):
            node.x, node.y = float(position[0]), float(position[1])


def _straighten(nodes: dict[str, Node], layers: list[list[str]], edges: list[Edge]) -> None:
    """Pull each box toward the median of its neighbours in the layer above (then below), keeping the
    order and the gaps: chains become straight lines instead of zigzags."""
    up: dict[str, list[str]] = {k: [] for k in nodes}
    down: dict[str, list[str]] = {k: [] for k in nodes}
    for edge in edges:
        path = edge.chain if not edge.reversed else edge.chain[::-1]
        for a, b in zip(path, path[1:], strict=False):
            down[a].append(b)
            up[b].append(a)
    depth = len(layers)
    for _round in range(SWEEPS):
        for rows, neighbours in ((range(1, depth), up), (range(depth - 2, -1, -1), down)):
            for r in rows:
                row = [nodes[k] for k in layers[r]]
                if not row:
                    continue
                wanted = []
                for node in row:
                    near = sorted(nodes[m].x for m in neighbours[node.key])
                    wanted.append((near[(len(near) - 1) // 2] + near[len(near) // 2]) / 2 if near else node.x)
                gaps = [(a.width + b.width) / 2 + NODE_GAP for a, b in zip(row, row[1:], strict=False)]
                forward, backward = wanted[:], wanted[:]
                for i in range(1, len(row)):
                    forward[i] = max(forward[i], forward[i - 1] + gaps[i - 1])
                for i in range(len(row) - 2, -1, -1):
                    backward[i] = min(backward[i], backward[i + 1] - gaps[i])
                for node, f, b in zip(row, forward, backward, strict=True):
                    node.x = (f + b) / 2


def layout(definition: dict, lang: str = "zh-hans") -> Diagram:
    """Nodes with their centres and the edges with the points they pass through."""
    nodes, edges = _graph(definition if isinstance(definition, dict) else {}, lang)
    _break_cycles(nodes, edges)
    _assign_layers(nodes, edges)
    _insert_dummies(nodes, edges)
    layers = _order_layers(nodes, edges)
    saved = definition.get("layout") if isinstance(definition, dict) else None
    _place(nodes, layers, edges, saved if isinstance(saved, dict) else {})
    return Diagram(nodes=nodes, edges=edges, layers=layers)


# --- drawing -------------------------------------------------------------------------------------

def _clip(node: Node, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the centre of a state's box toward a point leaves the box."""
    dx, dy = toward[0] - node.x, toward[1] - node.y
    if dx == 0 and dy == 0:
        return node.x, node.y
    hw, hh = node.width / 2, BOX_H / 2
    scale = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return node.x + dx * scale, node.y + dy * scale


def _points(diagram: Diagram, edge: Edge, offset: float) -> list[tuple[float, float]]:
    nodes = diagram.nodes
    centres = [(nodes[k].x, nodes[k].y) for k in edge.chain]
    if offset:  # two-way pairs: shift each direction to its own side
        (x1, y1), (x2, y2) = centres[0], centres[-1]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx, ny = -(y2 - y1) / length * offset, (x2 - x1) / length * offset
        centres = [(x + nx, y + ny) for x, y in centres]
    source, target = nodes[edge.chain[0]], nodes[edge.chain[-1]]
    shifted_source = Node(key="", x=centres[0][0], y=centres[0][1], width=source.width)
    shifted_target = Node(key="", x=centres[-1][0], y=centres[-1][1], width=target.width)
    start = _clip(shifted_source, centres[1])
    end = _clip(shifted_target, centres[-2])
    return [start, *centres[1:-1], end]


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(("M" if i == 0 else "L") + f"{_fmt(x)} {_fmt(y)}" for i, (x, y) in enumerate(points))


def _trail_steps(edges: list[Edge], trail: Sequence[str]) -> None:
    by_pair = {(e.source, e.target): e for e in edges}
    for step, (a, b) in enumerate(zip(trail, trail[1:], strict=False), start=1):
        edge = by_pair.get((a, b))
        if edge is not None:
            edge.steps.append(step)


def render_svg(definition: dict, *, current: str | None = None, trail: Sequence[str] = (),
               lang: str = "zh-hans", title: str | None = None) -> str:
    """The workflow as an inline <svg>: states by phase, transitions with their labels, the current
    state outlined, the trail's edges bold and numbered by step, a legend of the phases. `title`
    names the drawing for screen readers (default: "Workflow diagram")."""
    try:
        key = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON (only in tests): draw without the cache
        with translation.override(lang):
            return _render(definition, current=current, trail=list(trail or ()), lang=lang, title=title)
    return _cached(key, current, tuple(trail or ()), lang, title)


@functools.lru_cache(maxsize=256)
def _cached(key: str, current: str | None, trail: tuple[str, ...], lang: str, title: str | None) -> str:
    """Drawings by their inputs: published versions never change, so a ticket page mostly hits this."""
    with translation.override(lang):
        return _render(json.loads(key), current=current, trail=list(trail), lang=lang, title=title)


def _render(definition: dict, *, current: str | None, trail: list[str], lang: str, title: str | None) -> str:
    diagram = layout(definition, lang)
    nodes, edges = diagram.nodes, diagram.edges
    _trail_steps(edges, trail)
    visited = set(trail)
    pairs = {(e.source, e.target) for e in edges}
    parts: list[str] = []
    labels: list[str] = []
    xs: list[float] = [0.0]
    ys: list[float] = [0.0]
    occupied = [(n.x - n.width / 2, n.y - BOX_H / 2, n.x + n.width / 2, n.y + BOX_H / 2)
                for n in nodes.values() if not n.dummy]

    for edge in edges:
        name = " / ".join(edge.labels)
        source, target = nodes[edge.source], nodes[edge.target]
        tip = f"{source.label} → {target.label}" + (f": {name}" if name else "")
        classes = ["wf-edge"] + (["wf-trail"] if edge.steps else [])
        colour = TRAIL if edge.steps else EDGE
        width = 2.5 if edge.steps else 1.3
        marker = "wf-arrow-trail" if edge.steps else "wf-arrow"
        attrs = (f'class="{" ".join(classes)}" data-from="{escape(edge.source)}" data-to="{escape(edge.target)}"'
                 f' data-transitions="{escape(" ".join(edge.keys))}"'
                 + (f' data-steps="{" ".join(map(str, edge.steps))}"' if edge.steps else ""))
        if edge.source == edge.target:
            x, y, hw = source.x, source.y, source.width / 2
            d = (f"M{_fmt(x + hw)} {_fmt(y - 8)} C{_fmt(x + hw + 36)} {_fmt(y - 30)} "
                 f"{_fmt(x + hw + 36)} {_fmt(y + 30)} {_fmt(x + hw)} {_fmt(y + 8)}")
            mid = (x + hw + 30, y)
            xs.append(x + hw + 40)
        else:
            offset = 7.0 if (edge.target, edge.source) in pairs else 0.0
            points = _points(diagram, edge, offset)
            d = _path(points)
            i = (len(points) - 1) // 2
            (x1, y1), (x2, y2) = points[i], points[i + 1]
            mid = ((x1 + x2) / 2, (y1 + y2) / 2)
        parts.append(f'<g {attrs}><title>{escape(tip)}</title>'
                     f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"'
                     f' marker-end="url(#{marker})"/></g>')
        text = name + (f" #{','.join(map(str, edge.steps))}" if edge.steps else "")
        if text:
            w = text_width(text, SMALL) + 8
            mx, my = mid
            my = _free_spot(occupied, mx, my, w)
            xs.extend((mx - w / 2, mx + w / 2))
            labels.append(
                f'<g class="wf-edge-label{" wf-trail" if edge.steps else ""}" aria-hidden="true">'
                f'<rect x="{_fmt(mx - w / 2)}" y="{_fmt(my - 8)}" width="{_fmt(w)}" height="16" rx="3"'
                f' fill="#ffffff" fill-opacity="0.9"/>'
                f'<text x="{_fmt(mx)}" y="{_fmt(my + 4)}" text-anchor="middle" font-size="{SMALL}"'
                f' fill="{TRAIL if edge.steps else "#24292f"}"'
                f'{BOLD if edge.steps else ""}>{escape(text)}</text></g>')

    for key, node in nodes.items():
        if node.dummy:
            continue
        fill, stroke = PHASE_COLOURS.get(node.phase, UNKNOWN_COLOURS)
        is_current = key == current
        classes = ["wf-state", f"wf-phase-{node.phase}" if node.phase in PHASES else "wf-phase-unknown"]
        if is_current:
            classes.append("wf-current")
        if key in visited:
            classes.append("wf-visited")
        if node.initial:
            classes.append("wf-initial")
        phase = PHASE_LABELS.get(node.phase)
        tip = node.label + (f" ({phase})" if phase else "")
        if is_current:
            tip += " · " + str(_("current state"))
        x, y, w = node.x - node.width / 2, node.y - BOX_H / 2, node.width
        xs.extend((x - 6, x + w + 6))
        ys.extend((y - 6, y + BOX_H + 6))
        outline = ""
        if is_current:
            outline = (f'<rect x="{_fmt(x - 4)}" y="{_fmt(y - 4)}" width="{_fmt(w + 8)}" height="{BOX_H + 8}"'
                       f' rx="10" fill="none" stroke="{CURRENT}" stroke-width="3"/>')
        parts.append(
            f'<g class="{" ".join(classes)}" data-state="{escape(key)}"'
            f'{ARIA_CURRENT if is_current else ""}>'
            f'<title>{escape(tip)}</title>{outline}'
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{BOX_H}" rx="7" fill="{fill}"'
            f' stroke="{stroke}" stroke-width="{2.2 if node.initial else 1.3}"/>'
            f'<text x="{_fmt(node.x)}" y="{_fmt(node.y + FONT * 0.36)}" text-anchor="middle"'
            f' font-size="{FONT}" fill="#24292f"{BOLD if is_current else ""}>'
            f'{escape(node.label)}</text></g>')

    for edge in edges:  # edge points also count for the frame (dummies, saved positions)
        for k in edge.chain:
            xs.append(nodes[k].x)
            ys.append(nodes[k].y)

    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    right, bottom = max(xs) + MARGIN, max(ys) + MARGIN
    legend, legend_h, legend_w = _legend(left + MARGIN, bottom + 4, current is not None, bool(trail))
    right = max(right, left + legend_w + 2 * MARGIN)
    width, height = right - left, bottom - top + legend_h + 8
    title = escape(title or str(_("Workflow diagram")))
    states = [n for n in nodes.values() if not n.dummy]
    desc = _("%(states)d states, %(transitions)d transitions.") % {
        "states": len(states), "transitions": sum(len(e.keys) for e in edges)}
    if current in nodes:
        desc += " " + _("Current state: %(state)s.") % {"state": nodes[current].label}
    if trail:
        desc += " " + _("Path taken: %(path)s.") % {
            "path": " → ".join(nodes[k].label if k in nodes else k for k in trail)}
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" role="img" width="{_fmt(width)}"'
        f' height="{_fmt(height)}" viewBox="{_fmt(left)} {_fmt(top)} {_fmt(width)} {_fmt(height)}"'
        f' font-family="system-ui, -apple-system, \'PingFang SC\', \'Microsoft YaHei\', sans-serif">'
        f'<title>{title}</title><desc>{escape(desc)}</desc>'
        f'<defs>{_marker("wf-arrow", EDGE)}{_marker("wf-arrow-trail", TRAIL)}</defs>'
        + "".join(parts) + "".join(labels) + legend + "</svg>"
    )


def _free_spot(occupied: list[tuple[float, float, float, float]], x: float, y: float, w: float) -> float:
    """The height nearest `y` where a label of width `w` centred on `x` overlaps no box or label."""
    for shift in (0, 10, -10, 20, -20, 30, -30, 40, -40):
        box = (x - w / 2, y + shift - 8, x + w / 2, y + shift + 8)
        if not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in occupied):
            occupied.append(box)
            return y + shift
    occupied.append((x - w / 2, y - 8, x + w / 2, y + 8))
    return y


def _marker(name: str, colour: str) -> str:
    return (f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9"'
            f' markerUnits="userSpaceOnUse"'
            f' orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="{colour}"/></marker>')


def _legend(x0: float, y0: float, with_current: bool, with_trail: bool) -> tuple[str, float, float]:
    """One row: a swatch per phase, then the current-state outline and the trail line if shown."""
    items: list[str] = []
    x = x0
    for phase in PHASES:
        fill, stroke = PHASE_COLOURS[phase]
        label = str(PHASE_LABELS[phase])
        items.append(f'<g class="wf-legend-phase" data-phase="{phase}">'
                     f'<rect x="{_fmt(x)}" y="{_fmt(y0)}" width="14" height="14" rx="3" fill="{fill}"'
                     f' stroke="{stroke}"/><text x="{_fmt(x + 19)}" y="{_fmt(y0 + 11)}"'
                     f' font-size="{SMALL}" fill="#57606a">{escape(label)}</text></g>')
        x += 19 + text_width(label, SMALL) + 14
    if with_current:
        label = str(_("Current state"))
        items.append(f'<g class="wf-legend-current"><rect x="{_fmt(x)}" y="{_fmt(y0)}" width="14" height="14"'
                     f' rx="3" fill="none" stroke="{CURRENT}" stroke-width="2.5"/>'
                     f'<text x="{_fmt(x + 19)}" y="{_fmt(y0 + 11)}" font-size="{SMALL}" fill="#57606a">'
                     f'{escape(label)}</text></g>')
        x += 19 + text_width(label, SMALL) + 14
    if with_trail:
        label = str(_("Path taken (#step)"))
        items.append(f'<g class="wf-legend-trail"><path d="M{_fmt(x)} {_fmt(y0 + 7)} L{_fmt(x + 16)} {_fmt(y0 + 7)}"'
                     f' stroke="{TRAIL}" stroke-width="2.5"/>'
                     f'<text x="{_fmt(x + 21)}" y="{_fmt(y0 + 11)}" font-size="{SMALL}" fill="#57606a">'
                     f'{escape(label)}</text></g>')
        x += 21 + text_width(label, SMALL) + 14
    return f'<g class="wf-legend">{"".join(items)}</g>', 22.0, x - x0
