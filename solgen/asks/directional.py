"""directional: the gradient at a point and, along each direction d, the slope of the
linear approximation, gradient^T d, whose sign is the trend (the seed's reading), and the
directional derivative along the unit vector u = d/||d||, D_u f = gradient^T d / ||d||
(the textbook's). Without ``at``, the same as functions of the variables (no trend: its
sign depends on the point)."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.present import blocks
from solgen.derive.check import TooLarge, expand_guarded
from solgen.errors import DeriveError
from solgen.input.fields import read_at, read_detail, read_directions, read_of
from solgen.present.view import group, pd
from solgen.present.formula import Side, chain


@record
class Reading:
    name: str
    direction: tuple[sp.Expr, ...]
    slope: sp.Expr  # gradient^T d
    trend: str  # increase | decrease | constant | unknown
    norm: sp.Expr  # ||d||
    unit_slope: sp.Expr  # D_u f = gradient^T d / ||d||


@record
class DirectionalResult(Result):
    gradient_at: tuple[sp.Expr, ...] = ()
    readings: tuple[Reading, ...] = ()

    @property
    def answer(self) -> dict[str, dict[str, Any]]:
        return {r.name: {"direction": list(r.direction), "slope": r.slope, "unit_slope": r.unit_slope, "norm": r.norm,
                         "trend": r.trend} for r in self.readings}

    def json_fields(self) -> dict[str, Any]:  # the readings are the result
        return {"gradient_at" if self.part.at else "gradient": list(self.gradient_at)}


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "directional", scalar=True)
    read_at(data, ctx, kw, pid, "directional", required=False)
    read_directions(data, ctx, kw, pid)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def derive(engine: Any, part: Any) -> DirectionalResult:
    (expr,) = engine.function(part)
    trees = engine.gradient(expr)
    grad_at = [engine.at(t.result, part) for t in trees] if part.at else [t.result for t in trees]
    readings = []
    for name, vec in part.directions:
        slope = sum((g * d for g, d in zip(grad_at, vec)), sp.Integer(0))
        try:
            slope = expand_guarded(slope)
        except TooLarge as exc:
            raise DeriveError(f"the slope in direction {name}: {exc}; simplify it") from None
        if slope == 0:
            trend = "constant"
        elif not part.at:  # a function of the point: its sign is the point's
            trend = "unknown"
        else:
            sign = sp.sign(slope.evalf(30)) if slope.is_number else None
            trend = {1: "increase", -1: "decrease"}.get(int(sign) if sign in (1, -1) else 0, "unknown")
        norm = sp.sqrt(sum((c**2 for c in vec), sp.Integer(0)))
        unit_slope = _over_norm(slope, norm)
        readings.append(Reading(name, tuple(vec), slope, trend, norm, unit_slope))
    return DirectionalResult(part, tuple(Entry((i,), t) for i, t in enumerate(trees)), tuple(grad_at), tuple(readings))


def _over_norm(slope: sp.Expr, norm: sp.Expr) -> sp.Expr:
    """slope / ||d|| as a TA writes it: no root left in a denominator, common factors out
    (sqrt(2) (2 + e), not (4 + 2e)/sqrt(2) or 1/2 sqrt(2) (4 + 2e))."""
    rationalised = sp.radsimp(slope / norm)
    return min((rationalised, sp.factor(rationalised)), key=lambda e: (sp.count_ops(e), len(str(e))))


def present(r: DirectionalResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, x = r.part.of, tex.args
    at = tex.point(r.part) if r.part.at else x
    groups = [group(pd(f, tex(v), x), e.tree, tex, r.part) for v, e in zip(problem.variables, r.entries)]
    grad_at = tex.col(list(r.gradient_at))
    readings = []
    for reading in r.readings:
        name = re.sub(r"^([A-Za-z]+)(\d+)$", r"\1_\2", reading.name)
        digits = re.fullmatch(r"[A-Za-z]+(\d+)", reading.name)
        unit = f"u_{digits.group(1)}" if digits else "u"
        if reading.name == "u":  # u = [3, 4]: its unit vector is u-hat, not u again
            unit = "\\hat{u}"
        unit_slope = tex(reading.unit_slope)
        if not r.part.at and reading.slope != 0:  # a function over ||d||: one fraction, the root on top
            inverse = sp.radsimp(1 / reading.norm)
            unit_slope = (f"\\frac{{{tex(reading.slope)}}}{{{tex(reading.norm)}}}" if reading.norm.is_Integer
                          else f"{tex.value(inverse)} {tex.paren(reading.slope)}")
        squares = " + ".join(f"{tex.paren(sp.Integer(c) if c.is_Integer else c)}^2" for c in reading.direction)
        products = " + ".join(f"{tex.paren(g)} \\cdot {tex.paren(sp.Integer(c) if c.is_Integer else c)}"
                              for g, c in zip(r.gradient_at, reading.direction))
        products_form = sp.Add(*(sp.Mul(g, c, evaluate=False) for g, c in zip(r.gradient_at, reading.direction)), evaluate=False)
        relation = {"increase": ">", "decrease": "<", "constant": "="}.get(reading.trend, "?" if r.part.at else "=")
        slope_of = (sp.Matrix(list(r.gradient_at)).T * sp.Matrix(list(reading.direction)))[0]  # grad f^T d
        lhs = Side(f"\\nabla {f}(x)^T {name}", slope_of)
        sign = [relation, Side("0", sp.Integer(0))] if relation in (">", "<") else []
        formula = chain(lhs, "=", Side(products, products_form), "=", Side(tex(reading.slope), reading.slope), *sign)
        formula_short = chain(lhs, "=", Side(tex(reading.slope), reading.slope), *sign)
        if relation == "?":  # the sign is not known at the point: said, not claimed
            formula, formula_short = formula.retex(formula.tex + " ? 0"), formula_short.retex(formula_short.tex + " ? 0")
        unit_form = reading.slope / reading.norm
        if not r.part.at and reading.slope != 0:
            unit_form = (sp.Mul(reading.slope, sp.Pow(reading.norm, -1), evaluate=False) if reading.norm.is_Integer
                         else sp.Mul(sp.radsimp(1 / reading.norm), reading.slope, evaluate=False))
        elif r.part.at:
            unit_form = reading.unit_slope
        readings.append({
            "name": name,
            "direction": tex.mat([list(reading.direction)]) + "^T",
            "named": chain(Side(name, sp.Matrix(list(reading.direction))), "=",
                           Side(tex.mat([list(reading.direction)]) + "^T", sp.Matrix(list(reading.direction)))),  # d_1 = [1 1]^T
            "products": products,
            "slope": tex(reading.slope),
            "formula": formula,  # grad f(x)^T d = the products = the slope (> 0)
            "formula_short": formula_short,
            "trend": reading.trend,
            "reading": tex.words(f"directional.trend.{reading.trend}") if r.part.at else tex.words("directional.function"),
            "reading_short": tex.words(f"directional.trend_short.{reading.trend}") if r.part.at else tex.words("directional.function"),
            "unit_reading": tex.words("directional.unit", name=name, unit=unit, norm=f"\\sqrt{{{squares}}} = {tex(reading.norm)}",
                                      f=f, point=at, unit_slope=unit_slope),
            "unit_short": chain(Side(f"D_{{{unit}}} {f}({at})", slope_of / reading.norm), "=", Side(unit_slope, unit_form)),
        })
    d = sp.Matrix([derivative(e.tree.expr, v) for v, e in zip(problem.variables, r.entries)]) \
        if len(r.entries) == len(problem.variables) else None
    where = dict(r.part.at) if r.part.at else None
    value = matrix_form(r.gradient_at)
    at_point = chain(Side(f"{tex.nabla} {f}({at})", d), "=", Side(grad_at, value), where=where)
    # in a sentence: a row, transposed
    inline = chain(Side(f"{tex.nabla} {f}({at})", d), "=", Side(f"{tex.mat([list(r.gradient_at)])}^T", value), where=where)
    if not r.part.at:
        return {"groups": groups, "f": f, "intro": tex.words("directional.intro_function", gradient_at=at_point, f=f),
                "intro_short": tex.words("directional.intro_short_function", gradient_at=at_point), "gradient_at": at_point,
                "readings": readings, "answer": [at_point] + [r["unit_short"] for r in readings],
                "answer_short": [at_point] + [r["unit_short"] for r in readings]}
    return {
        "groups": groups,
        "f": f,
        "intro": tex.words("directional.intro", gradient_at=inline, f=f),
        "intro_short": tex.words("directional.intro_short", gradient_at=inline),
        "readings": readings,
        "answer": [inline],  # as the intro says it
        "answer_short": [inline],
    }


ASK = Ask("directional", frozenset({"of", "at", "directions", "detail"}), read, derive, present, layout=blocks.directional)
