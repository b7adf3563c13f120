"""Problem 1.2 reads as the seed deck does: its answers, in its notation and term order."""

from __future__ import annotations

import re

import sympy as sp

from conftest import ROOT, rendered, solved, view
from solgen.math.printer import latex

P12 = str(ROOT / "problems" / "1.2.yaml")


def _norm(tex: str) -> str:
    """Compare LaTeX modulo spacing: the seed writes `2x_1`, we write `2 x_1`."""
    return re.sub(r"\s+", "", tex)


def _part(ask: str):
    return next(d for d in solved(P12).derivations if d.part.ask == ask)


def test_gradient_entries_in_seed_order():
    grad = _part("gradient").answer
    assert [_norm(latex(e)) for e in grad] == [
        _norm(r"2x_1 + x_2 e^{x_1 x_2}"),
        _norm(r"x_1 e^{x_1 x_2} + \frac{2}{x_2}"),
    ]


def test_hessian_entries_in_seed_order():
    hess = _part("hessian").answer
    assert [[_norm(latex(e)) for e in row] for row in hess] == [
        [_norm(r"2 + x_2^2 e^{x_1 x_2}"), _norm(r"e^{x_1 x_2} + x_1 x_2 e^{x_1 x_2}")],
        [_norm(r"e^{x_1 x_2} + x_1 x_2 e^{x_1 x_2}"), _norm(r"x_1^2 e^{x_1 x_2} - \frac{2}{x_2^2}")],
    ]


def test_answers_equal_sympy():
    x1, x2 = solved(P12).problem.variables
    f = x1**2 + sp.exp(x1 * x2) + 2 * sp.log(x2)
    grad = _part("gradient").answer
    hess = _part("hessian").answer
    assert all(sp.simplify(a - sp.diff(f, v)) == 0 for a, v in zip(grad, (x1, x2)))
    expected = sp.hessian(f, (x1, x2))
    assert all(sp.simplify(hess[i][j] - expected[i, j]) == 0 for i in range(2) for j in range(2))


def test_jacobian_of_gradient_is_the_hessian():
    jac = _part("jacobian")
    assert jac.equals_hessian is True
    assert jac.answer == _part("hessian").answer
    assert r"= \nabla_x^2 f(x)" in rendered(P12, "tex")


def test_taylor_at_point_matches_sympy_series():
    d = _part("taylor")
    x1, x2 = solved(P12).problem.variables
    f = x1**2 + sp.exp(x1 * x2) + 2 * sp.log(x2)
    # second-order Taylor polynomial around (0, 1), computed independently
    a = {x1: 0, x2: 1}
    g = [sp.diff(f, v).subs(a) for v in (x1, x2)]
    h = sp.hessian(f, (x1, x2)).subs(a)
    dx = sp.Matrix([x1 - 0, x2 - 1])
    expected = f.subs(a) + (sp.Matrix([g]) * dx)[0] + (dx.T * h * dx)[0] / 2
    assert sp.expand(d.polynomial - expected) == 0
    assert d.hessian_at == ((3, 1), (1, -2))


def test_directional_trends():
    d = _part("directional")
    assert {r.name: r.trend for r in d.readings} == {"d1": "increase", "d2": "decrease", "d3": "constant"}


def test_handout_shows_seed_notation():
    tex = rendered(P12, "tex")
    for needle in (r"\frac{\partial f}{\partial x_1}", r"\begin{bmatrix}", r"e^{x_1 x_2}", r"\log(x_2)"):
        assert needle in tex
    assert r"\left(x_2\right)" not in tex and "x_{1}" not in tex
    # the order in which a reader meets the parts is the file's order ((h): the figure of the
    # seed's gradient slide, the gradient field with the tangent)
    assert [q["id"] for q in view(P12)["questions"]] == ["a", "b", "c", "d", "g", "h"]


def test_text_answer_rendered_with_math():
    tex = rendered(P12, "tex")
    assert r"\[ g(x + \epsilon) \approx g(x) + \nabla_x g(x) \epsilon \]" in tex
