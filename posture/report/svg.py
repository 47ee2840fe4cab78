"""Small inline-SVG pictures for the HTML report: heat maps and a stacked bar.

Hand-written SVG keeps the HTML file self-contained (no JavaScript, no fonts or libraries from
the network), so it can be mailed, archived or opened on an air-gapped jump host.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

CELL = 26
EMPTY = "#f4f4f4"
# Sequential scale, light to dark red; the darkest step is the maximum of the map.
SCALE = ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15")
SEGMENT_COLOURS = {"encrypted": "#1a9850", "unencrypted": "#d7301f", "local": "#9e9e9e"}


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    cells: dict[tuple[str, str], tuple[str, str]],
    *,
    title: str,
) -> str:
    """``cells[(row, col)] = (colour, tooltip)``; absent cells are drawn empty."""
    left = 10 + int(max((len(r) for r in rows), default=4) * 6.6)
    top = 20 + int(max((len(c) for c in cols), default=4) * 4.9)
    # Column labels are rotated up and to the right: leave room for the last one.
    width = left + CELL * len(cols) + int(max((len(c) for c in cols), default=4) * 5.2) + 20
    height = top + CELL * len(rows) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for j, col in enumerate(cols):
        x = left + j * CELL + CELL // 2
        out.append(
            f'<text x="{x}" y="{top - 6}" transform="rotate(-40 {x} {top - 6})" '
            f'class="col">{escape(col)}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * CELL
        out.append(
            f'<text x="{left - 6}" y="{y + CELL // 2 + 4}" text-anchor="end" class="row">'
            f"{escape(row)}</text>"
        )
        for j, col in enumerate(cols):
            colour, tip = cells.get((row, col), (EMPTY, f"{row} → {col}: nothing allowed"))
            out.append(
                f'<rect x="{left + j * CELL}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
    out.append("</svg>")
    return "\n".join(out)


def stacked_bar(segments: Sequence[tuple[str, int]], *, title: str, width: int = 720) -> str:
    total = sum(n for _, n in segments) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="{width}" height="64" '
        f'viewBox="0 0 {width} 64" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    x = 0.0
    for name, n in segments:
        w = width * n / total
        if w > 0:
            out.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="32" '
                f'fill="{SEGMENT_COLOURS.get(name, "#666")}"><title>{escape(name)}: {n}</title>'
                "</rect>"
            )
        x += w
    lx = 0
    for name, n in segments:
        out.append(
            f'<rect x="{lx}" y="42" width="12" height="12" '
            f'fill="{SEGMENT_COLOURS.get(name, "#666")}"/>'
            f'<text x="{lx + 16}" y="53" class="legend">{escape(name)}: {n}</text>'
        )
        lx += 200
    out.append("</svg>")
    return "\n".join(out)
