"""hessian: the matrix of second partials; the entries on and above the diagonal are
derived, the rest follow by symmetry (checked)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result, at_point, factored, no_wrt
from solgen.present import blocks
from solgen.input.fields import read_at, read_detail, read_of, read_simplify
from solgen.math.tidy import factor_common
from solgen.present.view import WIDE, add_factored, add_value, group, stack_wide, pd, second
from solgen.math import lazy
from solgen.present.formula import Side, chain


@record
class HessianResult(Result):
    ANSWER = "hessian"
    hessian: tuple[tuple[sp.Expr, ...], ...] = ()
    gradient: tuple[sp.Expr, ...] = ()
    symmetry: str = "entries with i <= j derived; the rest by symmetry, checked"
    factored: list[list[sp.Expr]] | None = None
    value: list[list[sp.Expr]] | None = None  # with at: the Hessian at the point

    @property
    def answer(self) -> list[list[sp.Expr]]:
        return [list(row) for row in self.hessian]


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "hessian", scalar=True)
    if ctx.get("shaped"):  # vectors and matrices (shapes:): the shaped engine (asks/shaped.py) reads of, wrt and at
        read_shaped = lazy.load('matrix_asks').read_of

        read_shaped(data, ctx, pid, "hessian", kw)
    else:
        no_wrt(data, pid)
        read_at(data, ctx, kw, pid, "hessian", required=False)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    read_simplify(data, kw, pid, ctx["defaults"]["simplify"])


def derive(engine: Any, part: Any) -> HessianResult:
    if engine.problem.shapes:  # a vector variable: the differential method of the shaped engine (asks/shaped.py)
        derive_hessian = lazy.load('matrix_asks').derive_hessian

        return derive_hessian(engine, part)  # type: ignore[return-value]
    (expr,) = engine.function(part)
    trees, matrix = engine.hessian(expr)
    grad = tuple(t.result for t in engine.gradient(expr))
    return HessianResult(part, tuple(Entry(k, t) for k, t in trees.items()), tuple(tuple(r) for r in matrix), grad,
                         factored=factored(matrix, factor_common) if part.simplify == "factor" else None,
                         value=at_point(engine, part, matrix))


def present(r: HessianResult, tex: Any, problem: Any) -> dict[str, Any]:
    if problem.shapes:
        present_hessian = lazy.load('matrix_asks').present_hessian

        return present_hessian(r, tex, problem)  # type: ignore[arg-type]

    f, x, v = r.part.of, tex.args, [tex(s) for s in problem.variables]
    groups = []
    for e in r.entries:
        i, j = e.index
        # the tree is d/dv_j of df/dv_i: written d^2 f/dv_j dv_i, the variable taken first on
        # the right, as a partial part with order [v_i, v_j] writes it
        heading = second(f, v[j], v[i], x) + f" = {tex.d(problem.variables[j])} {pd(f, v[i], x)}"
        groups.append(group(heading, e.tree, tex, r.part))
    n = len(v)
    symbolic = tex.mat([[second(f, v[i], v[j], x) for j in range(n)] for i in range(n)])
    d = _second_forms(r, problem.variables)
    value = matrix_form(r.answer)
    lhs = Side(f"{tex.nabla}^2 {f}({x})", d)
    result = tex.mat(r.answer)
    view = {
        "groups": groups,
        "symmetric": n > 1,
        "answer": [chain(lhs, "=", Side(symbolic, d), "=", Side(result, value)) if n <= WIDE
                   else chain(lhs, "=", Side(result, value))],
        "equation": [f"{tex.nabla}^2 {f}({x})", symbolic, result] if n <= WIDE else None,
        "answer_short": [chain(lhs, "=", Side(result, value))],
    }
    add_factored(view, tex.mat(r.factored) if r.factored else None, form=matrix_form(r.factored) if r.factored else None)
    stack_wide(view, f"{tex.nabla}^2 {f}({x})", [list(row) for row in r.answer], tex, "h", symmetric=True, lhs_form=d)
    return add_value(view, f"{tex.nabla}^2 {f}({tex.point(r.part)})", tex.mat(r.value) if r.value is not None else None,
                     r.value, tex, lhs_form=d, form=matrix_form(r.value) if r.value is not None else None,
                     where=dict(r.part.at) if r.part.at else None)


def _second_forms(r: HessianResult, variables: Any) -> Any:
    """The Hessian as a Matrix of derivatives: entry (i, j) is d/dv_j of the first partial its
    step tree starts from (the symmetric entry where only one of the pair was derived)."""
    firsts = {e.index: e.tree.expr for e in r.entries}
    n = len(variables)
    rows = []
    for i in range(n):
        row = []
        for j in range(n):
            if (i, j) in firsts:
                row.append(derivative(firsts[(i, j)], variables[j]))
            elif (j, i) in firsts:
                row.append(derivative(firsts[(j, i)], variables[i]))
            else:
                return None
        rows.append(row)
    return sp.Matrix(rows)

ASK = Ask("hessian", frozenset({"of", "at", "detail", "simplify", "wrt"}), read, derive, present, shaped=True, layout=blocks.hessian)
