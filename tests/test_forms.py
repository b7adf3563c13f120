"""The TA's form (DESIGN.md, "How an answer reads"): groupings from the source stay,
numeric factors cancel, quotient-rule results cancel their common factor, and every
step still equals sympy.diff of its expression."""

from __future__ import annotations

import sympy as sp

from conftest import ROOT, solved
from solgen.derive.calculus import solve
from solgen.input.problem import parse_problem
from solgen.math.printer import latex

P81 = str(ROOT / "problems" / "8.1.yaml")


def _derivation(path: str, ask: str, of: str):
    return next(d for d in solved(path).derivations if d.part.ask == ask and d.part.of == of)


def _solve(functions: str, ask: str = "gradient", variables: str = "[x1, x2]"):
    text = f"id: t\nvariables: {variables}\nfunctions:\n{functions}\nparts:\n  - {{id: a, ask: {ask}, of: f}}\n"
    return solve(parse_problem(text)).derivations[0]


def test_rosenbrock_gradient_keeps_the_source_groupings():
    grad = [latex(e) for e in _derivation(P81, "gradient", "f").answer]
    assert grad == [r"-400 x_1 (x_2 - x_1^2) - 2 (1 - x_1)", r"200 (x_2 - x_1^2)"]


def test_rosenbrock_hessian_at_the_minimiser():
    hess = next(d for d in solved(P81).derivations if d.part.ask == "hessian" and d.part.at)
    assert hess.value == [[802, -400], [-400, 200]]


def test_numeric_factors_cancel():
    grad = [latex(e) for e in _derivation(P81, "gradient", "q").answer]
    assert grad == [r"a_{11} x_1 + a_{12} x_2 + b_1", r"a_{12} x_1 + a_{22} x_2 + b_2"]


def test_a_whole_number_times_a_sum_stays_grouped():
    d = _solve('  f: "3 (x1 + x2)^2"')
    assert [latex(e) for e in d.answer] == [r"6 (x_1 + x_2)", r"6 (x_1 + x_2)"]


def test_quotient_second_derivative_cancels_the_common_factor():
    hess = _derivation(P81, "hessian", "r")
    assert latex(hess.answer[1][1]) == r"-\frac{2 x_1 (1 - 3 x_2^2)}{(1 + x_2^2)^3}"
    x1, x2 = sp.symbols("x1 x2", real=True)
    assert sp.simplify(hess.answer[1][1] - sp.diff(x1 / (1 + x2**2), x2, 2)) == 0


def test_quotient_numerator_leads_with_a_positive_term():
    d = _solve('  f: "x / (x^2 + y^2)"', variables="[x, y]")
    assert latex(d.answer[0]) == r"\frac{y^2 - x^2}{(x^2 + y^2)^2}"



def _answer_lines(path):
    from conftest import view

    for q in view(path)["questions"]:
        for part in q["parts"]:
            yield from (str(x) for x in (part.get("answer") or []) + (part.get("answer_short") or []))
            yield from (str(x) for x in ((part.get("general") or {}).get("lines") or []))


def test_a_matrix_too_wide_for_the_line_is_stacked_not_shrunk():
    from conftest import PROBLEMS
    from solgen.math.printer import matrix
    from solgen.present.view import LINE, width

    p41 = str(ROOT / "problems" / "4.1.yaml")
    hess = next(d for d in solved(p41).derivations if d.part.ask == "hessian")
    assert width(matrix([[latex(e) for e in row] for row in hess.answer])) > LINE  # it would not fit
    lines = list(_answer_lines(p41))
    assert any(line.startswith(r"\nabla_x^2 f(x) = \begin{bmatrix} h_{11} & h_{12} & 0 & h_{14}") for line in lines)
    assert any(line.startswith("h_{11} = ") for line in lines) and not any(line.startswith("h_{21}") for line in lines)
    for path in PROBLEMS:  # no problem's answer has a matrix wider than the line
        for line in _answer_lines(str(path)):
            if "bmatrix" in line:
                assert width(line) <= LINE, (path.name, line[:80])


def test_the_slides_answer_frame_may_break_onto_a_second_frame():
    from conftest import rendered

    tex = rendered(str(ROOT / "problems" / "4.1.yaml"), "tex", "slides")
    assert r"\begin{frame}[allowframebreaks]{(b)" in tex
