"""taylor: the first- or second-order Taylor approximation (up to order 6 in one
variable), in general form and, with ``at``, around the point."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from solgen.asks.base import Ask, Entry, Result
from solgen.input.fields import read_at, read_detail, read_estimate, read_of, read_taylor_order
from solgen.math.printer import terminating_decimal
from solgen.math.tidy import tidy, tmul


@dataclass(frozen=True)
class TaylorResult(Result):
    ANSWER = "polynomial"
    order: int = 2
    gradient: tuple[sp.Expr, ...] = ()
    hessian: tuple[tuple[sp.Expr, ...], ...] | None = None
    value: sp.Expr | None = None  # at the point
    gradient_at: tuple[sp.Expr, ...] | None = None
    hessian_at: tuple[tuple[sp.Expr, ...], ...] | None = None
    derivatives_at: tuple[sp.Expr, ...] | None = None  # one variable: f'', f''', ... at the point
    polynomial: sp.Expr | None = None  # around the point
    estimated: sp.Expr | None = None  # with estimate: the approximation's value there
    exact: sp.Expr | None = None  # and f's own value there, to compare

    @property
    def answer(self) -> sp.Expr | None:
        return self.polynomial


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "taylor", scalar=True)
    read_at(data, ctx, kw, pid, "taylor", required=False)
    read_taylor_order(data, ctx, kw, pid)
    read_estimate(data, ctx, kw, pid)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def derive(engine: Any, part: Any) -> TaylorResult:
    (expr,) = engine.function(part)
    order, variables = part.order, engine.vars
    grad_trees = engine.gradient(expr)
    grad = [t.result for t in grad_trees]
    entries = [Entry((i,), t) for i, t in enumerate(grad_trees)]
    hess = None
    if order >= 2 and len(variables) > 1:
        trees, hess = engine.hessian(expr)
        entries += [Entry(k, t) for k, t in trees.items()]
    hessian = tuple(tuple(r) for r in hess) if hess is not None else None
    if not part.at:
        return TaylorResult(part, tuple(entries), order, tuple(grad), hessian)
    value = engine.at(expr, part)
    grad_at = [engine.at(g, part) for g in grad]
    shifts = [tidy(sp.Add(v, -a, evaluate=False)) for v, a in part.at]
    terms: list[sp.Expr] = [value] + [tmul(g, s) for g, s in zip(grad_at, shifts)]
    derivs, hess_at = None, None
    if len(variables) == 1:
        derivs, current = [], grad[0]
        for k in range(2, order + 1):
            tree = engine.tree(current, variables[0])
            entries.append(Entry((k - 1,), tree))
            current = tree.result
            derivs.append(engine.at(current, part))
            terms.append(tmul(derivs[-1] / sp.factorial(k), sp.Pow(shifts[0], k)))
    elif hess is not None:
        hess_at = [[engine.at(h, part) for h in row] for row in hess]
        n = len(variables)
        for i in range(n):
            for j in range(i, n):
                if i == j:
                    terms.append(tmul(hess_at[i][i] / 2, sp.Pow(shifts[i], 2)))
                else:
                    terms.append(tmul(hess_at[i][j], shifts[i], shifts[j]))
    poly = tidy(sp.Add(*terms, evaluate=False))
    estimated = exact = None
    if part.estimate:
        estimated = poly.xreplace(dict(part.estimate))
        exact = engine.at(expr, replace(part, at=part.estimate))
    return TaylorResult(
        part, tuple(entries), order, tuple(grad), hessian, value, tuple(grad_at),
        tuple(tuple(r) for r in hess_at) if hess_at is not None else None,
        tuple(derivs) if derivs is not None else None, poly, estimated, exact,
    )


def nth(f: str, k: int) -> str:
    """The k-th derivative of a function of one variable as a book writes it: f', f'' and
    three primes, then f^{(4)}."""
    return f + "'" * k if k <= 3 else f"{f}^{{({k})}}"


def with_decimals(value: sp.Expr, tex: Any) -> str:
    """An exact value and, when it is not a short decimal already, its decimal beside it:
    301/60 is \\frac{301}{60} \\approx 5.0167 (a value with letters in it stays exact)."""
    short = terminating_decimal(value)
    if short is not None and len(short) <= 8:
        return short
    exact = tex(value)
    if value.free_symbols or value.is_Integer:
        return exact
    number = format(float(sp.N(value, 15)), ".4f").rstrip("0").rstrip(".")
    return f"{exact} \\approx {number}"


def present(r: TaylorResult, tex: Any, problem: Any) -> dict[str, Any]:
    from solgen.present.view import fitted, group, pd, second, taylor_intro

    f, x = r.part.of, tex.args
    single = len(problem.variables) == 1
    groups = []
    for e in r.entries:
        if len(e.index) == 1 and not single:
            groups.append(group(pd(f, tex(problem.variables[e.index[0]]), x), e.tree, tex, r.part))
        elif len(e.index) == 2:
            i, j = e.index
            v = [tex(s) for s in problem.variables]
            groups.append(group(second(f, v[j], v[i], x), e.tree, tex, r.part))  # d/dv_j of df/dv_i
        else:
            k = e.index[0] + 1
            heading = f"{nth(f, k)}({x})"
            groups.append(group(heading, e.tree, tex, r.part))
    answer = []
    if single:
        terms = [f"{f}(x)"] + [f"\\frac{{{nth(f, k)}(x)}}{{{k}!}} \\epsilon^{{{k}}}" if k > 1 else f"{f}'(x) \\epsilon"
                               for k in range(1, r.order + 1)]
        answer.append(f"{f}(x + \\epsilon) \\approx " + " + ".join(terms))
    else:
        general = f"{f}(x + \\epsilon) \\approx {f}(x) + {tex.nabla} {f}(x)^T \\epsilon"
        if r.order >= 2:
            general += f" + \\frac{{1}}{{2}} \\epsilon^T {tex.nabla}^2 {f}(x) \\epsilon"
        answer.append(general)
    general_values = {
        "f": f,
        "nabla": tex.nabla,
        "gradient": tex.col(list(r.gradient)),
        "hessian": tex.mat([list(row) for row in r.hessian]) if r.hessian else None,
    }
    if r.hessian:  # the general gradient and Hessian as display lines, a wide one stacked
        general_values["lines"] = [
            *fitted(f"{tex.nabla} {f}(x)", [[g] for g in r.gradient], tex, "g"),
            *fitted(f"{tex.nabla}^2 {f}(x)", [list(row) for row in r.hessian], tex, "h", symmetric=True),
        ]
    at_lines = []
    if r.part.at:
        at = tex.point(r.part)
        at_lines.append(f"{f}({at}) = {tex(r.value)}")
        if single:
            at_lines.append(f"{f}'({at}) = {tex(r.gradient_at[0])}")
            for k, val in enumerate(r.derivatives_at or (), start=2):
                at_lines.append(f"{nth(f, k)}({at}) = {tex(val)}")
        else:
            at_lines.append(f"{tex.nabla} {f}({at}) = {tex.col(list(r.gradient_at))}")
            if r.hessian_at:
                at_lines.append(f"{tex.nabla}^2 {f}({at}) = {tex.mat([list(row) for row in r.hessian_at])}")
        variables = ", ".join(tex(v) for v in problem.variables)
        answer.append(f"{f}({variables}) \\approx {tex(r.polynomial)}")
    estimate_lines, estimate_intro = [], None
    if r.estimated is not None:  # an estimate reads as the TA wrote its point: 3.02, not 151/50
        where = ", ".join(terminating_decimal(v) or tex(v) for _, v in r.part.estimate)
        exact_line = f"{f}({where}) = {with_decimals(r.exact, tex)}"
        estimate_lines = [f"{f}({where}) \\approx {with_decimals(r.estimated, tex)}", exact_line]
        estimate_intro = tex.words("taylor.estimate_value" if single else "taylor.estimate",
                                   point=f"{tex(problem.variables[0])} = {where}" if single else where)
    from solgen.present.view import LINE, width

    joined = ", \\qquad ".join(at_lines)
    return {
        "at_joined": joined if at_lines and width(joined) <= LINE else None,  # the values at the point on one line
        "estimate_lines": estimate_lines,
        "estimate_intro": estimate_intro,
        "estimate_exact": tex.words("taylor.exact") if r.estimated is not None else None,
        "groups": groups,
        "intro": taylor_intro(r.order, single, bool(general_values["hessian"]), tex.words),
        "general": general_values,
        "at_lines": at_lines,
        "answer": answer,
        "answer_short": answer[-1:],
    }


ASK = Ask("taylor", frozenset({"of", "at", "order", "estimate", "detail"}), read, derive, present)
