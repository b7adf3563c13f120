"""The figure model: what a figure shows, as numbers in the problem's coordinates, in
layers. One model feeds both writers (``tikz.py`` for LaTeX, ``svg.py`` for Markdown and
HTML), so the .tex and the SVG cannot disagree.

``build(...)`` takes what the derivation gives (the function, the exact point and gradient,
the directions, the Hessian for a quadratic Taylor approximation) and computes the rest
numerically: the window (``default_window``: a box around the point on which f is real and
finite), the contour levels (one through the point, the others a round step apart), the
contour lines (contourpy, on a grid evaluated by ``grid.values``: no text is executed), the
arrows with their stated scale. Where f has no value (outside its domain) the contours
have gaps.

Layers, in the order slides reveal them: ``contours`` (with the point), ``field``,
``gradient``, ``tangent``, one ``direction`` layer per direction, ``taylor``. ``ANSWERS`` are
the layers a worksheet leaves out for the student to draw.
"""

from __future__ import annotations

import math
import os
from dataclasses import field, replace
from typing import Sequence

# numpy's OpenBLAS starts a thread per core at import, and they spin: a figure needs no
# parallel linear algebra, and one thread saves a tenth of a second of CPU per render.
# Set before numpy is first imported (here or in grid.py/figure.py); a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import contourpy  # noqa: E402 - after the thread setting above
import numpy as np
import sympy as sp

from solgen.math.record import record
from solgen.math.grid import values

LAYERS = ("contours", "gradient", "directions", "tangent", "field", "taylor")  # what `show:` may list
ANSWERS = frozenset({"gradient", "tangent", "field", "taylor"})  # left out of worksheets
DEPTH = {"contours": 0, "field": 1, "taylor": 2, "tangent": 3, "direction": 4, "gradient": 5}  # drawing order: gradient on top
GRID = 121  # grid points along the longer side
MAX_LEVELS = 24
FIELD = 9  # field arrows along the longer side
_NICE = (1.0, 2.0, 2.5, 5.0)


@record
class Contour:
    level: float
    lines: tuple[tuple[tuple[float, float], ...], ...]  # polylines in problem coordinates
    through_point: bool = False
    label: str | None = None  # the level as printed (labelled sparingly)
    label_at: tuple[float, float] | None = None


@record
class Arrow:
    start: tuple[float, float]
    end: tuple[float, float]
    label: str | None = None  # a key for the writers: "gradient", a direction name, or None


@record
class Layer:
    name: str  # contours | field | gradient | tangent | direction | taylor
    answer: bool  # left out of worksheets
    contours: tuple[Contour, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    segments: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = ()
    key: str = ""  # the direction's name for a direction layer
    sign: str = ""  # a direction's reading: +, -, 0 (or ? when it depends on constants)
    scale: float | None = None  # the field layer: the factor its arrows are drawn at


@record
class Figure:
    window: tuple[tuple[float, float], tuple[float, float]]
    point: tuple[float, float]
    variables: tuple[str, str]  # the variables' names as in the file (x1, x2)
    layers: tuple[Layer, ...]
    levels: tuple[float, ...]
    scale: float  # the gradient arrow is drawn at this multiple of its length
    field_scale: float | None = None
    taylor_order: int | None = None
    gaps: bool = False  # f has no value somewhere in the window
    notes: tuple[str, ...] = field(default=())
    equal: bool = True  # equal units on both axes (a slice's axes are t and f's values: not)

    def layer(self, name: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def point_label_side(self) -> int:
        """Where to write the point's name, in degrees (0 east, 90 north): of the eight
        compass directions, the one farthest from every arrow and line leaving the point."""
        taken = []
        for layer in self.layers:
            for a in layer.arrows:
                if a.start == self.point:
                    taken.append(math.degrees(math.atan2(a.end[1] - a.start[1], a.end[0] - a.start[0])))
            for s, e in layer.segments:
                angle = math.degrees(math.atan2(e[1] - s[1], e[0] - s[0]))
                taken += [angle, angle + 180]

        def gap(side: int) -> float:
            return min((abs((side - t + 180) % 360 - 180) for t in taken), default=180.0)

        return max((225, 315, 135, 45, 270, 180, 90, 0), key=gap)  # ties: lower left first, as usual


def nice(value: float, up: bool = True) -> float:
    """A round number (1, 2, 2.5 or 5 times a power of ten) at or above ``value`` (or at
    or below it, with ``up=False``)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    steps = [m * 10.0**e for e in (exp - 1, exp, exp + 1) for m in _NICE]
    if up:
        return min(s for s in steps if s >= value * (1 - 1e-9))
    return max(s for s in steps if s <= value * (1 + 1e-9))


_HALF_WIDTHS = (1, sp.Rational(4, 5), sp.Rational(3, 5), sp.Rational(1, 2), sp.Rational(2, 5), sp.Rational(3, 10),
                sp.Rational(1, 4), sp.Rational(1, 5), sp.Rational(3, 20), sp.Rational(1, 10))


def default_window(expr: sp.Expr, variables: Sequence[sp.Symbol], point: Sequence[sp.Expr]) -> tuple[tuple[sp.Rational, sp.Rational], ...] | None:
    """A square box around ``point`` on which ``expr`` is real and finite (checked on a grid
    that includes the box's edges): half-width 1 (or half the point's size, when that is
    larger), shrunk until f has a value everywhere in it. None when no box down to a
    thousandth of the first one will do."""
    size = max(abs(float(c)) for c in point)
    first = sp.Rational(nice(size / 2)) if size > 2 else sp.Integer(1)
    for power in range(3):
        for h in _HALF_WIDTHS:
            half = first * h / 10**power
            box = tuple((sp.nsimplify(c - half) if c.is_Rational else sp.Rational(float(c - half)).limit_denominator(1000),
                         sp.nsimplify(c + half) if c.is_Rational else sp.Rational(float(c + half)).limit_denominator(1000))
                        for c in point)
            xs = [np.linspace(float(lo), float(hi), 41) for lo, hi in box]
            gx, gy = np.meshgrid(*xs)
            if np.isfinite(values(expr, {variables[0]: gx, variables[1]: gy})).all():
                return box
    return None


def _levels(z: np.ndarray, through: float) -> tuple[list[float], float]:
    """Levels a round step apart, one of them ``through`` (f at the point), spanning the
    bulk of f's values in the window (2% to 98%: a log's pole does not squeeze them)."""
    finite = z[np.isfinite(z)]
    lo, hi = np.quantile(finite, [0.02, 0.98]) if finite.size else (through - 1, through + 1)
    lo, hi = min(lo, through), max(hi, through)
    step = nice((hi - lo) / 10) if hi > lo else 1.0
    below = int(math.floor((through - lo) / step + 1e-9))
    above = int(math.floor((hi - through) / step + 1e-9))
    while below + above + 1 > MAX_LEVELS:
        step = nice(step * 1.01)
        below = int(math.floor((through - lo) / step + 1e-9))
        above = int(math.floor((hi - through) / step + 1e-9))
    return [through + k * step for k in range(-below, above + 1)], step


def _thin(line: np.ndarray, tol: float, digits: int) -> tuple[tuple[float, float], ...]:
    """A contour line with vertices closer than ``tol`` to the last one kept dropped (the
    ends kept), rounded: the .tex and the SVG stay small."""
    kept = [line[0]]
    for v in line[1:-1]:
        if abs(v[0] - kept[-1][0]) + abs(v[1] - kept[-1][1]) >= tol:
            kept.append(v)
    kept.append(line[-1])
    out: list[tuple[float, float]] = []
    for v in kept:
        pt = (round(float(v[0]), digits), round(float(v[1]), digits))
        if not out or out[-1] != pt:
            out.append(pt)
    return tuple(out)


def _contours(gen: object, levels: list[float], through: float, point: tuple[float, float], window: tuple,
              labelled: bool) -> tuple[Contour, ...]:
    (x0, x1), (y0, y1) = window
    span = max(x1 - x0, y1 - y0)
    tol, digits = span / 110, max(2, 3 - int(math.floor(math.log10(span))))
    step = levels[1] - levels[0] if len(levels) > 1 else 1.0
    out = []
    for level in levels:
        lines = tuple(t for t in (_thin(np.asarray(ln), tol, digits) for ln in gen.lines(level) if len(ln) > 1)  # type: ignore[attr-defined]
                      if len(t) > 1)
        if not lines:
            continue
        k = round((level - through) / step)
        on = k == 0
        label = label_at = None
        if labelled and k % 3 == 0:
            label_at = _label_spot(lines, point, window)
            label = _number(level, step) if label_at else None
        out.append(Contour(level, lines, on, label, label_at))
    return tuple(out)


def _label_spot(lines: tuple, point: tuple[float, float], window: tuple,
                avoid: Sequence[tuple[float, float]] = ()) -> tuple[float, float] | None:
    """Where to write a level: the vertex of its lines farthest from the point, inside the
    inner part of the window (not on the frame) and clear of the arrows' heads in ``avoid``
    (where their labels are)."""
    (x0, x1), (y0, y1) = window
    mx, my = (x1 - x0) * 0.12, (y1 - y0) * 0.1
    clear = 0.12 * max(x1 - x0, y1 - y0)
    best, far = None, -1.0
    for line in lines:
        for x, y in line:
            if any(abs(x - a) < clear and abs(y - b) < clear for a, b in avoid):
                continue
            if x0 + mx <= x <= x1 - mx and y0 + my <= y <= y1 - my:
                d = (x - point[0]) ** 2 + (y - point[1]) ** 2
                if d > far:
                    best, far = (x, y), d
    return best


def _number(value: float, step: float) -> str:
    """``value`` with as many decimals as the level step needs (and at least one more for
    the level through the point, which is rarely round)."""
    decimals = max(0, -int(math.floor(math.log10(step))) + 1) if step > 0 else 2
    text = f"{value:.{min(decimals, 6)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _arrow_scale(length: float, room: float) -> float:
    """The factor an arrow of ``length`` is drawn at so that it fits in ``room``: 1 if it
    does (or if it is not too short to see), else a round factor."""
    if length <= 0:
        return 1.0
    if room * 0.15 <= length <= room:
        return 1.0
    if length > room:
        return 1.0 / nice(length / room)
    return nice(room * 0.5 / length, up=False)


def build(expr: sp.Expr, variables: Sequence[sp.Symbol], point: Sequence[sp.Expr], gradient: Sequence[sp.Expr],
          gradient_exprs: Sequence[sp.Expr], window: tuple[tuple[float, float], tuple[float, float]],
          show: Sequence[str], directions: Sequence[tuple[str, Sequence[float], str]] = (),
          hessian: Sequence[Sequence[float]] | None = None, order: int | None = None) -> Figure:
    """The figure of ``expr`` (a function of ``variables``, two of them) around ``point``,
    with the layers ``show`` lists. ``gradient`` is its exact value at the point,
    ``gradient_exprs`` the gradient's expressions (for the field), ``directions``
    (name, vector, sign) for the direction layers, ``hessian`` at the point for a
    quadratic Taylor layer."""
    x, y = variables
    (x0, x1), (y0, y1) = window
    p = (float(point[0]), float(point[1]))
    g = (float(gradient[0]), float(gradient[1]))
    width, height = x1 - x0, y1 - y0
    n_x = GRID if width >= height else max(21, int(GRID * width / height))
    n_y = GRID if height >= width else max(21, int(GRID * height / width))
    xs, ys = np.linspace(x0, x1, n_x), np.linspace(y0, y1, n_y)
    gx, gy = np.meshgrid(xs, ys)
    z = values(expr, {x: gx, y: gy})
    through = float(values(expr, {x: np.array([p[0]]), y: np.array([p[1]])})[0])
    levels, step = _levels(z, through)
    gaps = bool(np.isnan(z).any())
    gen = contourpy.contour_generator(xs, ys, np.ma.masked_invalid(z), line_type="Separate")
    layers = [Layer("contours", False, contours=_contours(gen, levels, through, p, window, True))]
    room = 0.55 * min(width, height)
    if "field" in show:
        layers.append(_field(expr, gradient_exprs, variables, window))
    scale = _arrow_scale(math.hypot(*g), room)
    if "gradient" in show and (g[0] or g[1]):
        end = (p[0] + scale * g[0], p[1] + scale * g[1])
        layers.append(Layer("gradient", True, arrows=(Arrow(p, end, "gradient"),)))
    if "tangent" in show and (g[0] or g[1]):
        norm = math.hypot(*g)
        t = (-g[1] / norm * room * 0.55, g[0] / norm * room * 0.55)
        layers.append(Layer("tangent", True, segments=(((p[0] - t[0], p[1] - t[1]), (p[0] + t[0], p[1] + t[1])),)))
    if "directions" in show and directions:
        longest = max(math.hypot(float(v[0]), float(v[1])) for _, v, _ in directions)
        factor = room * 0.6 / longest
        for name, vec, sign in directions:
            end = (p[0] + factor * float(vec[0]), p[1] + factor * float(vec[1]))
            layers.append(Layer("direction", False, arrows=(Arrow(p, end, name),), key=name, sign=sign))
    if "taylor" in show:
        tz = through + g[0] * (gx - p[0]) + g[1] * (gy - p[1])
        if order == 2 and hessian is not None:
            dx, dy = gx - p[0], gy - p[1]
            h = [[float(c) for c in row] for row in hessian]
            tz = tz + 0.5 * (h[0][0] * dx * dx + (h[0][1] + h[1][0]) * dx * dy + h[1][1] * dy * dy)
        tgen = contourpy.contour_generator(xs, ys, tz, line_type="Separate")
        layers.append(Layer("taylor", True, contours=_contours(tgen, levels, through, p, window, False)))
    heads = [a.end for layer in layers if layer.name in ("gradient", "direction") for a in layer.arrows]
    if heads:  # the level labels move off the arrows' heads, where the arrows' own labels are
        layers[0] = Layer("contours", False, contours=tuple(
            replace(c, label_at=_label_spot(c.lines, p, window, heads)) if c.label else c for c in layers[0].contours))
        layers[0] = Layer("contours", False, contours=tuple(
            replace(c, label=None) if c.label and c.label_at is None else c for c in layers[0].contours))
    field_scale = next((layer.scale for layer in layers if layer.name == "field"), None)
    return Figure(window=((x0, x1), (y0, y1)), point=p, variables=(x.name, y.name), layers=tuple(layers),
                  levels=tuple(levels), scale=scale, field_scale=field_scale, taylor_order=order if "taylor" in show else None,
                  gaps=gaps)


def _field(expr: sp.Expr, gradient_exprs: Sequence[sp.Expr], variables: Sequence[sp.Symbol], window: tuple) -> Layer:
    """Gradient arrows on a grid inside the window, all at one round scale (three in four
    shorter than the grid's spacing; the longest, shortened to fit, keep their direction,
    and the layer's ``sign`` says "clipped"); points where f or its gradient has no value
    are skipped (1/(x1 - x2), the gradient of log(x1 - x2), has values where the log has none)."""
    (x0, x1), (y0, y1) = window
    width, height = x1 - x0, y1 - y0
    spacing = max(width, height) / FIELD
    nx, ny = max(2, round(width / spacing)), max(2, round(height / spacing))
    xs = x0 + (np.arange(nx) + 0.5) * width / nx
    ys = y0 + (np.arange(ny) + 0.5) * height / ny
    gx, gy = np.meshgrid(xs, ys)
    grid = {variables[0]: gx, variables[1]: gy}
    u, v = values(gradient_exprs[0], grid), values(gradient_exprs[1], grid)
    lengths = np.hypot(u, v)
    finite = np.isfinite(lengths) & np.isfinite(values(expr, grid))
    typical = float(np.quantile(lengths[finite], 0.75)) if finite.any() else 0.0
    scale = 1.0 / nice(typical / (0.8 * spacing)) if typical > 0 else 1.0
    cap = 1.2 * spacing
    arrows, clipped = [], False
    for i in range(ny):
        for j in range(nx):
            if finite[i, j] and lengths[i, j] * scale > spacing * 0.04:
                shorten = min(1.0, cap / (lengths[i, j] * scale))
                clipped = clipped or shorten < 1.0
                start = (round(float(gx[i, j]), 4), round(float(gy[i, j]), 4))
                end = (round(start[0] + shorten * scale * float(u[i, j]), 4), round(start[1] + shorten * scale * float(v[i, j]), 4))
                arrows.append(Arrow(start, end))
    return Layer("field", True, arrows=tuple(arrows), scale=scale, sign="clipped" if clipped else "")


def build_slice(expr: sp.Expr, variables: Sequence[sp.Symbol], point: Sequence[sp.Expr], direction: Sequence[sp.Expr],
                value: float, slope: float, curvature: float | None, t_window: tuple[float, float]) -> Figure:
    """f along the line x + t d through the point, against t, with its Taylor approximations
    there: T1(t) = f(x) + t gradient^T d, and (``curvature`` = d^T H d given) T2(t) = T1(t) +
    t^2/2 d^T H d. Exact at t = 0, close around it; where f has no value, its curve stops."""
    x, y = variables
    t0, t1 = t_window
    ts = np.linspace(t0, t1, 241)
    p = (float(point[0]), float(point[1]))
    d = (float(direction[0]), float(direction[1]))
    f = values(expr, {x: p[0] + ts * d[0], y: p[1] + ts * d[1]})
    finite = f[np.isfinite(f)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (value - 1, value + 1)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = 0.08 * (hi - lo)
    v0, v1 = lo - pad, hi + pad
    digits = max(3, 4 - int(math.floor(math.log10(max(abs(v0), abs(v1), 1e-9)))))

    def curve(vs: np.ndarray) -> tuple[tuple[tuple[float, float], ...], ...]:
        """The points of a curve, split where it has no value or leaves the window far."""
        out, run = [], []
        for t, v in zip(ts, vs):
            if np.isfinite(v) and v0 - (v1 - v0) <= v <= v1 + (v1 - v0):
                run.append((round(float(t), 4), round(float(v), digits)))
            elif run:
                out.append(tuple(run))
                run = []
        if run:
            out.append(tuple(run))
        return tuple(r for r in out if len(r) > 1)

    def label_spot(vs: np.ndarray) -> tuple[float, float] | None:
        inside = [(float(t), float(v)) for t, v in zip(ts, vs) if v0 <= v <= v1 and t > 0]
        return inside[-1] if inside else None

    layers = [Layer("contours", False, contours=(Contour(value, curve(f), True),))]
    taylors = [(1, value + slope * ts)]
    if curvature is not None:
        taylors.append((2, value + slope * ts + 0.5 * curvature * ts * ts))
    layers.append(Layer("taylor", True, contours=tuple(Contour(value, curve(vs), False, f"taylor{k}", label_spot(vs))
                                                      for k, vs in taylors)))
    return Figure(window=((t0, t1), (v0, v1)), point=(0.0, value), variables=("t", "f"), layers=tuple(layers), levels=(),
                  scale=1.0, taylor_order=2 if curvature is not None else 1, gaps=bool(np.isnan(f).any()), equal=False)
