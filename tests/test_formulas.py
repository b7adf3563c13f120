"""Every step line a document shows is a Formula whose sides are checked (issue 18).

A step line ``d/dx (u v) = [d/dx u] v + u [d/dx v] = result`` is printed from the same
pieces its forms are built from (present/view.py), so a middle form that is wrong on paper is
wrong in its forms too, and ``present.formula.check`` stops the render before anything is
written. These tests read the lines a user sees: every one of them carries its sides, each
side reads back through ``sympify``, each ``=`` holds, and each line's LaTeX is in the .tex.
"""

from __future__ import annotations

import random
from typing import Any, Iterator

import pytest
import sympy as sp
from click.testing import CliRunner

from conftest import ROOT, view

from solgen.cli import main
from solgen.derive.check import false_relation
from solgen.errors import CheckError
from solgen.formats.json import expr_text
from solgen.present import view as view_mod
from solgen.present.formula import Formula, check

# One problem per kind of step a TA writes: 1.2 (sums, products, chain, log, power), a
# quotient (7.1), chains through long inner functions (8.1, neuron), products
# (stewart-one-variable), the file's named functions (9.1: p_i = sigma(...), 9.2: softmax).
PROBLEM_FILES = ["1.2.yaml", "7.1.yaml", "8.1.yaml", "neuron.yaml", "stewart-one-variable.yaml", "9.1.yaml", "9.2.yaml"]

# Every rule of derive/rules.py at full detail (x^x: logarithmic differentiation; p: a named
# function of the file; erf: a known derivative), then the short lines of a Hessian.
RULES_FILE = """id: rules
variables: [x, y]
assume: {x: positive, y: positive}
functions:
  f: "x^x + sin(x*y)/(1 + y^2) + x*exp(y)*log(x) + atan(x*y) + 3^x + cosh(y)*sqrt(x) + erf(x) + 5*tan(y) + asinh(x)"
  p: "sigmoid(x - y)"
  g: "p*(1 - p) + x*p"
parts:
  - {id: a, ask: gradient, of: f, detail: full}
  - {id: b, ask: gradient, of: g, detail: full}
  - {id: c, ask: hessian, of: f, detail: standard}
"""

# Rules whose full step line shows how the rule computes the result (lhs = middle = result).
WITH_MIDDLE = {"constant_multiple", "power", "product", "quotient", "chain", "log_diff"}


def step_lines(value: Any) -> Iterator[dict[str, Any]]:
    """Every step line of a view (handout lines, slide frames), each once."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if "rule" in v and "equation" in v and id(v) not in seen:
                seen.add(id(v))
                yield v
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def numbers(expr: Any, point: dict[sp.Symbol, sp.Expr]) -> Any:
    value = expr.doit() if isinstance(expr, sp.Basic) else expr
    return complex(sp.N(value.subs(point), 30))


def read_back(form: Any) -> Any:
    """A form as the tree writes it, read back the way a reader of the tree does."""
    return sp.sympify(expr_text(form))


def assert_lines_hold(doc: dict[str, Any]) -> list[dict[str, Any]]:
    lines = list(step_lines(doc))
    assert lines
    for line in lines:
        eq = line["equation"]
        assert isinstance(eq, Formula), (line["rule"], eq)
        assert len(eq.forms) >= 2 and all(f is not None for f in eq.forms), eq
        assert set(eq.relations) == {"="}, eq
        assert eq.tex.count(" = ") >= len(eq.relations)
        assert false_relation(eq.forms, eq.relations, eq.where) is None, eq
    return lines


@pytest.mark.parametrize("name", PROBLEM_FILES)
def test_every_step_line_of_a_problem_is_a_formula_that_holds(name):
    doc = view(str(ROOT / "problems" / name))
    assert_lines_hold(doc)
    assert check(doc) > 0


def test_every_rule_has_its_middle_form_checked(tmp_path):
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import build_view

    src = tmp_path / "rules.yaml"
    src.write_text(RULES_FILE)
    doc = build_view(solve(load_problem(str(src))))
    lines = assert_lines_hold(doc)
    rules = {line["rule"] for line in lines}
    assert WITH_MIDDLE | {"sum", "named", "constant", "variable", "trig", "exp", "log", "sigmoid",
                          "known_derivative", "inverse_trig", "hyperbolic", "exponential"} <= rules
    full = [ln for ln in lines if ln["rule"] in WITH_MIDDLE and "\\left[" not in str(ln.get("lhs"))]
    assert {ln["rule"] for ln in full} == WITH_MIDDLE
    for ln in full:  # at full detail these show lhs = middle = result, all three checked
        if ln["rule"] == "constant_multiple" and ln["equation"].count(" = ") < 2:
            continue  # the short line of a -u: nothing to multiply out
        assert len(ln["equation"].forms) == 3, ln["equation"]


def test_forms_read_back_through_sympify_to_the_same_values(tmp_path):
    """The tree writes each side with ``expr_text``; sympify must read it back to the same
    function (sigmoid spelt out, the file's named functions opened, d/du at u = g a Subs)."""
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import build_view

    src = tmp_path / "rules.yaml"
    src.write_text(RULES_FILE)
    doc = build_view(solve(load_problem(str(src))))
    rng = random.Random(7)
    checked = 0
    for line in step_lines(doc):
        eq = line["equation"]
        for form in eq.forms:
            back = read_back(form)
            # sympify's symbols have no assumptions (x > 0): the same point, by name
            names = sorted({s.name for s in form.free_symbols | back.free_symbols})
            at = {n: sp.Rational(rng.randint(11, 89), 100) for n in names}
            point = {s: at[s.name] for s in form.free_symbols | back.free_symbols}
            want, got = numbers(form.subs(eq.where) if eq.where else form, point), numbers(back.subs(eq.where) if eq.where else back, point)
            assert abs(want - got) <= 1e-12 * max(1, abs(want)), (eq, form, expr_text(form))
            checked += 1
    assert checked > 100


def test_the_step_lines_tex_is_what_the_handout_prints():
    from solgen.formats.templates import render

    for name in PROBLEM_FILES:
        doc = view(str(ROOT / "problems" / name))
        handout, slides = render(doc, "tex", "handout"), render(doc, "tex", "slides")
        for part in (p for q in doc["questions"] for p in q["parts"]):
            for g in part.get("groups", []):
                for line in g.get("handout_lines", g.get("lines", [])):
                    assert line["equation"].tex in handout, (name, line["equation"].tex)
                for frame in g.get("frames", []):
                    for line in frame:
                        assert line["equation"].tex in slides, (name, line["equation"].tex)


def _flip_sums(monkeypatch) -> None:
    """What a developer's slip does: the piece joiner's + written as - (in the product
    rule's u'v + uv', in a sum's terms), for the LaTeX and the form alike."""
    join = view_mod._join

    def wrong(pieces, op="+", signs=True):
        return join(pieces, "-" if op == "+" else op, signs)

    monkeypatch.setattr(view_mod, "_join", wrong)


def test_a_corrupted_middle_form_is_caught_before_anything_is_written(monkeypatch, tmp_path):
    _flip_sums(monkeypatch)
    src = tmp_path / "p.yaml"
    src.write_text('id: p\nvariables: [x, y]\nfunctions:\n  f: "x^2 * sin(x*y)"\nparts:\n'
                   '  - {id: a, ask: gradient, of: f, detail: full}\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["render", str(src), "--out", str(out), "--no-cache", "--debug"])
    assert res.exit_code == 1, res.output
    first = res.output.splitlines()[0]
    assert first.startswith(f"{src}: error: internal error: a displayed formula is false"), first
    assert "\\left[" in first  # the product rule's line, named by its LaTeX
    assert not out.exists() or not any(out.iterdir())


def test_a_corrupted_product_rule_fails_the_check_of_the_view(monkeypatch):
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import build_view

    _flip_sums(monkeypatch)
    doc = build_view(solve(load_problem(str(ROOT / "problems" / "stewart-one-variable.yaml"))))
    with pytest.raises(CheckError, match="a displayed formula is false"):
        check(doc)


def test_a_seen_group_prints_heading_equals_result_as_one_formula():
    """A derivative derived in an earlier question: "heading = result" is one Formula the
    templates print as it is, its heading and result its sides."""
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import Tex, group
    from solgen.present.words import load_words

    problem = load_problem(str(ROOT / "problems" / "1.2.yaml"))
    solution = solve(problem)
    d = solution.derivations[0]
    tex = Tex(problem, load_words("en"))
    tex.question = "a"
    first = group("\\frac{\\partial f}{\\partial x_1}", d.entries[0].tree, tex, d.part)
    assert first["seen_line"] is None and first["lines"]
    tex.question = "b"
    again = group("\\frac{\\partial f}{\\partial x_1}", d.entries[0].tree, tex, d.part)
    line = again["seen_line"]
    assert again["seen_in"] == "a" and isinstance(line, Formula)
    assert line.tex == f"\\frac{{\\partial f}}{{\\partial x_1}} = {again['result']}"
    assert false_relation(line.forms, line.relations) is None
    from solgen.formats.templates import render  # noqa: F401 - the templates print it whole
    for fmt, want in (("tex", f"$\\displaystyle {line.tex}$"), ("md", f"${line.tex}$")):
        part = {"groups": [again], "from_note": None}
        env_text = _groups_macro(fmt, part)
        assert want in env_text


def _groups_macro(fmt: str, part: dict[str, Any]) -> str:
    from solgen.formats.templates import environment

    env = environment(fmt)
    name = {"tex": "parts.tex.j2", "md": "parts.md.j2"}[fmt]
    return env.get_template(name).module.groups(part)


def _tex_of(name: str):
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import Tex
    from solgen.present.words import load_words

    problem = load_problem(str(ROOT / "problems" / name))
    return problem, solve(problem), Tex(problem, load_words("en"))


def test_fitted_lines_are_formulas_whose_letters_mean_the_entries_of_the_lhs():
    """A Hessian too wide for the line: [h_11 h_12; ...] and h_11 = ..., each a Formula;
    with the lhs given as a matrix of derivatives, h_ij = entry is checked against it."""
    from solgen.present.view import LINE, fitted, width

    problem, solution, tex = _tex_of("4.1.yaml")
    r = next(d for d in solution.derivations if d.part.ask == "hessian")
    f = problem.functions[r.part.of].exprs[0]
    xs = problem.variables
    want = sp.Matrix([[sp.Derivative(f, a, b) for b in xs] for a in xs])
    lines = fitted("\\nabla^2 f(x)", [list(row) for row in r.answer], tex, "h", symmetric=True, lhs_form=want)
    assert len(lines) > 1 and all(isinstance(ln, Formula) for ln in lines)
    assert all(width(ln) <= LINE or ln is lines[0] for ln in lines)
    assert check({"answer": lines}) == len(lines)
    wrong = [list(row) for row in r.answer]
    wrong[0][0] = wrong[0][0] + 1  # a slip in one entry: its line is false
    with pytest.raises(CheckError, match="h_\\{11\\}"):
        check({"answer": fitted("\\nabla^2 f(x)", wrong, tex, "h", symmetric=True, lhs_form=want)})


def test_add_value_and_add_factored_extend_formulas_with_their_forms():
    from solgen.present.formula import Side, chain
    from solgen.present.view import add_factored, add_value

    x, y = sp.symbols("x y")
    f = x**2 * y + x * y
    d = sp.Derivative(f, x)
    line = chain(Side("\\frac{\\partial f}{\\partial x}", d), "=", Side("2 x y + y", 2 * x * y + y))
    part = {"answer": [line], "answer_short": [line], "equation": None}
    add_factored(part, "y (2 x + 1)", form=y * (2 * x + 1))
    add_value(part, "\\frac{\\partial f}{\\partial x}(1, 2)", "6", lhs_form=d, form=sp.Integer(6), where={x: 1, y: 2})
    factored, value = part["answer"]
    assert factored.tex == "\\frac{\\partial f}{\\partial x} = 2 x y + y = y (2 x + 1)" and len(factored.forms) == 3
    assert value.tex == "\\frac{\\partial f}{\\partial x}(1, 2) = 6"
    assert check(part) == 4  # answer and answer_short, both lines each
    add_value(part, "\\frac{\\partial f}{\\partial x}(1, 2)", "7", lhs_form=d, form=sp.Integer(7), where={x: 1, y: 2})
    with pytest.raises(CheckError, match="= 7"):
        check(part)


def test_helpers_called_as_before_print_the_same_text():
    """Callers that pass no forms get the LaTeX they always got."""
    from solgen.present.view import add_factored, add_value

    part = {"answer": ["a = b"], "answer_short": ["a = b"], "equation": ["a", "c", "b"]}
    add_factored(part, "d")
    add_value(part, "a(1)", "2")
    assert part["answer"] == ["a = b = d", "a(1) = 2"] and part["equation"] == ["a", "c", "b = d"]


def test_a_slip_in_a_factor_of_the_power_or_quotient_rule_is_caught(monkeypatch, tmp_path):
    """x^{n - 1} written x^{n + 1}, (u'v - uv') written (u'v + uv'): the piece that
    subtracts is wrong on paper and in the form alike, and the check names the line."""
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.formula import Side
    from solgen.present.view import _both, build_view

    def plus(a: Side, b: Side) -> Side:
        return _both(a, b, f"{a.tex} + {b.tex}", sp.Add(a.form, b.form, evaluate=False))

    monkeypatch.setattr(view_mod, "_minus", plus)
    for f, seen in (("x^3", "x^{3 + 1}"), ("x/(1 + x^2)", "\\frac{1 + x^2 + ")):
        src = tmp_path / "p.yaml"
        src.write_text(f'id: p\nvariables: [x]\nfunctions:\n  f: "{f}"\nparts:\n  - {{id: a, ask: gradient, of: f, detail: full}}\n')
        doc = build_view(solve(load_problem(str(src))))
        with pytest.raises(CheckError, match="a displayed formula is false") as caught:
            check(doc)
        assert seen in str(caught.value), (f, str(caught.value))
