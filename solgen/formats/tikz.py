"""The figure model as a TikZ picture: every contour line is prepared data (a path of
coordinates computed in Python), so pdflatex needs no shell escape and no gnuplot. The
frame, ticks and labels are drawn here too, in plain TikZ: pgfplots would process each of
the thousands of points again for every overlay of a Beamer frame (seconds of pdflatex
per figure); plain paths cost a fraction of that. Text in the picture is set in the
document's own fonts (Latin Modern in the handout, Beamer's sans-serif on slides); only
sizes are chosen here.

Coordinates are mapped to picture units, the window's longer side 10 units, and the unit
is a length chosen in TeX so that the picture fits ``width`` of the line and ``height`` of
the text height, keeping equal scales on both axes (so the gradient looks orthogonal to
the contour lines, as it is).

``picture(fig, labels, mode)``: ``mode`` is ``full`` (every layer), ``blank`` (the
worksheet's: no answer layers) or ``slides`` (Beamer overlays: the contours and the point
first, then one layer per click, in the model's order). ``labels`` holds the LaTeX of the
variables, the point, the gradient and the directions.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

from solgen.math.figure import DEPTH, Figure, Layer, nice

UNITS = 10.0  # the window's longer side, in picture units
STYLES = (
    "fig level/.style={black!40, thin},"
    "fig through/.style={black, semithick},"
    "fig taylor/.style={orange!85!black, densely dashed, thin},"
    "fig gradient/.style={red!85!black, very thick, -stealth},"
    "fig field/.style={red!70!black, -stealth, thin},"
    "fig tangent/.style={green!50!black, very thick},"
    "fig direction/.style={blue!75!black, thick, -stealth},"
    "fig label/.style={font=\\footnotesize, inner sep=1.5pt},"
    "fig levels/.style={font=\\scriptsize, black!60, fill=white, fill opacity=0.8, text opacity=1, inner sep=1pt},"
    "fig tick/.style={font=\\footnotesize, inner sep=2pt}"
)


def _n(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _tick(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class _Map:
    """Problem coordinates -> picture units (equal on both axes, but for a slice: 10 by 6.5)."""

    def __init__(self, fig: Figure):
        (self.x0, x1), (self.y0, y1) = fig.window
        if fig.equal:
            self.kx = self.ky = UNITS / max(x1 - self.x0, y1 - self.y0)
        else:
            self.kx, self.ky = UNITS / (x1 - self.x0), 0.65 * UNITS / (y1 - self.y0)
        self.w, self.h = (x1 - self.x0) * self.kx, (y1 - self.y0) * self.ky

    def __call__(self, p: tuple[float, float]) -> str:
        return f"({_n((p[0] - self.x0) * self.kx)},{_n((p[1] - self.y0) * self.ky)})"


def _layer(layer: Layer, at: Callable[[tuple[float, float]], str], labels: Mapping[str, str], mode: str) -> list[str]:
    out: list[str] = []
    if layer.name in ("contours", "taylor"):
        for c in layer.contours:
            style = "fig taylor" if layer.name == "taylor" else ("fig through" if c.through_point else "fig level")
            for line in c.lines:
                out.append(f"\\draw[{style}] {' -- '.join(at(p) for p in line)};")
    elif layer.name == "field":
        out.extend(f"\\draw[fig field] {at(a.start)} -- {at(a.end)};" for a in layer.arrows)
    elif layer.name == "gradient":
        a = layer.arrows[0]
        out.append(f"\\draw[fig gradient] {at(a.start)} -- {at(a.end)};")
    elif layer.name == "tangent":
        (s, e), = layer.segments
        out.append(f"\\draw[fig tangent] {at(s)} -- {at(e)};")
    elif layer.name == "direction":
        a = layer.arrows[0]
        out.append(f"\\draw[fig direction] {at(a.start)} -- {at(a.end)};")
    return out


def _labels(layer: Layer, at: Callable[[tuple[float, float]], str], labels: Mapping[str, str], mode: str) -> list[str]:
    """A layer's text (drawn unclipped, after its lines): level values, arrow names."""
    out: list[str] = []
    if layer.name == "contours":
        for c in layer.contours:
            if c.label and c.label_at:
                out.append(f"\\node[fig levels] at {at(c.label_at)} {{${c.label}$}};")
    elif layer.name == "taylor":  # a slice's approximations are named (T_1, T_2)
        for c in layer.contours:
            if c.label and c.label_at:
                out.append(f"\\node[fig label, text=orange!85!black, anchor=south east] at {at(c.label_at)} {{${labels[c.label]}$}};")
    elif layer.name == "gradient":
        a = layer.arrows[0]
        out.append(f"\\node[fig label, text=red!85!black, {_anchor(a.start, a.end)}] at {at(a.end)} {{${labels['gradient']}$}};")
    elif layer.name == "direction":
        a = layer.arrows[0]
        sign = f"\\,({layer.sign})" if layer.sign and mode != "blank" else ""
        out.append(f"\\node[fig label, text=blue!75!black, {_anchor(a.start, a.end, side=True)}] at {at(a.end)} "
                   f"{{${labels.get(layer.key, layer.key)}{sign}$}};")
    return out


def _anchor(start: tuple[float, float], end: tuple[float, float], side: bool = False) -> str:
    """Put an arrow's label past its head, on the side it points to (``side``: beside its
    head, to the right of the arrow, so a direction along the gradient keeps its label
    clear of the gradient's)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    if side:
        dx, dy = dx + dy, dy - dx  # halfway between ahead and to the right
    horizontal = "west" if dx > 0.3 * abs(dy) else ("east" if dx < -0.3 * abs(dy) else "")
    vertical = "south" if dy > 0.3 * abs(dx) else ("north" if dy < -0.3 * abs(dx) else "")
    return "anchor=" + (f"{vertical} {horizontal}".strip() or "west")


def _ticks(lo: float, hi: float) -> list[float]:
    step = nice((hi - lo) / 5)
    k, out = math.ceil(lo / step - 1e-9), []
    while k * step <= hi + 1e-9 * step:
        out.append(round(k * step, 10))
        k += 1
    return out


MARGINS = ("3.4em", "2.7em", "1.4em", "0.6em")  # left, bottom, right, top: ticks and axis labels (overhanging arrow labels may pass them)


def _styles(mode: str) -> str:
    """The picture's styles; on a slide (and in the blank picture a slide asks with) labels
    are set at \\small, readable from the back of the room."""
    if mode in ("slides", "blank"):
        return STYLES.replace("\\scriptsize", "\\small").replace("\\footnotesize", "\\small")
    return STYLES


def picture(fig: Figure, labels: Mapping[str, str], mode: str = "full", width: str = "\\linewidth-4.8em",
            height: str = "0.6\\textheight") -> str:
    at = _Map(fig)
    (x0, x1), (y0, y1) = fig.window
    w, h = at.w, at.h
    # the unit: the picture fits both width (of the line) and height (of the text)
    lines = [f"\\pgfmathsetlengthmacro\\figunit{{min(({width})/{_n(w)}, ({height})/{_n(h)})}}%",
             f"\\begin{{tikzpicture}}[x=\\figunit, y=\\figunit, {_styles(mode)}]"]
    shown = [layer for layer in fig.layers if not (mode == "blank" and layer.answer)]
    reveal = {id(layer): i + 1 for i, layer in enumerate(shown)}  # slides: one layer per click, in the model's order
    body: list[str] = [f"\\clip (0,0) rectangle ({_n(w)},{_n(h)});"]
    text: list[str] = []
    for layer in sorted(shown, key=lambda layer: DEPTH[layer.name]):  # drawn with the gradient on top
        drawn, named = _layer(layer, at, labels, mode), _labels(layer, at, labels, mode)
        if layer.name == "contours":
            drawn.append(f"\\fill {at(fig.point)} circle[radius=0.09];")
            side = fig.point_label_side()
            if labels["point"]:
                named.append(f"\\node[fig label, anchor={side + 180}] at {at(fig.point)} {{${labels['point']}$}};")
        if mode == "slides" and reveal[id(layer)] > 1:
            drawn = [f"\\only<{reveal[id(layer)]}->{{%", *drawn, "}"]
            named = [f"\\only<{reveal[id(layer)]}->{{%", *named, "}"] if named else []
        body.extend(drawn)
        text.extend(named)
    lines += ["\\begin{scope}", *body, "\\end{scope}", *text]
    lines.append(f"\\draw[semithick] (0,0) rectangle ({_n(w)},{_n(h)});")
    for v in _ticks(x0, x1):
        x = _n((v - x0) * at.kx)
        lines.append(f"\\draw ({x},0) -- ({x},0.15) node[fig tick, below] at ({x},0) {{${_tick(v)}$}};")
    for v in _ticks(y0, y1):
        y = _n((v - y0) * at.ky)
        lines.append(f"\\draw (0,{y}) -- (0.15,{y}) node[fig tick, left] at (0,{y}) {{${_tick(v)}$}};")
    lines.append(f"\\node[below=1.2em, font=\\small] at ({_n(w / 2)},0) {{${labels['x']}$}};")
    turn = "" if fig.equal else ", rotate=90, anchor=south"  # a slice's f(x + t d): along the axis
    lines.append(f"\\node[left=2.4em, font=\\small{turn}] at (0,{_n(h / 2)}) {{${labels['y']}$}};")
    left, bottom, right, top = MARGINS
    lines.append(f"\\pgfresetboundingbox\\path ([xshift=-{left}, yshift=-{bottom}]0,0) rectangle "
                 f"([xshift={right}, yshift={top}]{_n(w)},{_n(h)});")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)
