"""Presentation options a TA sets per file or per part: detail, simplify, log notation."""

from __future__ import annotations

import sympy as sp

from solgen.derive.calculus import solve
from solgen.formats.templates import render
from solgen.input.problem import parse_problem
from solgen.present.view import build_view

BASE = """id: t
variables: [x1, x2]
{options}
functions:
  f: "x1^2 + exp(x1*x2) + 2*log(x2)"
parts:
  - {{id: a, ask: hessian, of: f{part}}}
"""


def md(options: str = "", part: str = "") -> str:
    problem = parse_problem(BASE.format(options=options, part=part))
    return render(build_view(solve(problem)), "md")


def test_factor_adds_a_step_with_the_common_factor_pulled_out():
    out = md(part=", simplify: factor")
    assert r"= \begin{bmatrix} 2 + x_2^2 e^{x_1 x_2} & e^{x_1 x_2} (1 + x_1 x_2) \\" in out
    assert "e^{x_1 x_2} (1 + x_1 x_2)" not in md()


def test_factored_form_is_equal():
    from solgen.math.tidy import factor_common

    x1, x2 = sp.symbols("x1 x2")
    e = sp.Add(3 * x1**2 * x2, 6 * x1 * x2**2, evaluate=False)
    assert sp.expand(factor_common(e) - e) == 0


def test_ln_notation_by_option():
    assert r"\ln(x_2)" in md(options="options: {log: ln}")
    assert r"\ln" not in md() and r"\log(x_2)" in md()


def test_detail_levels():
    full, standard, answer = md(part=", detail: full"), md(part=", detail: standard"), md(part=", detail: answer")
    assert md() == standard  # the short derivation a TA writes is the default
    assert "(the variable itself)" in full and "(sum rule: term by term)" in full
    assert "(chain rule with $u = x_1 x_2$)" in standard and "(the variable itself)" not in standard
    assert "rule" not in answer and r"\begin{bmatrix}" in answer
    assert full.count("\n") > standard.count("\n") > answer.count("\n")


def test_decimals_round_numbers_and_keep_values_with_constants_exact():
    text = (
        'id: "d"\nvariables: [x1, x2]\nfunctions:\n  f: "a*x1 + exp(x2)"\n  g: "x1^2 + exp(x2)"\nparts:\n'
        "  - {id: a, ask: evaluate, of: f, at: {x1: 1, x2: 0}, decimals: 3}\n"
        '  - {id: b, ask: evaluate, of: grad g, at: {x1: 1, x2: "1/3"}, decimals: 4}\n'
        "  - {id: c, ask: evaluate, of: g, at: {x1: 999, x2: 999}, decimals: 3}\n"
    )
    out = render(build_view(solve(parse_problem(text))), "md")
    assert "f(1, 0) = 1 + a" in out  # a constant cannot be rounded: the exact value, not a crash
    assert r"\approx \begin{bmatrix} 2.0000 \\ 1.3956 \end{bmatrix}" in out  # e^{1/3} = 1.39561...
    assert "g(999, 999) = 998001 + e^{999}" in out and "inf" not in out


def test_decimals_written_as_decimals_stay_decimals():
    decimal = parse_problem('id: "d"\nvariables: [x]\nfunctions:\n  f: "0.1 x^2 + x/3"\nparts:\n  - {id: a, ask: gradient, of: f}\n')
    out = render(build_view(solve(decimal)), "md")
    assert "0.2 x" in out and r"\frac{1}{10}" not in out
    assert r"\frac{1}{3}" in out  # 1/3 has no decimal that ends: it stays a fraction
    fraction = parse_problem('id: "d"\nvariables: [x]\nfunctions:\n  f: "x^2/10"\nparts:\n  - {id: a, ask: gradient, of: f}\n')
    assert r"\frac{1}{5} x" in render(build_view(solve(fraction)), "md")  # fractions as written
