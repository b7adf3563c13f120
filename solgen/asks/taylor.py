"""taylor: the Taylor approximation of order 1 to 6, in general form and, with ``at``,
around the point. One variable: f(a) + sum f^(k)(a)/k! (x - a)^k. Several: the gradient
and the Hessian, and from order 3 on every partial derivative D^alpha f with |alpha| up
to the order (each a checked step tree on the one below it), the terms
D^alpha f(a)/alpha! (x - a)^alpha."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.present import blocks
from solgen.input.fields import read_at, read_detail, read_estimate, read_of, read_taylor_order
from solgen.math.printer import terminating_decimal
from solgen.math.tidy import tidy, tmul
from solgen.present.view import fitted, group, pd, second, taylor_intro, LINE, width
from solgen.present.words import text
from solgen.math import lazy
from solgen.math.named import unfold
from solgen.present.formula import Side, chain, row


@record
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
    higher: tuple[tuple[tuple[int, ...], sp.Expr], ...] | None = None  # several variables, order >= 3: (variables, D f)
    higher_at: tuple[tuple[tuple[int, ...], sp.Expr], ...] | None = None  # and at the point

    @property
    def answer(self) -> sp.Expr | None:
        return self.polynomial


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "taylor", scalar=True)
    if ctx.get("shaped"):  # a vector variable (shapes:): the quadratic model in matrix form, the shaped engine (asks/shaped.py)
        read_shaped = lazy.load('matrix_taylor').read

        read_shaped(data, ctx, kw, pid)
        read_detail(data, kw, pid, ctx["defaults"]["detail"])
        return
    read_at(data, ctx, kw, pid, "taylor", required=False)
    read_taylor_order(data, ctx, kw, pid, limit=6)
    read_estimate(data, ctx, kw, pid)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def derive(engine: Any, part: Any) -> TaylorResult:
    if engine.problem.shapes:
        derive_shaped = lazy.load('matrix_taylor').derive

        return derive_shaped(engine, part)  # type: ignore[return-value]
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
    higher: list[tuple[tuple[int, ...], sp.Expr]] = []
    if order >= 3 and len(variables) > 1:  # D^alpha f for |alpha| = 3..order, each d/dv_j of one of order one less
        below = {(i, j): hess[i][j] for i in range(len(variables)) for j in range(i, len(variables))}
        for k in range(3, order + 1):
            level = {}
            for combo in itertools.combinations_with_replacement(range(len(variables)), k):
                tree = engine.tree(below[combo[:-1]], variables[combo[-1]])
                entries.append(Entry(combo, tree))
                level[combo] = tree.result
                higher.append((combo, tree.result))
            below = level
    if not part.at:
        return TaylorResult(part, tuple(entries), order, tuple(grad), hessian, higher=tuple(higher) if higher else None)
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
    higher_at = [(combo, engine.at(d, part)) for combo, d in higher]
    for combo, value_at in higher_at:  # D^alpha f(a) / alpha! (x - a)^alpha
        counts = [combo.count(i) for i in range(len(variables))]
        weight = sp.Integer(1)
        for c in counts:
            weight *= sp.factorial(c)
        powers = [sp.Pow(shifts[i], c) if c > 1 else shifts[i] for i, c in enumerate(counts) if c]
        terms.append(tmul(value_at / weight, *powers))
    poly = tidy(sp.Add(*terms, evaluate=False))
    estimated = exact = None
    if part.estimate:
        estimated = poly.xreplace(dict(part.estimate))
        exact = engine.at(expr, replace(part, at=part.estimate))
    return TaylorResult(
        part, tuple(entries), order, tuple(grad), hessian, value, tuple(grad_at),
        tuple(tuple(r) for r in hess_at) if hess_at is not None else None,
        tuple(derivs) if derivs is not None else None, poly, estimated, exact,
        tuple(higher) if higher else None, tuple(higher_at) if higher else None,
    )


def nth(f: str, k: int) -> str:
    """The k-th derivative of a function of one variable as a book writes it: f', f'' and
    three primes, then f^{(4)}."""
    return f + "'" * k if k <= 3 else f"{f}^{{({k})}}"


def _general(f: str, rhs: str, F: Any, variables: list[Any], order: int) -> Any:
    """``f(x + eps) ~ f(x) + ...`` in general form: its sides as SymPy reads them, the Taylor
    polynomial as the sum over multi-indices of D^alpha f(x) / alpha! eps^alpha (eps_1, eps_2, ...
    with several variables). An approximation: shown with its forms, not checked."""

    lhs = f"{f}(x + \\epsilon)"
    if F is None:
        return f"{lhs} \\approx {rhs}"
    eps = [sp.Symbol("epsilon")] if len(variables) == 1 else [sp.Symbol(f"epsilon_{i}") for i in range(1, len(variables) + 1)]
    moved = F.xreplace({v: v + e for v, e in zip(variables, eps)})
    terms = []
    for alpha in itertools.product(range(order + 1), repeat=len(variables)):
        if sum(alpha) > order:
            continue
        wrt = [(v, a) for v, a in zip(variables, alpha) if a]
        term = sp.Derivative(F, *wrt) if wrt else F
        coef = sp.Integer(1) / sp.prod([sp.factorial(a) for a in alpha])
        terms.append(coef * term * sp.prod([e ** a for e, a in zip(eps, alpha)]))
    return chain(Side(lhs, moved), "≈", Side(rhs, sp.Add(*terms)))


def _function_form(r: TaylorResult) -> Any:
    """f's expression (named functions opened): the expression the first derivatives' step
    trees start from; None when there is none."""

    for e in r.entries:
        if len(e.index) == 1:
            return unfold(e.tree.expr)
    return None


def _decimal_sides(value: sp.Expr, tex: Any) -> list[Any]:
    """``with_decimals``' LaTeX as chain items: the value, and ``\\approx`` its decimals when shown."""

    shown = with_decimals(value, tex)
    if " \\approx " not in shown:
        return [Side(shown, value)]
    exact, number = shown.split(" \\approx ")
    return [Side(exact, value), "≈", Side(number, sp.Float(number))]


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
    if problem.shapes:
        present_shaped = lazy.load('matrix_taylor').present

        return present_shaped(r, tex, problem)  # type: ignore[arg-type]

    f, x = r.part.of, tex.args
    single = len(problem.variables) == 1
    F = _function_form(r)  # f's expression, for the forms of the lines below (None: plain LaTeX)
    variables = list(problem.variables)
    point = dict(r.part.at) if r.part.at else {}

    def line(lhs: str, lhs_form: Any, rhs: str, rhs_form: Any, where: Any = None, rel: str = "=") -> Any:
        if F is None:
            return f"{lhs} {'=' if rel == '=' else chr(92) + 'approx'} {rhs}"
        return chain(Side(lhs, lhs_form), rel, Side(rhs, rhs_form), where=where)

    def grad_form() -> Any:
        return sp.Matrix([derivative(F, v) for v in variables]) if F is not None else None

    def hess_form() -> Any:
        return sp.Matrix([[derivative(F, a, b) for b in variables] for a in variables]) if F is not None else None
    groups = []
    for e in r.entries:
        if len(e.index) == 1 and not single:
            groups.append(group(pd(f, tex(problem.variables[e.index[0]]), x), e.tree, tex, r.part))
        elif len(e.index) == 2:
            i, j = e.index
            v = [tex(s) for s in problem.variables]
            groups.append(group(second(f, v[j], v[i], x), e.tree, tex, r.part))  # d/dv_j of df/dv_i
        elif len(e.index) >= 3 and e.tree.expr.free_symbols:  # d/dv of a number is 0: no group for it
            groups.append(group(_partial(f, e.index, problem, tex, x), e.tree, tex, r.part))
        else:
            k = e.index[0] + 1
            heading = f"{nth(f, k)}({x})"
            groups.append(group(heading, e.tree, tex, r.part))
    answer = []
    if single:
        terms = [f"{f}(x)"] + [f"\\frac{{{nth(f, k)}(x)}}{{{k}!}} \\epsilon^{{{k}}}" if k > 1 else f"{f}'(x) \\epsilon"
                               for k in range(1, r.order + 1)]
        answer.append(_general(f, " + ".join(terms), F, variables, r.order))
    else:
        general = f"{f}(x + \\epsilon) \\approx {f}(x) + {tex.nabla} {f}(x)^T \\epsilon"
        if r.order >= 2:
            general += f" + \\frac{{1}}{{2}} \\epsilon^T {tex.nabla}^2 {f}(x) \\epsilon"
        if r.order >= 3:  # the multi-index terms: sum over |alpha| = 3..order of D^alpha f(x)/alpha! eps^alpha
            below = "|\\alpha| = 3" if r.order == 3 else f"3 \\le |\\alpha| \\le {r.order}"
            general += f" + \\sum_{{{below}}} \\frac{{\\partial^\\alpha {f}(x)}}{{\\alpha!}} \\epsilon^\\alpha"
        answer.append(_general(f, general.split(" \\approx ", 1)[1], F, variables, r.order))
    general_values = {
        "f": f,
        "nabla": tex.nabla,
        "gradient": tex.col(list(r.gradient)),
        "hessian": tex.mat([list(row) for row in r.hessian]) if r.hessian else None,
    }
    if r.hessian:  # the general gradient and Hessian as display lines, a wide one stacked
        general_values["lines"] = [
            *fitted(f"{tex.nabla} {f}(x)", [[g] for g in r.gradient], tex, "g", lhs_form=grad_form()),
            *fitted(f"{tex.nabla}^2 {f}(x)", [list(row) for row in r.hessian], tex, "h", symmetric=True, lhs_form=hess_form()),
            *_higher_lines(r.higher or (), problem, tex, x, f, F),
        ]
    at_lines = []
    if r.part.at:
        at = tex.point(r.part)
        at_lines.append(line(f"{f}({at})", F, tex(r.value), r.value, point))
        if single:
            at_lines.append(line(f"{f}'({at})", derivative(F, variables[0]) if F is not None else None,
                                 tex(r.gradient_at[0]), r.gradient_at[0], point))
            for k, val in enumerate(r.derivatives_at or (), start=2):
                at_lines.append(line(f"{nth(f, k)}({at})", derivative(F, (variables[0], k)) if F is not None else None,
                                     tex(val), val, point))
        else:
            at_lines.append(line(f"{tex.nabla} {f}({at})", grad_form(), tex.col(list(r.gradient_at)),
                                 matrix_form(r.gradient_at), point))
            if r.hessian_at:
                at_lines.append(line(f"{tex.nabla}^2 {f}({at})", hess_form(), tex.mat([list(row) for row in r.hessian_at]),
                                     matrix_form(r.hessian_at), point))
            at_lines.extend(_higher_lines(r.higher_at or (), problem, tex, at, f, F, point))
        names = ", ".join(tex(v) for v in problem.variables)
        answer.append(line(f"{f}({names})", F, tex(r.polynomial), r.polynomial, rel="≈"))
    estimate_lines, estimate_intro = [], None
    if r.estimated is not None:  # an estimate reads as the TA wrote its point: 3.02, not 151/50
        where = ", ".join(terminating_decimal(v) or tex(v) for _, v in r.part.estimate)
        at_estimate = dict(r.part.estimate)
        exact_line = f"{f}({where}) = {with_decimals(r.exact, tex)}"
        estimate_lines = [f"{f}({where}) \\approx {with_decimals(r.estimated, tex)}", exact_line]
        if F is not None:
            estimate_lines = [chain(Side(f"{f}({where})", F), "≈", *_decimal_sides(r.estimated, tex), where=at_estimate),
                              chain(Side(f"{f}({where})", F), "=", *_decimal_sides(r.exact, tex), where=at_estimate)]
        estimate_intro = tex.words("taylor.estimate_value" if single else "taylor.estimate",
                                   point=f"{tex(problem.variables[0])} = {where}" if single else where)

    joined = ", \\qquad ".join(str(a) for a in at_lines)
    return {
        "at_joined": joined if at_lines and width(joined) <= LINE else None,  # the values at the point on one line
        "estimate_lines": estimate_lines,
        "estimate_intro": estimate_intro,
        "estimate_exact": tex.words("taylor.exact") if r.estimated is not None else None,
        "groups": groups,
        "intro": taylor_intro(r.order, single, bool(general_values["hessian"]), tex.words) if single or r.order < 3
        else tex.words("taylor.intro_multi", order=tex.words("taylor.order_3") if r.order == 3
                       else tex.words("taylor.order_n", n=text(str(r.order)))),
        "general": general_values,
        "at_lines": at_lines,
        "answer": answer,
        "answer_short": answer[-1:],
    }


def _partial(f: str, combo: tuple[int, ...], problem: Any, tex: Any, args: str) -> str:
    """d^k f / dy dx^2 for the variables ``combo`` (taken first to last, written right to left)."""
    names = [tex(v) for v in problem.variables]
    counts = [(i, combo.count(i)) for i in sorted(set(combo), reverse=True)]
    den = " ".join(f"\\partial {names[i]}^{c}" if c > 1 else f"\\partial {names[i]}" for i, c in counts)
    return f"\\frac{{\\partial^{len(combo)} {f}({args})}}{{{den}}}"


def _higher_lines(values: Any, problem: Any, tex: Any, args: str, fname: str, F: Any = None,
                  where: Any = None) -> list[Any]:
    """The partials of order 3 and up, a few to a display line; each a checked formula (at
    ``where``, the point, when given) when f's expression ``F`` is known."""
    lines: list[Any] = []
    variables = list(problem.variables)

    def d(combo: tuple[int, ...]) -> Any:
        return derivative(F, *[variables[i] for i in combo]) if F is not None else None

    for k in sorted({len(c) for c, _ in values}):
        level = [(c, v) for c, v in values if len(c) == k]
        if all(v == 0 for _, v in level):  # every partial of order k is 0: one line, as a TA says it
            lhs = sp.Matrix([d(c) for c, _ in level]) if F is not None else None
            lines.append(chain(Side(f"\\partial^\\alpha {fname}({args})", lhs), "=",
                               Side(f"0 \\quad (|\\alpha| = {k})", sp.zeros(len(level), 1) if F is not None else None),
                               where=where))
            continue
        shown = [chain(Side(_partial(fname, c, problem, tex, args), d(c)), "=", Side(tex(v), v), where=where) for c, v in level]
        lines.extend(row(shown[i:i + 3]) for i in range(0, len(shown), 3))
    return lines


ASK = Ask("taylor", frozenset({"of", "at", "order", "estimate", "detail"}), read, derive, present, shaped=True, layout=blocks.taylor)
