"""The asks registry: every ask is one module with its keys, a typed result and a view;
keys an ask does not read are errors; JSON carries every option's effect."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from solgen import asks
from solgen.asks.base import Result
from solgen.cli import main
from solgen.errors import SpecError
from solgen.math.record import frozen
from solgen.input.problem import parse_problem

BASE = 'id: "t"\nvariables: [x1, x2]\nfunctions:\n  f: "x1^2 * exp(x1*x2)"\n  g: ["x1*x2", "x1 + x2^2"]\nparts:\n'


def test_every_ask_is_a_module_with_a_typed_result() -> None:
    for name, ask in asks.registry().items():
        assert ask.name == name
        module = __import__(f"solgen.asks.{name}", fromlist=["ASK"])
        results = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Result) and v is not Result]
        assert len(results) == 1 and dataclasses.is_dataclass(results[0]), name
        assert frozen(results[0]), name


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ("{id: a, ask: gradient, of: f, directions: {d: [1, 1]}}", "'directions' does not apply to a gradient part (it is read by directional, figure)"),
        ("{id: a, ask: hessian, of: f, decimals: 2}", "'decimals' does not apply to a hessian part (it is read by evaluate, newton, descent)"),
        ("{id: a, ask: text, prompt: hi, detail: full}", "'detail' does not apply to a text part"),
        ("{id: a, ask: taylor, of: f, simplify: factor}", "'simplify' does not apply to a taylor part"),
        ("{id: a, ask: directional, of: f, at: {x1: 0, x2: 1}, directions: {d: [1, 1]}, order: 2}", "'order' does not apply"),
    ],
)
def test_a_key_the_ask_does_not_read_is_an_error(part: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_problem(BASE + f"  - {part}\n")
    assert message in str(err.value) and err.value.line == 7


def test_json_carries_simplify_and_decimals(tmp_path) -> None:
    src = tmp_path / "t.yaml"
    src.write_text(BASE + "  - {id: a, ask: gradient, of: f, simplify: factor}\n"
                   '  - {id: b, ask: evaluate, of: grad f, at: {x1: 1, x2: "1/3"}, decimals: 3}\n'
                   "  - {id: c, ask: jacobian, of: grad f}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    a, b, c = json.loads((tmp_path / "out" / "t.json").read_text())["parts"]
    assert a["result"] == ["x1**2*x2*exp(x1*x2) + 2*x1*exp(x1*x2)", "x1**3*exp(x1*x2)"]
    import sympy as sp

    x1, x2 = sp.symbols("x1 x2", real=True)
    factored = [sp.sympify(t, locals={"x1": x1, "x2": x2}) for t in a["factored"]]
    assert "(x1*x2 + 2)" in a["factored"][0] and sp.simplify(factored[0] - x1 * (x1 * x2 + 2) * sp.exp(x1 * x2)) == 0
    assert b["rounded"] == ["3.256", "1.396"] and b["vector"] is True  # e^(1/3) = 1.39561...
    assert c["equals_hessian"] is True


STEWART = (
    'id: "st"\nvariables: [x, y]\nfunctions:\n  f: "1 + 2*x*sqrt(y)"\n  g: "x^2*y + y^3"\nparts:\n'
    "  - {id: a, ask: directional, of: f, at: {x: 3, y: 4}, directions: {v: [4, -3]}}\n"
    '  - {id: b, ask: directional, of: g, at: {x: 1, y: 2}, directions: {d1: [3, 4], d2: ["2/sqrt(13)", "3/sqrt(13)"]}}\n'
)


def test_directional_gives_the_textbook_derivative_along_the_unit_vector(tmp_path) -> None:
    """Stewart 14.6: f = 1 + 2x sqrt(y) at (3, 4) along <4, -3> is 23/10 (not 23/2, the slope
    along the unnormalised d); g = x^2 y + y^3 at (1, 2) along <3, 4> is 64/5 (not 64)."""
    src = tmp_path / "st.yaml"
    src.write_text(STEWART, encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--format", "md", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    a, b = json.loads((tmp_path / "out" / "st.json").read_text())["parts"]
    assert a["result"]["v"]["unit_slope"] == "23/10" and a["result"]["v"]["slope"] == "23/2"
    assert b["result"]["d1"]["unit_slope"] == "64/5" and b["result"]["d1"]["norm"] == "5"
    assert b["result"]["d2"]["norm"] == "1"  # an exact unit direction written as 2/sqrt(13), 3/sqrt(13)
    md = (tmp_path / "out" / "st.md").read_text()
    assert r"\Vert v\Vert = \sqrt{4^2 + (-3)^2} = 5" in md and r"D_{u} f(3, 4) = \frac{23}{10}" in md


@pytest.mark.parametrize(("direction", "message"), [("[0, 0]", "zero vector"), ('["x", 1]', "unknown name 'x'"),
                                                     ('["sqrt(-2)", 1]', "not a real number")])
def test_a_direction_must_be_a_real_nonzero_vector(direction: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_problem(BASE + f"  - {{id: a, ask: directional, of: f, at: {{x1: 0, x2: 1}}, directions: {{d: {direction}}}}}\n")
    assert message in str(err.value) and err.value.line == 7


ROSENBROCK = (
    'id: "ros"\nvariables: [x1, x2]\nfunctions:\n  f: "100*(x2 - x1^2)^2 + (1 - x1)^2"\nparts:\n'
    "  - {id: a, ask: gradient, of: f, at: {x1: 1, x2: 1}}\n"
    "  - {id: b, ask: hessian, of: f, at: {x1: 1, x2: 1}}\n"
    "  - {id: c, ask: partial, of: f, order: [x1, x2], at: {x1: 1, x2: 1}}\n"
    "  - {id: d, ask: jacobian, of: grad f, at: {x1: 0, x2: 0}}\n"
)


def test_at_on_a_symbolic_ask_gives_its_value_at_the_point(tmp_path) -> None:
    """The prompt promises the value at the point: the answer ends with it, JSON has it."""
    src = tmp_path / "ros.yaml"
    src.write_text(ROSENBROCK, encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--format", "md", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    a, b, c, d = json.loads((tmp_path / "out" / "ros.json").read_text())["parts"]
    assert a["value"] == ["0", "0"]
    assert b["value"] == [["802", "-400"], ["-400", "200"]]
    assert c["value"] == "-400" and d["value"] == [["2", "0"], ["0", "200"]]
    md = (tmp_path / "out" / "ros.md").read_text()
    assert r"\nabla_x^2 f(1, 1) = \begin{bmatrix} 802 & -400 \\ -400 & 200 \end{bmatrix}" in md


def test_taylor_estimate_prints_the_approximation_beside_the_value(tmp_path) -> None:
    """Stewart 14.4: the linearisation of sqrt(x^2 + y^2) at (3, 4) estimates
    sqrt(3.02^2 + 3.97^2) as 4.988; the true value is printed beside it, labelled."""
    src = tmp_path / "e.yaml"
    src.write_text('id: "e"\nvariables: [x, y]\nfunctions:\n  f: "sqrt(x^2 + y^2)"\nparts:\n'
                   "  - {id: a, ask: taylor, of: f, order: 1, at: {x: 3, y: 4}, estimate: {x: 3.02, y: 3.97}}\n",
                   encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--format", "md", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    (part,) = json.loads((tmp_path / "out" / "e.json").read_text())["parts"]
    assert part["estimate"] == {"x": 3.02, "y": 3.97}  # the input, as written
    assert part["estimated"] == "1247/250" and part["exact"] == "sqrt(248813)/100"
    md = (tmp_path / "out" / "e.md").read_text()
    assert "Read off at $(3.02, 3.97)$, the approximation gives" in md
    assert r"f(3.02, 3.97) \approx 4.988" in md and r"\frac{1}{100} \sqrt{248813} \approx 4.9881" in md


def test_estimate_needs_the_point_it_is_made_around() -> None:
    with pytest.raises(SpecError) as err:
        parse_problem(BASE + "  - {id: a, ask: taylor, of: f, estimate: {x1: 0.1, x2: 1}}\n")
    assert "'estimate' needs the point 'at'" in str(err.value) and err.value.line == 7


def test_parts_sharing_an_id_keep_every_prompt_given(tmp_path) -> None:
    """Two parts of question (a), each with its own prompt: the worksheet asks both."""
    src = tmp_path / "p.yaml"
    src.write_text(BASE + '  - {id: a, ask: gradient, of: f, prompt: "First, the gradient."}\n'
                   '  - {id: a, ask: hessian, of: f, prompt: "Then the Hessian."}\n'
                   "  - {id: b, ask: taylor, of: f, order: 1, at: {x1: 0, x2: 1}}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "md", "--worksheet", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "out" / "t-worksheet.md").read_text()
    assert "First, the gradient." in md and "Then the Hessian." in md
    assert "What is the first-order Taylor approximation of $f$ at the point $(0, 1)$?" in md


def test_a_one_variable_point_reads_x_equals() -> None:
    from solgen.derive.calculus import solve
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    problem = parse_problem('id: "o"\nvariables: [x]\nfunctions:\n  f: "exp(x)"\nparts:\n'
                            "  - {id: a, ask: taylor, of: f, order: 3, at: {x: 0}}\n")
    md = render(build_view(solve(problem)), "md")
    assert "What is the third-order Taylor approximation of $f$ at $x = 0$?" in md


@pytest.mark.parametrize(
    "part",
    ["{id: a, ask: evaluate, of: grad f, at: {x1: 0, x2: 1}}",
     "{id: a, ask: directional, of: f, at: {x1: 0, x2: 1}, directions: {d: [1, 0]}}",
     "{id: a, ask: gradient, of: f, at: {x1: 0, x2: 2}}"],
)
def test_a_kink_at_the_point_is_an_error_not_sign_of_zero(part: str) -> None:
    """d|u|/du = sign(u) holds for u != 0: at u = 0 solgen says so instead of printing 0."""
    from solgen.derive.calculus import solve
    from solgen.errors import DeriveError

    problem = parse_problem('id: "k"\nvariables: [x1, x2]\nfunctions:\n  f: "abs(x1) + x2^2"\nparts:\n' + f"  - {part}\n")
    with pytest.raises(DeriveError) as err:
        solve(problem)
    assert "not differentiable at (x1 = 0, x2 =" in str(err.value) and err.value.line == 6


def test_away_from_the_kink_the_value_is_given() -> None:
    from solgen.derive.calculus import solve

    problem = parse_problem('id: "k"\nvariables: [x1, x2]\nfunctions:\n  f: "abs(x1) + x2^2"\nparts:\n'
                            "  - {id: a, ask: gradient, of: f, at: {x1: -2, x2: 1}}\n")
    assert solve(problem).derivations[0].value == [-1, 2]


@pytest.mark.parametrize(
    ("f", "message"),
    [
        ("2x1x2", "'x1x2' reads as variables run together: write x1*x2"),
        ("x1*x2x1", "'x2x1' reads as variables run together: write x2*x1"),
        ("x1 x2", "unexpected 'x2': put '*' between factors (x1*x2)"),
        ("2x1 sqrt(x2)", "unexpected 'sqrt': put '*' between factors"),
        ("a12 x1", "unexpected 'x1': put '*' between factors (a12*x1)"),
        ("1/2 (a11 x1^2 + x2)", "unexpected 'x1': put '*' between factors (1/2 (a11*x1^2)"),  # inside ( )
        ("log(x1 - x1)", "log() of 0 is undefined"),
    ],
)
def test_silent_misparses_are_errors(f: str, message: str) -> None:
    """Today's constant named x1x2, or log of 0, would be a wrong answer without a word."""
    with pytest.raises(SpecError) as err:
        parse_problem(BASE.replace('f: "x1^2 * exp(x1*x2)"', f'f: "{f}"') + "  - {id: a, ask: gradient, of: f}\n")
    assert message in str(err.value) and err.value.line == 4


def test_mixed_partials_read_the_same_in_a_partial_part_and_the_hessian() -> None:
    """d/dx2 of df/dx1 is written d^2 f / dx2 dx1 by a partial part with order [x1, x2] and
    in the Hessian's step headings alike (the variable taken first on the right)."""
    from solgen.derive.calculus import solve
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    problem = parse_problem(BASE + "  - {id: a, ask: partial, of: f, order: [x1, x2]}\n  - {id: b, ask: hessian, of: f}\n")
    md = render(build_view(solve(problem)), "md")
    assert r"\frac{\partial^2 f}{\partial x_2 \partial x_1}" in md
    assert "The derivatives already found in (a) are not derived again." in md[md.index("## (b)"):]  # the same tree
    assert r"\frac{\partial^2 f}{\partial x_1 \partial x_2} = \frac{\partial}{\partial x_2}" not in md


def test_declared_constants_make_any_other_unknown_name_an_error() -> None:
    text = BASE.replace("parts:\n", "constants: [a, lamda]\nparts:\n").replace('f: "x1^2 * exp(x1*x2)"', 'f: "a*x1^2 + lamda*x2 + b"')
    with pytest.raises(SpecError) as err:
        parse_problem(text + "  - {id: a, ask: gradient, of: f}\n")
    assert "unknown name 'b'" in str(err.value) and "constants: a, lamda" in str(err.value) and err.value.line == 4
    fine = parse_problem(text.replace(" + b", "") + "  - {id: a, ask: gradient, of: f}\n")
    assert {s.name for s in fine.functions["f"].exprs[0].free_symbols} == {"a", "lamda", "x1", "x2"}
    undeclared = parse_problem(BASE.replace('f: "x1^2 * exp(x1*x2)"', 'f: "a*x1 + b"') + "  - {id: a, ask: gradient, of: f}\n")
    assert {s.name for s in undeclared.functions["f"].exprs[0].free_symbols} == {"a", "b", "x1"}  # no list: as before


def test_a_function_may_use_one_defined_later_in_the_file() -> None:
    """Today a helper defined after its use silently became a constant named s."""
    text = ('id: "sm"\nvariables: [z1, z2]\nfunctions:\n  L: "-log(s)"\n  s: "exp(z1)/(exp(z1) + exp(z2))"\n'
            "parts:\n  - {id: a, ask: gradient, of: L}\n")
    problem = parse_problem(text)
    assert {x.name for x in problem.functions["L"].exprs[0].free_symbols} == {"z1", "z2"}
    assert list(problem.functions) == ["L", "s"]  # the file's order is kept
    with pytest.raises(SpecError) as err:
        parse_problem(text.replace('"exp(z1)/(exp(z1) + exp(z2))"', '"L + z1"'))
    assert "circle: L -> s -> L" in str(err.value) and err.value.line == 4


def test_a_hostile_run_together_name_is_refused_without_backtracking() -> None:
    """With variables x and xx, a name xxx...xy splits in exponentially many ways: the
    check must stay linear (a recursive search hung here)."""
    from conftest import time_limit

    text = ('id: "h"\nvariables: [x, xx, y]\nfunctions:\n  f: "' + "x" * 200 + 'yq"\nparts:\n'
            "  - {id: a, ask: gradient, of: f}\n")
    with time_limit(10, "the run-together check backtracked"):
        problem = parse_problem(text)  # not variables run together (q is no variable): a constant
    assert problem.functions["f"].exprs[0].is_Symbol
    with pytest.raises(SpecError) as err:
        parse_problem(text.replace("yq", "y"))
    assert "reads as variables run together" in str(err.value)
