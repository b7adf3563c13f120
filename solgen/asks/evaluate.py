"""evaluate: a function (or ``grad f``) at a point, exact first, then rounded to
``decimals`` places when asked."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.input.fields import read_at, read_decimals, read_detail, read_of
from decimal import Decimal, InvalidOperation
from solgen.present.view import group, pd
from solgen.present.formula import Side, chain


@record
class EvaluateResult(Result):
    ANSWER = "values"
    exprs: tuple[sp.Expr, ...] = ()  # what is evaluated (f's components, or grad f)
    values: tuple[sp.Expr, ...] = ()  # exact, one per component
    vector: bool = False
    rounded: tuple[str, ...] | None = None  # with decimals: each value to that many places

    @property
    def answer(self) -> Any:
        return list(self.values) if self.vector else self.values[0]


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "evaluate", scalar=False)
    read_at(data, ctx, kw, pid, "evaluate", required=True)
    read_decimals(data, kw, pid)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def rounded(value: sp.Expr, decimals: int) -> str | None:
    """``value`` rounded to ``decimals`` places from 50 significant digits; None when it is
    not a number (it holds a constant such as a) or has more digits than that."""
    number = sp.N(value, 50)
    if not number.is_Number or not number.is_finite:
        return None
    try:
        return format(Decimal(str(number)).quantize(Decimal(1).scaleb(-decimals)), "f")
    except InvalidOperation:
        return None


def derive(engine: Any, part: Any) -> EvaluateResult:
    exprs = engine.function(part)
    entries: tuple[Entry, ...] = ()
    if part.grad:
        trees = engine.gradient(engine.problem.functions[part.of].exprs[0])
        entries = tuple(Entry((i,), t) for i, t in enumerate(trees))
    values = tuple(engine.at(e, part) for e in exprs)
    vector = part.grad or engine.problem.functions[part.of].vector
    shown = None
    if part.decimals is not None:
        digits = [rounded(v, part.decimals) for v in values]
        shown = tuple(digits) if all(d is not None for d in digits) else None  # type: ignore[arg-type]
    return EvaluateResult(part, entries, tuple(exprs), values, bool(vector), shown)


def present(r: EvaluateResult, tex: Any, problem: Any) -> dict[str, Any]:
    x, at = tex.args, tex.point(r.part)
    name = f"{tex.nabla} {r.part.of}" if r.part.grad else r.part.of
    groups = [group(pd(r.part.of, tex(v), x), e.tree, tex, r.part) for v, e in zip(problem.variables, r.entries)]
    shown: list[Any] = list(r.rounded) if r.rounded is not None else list(r.values)
    approx = "\\approx" if r.rounded is not None else "="
    value_tex = tex.col(shown) if r.vector else (shown[0] if isinstance(shown[0], str) else tex(shown[0]))
    sym = tex.col(list(r.exprs)) if r.vector else tex(r.exprs[0])
    lhs = f"{name}({at})"

    exprs = matrix_form(list(r.exprs))
    if r.part.grad and len(r.entries) == len(problem.variables):  # grad f: the derivatives its step trees take
        named = sp.Matrix([derivative(e.tree.expr, v) for v, e in zip(problem.variables, r.entries)])
    else:
        named = exprs
    if not r.vector:
        named, exprs = named[0], exprs[0]
    if r.rounded is not None:
        values: Any = [sp.Float(v) if isinstance(v, str) else v for v in r.rounded]
    else:
        values = list(r.values)
    value_form = matrix_form(values) if r.vector else matrix_form(values)[0]
    at_line = chain(Side(lhs, named), "≈" if r.rounded is not None else "=", Side(value_tex, value_form), where=dict(r.part.at))
    return {
        "groups": groups,
        "answer": [chain(Side(f"{name}({x})", named), "=", Side(sym, exprs)), at_line],
        "answer_short": [at_line],
    }


ASK = Ask("evaluate", frozenset({"of", "at", "decimals", "detail"}), read, derive, present)
