"""A function of the file used by another keeps its name (DESIGN.md, "How an answer
reads"): the chain rule goes through it by name, known derivatives are named (sigma' =
sigma(1 - sigma), softmax s_i(delta_ij - s_j)), the answers read as a TA writes them, and
every step still equals sympy.diff of the definitions."""

from __future__ import annotations

import json

import sympy as sp

from conftest import ROOT, rendered, solved
from solgen.derive import rules as R
from solgen.derive.calculus import solve
from solgen.derive.check import equal, verify
from solgen.input.problem import parse_problem
from solgen.math.named import Named, unfold
from solgen.math.printer import latex

LOGISTIC = """id: lg
variables: [w, b]
constants: [x, y]
functions:
  L: "-(y*log(p) + (1 - y)*log(1 - p))"
  p: "sigmoid(w*x + b)"
parts:
  - {id: a, ask: gradient, of: L}
  - {id: b, ask: hessian, of: L}
  - {id: c, ask: hessian, of: L, at: {w: 0, b: 0}}
"""


def _solve(text: str):
    return solve(parse_problem(text))


def _tex(rows):
    return [[latex(e) for e in row] if isinstance(row, list) else latex(row) for row in rows]


def test_logistic_answers_keep_p():
    sol = _solve(LOGISTIC)  # p is defined after L uses it
    grad, hess, at = sol.derivations
    assert _tex(grad.answer) == [r"x (p - y)", r"p - y"]
    assert _tex(hess.answer) == [[r"x^2 p (1 - p)", r"x p (1 - p)"], [r"x p (1 - p)", r"p (1 - p)"]]
    x = sp.Symbol("x", real=True)
    assert at.value == [[x**2 / 4, x / 4], [x / 4, sp.Rational(1, 4)]]  # p(0, 0) = sigma(0) = 1/2


def test_the_chain_rule_goes_through_p_by_name():
    grad = _solve(LOGISTIC).derivations[0]
    nodes = list(grad.entries[0].tree.walk())
    chains = [n for n in nodes if isinstance(n, R.ChainRule) and isinstance(n.inner, Named)]
    named = [n for n in nodes if isinstance(n, R.NamedRule)]
    assert chains and named
    assert latex(named[0].result) == r"x p (1 - p)"
    assert isinstance(named[0].step.result, sp.Expr) and not named[0].step.result.has(Named)


def test_every_step_equals_sympy_diff_of_the_definitions():
    w, b, x, y = sp.symbols("w b x y", real=True)
    explicit = -(y * sp.log(1 / (1 + sp.exp(-(w * x + b)))) + (1 - y) * sp.log(1 - 1 / (1 + sp.exp(-(w * x + b)))))
    grad = _solve(LOGISTIC).derivations[0]
    for entry, var in zip(grad.entries, (w, b)):
        assert verify(entry.tree) == []
        assert equal(entry.tree.result, sp.diff(explicit, var))


def test_a_wrong_named_derivative_is_caught():
    grad = _solve(LOGISTIC).derivations[0]
    node = next(n for n in grad.entries[0].tree.walk() if isinstance(n, R.NamedRule))
    wrong = R.NamedRule(node.expr, node.var, definition=node.definition, step=node.step, named=node.named * 2)
    assert verify(wrong) == [wrong]


def test_softmax_jacobian_and_cross_entropy_gradient():
    sol = solved(str(ROOT / "problems" / "9.2.yaml"))
    jac, grad, hess = sol.derivations
    assert _tex(jac.answer) == [
        [r"s_1 (1 - s_1)", r"-s_1 s_2", r"-s_1 s_3"],
        [r"-s_1 s_2", r"s_2 (1 - s_2)", r"-s_2 s_3"],
        [r"-s_1 s_3", r"-s_2 s_3", r"s_3 (1 - s_3)"],
    ]
    assert _tex(grad.answer) == [r"s_1 - 1", r"s_2", r"s_3"]  # s - y for y = e_1
    assert hess.answer == jac.answer
    softmax = [n for e in jac.entries for n in e.tree.walk() if isinstance(n, R.NamedRule)]
    assert softmax and all(n.kind == "softmax" for n in softmax)


def test_two_example_logistic_reads_per_example():
    sol = solved(str(ROOT / "problems" / "9.1.yaml"))
    grad, hess = sol.derivations[:2]
    assert _tex(grad.answer) == [r"p_1 - y_1 - 2 (p_2 - y_2)", r"p_1 - y_1 + p_2 - y_2"]
    assert _tex(hess.answer)[0] == [r"p_1 (1 - p_1) + 4 p_2 (1 - p_2)", r"p_1 (1 - p_1) - 2 p_2 (1 - p_2)"]


def test_the_question_defines_p_first_and_the_handout_names_the_rule():
    md = rendered(str(ROOT / "problems" / "9.2.yaml"), "md")
    assert r"$s_1(z_1, z_2, z_3) = \frac{e^{z_1}}{e^{z_1} + e^{z_2} + e^{z_3}}$ and $L(z_1, z_2, z_3) = -\log(s_1)$" in md
    assert r"softmax: $\frac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j)$" in md
    tex = rendered(str(ROOT / "problems" / "9.1.yaml"), "tex")
    assert r"by the definition $p_1 = \sigma(w + b)$" in tex


def test_json_results_use_the_names_the_json_defines(tmp_path):
    from solgen.formats.json import to_json

    data = json.loads(to_json(solved(str(ROOT / "problems" / "9.1.yaml"))))
    assert set(data["functions"]) >= {"p1", "p2", "L"}
    p1, p2, y1, y2 = sp.symbols("p1 p2 y1 y2")
    assert sp.simplify(sp.sympify(data["parts"][0]["result"][1]) - (p1 - y1 + p2 - y2)) == 0


def test_the_hessian_of_p_itself_is_said_with_p():
    sol = _solve("id: np\nvariables: [x1, x2]\nfunctions:\n  p: \"sigmoid(x1*x2)\"\n  L: \"log(p)\"\n"
                 "parts:\n  - {id: a, ask: hessian, of: p}\n")
    (hess,) = sol.derivations
    assert _tex(hess.answer) == [
        [r"x_2^2 p (1 - p) (1 - 2 p)", r"p (1 - p) (1 + x_1 x_2 - 2 x_1 x_2 p)"],
        [r"p (1 - p) (1 + x_1 x_2 - 2 x_1 x_2 p)", r"x_1^2 p (1 - p) (1 - 2 p)"],
    ]
    x1, x2 = sp.symbols("x1 x2", real=True)
    explicit = 1 / (1 + sp.exp(-x1 * x2))
    for i, u in enumerate((x1, x2)):
        for j, v in enumerate((x1, x2)):
            assert equal(hess.answer[i][j], sp.diff(explicit, u, v))
