"""figure: a picture of a function of two variables around a point, drawn from the
derivation: contour lines (one through the point), the gradient arrow, directions with
the sign of gradient^T d, the contour's tangent, the gradient field, and the Taylor
approximation's contours over f's (``solgen/figures``).

Keys: ``of``, ``at`` (required), ``show`` (layers, default contours and gradient, plus
directions when given), ``window`` (``{x1: [lo, hi], x2: [lo, hi]}``; default a box around
the point on which f is real and finite), ``directions`` (a mapping as on ``directional``, or
the id of a question whose directional part gives them; without it, a ``directions``
layer takes those of the directional part of the same question), ``order`` (1 or 2, for the ``taylor`` layer). The Part has no fields of its own
for ``show`` and ``window``: ``options`` reads them from the part's data, once to check
them (with lines) and again in ``derive``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import field, replace
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.present import blocks
from solgen.errors import DeriveError, SpecError
from solgen.input.expr import ParseError, parse_exact
from solgen.input.fields import read_at, read_directions, read_of, read_taylor_order
from solgen.math import lazy
from solgen.present.words import text
from solgen.present.formula import Side, chain
from solgen.present.view import FigureSpec

LAYERS = ("contours", "gradient", "directions", "tangent", "field", "taylor")  # figures.model.LAYERS, without numpy
MAX_SPAN = 10**6


@record
class FigureResult(Result):
    point: tuple[sp.Expr, ...] = ()
    gradient_at: tuple[sp.Expr, ...] = ()
    value: sp.Expr | None = None  # f at the point: the level through it
    directions: tuple[tuple[str, tuple[sp.Expr, ...], str], ...] = ()  # name, vector, sign of gradient^T d
    window: tuple[tuple[Any, Any], ...] = ()
    show: tuple[str, ...] = ()
    model: Any = field(default=None, compare=False)  # figures.model.Figure
    window_names: tuple[str, ...] = ()  # the variables, or ("t",) for a slice
    slice: str | None = None  # the direction a 1-D slice runs along

    @property
    def answer(self) -> dict[str, Any]:
        names = [v.name for v in self.part_variables]
        return {
            "point": dict(zip(names, self.point)),
            "gradient": list(self.gradient_at),
            "levels": [round(v, 10) for v in self.model.levels],
            "directions": {name: list(vec) for name, vec, _ in self.directions},
            "window": {n: [float(lo), float(hi)] for n, (lo, hi) in zip(self.window_names or names, self.window)},
            "scale": self.model.scale,
            "field_scale": self.model.field_scale,
        }

    @property
    def part_variables(self) -> tuple[sp.Symbol, ...]:
        return tuple(s for s, _ in self.part.at)

    def json_fields(self) -> dict[str, Any]:
        return {"value": self.value, "slice": self.slice}


def _line(data: Any, key: str | None = None) -> int:
    lines = getattr(data, "key_lines", None) or {}
    return lines.get(key, getattr(data, "line", 0)) if key else getattr(data, "line", 0)


T = sp.Symbol("t", real=True)  # a slice's parameter: x + t d


def options(data: Any, symbols: dict[str, sp.Symbol], point: dict[sp.Symbol, sp.Expr],
            pid: str) -> tuple[tuple[str, ...], tuple | None, str | None, str | None]:
    """``show``, ``window``, a ``directions`` that names a question, and ``slice``, checked:
    (layers, window or None, the question's id or None, the slice's direction or None)."""
    along = data.get("slice")
    if along is not None and (not isinstance(along, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,15}", along)):
        raise SpecError(f"part ({pid}): slice names a direction, e.g. slice: d1", _line(data, "slice"))
    show: list[str] = (["contours", "taylor"] if along else
                       ["contours", "gradient"] + (["directions"] if "directions" in data else []))
    if "show" in data:
        given = data["show"]
        if isinstance(given, str):
            given = [given]
        if not isinstance(given, list) or not given:
            raise SpecError(f"part ({pid}): show must list layers, e.g. [contours, gradient] (of {', '.join(LAYERS)})",
                            _line(data, "show"))
        show = []
        for item in given:
            if item not in LAYERS:
                near = difflib.get_close_matches(str(item), LAYERS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise SpecError(f"part ({pid}): unknown layer {item!r} in show{hint} (one of {', '.join(LAYERS)})",
                                _line(data, "show"))
            if item not in show:
                show.append(item)
        if "contours" not in show:
            show.insert(0, "contours")
        if "directions" in data and "directions" not in show and not along:
            raise SpecError(f"part ({pid}): directions are given but show does not list 'directions'", _line(data, "directions"))
    if along and set(show) - {"contours", "taylor"}:
        raise SpecError(f"part ({pid}): a slice shows f along a line and its Taylor approximations: show may list "
                        "contours and taylor only", _line(data, "show"))
    if along and "directions" in data and "directions" in show:
        show.remove("directions")
    if "order" in data and "taylor" not in show:
        raise SpecError(f"part ({pid}): order is the taylor layer's; add taylor to show", _line(data, "order"))
    window = None
    if "window" in data:
        if along:
            window = _window(data["window"], _line(data, "window"), {"t": T}, {T: sp.Integer(0)}, pid)
        else:
            window = _window(data["window"], _line(data, "window"), symbols, point, pid)
    source = data.get("directions") if isinstance(data.get("directions"), str) else None
    if source is not None and not re.fullmatch(r"[A-Za-z0-9.]{1,8}", source):
        raise SpecError(f"part ({pid}): directions must map names to vectors, e.g. {{d1: [1, 1]}}, or name a question "
                        f"with a directional part, e.g. directions: g", _line(data, "directions"))
    return tuple(show), window, source, along


def _window(value: Any, line: int, symbols: dict[str, sp.Symbol], point: dict[sp.Symbol, sp.Expr], pid: str) -> tuple:
    example = ", ".join(f"{n}: [0, 2]" for n in symbols)
    if not isinstance(value, dict):
        raise SpecError(f"part ({pid}): window must map each variable to [low, high], e.g. {{{example}}}", line)
    for name in value:
        if name not in symbols:
            raise SpecError(f"part ({pid}): window names {name!r}, which is not a variable", _line(value, name))
    missing = [n for n in symbols if n not in value]
    if missing:
        raise SpecError(f"part ({pid}): window gives no range for {', '.join(missing)}", line)
    out = []
    for name, sym in symbols.items():
        where = _line(value, name)
        pair = value[name]
        if not isinstance(pair, list) or len(pair) != 2:
            raise SpecError(f"part ({pid}): window {name} must be [low, high], e.g. [0, 2]", where)
        try:
            lo, hi = (parse_exact(v) for v in pair)
        except ParseError as exc:
            raise SpecError(f"part ({pid}): window {name}: {exc}", where) from None
        if not bool(lo < hi):
            raise SpecError(f"part ({pid}): window {name}: low ({lo}) must be less than high ({hi})", where)
        if float(hi - lo) > MAX_SPAN or float(hi - lo) < 1e-6 or max(abs(float(lo)), abs(float(hi))) > MAX_SPAN:
            raise SpecError(f"part ({pid}): window {name}: the range must be between 1e-6 and 1e6 long, within ±1e6", where)
        if sym in point and not bool(lo <= point[sym] <= hi):
            raise SpecError(f"part ({pid}): the point's {name} = {point[sym]} is outside the window [{lo}, {hi}]", where)
        out.append((lo, hi))
    spans = [float(hi - lo) for lo, hi in out]
    if len(spans) > 1 and max(spans) > 10 * min(spans):
        raise SpecError(f"part ({pid}): the window is more than 10 times wider one way than the other "
                        "(the picture keeps equal units on both axes, so the gradient is drawn as it is)", line)
    return tuple(out)


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    symbols = ctx["symbols"]
    read_of(data, ctx, kw, pid, "figure", scalar=True)
    if len(symbols) != 2:
        raise SpecError(f"part ({pid}): a figure draws a function of two variables; this problem has {len(symbols)} "
                        f"({', '.join(symbols)})", _line(data, "ask"))
    read_at(data, ctx, kw, pid, "figure", required=True)
    if "directions" in data and not isinstance(data["directions"], str):  # a string names a question
        read_directions(data, ctx, kw, pid)
    if "order" in data:
        read_taylor_order(data, ctx, kw, pid)
    options(data, symbols, dict(kw["at"]), pid)


def _sign(slope: sp.Expr) -> str:
    if slope == 0:
        return "0"
    if slope.is_number:
        value = slope.evalf(30)
        if value.is_positive:
            return "+"
        if value.is_negative:
            return "-"
    return "?"


def derive(engine: Any, part: Any) -> FigureResult:
    NotDrawable = lazy.load("grid").NotDrawable  # numpy: only when a figure is asked

    try:
        return _derive(engine, part)
    except NotDrawable as exc:
        raise DeriveError(f"part ({part.id}): cannot draw {part.of}: {exc}", part.line) from None


def _derive(engine: Any, part: Any) -> FigureResult:
    build, default_window = lazy.load("figure").build, lazy.load("figure").default_window

    (expr,) = engine.function(part)
    trees = engine.gradient(expr)
    grad_at = tuple(engine.at(t.result, part) for t in trees)
    value = engine.at(expr, part)
    symbols = {s.name: s for s in engine.vars}
    point = tuple(v for _, v in part.at)
    show, window, source, along = options(part.raw, symbols, dict(part.at), part.id)
    directions = part.directions
    if ("directions" in show or along) and not directions:
        question = source or part.id  # a question named by `directions: g`, else the part's own
        sibling = [q for q in engine.problem.parts if q.ask == "directional" and q.id == question and q.directions]
        if not sibling:
            what = f"slice: {along} needs a direction" if along else "show lists directions"
            raise DeriveError(f"part ({part.id}): {what}, but the part gives none and question ({question}) "
                              "has no directional part to take them from", part.line)
        directions = sibling[0].directions
    readings = tuple((name, tuple(vec), _sign(sp.expand(sum((g * d for g, d in zip(grad_at, vec)), sp.Integer(0)))))
                     for name, vec in directions)
    if along:
        return _slice(engine, part, expr, trees, grad_at, value, point, readings, along, window, show)
    if window is None:
        window = default_window(expr, engine.vars, point)
        if window is None:
            raise DeriveError(f"part ({part.id}): {part.of} has no finite value (or one too large to draw) on any box around the point; give a window",
                              part.line)
    hessian = None
    order = part.order if "taylor" in show else None
    if order is None and "taylor" in show:
        order = 1
    if order == 2:
        _, matrix = engine.hessian(expr)
        hessian = [[engine.at(c, part) for c in row] for row in matrix]
    model = build(expr, engine.vars, point, grad_at, [t.result for t in trees],
                  ((float(window[0][0]), float(window[0][1])), (float(window[1][0]), float(window[1][1]))),
                  show, readings, hessian, order)
    return FigureResult(part, tuple(Entry((i,), t) for i, t in enumerate(trees)), point, grad_at, value, readings,
                        tuple(window), show, model)


def _slice(engine: Any, part: Any, expr: sp.Expr, trees: Any, grad_at: tuple, value: sp.Expr, point: tuple,
           readings: tuple, along: str, window: tuple | None, show: tuple[str, ...]) -> FigureResult:
    """``slice: d``: f(x + t d) against t, with its Taylor approximations at t = 0."""
    build_slice, default_window = lazy.load("figure").build_slice, lazy.load("figure").default_window

    vectors = {name: vec for name, vec, _ in readings}
    if along not in vectors:
        raise DeriveError(f"part ({part.id}): slice: {along} is not one of the directions ({', '.join(vectors)})", part.line)
    d = vectors[along]
    if window is None:  # as far along the line as the default box around the point reaches
        box = default_window(expr, engine.vars, point)
        if box is None:
            raise DeriveError(f"part ({part.id}): {part.of} has no finite value (or one too large to draw) on any box around the point; give a window",
                              part.line)
        reach = min(float(min(hi - c, c - lo)) / abs(float(dc)) for (lo, hi), c, dc in zip(box, point, d) if dc != 0)
        t = sp.Rational(nice_down(reach)) if reach > 0 else sp.Rational(1, 10)
        window = ((-t, t),)
    slope = sp.expand(sum((g * dc for g, dc in zip(grad_at, d)), sp.Integer(0)))
    order = part.order or 2
    curvature = None
    if order == 2 and "taylor" in show:
        _, matrix = engine.hessian(expr)
        h = [[engine.at(c, part) for c in row] for row in matrix]
        curvature = float(sum(d[i] * h[i][j] * d[j] for i in range(2) for j in range(2)))
    model = build_slice(expr, engine.vars, point, d, float(value), float(slope), curvature,
                        (float(window[0][0]), float(window[0][1])))
    if "taylor" not in show:
        model = replace(model, layers=model.layers[:1], taylor_order=None)
    return FigureResult(part, tuple(Entry((i,), t) for i, t in enumerate(trees)), point, grad_at, value,
                        tuple(r for r in readings if r[0] == along), tuple(window), show, model, ("t",), along)


def nice_down(value: float) -> float:
    nice = lazy.load("figure").nice

    return nice(value, up=False)


def _plain(expr: sp.Expr) -> str:
    """An exact value as plain text for alt text: 2 + e, 1/2, sqrt(2)."""
    text = sp.sstr(expr).replace("**", "^").replace("*", " ")
    return re.sub(r"\bE\b", "e", text)


def _decimal(expr: sp.Expr) -> str:
    text = f"{float(expr):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _unicode(name: str) -> str:
    """x1 as x₁ (SVG text has no subscripts of its own)."""
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    return m.group(1) + m.group(2).translate(_SUB) if m else name


def present(r: FigureResult, tex: Any, problem: Any) -> dict[str, Any]:
    words, fig, f = tex.words, r.model, r.part.of
    at = tex.point(r.part)
    gradient = tex.col(list(r.gradient_at))
    xname, yname = (v.name for v in problem.variables)
    direction_tex = {name: re.sub(r"^([A-Za-z]+)(\d+)$", r"\1_\2", name) for name, _, _ in r.directions}
    labels = {"x": tex(problem.variables[0]), "y": tex(problem.variables[1]), "point": "x" if tex.vector else "p",
              "gradient": f"{tex.nabla} {f}", **direction_tex}
    plain = {"x": _unicode(xname), "y": _unicode(yname), "point": "x" if tex.vector else "p", "gradient": f"∇{f}",
             **{name: _unicode(name) for name, _, _ in r.directions}}
    point_plain = ", ".join(_plain(v) for v in r.point)
    grad_plain = "(" + ", ".join(_plain(g) for g in r.gradient_at) + ")"
    grad_decimal = "(" + ", ".join(_decimal(g) for g in r.gradient_at) + ")"
    source = problem.functions[f].source[0]
    alt, alt_blank = (_alt(r, words, f, source, point_plain, grad_plain, grad_decimal, answers) for answers in (True, False))
    desc, desc_blank = (_desc(r, words, f) if not r.slice else _desc_slice(r, words, f, answers) for answers in (True, False))
    if r.slice:  # f(x + t d) against t
        dname = direction_tex.get(r.slice, r.slice)
        labels.update(x="t", y=f"{f}(x + t\\,{dname})", point="", taylor1="T_1", taylor2="T_2")
        plain.update(x="t", y=f"{f}(x + t {_unicode(r.slice)})", point="", taylor1="T₁", taylor2="T₂")
        alt = str(words("figure.alt_slice", f=f, expr=source, point=point_plain, name=r.slice))
        alt_blank = str(words("figure.alt_slice_blank", f=f, expr=source, point=point_plain, name=r.slice))
    else:
        desc_blank = _desc(r, words, f, answers=False)
    names = getattr(tex, "figure_names", None)  # figures drawn so far in this document (two may share a part id)
    if names is None:
        names = tex.figure_names = set()
    stem = f"{problem.id}-fig-{r.part.id}"
    n = 1
    while (stem if n == 1 else f"{stem}-{n}") in names:
        n += 1
    stem = stem if n == 1 else f"{stem}-{n}"
    names.add(stem)
    full_svg, blank_svg = f"{stem}.svg", f"{stem}-worksheet.svg"
    view = FigureSpec(model=fig, labels=labels, plain=plain, svg=full_svg, svg_blank=blank_svg, alt=alt,
                      alt_blank=alt_blank, desc=desc, desc_blank=desc_blank)
    d = sp.Matrix([derivative(e.tree.expr, v) for v, e in zip(problem.variables, r.entries)]) \
        if len(r.entries) == len(problem.variables) else None
    at_point = chain(Side(f"{tex.nabla} {f}({at})", d), "=", Side(gradient, matrix_form(r.gradient_at)), where=dict(r.part.at))
    if r.slice:
        dname = direction_tex.get(r.slice, r.slice)
        legend = [words("figure.slice", f=f, name=dname, point=at, result=tex(r.value))]
        if fig.taylor_order:
            legend.append(words(f"figure.slice_taylor_{fig.taylor_order}", f=f, name=dname))
        if fig.gaps:
            legend.append(words("figure.gaps", f=f))
        return {"groups": [], "figure": view, "legend": legend, "draw": words("figure.draw_slice", f=f, name=dname),
                "answer": [at_point], "answer_short": [at_point]}
    legend = [words("figure.contours", f=f, point=at, result=tex(r.value))]
    for layer in fig.layers:
        if layer.name == "field":
            legend.append(words("figure.field_clipped" if layer.sign == "clipped" else "figure.field", n=text(_factor(layer.scale))))
        elif layer.name == "gradient":
            legend.append(words("figure.gradient") if fig.scale == 1
                          else words("figure.gradient_scaled", n=text(_factor(fig.scale))))
        elif layer.name == "tangent":
            legend.append(words("figure.tangent"))
        elif layer.name == "taylor":
            legend.append(words("figure.taylor", order=words(f"taylor.order_{fig.taylor_order}")))
    if any(layer.name == "direction" for layer in fig.layers):
        legend.append(words("figure.directions", f=f))
    if fig.gaps:
        legend.append(words("figure.gaps", f=f))
    return {
        "groups": [],
        "figure": view,
        "legend": legend,
        "draw": words("figure.draw", f=f, point=at),
        "answer": [at_point],
        "answer_short": [at_point],
    }


TRENDS = {"+": "up", "-": "down", "0": "level"}  # a direction's sign -> its words key


def _alt(r: FigureResult, words: Any, f: str, source: str, point: str, grad: str, grad_decimal: str,
         answers: bool) -> str:
    """The alt text: what the picture shows, layer by layer (the contours and the point,
    the gradient, the field, the directions with their readings, the tangent, the Taylor
    contours); without ``answers``, the answer layers are said to be left to draw."""
    shown = {layer.name for layer in r.model.layers}
    out = [words("figure.alt_contours", f=f, expr=source, point=point)]
    left = []
    for name in ("gradient", "field", "direction", "tangent", "taylor"):
        if name not in shown:
            continue
        layer = next(layer for layer in r.model.layers if layer.name == name)
        if layer.answer and not answers:
            left.append(str(words(f"figure.alt_left_{name}", f=f)))
            continue
        if name == "gradient":
            exact = all(g.is_Rational for g in r.gradient_at)
            out.append(words("figure.alt_gradient_exact" if exact else "figure.alt_gradient", f=f, gradient_at=grad,
                             result=grad_decimal))
        elif name == "direction":
            readings = []
            for d, vec, sign in r.directions:
                text = f"{d} = ({', '.join(_plain(v) for v in vec)})"
                if answers and sign in ("+", "-", "0"):
                    text += " " + str(words("figure.alt_trend_" + TRENDS[sign]))
                readings.append(text)
            out.append(words("figure.alt_directions", names="; ".join(readings)))
        else:
            out.append(words(f"figure.alt_{name}", f=f))
    if left:
        out.append(words("figure.alt_left", layers=", ".join(left)))
    return " ".join(str(s) for s in out)


def _desc(r: FigureResult, words: Any, f: str, answers: bool = True) -> str:
    """The SVG's ``<desc>``: its layers, bottom to top, as drawn."""
    DEPTH = lazy.load("figure").DEPTH

    names = []
    for layer in sorted(r.model.layers, key=lambda layer: DEPTH[layer.name]):
        if layer.answer and not answers:
            continue
        if layer.name == "direction":
            names.append(str(words("figure.desc_direction", name=_unicode(layer.key))))
        else:
            names.append(str(words(f"figure.desc_{layer.name}", f=f)))
    names.append(str(words("figure.desc_point")))
    return str(words("figure.desc", layers="; ".join(names)))


def _desc_slice(r: FigureResult, words: Any, f: str, answers: bool) -> str:
    names = [str(words("figure.desc_slice", f=f))]
    if answers and r.model.taylor_order:
        names.append(str(words("figure.desc_slice_taylor")))
    return str(words("figure.desc", layers="; ".join(names)))


def _factor(scale: float | None) -> str:
    """0.25 as 1/4, 2 as 2."""
    if not scale:
        return "1"
    if scale >= 1:
        return f"{scale:g}"
    return f"1/{1 / scale:g}"


ASK = Ask("figure", frozenset({"of", "at", "show", "window", "directions", "order", "slice"}), read, derive, present, layout=blocks.figure)
