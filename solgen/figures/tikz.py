"""The figure model as a pgfplots/TikZ picture: every contour line is prepared data
(``\\addplot coordinates``), computed in Python, so pdflatex needs no shell escape and no
gnuplot. Text in the picture is set in the document's own fonts (pgfplots inherits them:
Latin Modern in the handout, Beamer's sans-serif on slides); only sizes are chosen here.

``picture(fig, labels, mode)``: ``mode`` is ``full`` (every layer), ``blank`` (the
worksheet's: no answer layers) or ``slides`` (Beamer overlays: the contours and the point
first, then one layer per click). ``labels`` holds the LaTeX of the variables, the
gradient and the directions.
"""

from __future__ import annotations

from typing import Mapping

from solgen.figures.model import DEPTH, Figure, Layer

STYLES = (
    "solgen level/.style={black!40, thin},"
    "solgen through/.style={black, semithick},"
    "solgen taylor/.style={orange!85!black, densely dashed, thin},"
    "solgen gradient/.style={red!85!black, very thick, -stealth},"
    "solgen field/.style={red!70!black, -stealth, thin},"
    "solgen tangent/.style={green!50!black, very thick},"
    "solgen direction/.style={blue!75!black, thick, -stealth},"
    "solgen label/.style={font=\\footnotesize, inner sep=1.5pt},"
    "solgen levels/.style={font=\\scriptsize, black!60, fill=white, fill opacity=0.8, text opacity=1, inner sep=1pt}"
)


def _n(v: float) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pt(p: tuple[float, float]) -> str:
    return f"({_n(p[0])},{_n(p[1])})"


def _layer(layer: Layer, fig: Figure, labels: Mapping[str, str], mode: str) -> list[str]:
    out: list[str] = []
    if layer.name in ("contours", "taylor"):
        for c in layer.contours:
            style = "solgen taylor" if layer.name == "taylor" else ("solgen through" if c.through_point else "solgen level")
            for line in c.lines:
                out.append(f"\\addplot[{style}] coordinates {{{' '.join(_pt(p) for p in line)}}};")
        for c in layer.contours:
            if c.label and c.label_at:
                out.append(f"\\node[solgen levels] at (axis cs:{_n(c.label_at[0])},{_n(c.label_at[1])}) {{${c.label}$}};")
    elif layer.name == "field":
        for a in layer.arrows:
            out.append(f"\\draw[solgen field] (axis cs:{_n(a.start[0])},{_n(a.start[1])}) -- (axis cs:{_n(a.end[0])},{_n(a.end[1])});")
    elif layer.name == "gradient":
        a = layer.arrows[0]
        out.append(f"\\draw[solgen gradient] (axis cs:{_n(a.start[0])},{_n(a.start[1])}) -- (axis cs:{_n(a.end[0])},{_n(a.end[1])}) "
                   f"node[solgen label, text=red!85!black, {_anchor(a.start, a.end)}] {{${labels['gradient']}$}};")
    elif layer.name == "tangent":
        (s, e), = layer.segments
        out.append(f"\\draw[solgen tangent] (axis cs:{_n(s[0])},{_n(s[1])}) -- (axis cs:{_n(e[0])},{_n(e[1])});")
    elif layer.name == "direction":
        a = layer.arrows[0]
        name = labels.get(layer.key, layer.key)
        sign = f"\\,({_SIGN[layer.sign]})" if layer.sign and mode != "blank" else ""
        out.append(f"\\draw[solgen direction] (axis cs:{_n(a.start[0])},{_n(a.start[1])}) -- (axis cs:{_n(a.end[0])},{_n(a.end[1])}) "
                   f"node[solgen label, text=blue!75!black, {_anchor(a.start, a.end, side=True)}] {{${name}{sign}$}};")
    return out


_SIGN = {"+": "+", "-": "-", "0": "0", "?": "?"}


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


def picture(fig: Figure, labels: Mapping[str, str], mode: str = "full",
            size: str = "scale only axis, width=0.78\\linewidth, height=0.6\\textheight") -> str:
    (x0, x1), (y0, y1) = fig.window
    axis = [
        size, "axis equal image",
        f"xmin={_n(x0)}, xmax={_n(x1)}, ymin={_n(y0)}, ymax={_n(y1)}",
        f"xlabel={{${labels['x']}$}}, ylabel={{${labels['y']}$}}",
        "tick label style={font=\\footnotesize}, label style={font=\\small}",
        "ylabel style={rotate=-90}", "axis on top",
    ]
    lines = [f"\\begin{{tikzpicture}}[{STYLES}]", f"\\begin{{axis}}[{', '.join(axis)}]"]
    shown = [layer for layer in fig.layers if not (mode == "blank" and layer.answer)]
    reveal = {id(layer): i + 1 for i, layer in enumerate(shown)}  # slides: one layer per click, in the model's order
    for layer in sorted(shown, key=lambda layer: DEPTH[layer.name]):  # drawn with the gradient on top
        body = _layer(layer, fig, labels, mode)
        if layer.name == "contours":
            body.append(f"\\addplot[only marks, mark=*, mark size=1.6pt] coordinates {{{_pt(fig.point)}}};")
            body.append(f"\\node[solgen label, anchor=north east] at (axis cs:{_n(fig.point[0])},{_n(fig.point[1])}) {{${labels['point']}$}};")
        if mode == "slides" and reveal[id(layer)] > 1:
            lines.append(f"\\only<{reveal[id(layer)]}->{{%")
            lines.extend(body)
            lines.append("}")
        else:
            lines.extend(body)
    lines += ["\\end{axis}", "\\end{tikzpicture}"]
    return "\n".join(lines)


