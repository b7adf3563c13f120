"""``critical`` of a function of a vector variable whose gradient is affine in it (least
squares, ridge, a quadratic form): ∇L = 0 solved in matrix form, as a TA writes it,

    2 Xᵀ(X w − y) + 2 λ w = 0
    2 XᵀX w + 2 λ w = 2 Xᵀy            (multiply out, the terms without w to the right)
    (XᵀX + λI) w = Xᵀy                 (divide by 2: the normal equations)
    w* = (XᵀX + λI)⁻¹ Xᵀy              (provided XᵀX + λI is invertible)

The closed form is ``solgen/derive/shaped_solve.py``'s; every displayed equality is checked on
random concrete sizes (the gradient equals each side moved over, and vanishes at w*). A
gradient that is not affine is an error at the part's line. ``asks/critical.py`` hands a
part here when the file has ``shapes:``.
"""

from __future__ import annotations

from typing import Any

from solgen.math.record import record
from solgen.asks.base import Entry, Result
from solgen.errors import CheckError, DeriveError, SpecError
from solgen.math import shaped_build as b
from solgen.asks.shaped import _group, _named, convention, engine_for
from solgen.math.shaped import Add, Node, Num, latex, shape_text, text
from solgen.derive.shaped_check import check_equal
from solgen.derive.shaped_solve import NotAffine, _at_zero, _cancel, solve_affine_gradient
from solgen.asks.shaped import _ref, read_gradient
from solgen.asks.shaped_formula import context, mchain


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    shaped = ctx["shaped"]
    node = ctx["functions"][kw["of"]].exprs[0]
    if not node.is_scalar:
        raise SpecError(f"part ({pid}): critical points are of a scalar function; {kw['of']} is {shape_text(node.shape)}",
                        data.key_lines.get("of", data.line))
    if len(shaped.variables) > 1:
        raise SpecError(f"part ({pid}): with vectors, critical points are solved in one variable; this file has "
                        f"{', '.join(v.name for v in shaped.variables)}", data.line)
    if not shaped.variable.is_vector:
        raise SpecError(f"part ({pid}): the closed form of the critical point needs a vector variable; "
                        f"{shaped.variable.name} is a matrix", data.line)
    if "subject_to" in data:
        raise SpecError(f"part ({pid}): 'subject_to' is for scalar variables; with vectors, critical solves "
                        "grad f = 0 without constraints", data.key_lines["subject_to"])


@record
class MatrixCriticalResult(Result):
    ANSWER = "solution"
    gradient: Node | None = None  # ∇L(w)
    hessian: Node | None = None  # ∇²L, constant
    moved: tuple[Node, Node] | None = None  # H w = c before the common factor is cancelled
    factor: Node | None = None  # that factor (2, 2/m); None when it is 1
    normal: tuple[Node, Node] | None = None  # the normal equations: matrix w = rhs
    solution: Node | None = None  # w* = inv(matrix) rhs
    matrix: Node | None = None  # the matrix that must be invertible

    @property
    def answer(self) -> Any:  # a tree: JSON writes it in solgen's grammar, inv(X^T X + lamda eye(d)) X^T y
        return self.solution

    def json_fields(self) -> dict[str, Any]:
        said = lambda n: text(n, py_names=True) if n is not None else None  # noqa: E731  (lamda, as in "symbols")
        return {"gradient": self.gradient, "hessian": self.hessian,
                "normal_equations": f"{said(self.normal[0])} = {said(self.normal[1])}" if self.normal else None,
                "invertible": said(self.matrix)}


def _expanded(matrix: Node, var: Node) -> Node:
    """H w multiplied out: (2 XᵀX + 2 λI) w as 2 XᵀX w + 2 λ w."""
    terms = matrix.terms if isinstance(matrix, Add) else (matrix,)
    return b.add(*[b.mul(t, var) for t in terms])


def derive(engine: Any, part: Any) -> MatrixCriticalResult:
    m = engine_for(engine)
    var = m.var
    node = _named(engine, part)
    step, grad = m.gradient(node)
    try:
        sol = solve_affine_gradient(m.differ, grad, m.draws)
    except NotAffine as exc:
        raise DeriveError(f"{exc}: critical points of a function of vectors are solved when the gradient is affine "
                          f"(H {var.name} - c, as in least squares); write the variables as scalars otherwise") from None
    step2, hess = m.jacobian(grad)
    rhs0 = b.neg(_at_zero(grad, var))
    k, common, _ = _cancel(hess, rhs0)
    factor = b.mul(Num(k), *common) if common else b.num(k)
    lhs_moved = _expanded(hess, var)
    normal = (b.mul(sol.matrix, var), sol.rhs)
    draws = m.draws
    # each displayed line is the gradient moved over: grad = lhs - rhs, and lhs - rhs = factor (H w - c)
    if not check_equal(grad, b.sub(lhs_moved, rhs0), draws):
        raise CheckError(f"internal check failed: {text(lhs_moved)} = {text(rhs0)} is not {text(grad)} = 0 "
                         "(please report this problem file)")
    if not check_equal(grad, b.mul(factor, b.sub(normal[0], normal[1])), draws):
        raise CheckError(f"internal check failed: the normal equations {text(normal[0])} = {text(normal[1])} "
                         "(please report this problem file)")
    one = isinstance(factor, Num) and factor.value == 1
    return MatrixCriticalResult(part, (Entry((0,), step), Entry((1,), step2)), grad, hess, (lhs_moved, rhs0),
                                None if one else factor, normal, sol.solution, sol.matrix)


def present(r: MatrixCriticalResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, var = r.part.of, problem.shapes.variable
    ctx = context(problem)
    w = latex(var)
    g = latex(r.gradient)  # type: ignore[arg-type]
    read = {"depth": 0, "equation": read_gradient(ctx, f, _ref(problem, f), r.gradient, var),  # type: ignore[arg-type]
            "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
    group = _group(f"d{f}", r.entries[0].tree, tex, r.part, read, latex(r.entries[0].tree.result), ctx)  # type: ignore[arg-type]
    if group["seen_in"]:
        group["heading"] = f"\\nabla_{{{w}}} {f}({w})"
        group["result"] = g
    words = tex.words
    invertible = latex(r.matrix)  # type: ignore[arg-type]
    at = {var.name: r.solution}  # each line is an equation in w: it holds at w = w*

    def eq(a: Node, c: Node) -> Any:
        return mchain(ctx, (latex(a), a), "=", (latex(c), c), where=at)
    zero = mchain(ctx, (g, r.gradient), "=", ("0", b.zeros(var.shape)), where=at)
    moved = eq(*r.moved)  # type: ignore[misc]
    normal = eq(*r.normal)  # type: ignore[misc]
    solution = mchain(ctx, (f"{w}^*", var), "=", (latex(r.solution), r.solution), where=at)  # type: ignore[arg-type]
    blocks: list[dict[str, Any]] = [
        {"text": words("critical.matrix.system", f=f, var=w)},
        {"math": zero},
        {"text": words("critical.matrix.moved", var=w)},
        {"math": moved},
    ]
    if r.factor is not None:
        blocks.append({"text": words("critical.matrix.divide", value=latex(r.factor))})
    else:
        blocks.append({"text": words("critical.matrix.collect", var=w)})
    blocks.append({"math": normal})
    blocks.append({"text": words("critical.matrix.solution", expr=invertible)})
    blocks.append({"math": solution})
    answer = [normal, solution]
    return {"convention": convention(tex, problem), "groups": [group], "blocks": blocks, "lead": None,
            "answer": answer, "answer_short": answer}


__all__ = ["read", "derive", "present", "MatrixCriticalResult"]
