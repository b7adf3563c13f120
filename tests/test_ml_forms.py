"""Problem 5.1, the logistic loss, reads as a TA writes it: e^{-(3w + b)} kept as written
(SymPy would print e^{-b - 3w}), quotient-rule numerators multiplied out and cancelled,
and a negative fraction after d/dw in parentheses."""

from __future__ import annotations

import re

import sympy as sp

from conftest import ROOT, rendered, solved
from solgen.math.tidy import tmul
from solgen.math.printer import latex

P51 = str(ROOT / "problems" / "5.1.yaml")
E = r"e^{-(3 w + b)}"


def _part(ask: str):
    return next(d for d in solved(P51).derivations if d.part.ask == ask)


def test_gradient_keeps_the_exponent_as_written():
    grad = [latex(e) for e in _part("gradient").answer]
    assert grad == [rf"-\frac{{3 {E}}}{{1 + {E}}} + w", rf"-\frac{{{E}}}{{1 + {E}}}"]


def test_hessian_is_cancelled_and_checks():
    hess = _part("hessian")
    assert [[latex(e) for e in row] for row in hess.answer] == [
        [rf"\frac{{9 {E}}}{{(1 + {E})^2}} + 1", rf"\frac{{3 {E}}}{{(1 + {E})^2}}"],
        [rf"\frac{{3 {E}}}{{(1 + {E})^2}}", rf"\frac{{{E}}}{{(1 + {E})^2}}"],
    ]
    w, b = sp.symbols("w b", real=True)
    loss = sp.log(1 + sp.exp(-(3 * w + b))) + w**2 / 2
    for i, u in enumerate((w, b)):
        for j, v in enumerate((w, b)):
            assert sp.simplify(hess.answer[i][j] - sp.diff(loss, u, v)) == 0


def test_negative_fraction_after_an_operator_is_parenthesised():
    md = rendered(P51, "md")
    assert rf"\frac{{\partial}}{{\partial w}} \left(-\frac{{3 {E}}}{{1 + {E}}}\right)" in md
    assert not re.search(r"\\partial w\} -\\frac", md)


def test_powers_of_e_of_one_sum_merge_without_distributing():
    w, b = sp.symbols("w b", real=True)
    e = sp.exp(sp.Mul(-1, sp.Add(3 * w, b, evaluate=False), evaluate=False))
    assert latex(tmul(e, e)) == r"e^{-2 (3 w + b)}"
    assert tmul(e, 1 / e) == 1
    assert latex(tmul(3, w, e)) == rf"3 w {E}"
    assert sp.simplify(tmul(e, e, w) - w * sp.exp(-2 * (3 * w + b))) == 0


def test_taylor_refers_back_to_steps_shown_as_fully_before():
    """(b) shows the Hessian's steps at standard detail and (d) asks for the same detail:
    (d) says "derived in (b)" instead of repeating them (and "derived in (a)" for the
    gradient, shown in full there)."""
    md = rendered(P51, "md")
    taylor = md[md.index("## (d)"):]
    assert "The derivatives already found in (a) and (b) are not derived again." in taylor
    assert "(derived in" not in taylor and "(quotient rule)" not in taylor


def test_taylor_answer_is_right_and_in_the_variables_order():
    """Products print in the problem's variable order, [w, b]: `w b`, not SymPy's `b w`."""
    w, b = sp.symbols("w b", real=True)
    loss = sp.log(1 + sp.exp(-(3 * w + b))) + w**2 / 2
    at = {w: 0, b: 0}
    grad = [sp.diff(loss, v).subs(at) for v in (w, b)]
    hess = sp.hessian(loss, (w, b)).subs(at)
    eps = sp.Matrix([w, b])
    expected = loss.subs(at) + (sp.Matrix([grad]) * eps)[0] + (eps.T * hess * eps)[0] / 2
    taylor = _part("taylor")
    assert sp.simplify(taylor.polynomial - expected) == 0
    # the problem writes 0.5 w^2, so its numbers print as decimals (issue 10, item 11)
    assert r"L(w, b) \approx \log(2) - 1.5 w - 0.5 b + 1.625 w^2 + 0.75 w b + 0.125 b^2" in rendered(P51, "md")


def test_sigmoid_is_named_and_differentiated_as_an_ml_course_writes_it(tmp_path):
    """σ'(u) = σ(u)(1 - σ(u)), not exponentials; JSON still reads back to the same value."""
    import json

    from click.testing import CliRunner

    from solgen.cli import main

    src = tmp_path / "s.yaml"
    src.write_text('id: "s"\nvariables: [w, b]\nfunctions:\n  p: "sigmoid(3w + b)"\nparts:\n'
                   "  - {id: a, ask: gradient, of: p}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "md", "--format", "json", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "o" / "s.md").read_text()
    assert (r"\frac{\partial}{\partial w} \sigma(3 w + b) = \sigma(3 w + b) (1 - \sigma(3 w + b)) \cdot 3 = 3 \sigma(3 w + b) (1 - \sigma(3 w + b))$"
            r" ($\sigma'(u) = \sigma(u)(1 - \sigma(u))$; chain rule with $u = 3 w + b$)") in md
    assert r"3 \sigma(3 w + b) (1 - \sigma(3 w + b))" in md and "e^{" not in md
    (part,) = json.loads((tmp_path / "o" / "s.json").read_text())["parts"]
    w, b = sp.symbols("w b")
    got = sp.sympify(part["result"][0]).subs({w: sp.Rational(3, 10), b: sp.Rational(-1, 5)})
    u = sp.Rational(9, 10) - sp.Rational(1, 5)
    assert abs(sp.N(got - 3 * sp.exp(-u) / (1 + sp.exp(-u)) ** 2)) < 1e-12
