"""The figure model as a standalone SVG file (for Markdown and HTML), written by hand from
the same contour data the .tex gets: no matplotlib. The SVG has a ``<title>`` and an
``aria-label`` saying what it shows (the alt text), a ``<desc>`` naming its layers, an
opaque white background (tick labels stay readable on a dark page, as in GitHub's dark
mode), no script, no external reference, and its text in the HTML pages' serif (Latin
Modern where installed).

``svg(fig, labels, alt, answers, desc)``: ``answers=False`` leaves out the answer layers (the
worksheet's picture). ``labels`` holds plain-text names (``x₁``, ``∇f``, ``d₁``).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping
from xml.sax.saxutils import escape, quoteattr

from solgen.math.figure import DEPTH, Figure, nice

FONT = "'Latin Modern Roman', 'CMU Serif', Georgia, serif"
PLOT = 420.0  # px: the longer side of the plot area
LEFT, RIGHT, TOP, BOTTOM = 52.0, 36.0, 14.0, 44.0
COLORS = {"level": "#999999", "through": "#000000", "taylor": "#d9822b", "gradient": "#c62828", "field": "#c25450",
          "tangent": "#2e7d32", "direction": "#1f4e9c"}


def _n(v: float) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ticks(lo: float, hi: float) -> list[float]:
    step = nice((hi - lo) / 5)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + 1e-9 * step:
        out.append(round(k * step, 10))
        k += 1
    return out


def _tick_text(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "\u2212")


def svg(fig: Figure, labels: Mapping[str, str], alt: str, answers: bool = True, desc: str = "") -> str:
    (x0, x1), (y0, y1) = fig.window
    if fig.equal:
        kx = ky = PLOT / max(x1 - x0, y1 - y0)
    else:  # a slice: t against f's values
        kx, ky = PLOT / (x1 - x0), 0.65 * PLOT / (y1 - y0)
    w, h = (x1 - x0) * kx, (y1 - y0) * ky

    def X(x: float) -> float:  # noqa: N802 - the coordinate maps
        return LEFT + (x - x0) * kx

    def Y(y: float) -> float:  # noqa: N802
        return TOP + (y1 - y) * ky

    def pts(line: tuple[tuple[float, float], ...]) -> str:
        return " ".join(f"{_n(X(x))},{_n(Y(y))}" for x, y in line)

    width, height = LEFT + w + RIGHT, TOP + h + BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label={quoteattr(alt)} font-family="{FONT}" font-size="16" '
        'style="background-color:#ffffff">',
        f"<title>{escape(alt)}</title>",
        *([f"<desc>{escape(desc)}</desc>"] if desc else []),
        "<defs>",
    ]
    for name in ("gradient", "field", "direction"):
        out.append(f'<marker id="head-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="{7 if name != "field" else 5}" '
                   f'markerHeight="{7 if name != "field" else 5}" orient="auto-start-reverse" markerUnits="userSpaceOnUse" '
                   f'style="overflow:visible"><path d="M0,0 L10,5 L0,10 z" fill="{COLORS[name]}"/></marker>')
    out.append(f'<clipPath id="plot"><rect x="{_n(LEFT)}" y="{_n(TOP)}" width="{_n(w)}" height="{_n(h)}"/></clipPath>')
    out.append("</defs>")
    out.append(f'<rect class="background" x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>')
    body: list[str] = []
    text: list[str] = []
    for layer in sorted(fig.layers, key=lambda layer: DEPTH[layer.name]):  # the gradient on top
        if layer.answer and not answers:
            continue
        group = [f'<g class="layer-{layer.name}{"-" + layer.key if layer.key else ""}">']
        if layer.name in ("contours", "taylor"):
            for c in layer.contours:
                kind = "taylor" if layer.name == "taylor" else ("through" if c.through_point else "level")
                stroke = f'stroke="{COLORS[kind]}" stroke-width="{1.6 if kind == "through" else 1}"'
                dash = ' stroke-dasharray="5 3"' if kind == "taylor" else ""
                for line in c.lines:
                    group.append(f'<polyline class="contour" data-level="{c.level:.6g}" points="{pts(line)}" fill="none" {stroke}{dash}/>')
                if c.label and c.label_at and layer.name == "taylor":  # a slice's approximations: T₁, T₂
                    text.append(f'<text x="{_n(X(c.label_at[0]) - 4)}" y="{_n(Y(c.label_at[1]) - 5)}" text-anchor="end" '
                                f'fill="{COLORS["taylor"]}" font-style="italic">{escape(labels[c.label])}</text>')
                elif c.label and c.label_at:
                    text.append(f'<text x="{_n(X(c.label_at[0]))}" y="{_n(Y(c.label_at[1]))}" font-size="12" fill="#555555" '
                                f'text-anchor="middle" dominant-baseline="middle" stroke="#ffffff" stroke-width="3" '
                                f'paint-order="stroke">{escape(c.label.replace("-", chr(0x2212)))}</text>')
        elif layer.name == "field":
            for a in layer.arrows:
                group.append(_line(a.start, a.end, X, Y, "field", 1.1))
        elif layer.name == "gradient":
            a = layer.arrows[0]
            group.append(_line(a.start, a.end, X, Y, "gradient", 2.6))
            text.append(_label(a.start, a.end, X, Y, labels["gradient"], COLORS["gradient"], (LEFT, LEFT + w + RIGHT)))
        elif layer.name == "tangent":
            (s, e), = layer.segments
            group.append(f'<line class="tangent" x1="{_n(X(s[0]))}" y1="{_n(Y(s[1]))}" x2="{_n(X(e[0]))}" y2="{_n(Y(e[1]))}" '
                         f'stroke="{COLORS["tangent"]}" stroke-width="2.6"/>')
        elif layer.name == "direction":
            a = layer.arrows[0]
            group.append(_line(a.start, a.end, X, Y, "direction", 1.8))
            sign = f" ({layer.sign.replace('-', chr(0x2212))})" if layer.sign and answers else ""
            text.append(_label(a.start, a.end, X, Y, labels.get(layer.key, layer.key) + sign, COLORS["direction"],
                               (LEFT, LEFT + w + RIGHT), side=True))
        group.append("</g>")
        body.extend(group)
    out.append('<g clip-path="url(#plot)">')
    out.extend(body)
    px, py = X(fig.point[0]), Y(fig.point[1])
    out.append(f'<circle class="point" cx="{_n(px)}" cy="{_n(py)}" r="3.5" fill="#000000"/>')
    out.append("</g>")
    side = math.radians(fig.point_label_side())
    dx, dy = math.cos(side), -math.sin(side)
    anchor = "start" if dx > 0.3 else ("end" if dx < -0.3 else "middle")
    if labels["point"]:
        out.append(f'<text x="{_n(px + 9 * dx)}" y="{_n(py + 9 * dy + 5 + 5 * dy)}" text-anchor="{anchor}" font-style="italic">'
                   f'{escape(labels["point"])}</text>')
    out.extend(text)
    out.append(f'<rect x="{_n(LEFT)}" y="{_n(TOP)}" width="{_n(w)}" height="{_n(h)}" fill="none" stroke="#000000" stroke-width="1"/>')
    for v in _ticks(x0, x1):
        out.append(f'<line x1="{_n(X(v))}" y1="{_n(TOP + h)}" x2="{_n(X(v))}" y2="{_n(TOP + h - 5)}" stroke="#000000"/>')
        out.append(f'<text x="{_n(X(v))}" y="{_n(TOP + h + 16)}" text-anchor="middle" font-size="13">{_tick_text(v)}</text>')
    for v in _ticks(y0, y1):
        out.append(f'<line x1="{_n(LEFT)}" y1="{_n(Y(v))}" x2="{_n(LEFT + 5)}" y2="{_n(Y(v))}" stroke="#000000"/>')
        out.append(f'<text x="{_n(LEFT - 5)}" y="{_n(Y(v) + 4)}" text-anchor="end" font-size="13">{_tick_text(v)}</text>')
    out.append(f'<text x="{_n(LEFT + w / 2)}" y="{_n(TOP + h + 36)}" text-anchor="middle" font-style="italic">{escape(labels["x"])}</text>')
    turn = "" if fig.equal else f' transform="rotate(-90 14 {_n(TOP + h / 2)})"'  # a slice's f(x + t d): along the axis
    out.append(f'<text x="14" y="{_n(TOP + h / 2)}" text-anchor="middle" font-style="italic"{turn}>{escape(labels["y"])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _line(s: tuple[float, float], e: tuple[float, float], X: Callable[[float], float], Y: Callable[[float], float], kind: str, width: float) -> str:  # noqa: N803
    return (f'<line class="{kind}" x1="{_n(X(s[0]))}" y1="{_n(Y(s[1]))}" x2="{_n(X(e[0]))}" y2="{_n(Y(e[1]))}" '
            f'stroke="{COLORS[kind]}" stroke-width="{width}" marker-end="url(#head-{kind})"/>')


def _label(s: tuple[float, float], e: tuple[float, float], X: Callable[[float], float], Y: Callable[[float], float], label: str, color: str,  # noqa: N803
           room: tuple[float, float], side: bool = False) -> str:
    """An arrow's label just past its head, on the side it points to (``side``: turned
    45 degrees to the right of the arrow, as in tikz.py)."""
    dx, dy = X(e[0]) - X(s[0]), Y(e[1]) - Y(s[1])
    if side:  # screen y points down: to the right of (dx, dy) is (-dy, dx)
        dx, dy = dx - dy, dy + dx
    norm = math.hypot(dx, dy) or 1.0
    x, y = X(e[0]) + 12 * dx / norm, Y(e[1]) + 12 * dy / norm + 5
    anchor = "start" if dx > 0.3 * abs(dy) else ("end" if dx < -0.3 * abs(dy) else "middle")
    if anchor == "start" and x > room[1] - 8 * len(label):  # no room to the right: the label goes left of the head
        anchor, x = "end", X(e[0]) - 10
    elif anchor == "end" and x < room[0] + 8 * len(label):
        anchor, x = "start", X(e[0]) + 10
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{color}" font-style="italic" stroke="#ffffff" '
            f'stroke-width="3" paint-order="stroke">{escape(label)}</text>')
