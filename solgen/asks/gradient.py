"""gradient: the column of first partials of a scalar function, a step tree per variable."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result, at_point, factored, no_wrt
from solgen.input.fields import read_at, read_detail, read_of, read_simplify
from solgen.math.tidy import factor_common
from solgen.present.view import add_factored, add_value, group, stack_wide, pd
from solgen.math import lazy
from solgen.present.formula import Side, chain


@record
class GradientResult(Result):
    ANSWER = "gradient"
    gradient: tuple[sp.Expr, ...] = ()
    factored: list[sp.Expr] | None = None  # simplify: factor, when it changes something
    value: list[sp.Expr] | None = None  # with at: the gradient at the point

    @property
    def answer(self) -> list[sp.Expr]:
        return list(self.gradient)


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "gradient", scalar=True)
    if ctx.get("shaped"):  # vectors and matrices (shapes:): the shaped engine (asks/shaped.py) reads of, wrt and at
        read_shaped = lazy.load('matrix_asks').read_of

        read_shaped(data, ctx, pid, "gradient", kw)
    else:
        no_wrt(data, pid)
        read_at(data, ctx, kw, pid, "gradient", required=False)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    read_simplify(data, kw, pid, ctx["defaults"]["simplify"])


def derive(engine: Any, part: Any) -> GradientResult:
    if engine.problem.shapes:  # a vector variable: the differential method of the shaped engine (asks/shaped.py)
        derive_gradient = lazy.load('matrix_asks').derive_gradient

        return derive_gradient(engine, part)  # type: ignore[return-value]
    (expr,) = engine.function(part)
    trees = engine.gradient(expr)
    grad = [t.result for t in trees]
    return GradientResult(part, tuple(Entry((i,), t) for i, t in enumerate(trees)), tuple(grad),
                          factored(grad, factor_common) if part.simplify == "factor" else None, at_point(engine, part, grad))


def present(r: GradientResult, tex: Any, problem: Any) -> dict[str, Any]:
    if problem.shapes:
        present_gradient = lazy.load('matrix_asks').present_gradient

        return present_gradient(r, tex, problem)  # type: ignore[arg-type]


    f, x = r.part.of, tex.args
    expr = r.entries[0].tree.expr if r.entries else None
    where = dict(r.part.at) if r.part.at else None
    if len(problem.variables) == 1:  # one variable: the derivative f'(x), as a book writes it
        lhs = f"{f}'({x})"
        d = derivative(expr, problem.variables[0])
        line = chain(Side(lhs, d), "=", Side(tex(r.gradient[0]), matrix_form([r.gradient[0]])[0]))
        view = {"groups": [group(lhs, r.entries[0].tree, tex, r.part)], "answer": [line],
                "equation": None, "answer_short": [line]}
        add_factored(view, tex(r.factored[0]) if r.factored else None, form=r.factored[0] if r.factored else None)
        return add_value(view, f"{f}'({tex.point(r.part)})", tex(r.value[0]) if r.value is not None else None,
                         lhs_form=d, form=r.value[0] if r.value is not None else None, where=where)
    groups = [group(pd(f, tex(v), x), e.tree, tex, r.part) for v, e in zip(problem.variables, r.entries)]
    symbolic = tex.col([pd(f, tex(v), x) for v in problem.variables])
    result = tex.col(list(r.gradient))
    d = sp.Matrix([derivative(expr, v) for v in problem.variables])
    value = matrix_form(r.gradient)
    view = {
        "groups": groups,
        "answer": [chain(Side(f"{tex.nabla} {f}({x})", d), "=", Side(symbolic, d), "=", Side(result, value))],
        "equation": [f"{tex.nabla} {f}({x})", symbolic, result],
        "answer_short": [chain(Side(f"{tex.nabla} {f}({x})", d), "=", Side(result, value))],
    }
    add_factored(view, tex.col(r.factored) if r.factored else None, form=matrix_form(r.factored) if r.factored else None)
    stack_wide(view, f"{tex.nabla} {f}({x})", [[g] for g in r.gradient], tex, "g", lhs_form=d)
    return add_value(view, f"{tex.nabla} {f}({tex.point(r.part)})", tex.col(r.value) if r.value is not None else None,
                     r.value, tex, lhs_form=d, form=matrix_form(r.value) if r.value is not None else None, where=where)

ASK = Ask("gradient", frozenset({"of", "at", "detail", "simplify", "wrt"}), read, derive, present, shaped=True)
