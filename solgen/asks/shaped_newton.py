"""``newton`` of a function of a vector variable whose gradient is affine in it (a quadratic:
least squares, ridge): the symbolic step from a point w₀,

    w₁ = w₀ − (∇²L)⁻¹ ∇L(w₀) = w₀ − H⁻¹ (H w₀ − c) = H⁻¹ c = w*

so one step lands on the critical point, from any start. Every displayed equality is
checked on random concrete sizes (with w₀ drawn too). ``asks/newton.py`` hands a part here
when the file has ``shapes:``; a gradient that is not affine is an error at the part.
"""

from __future__ import annotations

from typing import Any

from solgen.math.record import record
from solgen.asks.base import Entry, Result
from solgen.errors import CheckError, DeriveError, SpecError
from solgen.math import shaped_build as b
from solgen.asks.shaped import _group, _named, _paren, convention, engine_for
from solgen.math.shaped import Node, Sym, latex, text
from solgen.derive.shaped_check import check_equal
from solgen.asks.shaped_critical import read as read_critical
from solgen.derive.shaped_solve import NotAffine, solve_affine_gradient
from solgen.asks.shaped_taylor import _at
from solgen.asks.shaped import _ref, gradient_of, hessian_of, read_gradient, read_jacobian
from solgen.math.shaped import Grad
from solgen.asks.shaped_formula import context, mchain


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_critical(data, ctx, kw, pid)  # a scalar function of one vector variable
    for key, why in (("at", "the step is symbolic, from a point w_0"), ("decimals", "the step is symbolic"),
                     ("steps", "one step lands on the critical point")):
        if key in data and not (key == "steps" and data[key] == 1):
            raise SpecError(f"part ({pid}): with vectors, newton gives one step in matrix form ({why}); drop '{key}'",
                            data.key_lines.get(key, data.line))
    kw["steps"] = 1


@record
class MatrixNewtonResult(Result):
    ANSWER = "iterates"
    gradient: Node | None = None
    hessian: Node | None = None
    start: Node | None = None  # w_0
    step: Node | None = None  # w_0 - inv(H) grad L(w_0)
    cancelled: Node | None = None  # w_0 - inv(matrix) (matrix w_0 - c)
    landed: Node | None = None  # inv(matrix) c = w*

    @property
    def answer(self) -> Any:  # JSON: {"iterates": [{"w": "w_0"}, {"w": "inv(X^T X) X^T y"}]}
        name = self.start.name.rsplit("_", 1)[0] if self.start is not None else "w"  # type: ignore[union-attr]
        return {"iterates": [{name: self.start}, {name: self.landed}]}

    def json_fields(self) -> dict[str, Any]:
        return {"gradient": self.gradient, "hessian": self.hessian, "step": self.step}


def derive(engine: Any, part: Any) -> MatrixNewtonResult:
    m = engine_for(engine)
    var, shaped = m.var, engine.problem.shapes
    node = _named(engine, part)
    step, grad = m.gradient(node)
    step2, hess = m.jacobian(grad)
    try:
        sol = solve_affine_gradient(m.differ, grad, m.draws)
    except NotAffine as exc:
        raise DeriveError(f"{exc}: with vectors, newton gives the symbolic step of a quadratic (an affine gradient); "
                          "write the variables as scalars and give 'at' otherwise") from None
    name = f"{var.name}_0"
    taken = set(shaped.shapes) | set(shaped.sizes) | set(shaped.constants) | set(shaped.functions)
    while name in taken:
        name += "0"
    w0 = Sym(name, var.shape, "const")
    first = b.sub(w0, b.mul(b.call("inv", hess), _at(grad, var, w0)))
    cancelled = b.sub(w0, b.mul(b.call("inv", sol.matrix), b.sub(b.mul(sol.matrix, w0), sol.rhs)))
    landed = sol.solution
    draws = []
    for d in m.draws:  # w_0 drawn as w is (the lines do not contain w)
        env = dict(d.env)
        env[name] = [list(r) for r in env[var.name]]
        draws.append(type(d)(d.sizes, env, d.pick))
    if not (check_equal(first, cancelled, draws) and check_equal(cancelled, landed, draws)):
        raise CheckError(f"internal check failed: the Newton step {text(first)} = {text(landed)} "
                         "(please report this problem file)")
    return MatrixNewtonResult(part, (Entry((0,), step), Entry((1,), step2)), grad, hess, w0, first, cancelled, landed)


def present(r: MatrixNewtonResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, var = r.part.of, problem.shapes.variable
    ctx = context(problem)
    ref = _ref(problem, f)
    w, w0 = latex(var), latex(r.start)  # type: ignore[arg-type]
    g, h = latex(r.gradient), latex(r.hessian)  # type: ignore[arg-type]
    grad_of = f"\\nabla_{{{w}}} {f}"
    read1 = {"depth": 0, "equation": read_gradient(ctx, f, ref, r.gradient, var),  # type: ignore[arg-type]
             "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
    g1 = _group(f"d{f}", r.entries[0].tree, tex, r.part, read1, latex(r.entries[0].tree.result), ctx)  # type: ignore[arg-type]
    if g1["seen_in"]:
        g1["heading"], g1["result"] = f"{grad_of}({w})", g
    read2 = {"depth": 0, "equation": read_jacobian(ctx, f"d({grad_of})", r.gradient, r.hessian, var),  # type: ignore[arg-type]
             "reason": tex.words("matrix.read_hessian", f=f, var=w), "rule": "read_off"}
    g2 = _group(f"d({grad_of})", r.entries[1].tree, tex, r.part, read2, f"{_paren(h)} \\, d{w}", ctx)  # type: ignore[arg-type]
    if g2["seen_in"]:
        g2["heading"], g2["result"] = f"\\nabla^2_{{{w}}} {f}({w})", h
    words = tex.words
    # w_1 is the Newton step from w_0: each line says what it equals
    general = b.sub(r.start, b.mul(b.call("inv", hessian_of(ref, var)),  # type: ignore[arg-type]
                                   Grad(ref, var, var.shape, at=r.start)))
    w1 = f"{w}_1"
    step = mchain(ctx, (w1, r.step), "=", (f"{w0} - (\\nabla^2 {f})^{{-1}} \\nabla {f}({w0})", general), "=",
                  (latex(r.step), r.step))  # type: ignore[arg-type]
    cancelled = mchain(ctx, (w1, r.step), "=", (latex(r.cancelled), r.cancelled), "=",  # type: ignore[arg-type]
                       (latex(r.landed), r.landed))  # type: ignore[arg-type]
    blocks: list[dict[str, Any]] = [
        {"text": words("newton_matrix.step", f=f, point=w0)}, {"math": step},
        {"text": words("newton_matrix.cancel", f=f, point=w0)}, {"math": cancelled},
        {"text": words("newton_matrix.landed", f=f, point=w0)},
    ]
    answer = [mchain(ctx, (w1, r.step), "=", (latex(r.landed), r.landed))]  # type: ignore[arg-type]
    return {"convention": convention(tex, problem), "groups": [g1, g2], "blocks": blocks, "lead": None,
            "answer": answer, "answer_short": answer}


__all__ = ["read", "derive", "present", "MatrixNewtonResult"]
