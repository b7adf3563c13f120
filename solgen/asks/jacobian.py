"""jacobian: the matrix of first partials of a vector function (rows are its components),
or of ``grad f``, which is the Hessian of f (solgen says so and checks it)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result, at_point, factored, no_wrt
from solgen.present import blocks
from solgen.derive.check import TooLarge, equal
from solgen.errors import DeriveError
from solgen.input.fields import read_at, read_detail, read_of, read_simplify
from solgen.math.tidy import factor_common
from solgen.present.view import WIDE, add_factored, add_value, group, stack_wide, pd
from solgen.math import lazy
from solgen.present.formula import Side, chain


@record
class JacobianResult(Result):
    ANSWER = "jacobian"
    jacobian: tuple[tuple[sp.Expr, ...], ...] = ()
    equals_hessian: bool | None = None  # for of: grad f, whether it equals f's Hessian
    factored: list[list[sp.Expr]] | None = None
    value: list[list[sp.Expr]] | None = None  # with at: the Jacobian at the point

    @property
    def answer(self) -> list[list[sp.Expr]]:
        return [list(row) for row in self.jacobian]


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "jacobian", scalar=False)
    if ctx.get("shaped"):  # vectors and matrices (shapes:): the shaped engine (asks/shaped.py) reads of, wrt and at
        read_shaped = lazy.load('matrix_asks').read_of

        read_shaped(data, ctx, pid, "jacobian", kw)
    else:
        no_wrt(data, pid)
        read_at(data, ctx, kw, pid, "jacobian", required=False)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    read_simplify(data, kw, pid, ctx["defaults"]["simplify"])


def derive(engine: Any, part: Any) -> JacobianResult:
    if engine.problem.shapes:  # a vector variable: the differential method of the shaped engine (asks/shaped.py)
        derive_jacobian = lazy.load('matrix_asks').derive_jacobian

        return derive_jacobian(engine, part)  # type: ignore[return-value]
    rows = engine.function(part)
    trees = {(i, j): engine.tree(r, v) for i, r in enumerate(rows) for j, v in enumerate(engine.vars)}
    matrix = [[trees[(i, j)].result for j in range(len(engine.vars))] for i in range(len(rows))]
    same = None
    if part.grad:
        _, hess = engine.hessian(engine.problem.functions[part.of].exprs[0])
        try:
            same = all(equal(a, b) for ra, rb in zip(matrix, hess) for a, b in zip(ra, rb))
        except TooLarge as exc:
            raise DeriveError(f"cannot compare the Jacobian of grad {part.of} with the Hessian: {exc}; simplify it") from None
    return JacobianResult(part, tuple(Entry(k, t) for k, t in trees.items()), tuple(tuple(r) for r in matrix), same,
                          factored(matrix, factor_common) if part.simplify == "factor" else None,
                          at_point(engine, part, matrix))


def present(r: JacobianResult, tex: Any, problem: Any) -> dict[str, Any]:
    if problem.shapes:
        present_jacobian = lazy.load('matrix_asks').present_jacobian

        return present_jacobian(r, tex, problem)  # type: ignore[arg-type]

    x, v = tex.args, [tex(s) for s in problem.variables]
    name = f"({tex.nabla} {r.part.of})" if r.part.grad else r.part.of
    rows = len(r.jacobian)
    groups = []
    for e in r.entries:
        i, j = e.index
        comp = f"{name}_{i + 1}" if rows > 1 or r.part.grad else name
        groups.append(group(pd(comp, v[j], x), e.tree, tex, r.part))
    comp = (lambda i: f"{name}_{i + 1}") if rows > 1 or r.part.grad else (lambda i: name)
    symbolic = tex.mat([[pd(comp(i), v[j], x) for j in range(len(v))] for i in range(rows)])
    lhs = f"{tex.nabla} {name}({x})" if r.part.grad else f"J_{{{r.part.of}}}({x})"
    tail = f" = {tex.nabla}^2 {r.part.of}({x})" if r.equals_hessian else ""
    middle = f" = {symbolic}" if len(v) <= WIDE and rows <= WIDE else ""
    result = tex.mat(r.answer)
    comps = {e.index: e.tree.expr for e in r.entries}
    d = sp.Matrix([[derivative(comps[(i, j)], problem.variables[j]) for j in range(len(v))] for i in range(rows)]) \
        if all((i, j) in comps for i in range(rows) for j in range(len(v))) else None
    value = matrix_form(r.answer)
    sides = [Side(lhs, d), "=", *([Side(symbolic, d), "="] if middle else []), Side(result, value),
             *(["=", Side(f"{tex.nabla}^2 {r.part.of}({x})", d)] if tail else [])]
    short = [Side(lhs, d), "=", Side(result, value), *(["=", Side(f"{tex.nabla}^2 {r.part.of}({x})", d)] if tail else [])]
    view = {
        "groups": groups,
        "equals_hessian": bool(r.equals_hessian),
        "answer": [chain(*sides)],
        "equation": [lhs, symbolic, chain(Side(result, value), "=", Side(f"{tex.nabla}^2 {r.part.of}({x})", d)) if tail
                     else result] if middle else None,
        "answer_short": [chain(*short)],
    }
    add_factored(view, tex.mat(r.factored) if r.factored else None, form=matrix_form(r.factored) if r.factored else None)
    stack_wide(view, lhs, [list(row) for row in r.answer], tex, "j", symmetric=bool(r.equals_hessian), lhs_form=d)
    at_lhs = f"{tex.nabla} {name}({tex.point(r.part)})" if r.part.grad else f"J_{{{r.part.of}}}({tex.point(r.part)})"
    return add_value(view, at_lhs, tex.mat(r.value) if r.value is not None else None, lhs_form=d,
                     form=matrix_form(r.value) if r.value is not None else None, where=dict(r.part.at) if r.part.at else None)

ASK = Ask("jacobian", frozenset({"of", "at", "detail", "simplify", "wrt"}), read, derive, present, shaped=True, layout=blocks.jacobian)
