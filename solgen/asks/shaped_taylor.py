"""``taylor`` of a function of a shaped variable: the quadratic (or linear) model

    f(w) ≈ f(w₀) + ∇f(w₀)ᵀ(w − w₀) + ½ (w − w₀)ᵀ ∇²f(w₀) (w − w₀)

in matrix form around a point ``w_0`` (the gradient and Hessian derived and checked as the
gradient and hessian asks do them), or, with ``at:`` on integer sizes, the polynomial in the
entries of w around the given point. ``asks/taylor.py`` hands a part here when the file has
``shapes:``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import Entry, Result
from solgen.errors import CheckError, SpecError
from solgen.math.tidy import tidy, tmul
from solgen.math import shaped_build as b
from solgen.asks.shaped import _group, _matrix, _named, _rows, at_lines, at_value, convention, engine_for, read_at
from solgen.math.shaped import Node, Ref, Sym, latex, shape_text
from solgen.derive.shaped_check import check_coefficient, check_equal
from solgen.derive.shaped_diff import rebuild
from solgen.present.view import taylor_intro
from solgen.asks.shaped import _ref, gradient_of, hessian_of, read_gradient, read_jacobian
from solgen.math.shaped import Grad
from solgen.asks.shaped_formula import context, mchain


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    shaped = ctx["shaped"]
    node = ctx["functions"][kw["of"]].exprs[0]
    if not node.is_scalar:
        raise SpecError(f"part ({pid}): the Taylor model needs a scalar function; {kw['of']} is {shape_text(node.shape)}",
                        data.key_lines.get("of", data.line))
    if len(shaped.variables) > 1:
        raise SpecError(f"part ({pid}): the Taylor model is in one variable; this file has "
                        f"{', '.join(v.name for v in shaped.variables)}", data.line)
    if not shaped.variable.is_vector:
        raise SpecError(f"part ({pid}): the Taylor model needs a vector variable; {shaped.variable.name} is a matrix",
                        data.line)
    order = data.get("order", 2)
    if isinstance(order, bool) or order not in (1, 2):
        raise SpecError(f"part ({pid}): with vectors, the Taylor model has order 1 or 2", data.key_lines.get("order", data.line))
    kw["order"] = order
    if "estimate" in data:
        raise SpecError(f"part ({pid}): 'estimate' is for scalar variables; with vectors give the point with 'at'",
                        data.key_lines["estimate"])
    if "at" in data:
        kw["at"] = read_at(data, shaped, pid, node)


@record
class MatrixTaylorResult(Result):
    ANSWER = "polynomial"
    order: int = 2
    gradient: Node | None = None
    hessian: Node | None = None
    polynomial: Any = None  # the model: a matrix expression in w and w_0, or (at:) a polynomial in w's entries
    point: str = ""  # the name of the point: w_0
    value: Any = None  # at: f, its gradient and Hessian at the point
    gradient_at: Any = None
    hessian_at: Any = None

    @property
    def answer(self) -> Any:
        return self.polynomial

    def json_fields(self) -> dict[str, Any]:
        out = super().json_fields()
        out.pop("point", None)
        return out


def _at(node: Node, var: Sym, point: Sym) -> Node:
    """node with the variable replaced by the point (the file's functions opened where they use it)."""
    def swap(n: Node) -> Node | None:
        if isinstance(n, Sym) and n.name == var.name:
            return point
        if isinstance(n, Ref):
            return rebuild(n.body, swap)
        return None

    return rebuild(node, swap)


def derive(engine: Any, part: Any) -> MatrixTaylorResult:
    m = engine_for(engine)
    shaped = engine.problem.shapes
    var = shaped.variable
    node = _named(engine, part)
    step, grad = m.gradient(node)
    entries = [Entry((0,), step)]
    hess = None
    if part.order == 2:
        step2, hess = m.jacobian(grad)
        entries.append(Entry((1,), step2))
    if part.at:
        return _at_point(engine, part, node, grad, hess, tuple(entries))
    name = f"{var.name}_0"
    taken = set(shaped.shapes) | set(shaped.sizes) | set(shaped.constants) | set(shaped.functions)
    while name in taken:
        name += "0"
    w0 = Sym(name, var.shape, "const")
    shift = b.sub(var, w0)
    terms = [_at(node, var, w0), b.mul(b.transpose(_at(grad, var, w0)), shift)]
    if hess is not None:
        terms.append(b.mul(b.num(sp.Rational(1, 2)), b.transpose(shift), _at(hess, var, w0), shift))
    model = b.add(*terms)
    _check(m, node, model, grad, var, w0)
    return MatrixTaylorResult(part, tuple(entries), part.order, grad, hess, model, name)


def _check(m: Any, node: Node, model: Node, grad: Node, var: Sym, w0: Sym) -> None:
    """At w = w_0 the model has f's value and f's gradient (and, built from the checked
    Hessian, its curvature): checked on random sizes."""
    shaped_draws = []
    for d in m.draws:
        env = dict(d.env)
        env[w0.name] = [list(r) for r in env[var.name]]
        shaped_draws.append(type(d)(d.sizes, env, d.pick))
    ok = check_equal(node, model, shaped_draws) and check_coefficient(model, grad, var.name, shaped_draws, True)
    if not ok:
        raise CheckError(f"internal check failed: the Taylor model {model} of {node} (please report this problem file)")


def _at_point(engine: Any, part: Any, node: Node, grad: Node, hess: Node | None, entries: tuple) -> MatrixTaylorResult:
    var = engine.problem.shapes.variable
    point = dict((str(k), sp.Matrix(v)) for k, v in part.at)
    w0 = point[var.name]
    ws = [sp.Symbol(f"{var.name}{i + 1}") for i in range(w0.rows)]
    f0 = at_value(part, node)[0, 0]  # type: ignore[index]
    g0 = at_value(part, grad)
    h0 = at_value(part, hess) if hess is not None else None
    # in powers of w_i - a_i, as the scalar Taylor part writes it (w_i alone where a_i = 0)
    shifts = [tidy(sp.Add(w, -a, evaluate=False)) for w, a in zip(ws, w0)]
    terms: list[sp.Expr] = [f0] + [tmul(g, s) for g, s in zip(g0, shifts)]  # type: ignore[arg-type]
    if h0 is not None:
        n = len(ws)
        for i in range(n):
            for j in range(i, n):
                c = h0[i, i] / 2 if i == j else h0[i, j]
                terms.append(tmul(c, sp.Pow(shifts[i], 2)) if i == j else tmul(c, shifts[i], shifts[j]))
    poly = tidy(sp.Add(*[t for t in terms if t != 0], evaluate=False))
    return MatrixTaylorResult(part, entries, part.order, grad, hess, poly, "", f0, _rows(g0), _rows(h0))


def present(r: MatrixTaylorResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, var = r.part.of, problem.shapes.variable
    ctx = context(problem)
    ref = _ref(problem, f)
    w = latex(var)
    p = Sym(r.point or f"{var.name}_0", var.shape)
    w0 = latex(p) if r.point else f"{w}_0"
    shift = f"({w} - {w0})"
    general = f"\\nabla {f}({w0})^T {shift}"
    shift_form = b.sub(var, p)
    general_form = [_at(ref, var, p), b.mul(b.transpose(Grad(ref, var, var.shape, at=p)), shift_form)]
    if r.order == 2:
        general += f" + \\frac{{1}}{{2}} {shift}^T \\nabla^2 {f}({w0}) {shift}"
        general_form.append(b.mul(b.num(sp.Rational(1, 2)), b.transpose(shift_form),
                                  Grad(gradient_of(ref, var), var, (var.shape[0], var.shape[0]), jacobian=True, at=p),
                                  shift_form))
    general_line = mchain(ctx, (f"{f}({w})", ref), "≈", (f"{f}({w0}) + {general}", b.add(*general_form)))
    groups = []
    g, h = latex(r.gradient), latex(r.hessian) if r.hessian is not None else None  # type: ignore[arg-type]
    read1 = {"depth": 0, "equation": read_gradient(ctx, f, ref, r.gradient, var),  # type: ignore[arg-type]
             "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
    groups.append(_group(f"d{f}", r.entries[0].tree, tex, r.part, read1, latex(r.entries[0].tree.result), ctx))  # type: ignore
    lines = [mchain(ctx, (f"\\nabla_{{{w}}} {f}({w})", gradient_of(ref, var)), "=", (g, r.gradient))]
    if h is not None:
        grad_of = f"\\nabla_{{{w}}} {f}"
        read2 = {"depth": 0, "equation": read_jacobian(ctx, f"d({grad_of})", r.gradient, r.hessian, var,  # type: ignore
                                                       h if " " not in h else f"({h})"),
                 "reason": tex.words("matrix.read_hessian", f=f, var=w), "rule": "read_off"}
        groups.append(_group(f"d({grad_of})", r.entries[1].tree, tex, r.part, read2,  # type: ignore[arg-type]
                             f"({h}) \\, d{w}" if " " in h else f"{h} \\, d{w}", ctx))
        lines.append(mchain(ctx, (f"\\nabla^2_{{{w}}} {f}({w})", hessian_of(ref, var)), "=", (h, r.hessian)))
    if r.part.at:
        at = at_lines(r.part, tex, f, _matrix(r.value), problem.shapes.variables, form=ref, ctx=ctx)
        at += at_lines(r.part, tex, f"\\nabla {f}", _matrix(r.gradient_at), problem.shapes.variables,
                       form=gradient_of(ref, var), ctx=ctx)
        if r.hessian_at is not None:
            at += at_lines(r.part, tex, f"\\nabla^2 {f}", _matrix(r.hessian_at), problem.shapes.variables,
                           form=hessian_of(ref, var), ctx=ctx)
        model = mchain(ctx, (f"{f}({w})", ref), "≈", (tex(r.polynomial), r.polynomial))
    else:
        there = {var.name: p}  # read at w = w_0

        def line(left: str, left_form: Node, right: Node) -> Any:
            return mchain(ctx, (left, left_form), "=", (latex(right), right), where=there)
        at = [line(f"{f}({w0})", ref, _at(_body(problem, f), var, p)),
              line(f"\\nabla {f}({w0})", gradient_of(ref, var), _at(r.gradient, var, p))]  # type: ignore[arg-type]
        if r.hessian is not None:
            at.append(line(f"\\nabla^2 {f}({w0})", hessian_of(ref, var), _at(r.hessian, var, p)))
        model = mchain(ctx, (f"{f}({w})", ref), "≈", (latex(r.polynomial), r.polynomial))
    return {"convention": convention(tex, problem), "intro": taylor_intro(r.order, False, r.order == 2, tex.words),
            "groups": groups, "general": {"hessian": h, "lines": lines, "f": f}, "at_lines": at,
            "answer": [general_line, model], "answer_short": [model], "estimate_lines": [], "estimate_intro": None,
            "estimate_exact": None}


def _body(problem: Any, name: str) -> Node:
    return problem.functions[name].exprs[0]


__all__ = ["read", "derive", "present", "MatrixTaylorResult"]
