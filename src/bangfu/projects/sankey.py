"""A Sankey chart as inline SVG, laid out in pure Python (no JavaScript, no library).

``sankey_svg(links)`` draws flows given as ``(from label, to label, fen)``: each node sits in
the column of its longest path from a node nothing flows into (for a project: sources →
project → payees and "still held"), its height proportional to the larger of what flows in
and out; each link is a band of cubic Bézier curves, as thick as its amount, stacked along
both of its nodes in the order of the links. Labels carry the amounts in yuan; every node and
band has a ``<title>`` (the browser's tooltip). A node whose amount is too small to see gets a
minimum height and a slot tall enough for its label, so 1 to ~30 payees stay legible.

The caller passes the translated texts (title, the empty chart's text); this module imports
nothing of Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH = 960
NODE_WIDTH = 14
LEFT = 230  # room for the first column's labels
RIGHT = 250  # room for the last column's labels
TOP = 34  # room for a middle column's label above its node
BOTTOM = 16
FLOW_HEIGHT = 320  # pixels for the largest column's amount
MIN_NODE = 2  # a node is never thinner than this
SLOT = 20  # nor its slot shorter than a label line
GAP = 8
LABEL_CHARS = 22
PALETTE = ("#2f6f9f", "#c0504d", "#4f8a3a", "#8064a2", "#d08a2e", "#2c9c9c", "#a05a7a", "#6b6b2f")
MIDDLE = "#5b6770"
MUTED = "#b8bec4"


def yuan_text(fen: int) -> str:
    """1234567 fen → "12,345.67"."""
    return f"{Decimal(fen) / 100:,.2f}"


@dataclass
class Node:
    label: str
    column: int = 0
    fen_in: int = 0
    fen_out: int = 0
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0
    color: str = MIDDLE
    in_offset: float = 0.0  # where the next incoming band starts, from the top
    out_offset: float = 0.0
    order: int = 0

    @property
    def fen(self) -> int:
        return max(self.fen_in, self.fen_out)


def _columns(nodes: dict[str, Node], links: Sequence[tuple[str, str, int]]) -> int:
    """Each node's column: its longest path from a node with nothing flowing in (a cycle,
    which a fund flow never has, is cut after as many rounds as there are nodes)."""
    for _round in range(len(nodes)):
        changed = False
        for source, target, _fen in links:
            if nodes[target].column < nodes[source].column + 1:
                nodes[target].column = nodes[source].column + 1
                changed = True
        if not changed:
            break
    return max(node.column for node in nodes.values()) + 1


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


Link = tuple[str, str, int] | tuple[str, str, int, str | None]


def sankey_svg(
    links: Sequence[Link],
    *,
    title: str,
    empty_text: str = "",
    muted: Collection[str] = (),
    amount: Callable[[int], str] = yuan_text,
    element_id: str = "sankey",
) -> str:
    """The chart's ``<svg>`` markup (every text escaped), ``muted``: labels drawn grey (what is
    still held). A link may name a fourth label, the node whose colour its band takes (a
    payment in the colour of the fund source whose money it was). Links of 0 fen or less are
    left out."""
    bands = [_band_of(link) for link in links if int(link[2]) > 0]
    plain = [(a, b, f) for a, b, f, _t in bands]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(element_id)}" class="sankey" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12" '
    )
    if not plain:
        return (
            head + f'viewBox="0 0 {WIDTH} 60" width="100%" style="max-width:{WIDTH}px">'
            f"<title>{escape(title)}</title>"
            f'<text x="{WIDTH // 2}" y="34" text-anchor="middle" fill="#666">'
            f"{escape(empty_text)}</text></svg>"
        )
    nodes: dict[str, Node] = {}
    for source, target, fen in plain:
        for label in (source, target):
            if label not in nodes:
                nodes[label] = Node(label, order=len(nodes))
        nodes[source].fen_out += fen
        nodes[target].fen_in += fen
    count = _columns(nodes, plain)
    by_column: dict[int, list[Node]] = defaultdict(list)
    for node in sorted(nodes.values(), key=lambda n: n.order):
        by_column[node.column].append(node)
    largest = max(sum(n.fen for n in column) for column in by_column.values())
    scale = FLOW_HEIGHT / largest
    heights = {}
    for column, members in by_column.items():
        for node in members:
            node.height = max(MIN_NODE, node.fen * scale)
        heights[column] = sum(max(n.height, SLOT) for n in members) + GAP * (len(members) - 1)
    tallest = max(heights.values())
    span = WIDTH - LEFT - RIGHT - NODE_WIDTH
    colors = iter(PALETTE * (len(nodes) // len(PALETTE) + 1))
    for column, members in by_column.items():
        x = LEFT + (span * column / (count - 1) if count > 1 else span / 2)
        y = TOP + (tallest - heights[column]) / 2
        for node in members:
            node.x = x
            slot = max(node.height, SLOT)
            node.y = y + (slot - node.height) / 2
            y += slot + GAP
            if node.label in muted:
                node.color = MUTED
            elif column == 0 and count > 1:
                node.color = next(colors)
    total_height = TOP + tallest + BOTTOM
    parts = [
        head + f'viewBox="0 0 {WIDTH} {total_height:.0f}" width="100%" '
        f'style="max-width:{WIDTH}px;height:auto">',
        f"<title>{escape(title)}</title>",
        '<g class="links" fill-opacity="0.45">',
    ]
    for source, target, fen, tint in bands:
        color = nodes[tint].color if tint in nodes else None
        parts.append(_band(nodes[source], nodes[target], fen, scale, amount, color))
    parts.append('</g><g class="nodes">')
    for node in sorted(nodes.values(), key=lambda n: n.order):
        parts.append(_node(node, count, amount))
    parts.append("</g></svg>")
    return "".join(parts)


def _band_of(link: Link) -> tuple[str, str, int, str | None]:
    tint = link[3] if len(link) == 4 else None
    return (link[0], link[1], int(link[2]), tint)


def _band(
    source: Node,
    target: Node,
    fen: int,
    scale: float,
    amount: Callable[[int], str],
    tint: str | None = None,
) -> str:
    thickness = max(1.0, fen * scale)
    x0 = source.x + NODE_WIDTH
    x1 = target.x
    y0 = source.y + source.out_offset
    y1 = target.y + target.in_offset
    source.out_offset += thickness
    target.in_offset += thickness
    middle = (x0 + x1) / 2
    color = target.color if target.color == MUTED else tint or source.color
    path = (
        f"M{x0:.1f},{y0:.1f} C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
        f"L{x1:.1f},{y1 + thickness:.1f} "
        f"C{middle:.1f},{y1 + thickness:.1f} {middle:.1f},{y0 + thickness:.1f} "
        f"{x0:.1f},{y0 + thickness:.1f} Z"
    )
    tip = f"{source.label} → {target.label}: {amount(fen)}"
    return (
        f'<path class="link" d="{path}" fill="{color}" data-fen="{fen}">'
        f"<title>{escape(tip)}</title></path>"
    )


def _node(node: Node, columns: int, amount: Callable[[int], str]) -> str:
    text = f"{_short(node.label)}  {amount(node.fen)}"
    centre = node.y + node.height / 2 + 4
    if node.column == 0 and columns > 1:
        label = f'<text x="{node.x - 6:.1f}" y="{centre:.1f}" text-anchor="end">'
    elif node.column == columns - 1:
        label = f'<text x="{node.x + NODE_WIDTH + 6:.1f}" y="{centre:.1f}">'
    else:
        label = (
            f'<text x="{node.x + NODE_WIDTH / 2:.1f}" y="{node.y - 8:.1f}" '
            'text-anchor="middle" font-weight="bold">'
        )
    return (
        f'<g class="node" data-label="{escape(node.label)}" data-fen="{node.fen}">'
        f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{NODE_WIDTH}" '
        f'height="{node.height:.1f}" fill="{node.color}">'
        f"<title>{escape(node.label)}: {escape(amount(node.fen))}</title></rect>"
        f"{label}{escape(text)}</text></g>"
    )
