"""Closed forms of ∇L = 0 when the gradient is affine in the variable (least squares, ridge,
a quadratic form): ∇L(w) = H w − c with H constant, so the critical point is

    H w = c   ⇒   w* = H⁻¹ c,   provided H is invertible

(ridge: (XᵀX + λI) w = Xᵀy, w* = (XᵀX + λI)⁻¹ Xᵀy). H is the Jacobian of the gradient (the
Hessian), c = −∇L(0); a numeric factor shared by H and c is cancelled, as a TA would. Every
form is checked on random concrete sizes: ∇L(w) = H w − c for all w, and ∇L(w*) = 0 where H
is invertible. A gradient that is not affine is ``NotAffine``, never a guess.

``asks/critical.py`` (the scalar critical-point ask) hands a shaped part here.
"""

from __future__ import annotations

from math import gcd

import sympy as sp

from solgen.math.record import record
from solgen.math import shaped_build as b
from solgen.math.shaped import Add, Mul, Node, Num, Ref, Sym, latex, text
from solgen.derive.shaped_check import Draw, check_equal
from solgen.derive.shaped_diff import Differ, Unsupported, has, rebuild


class NotAffine(Unsupported):
    """The gradient is not of the form H w − c with H constant."""


@record
class AffineSolution:
    """∇L = 0 ⇔ ``matrix`` w = ``rhs`` ⇒ w* = ``solution``, when ``matrix`` is invertible."""

    gradient: Node  # ∇L(w)
    matrix: Node  # H (a shared numeric factor cancelled)
    rhs: Node  # c
    solution: Node  # inv(H) c
    factor: sp.Rational  # ∇L = factor (H w - c), with the scalar factors ``common``

    def equations(self, var: Sym) -> list[str]:
        """The TA's lines, in LaTeX: ∇L = 0, H w = c, w* = H^{-1} c."""
        return [f"{latex(self.gradient)} = 0", f"{latex(b.mul(self.matrix, var))} = {latex(self.rhs)}",
                f"{latex(var)}^* = {latex(self.solution)}"]

    def condition(self) -> str:
        """What must hold, in solgen's grammar: H is invertible."""
        return text(self.matrix)


def _at_zero(node: Node, var: Sym) -> Node:
    def swap(n: Node) -> Node | None:
        if isinstance(n, Sym) and n.name == var.name:
            return b.zeros(var.shape)
        if isinstance(n, Ref) and has(n, var.name):
            return rebuild(n.body, swap)
        return None

    return rebuild(node, swap)


def _terms(node: Node) -> list[tuple[sp.Rational, list[Node], list[Node]]]:
    """Each term as (number, scalar factors, the rest)."""
    out = []
    for t in node.terms if isinstance(node, Add) else (node,):
        factors = t.factors if isinstance(t, Mul) else (t,)
        coeff, scalars, rest = sp.Integer(1), [], []
        for f in factors:
            if isinstance(f, Num) and f.is_scalar:
                coeff *= f.value
            elif f.is_scalar:
                scalars.append(f)
            else:
                rest.append(f)
        out.append((coeff, scalars, rest))
    return out


def _cancel(*nodes: Node) -> tuple[sp.Rational, list[Node], list[Node]]:
    """The factor every term of every node shares (an integer gcd and common scalars such as
    1/m), and the nodes divided by it: 2 X^T X + 2 lambda I and 2 X^T y share 2."""
    split = [_terms(n) for n in nodes]
    flat = [t for terms in split for t in terms]
    g = 0
    if all(c.is_Integer for c, _, _ in flat):
        for c, _, _ in flat:
            g = gcd(g, abs(int(c)))
    k = sp.Integer(g or 1)
    common = [f for f in flat[0][1] if all(f in sc for _, sc, _ in flat)] if flat else []
    out = []
    for terms in split:
        parts = [b.mul(b.num(c / k), *[f for f in sc if f not in common], *rest) for c, sc, rest in terms]
        out.append(b.add(*parts))
    return k, common, out


def solve_affine_gradient(differ: Differ, gradient: Node, all_draws: list[Draw]) -> AffineSolution:
    """The closed form of ∇L(w) = 0 for ``gradient`` = ∇L(w) affine in ``differ.var``."""
    var = differ.var
    if not var.is_vector:
        raise NotAffine(f"the closed form is for a vector variable; {var.name} is a matrix")
    step = differ.d(gradient)
    hessian = differ.coefficient(step.result, transpose=False)
    if has(hessian, var.name):
        raise NotAffine(f"the gradient {text(gradient)} is not affine in {var.name} (its Hessian {text(hessian)} "
                        f"depends on {var.name}); there is no closed form")
    rhs = b.neg(_at_zero(gradient, var))
    if not check_equal(gradient, b.sub(b.mul(hessian, var), rhs), all_draws):
        raise NotAffine(f"the gradient {text(gradient)} is not affine in {var.name}")
    k, common, (matrix, c) = _cancel(hessian, rhs)
    solution = b.mul(b.call("inv", matrix), c)
    swapped = rebuild(gradient, lambda n: solution if isinstance(n, Sym) and n.name == var.name else
                      (rebuild(n.body, lambda m: solution if isinstance(m, Sym) and m.name == var.name else None)
                       if isinstance(n, Ref) and has(n, var.name) else None))
    if not check_equal(swapped, b.zeros(var.shape), all_draws):  # the gradient vanishes there (H invertible on the draws)
        raise ArithmeticError(f"the closed form {text(solution)} does not solve {text(gradient)} = 0")  # a bug
    if not check_equal(gradient, b.mul(Num(k), *common, b.sub(b.mul(matrix, var), c)), all_draws):
        raise ArithmeticError("the scaled normal equations differ from the gradient")  # a bug
    return AffineSolution(gradient, matrix, c, solution, k)  # common scalars (1/m) cancelled as k is


__all__ = ["AffineSolution", "NotAffine", "solve_affine_gradient"]
