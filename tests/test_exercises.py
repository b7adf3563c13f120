"""The exercises TAs assign: critical points (with Lagrange multipliers), Newton and
gradient-descent steps. Every value is checked against SymPy computed here, independently
of solgen's own solving (sympy.solve, sympy.hessian, matrix inverses), and every step
node against sympy.diff."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from click.testing import CliRunner

from solgen.cli import main
from solgen.derive.calculus import solve
from solgen.derive.check import verify
from solgen.errors import DeriveError, SpecError
from solgen.formats.json import to_json
from solgen.input.problem import parse_problem

x, y, z = sp.symbols("x y z", real=True)


def problem(functions: dict[str, str], parts: list[str], variables: str = "[x, y]", extra: str = "") -> str:
    funcs = "".join(f'  {k}: "{v}"\n' for k, v in functions.items())
    return f'id: "t"\nvariables: {variables}\n{extra}functions:\n{funcs}parts:\n' + "".join(f"  - {p}\n" for p in parts)


def solved_json(text: str) -> dict:
    solution = solve(parse_problem(text))
    for d in solution.derivations:  # every step node is d(expr)/d(var)
        for e in d.entries:
            assert verify(e.tree) == [], (d.part.id, e.index)
    return json.loads(to_json(solution))


def kind_by_eigenvalues(h: sp.Matrix) -> str:
    values = [complex(sp.N(v)).real for v in h.eigenvals(multiple=True)]
    if all(v > 1e-12 for v in values):
        return "minimum"
    if all(v < -1e-12 for v in values):
        return "maximum"
    if any(v > 1e-12 for v in values) and any(v < -1e-12 for v in values):
        return "saddle"
    return "inconclusive"


CRITICAL = [
    ("x^4 + y^4 - 4*x*y + 1", "[x, y]"),
    ("x^3 + y^3 - 3*x*y", "[x, y]"),
    ("x^3 - 3*x + y^2", "[x, y]"),
    ("x^2*y - x^2 - y^2 + 3", "[x, y]"),
    ("x*y*(1 - x - y)", "[x, y]"),
    ("x^2 + y^2 + z^2 - x*y + x - 2*z", "[x, y, z]"),
    ("x^3 + y^2", "[x, y]"),
    ("x^3 - 12*x", "[x]"),
    ("x*exp(-x^2 - y^2)", "[x, y]"),
]


@pytest.mark.parametrize(("source", "variables"), CRITICAL)
def test_critical_points_values_hessians_and_kinds_agree_with_sympy(source: str, variables: str) -> None:
    doc = solved_json(problem({"f": source}, ["{id: a, ask: critical, of: f}"], variables))
    (part,) = doc["parts"]
    names = [v.strip() for v in variables.strip("[]").split(",")]
    syms = [sp.Symbol(n, real=True) for n in names]
    f = sp.sympify(source.replace("^", "**"), locals={n: s for n, s in zip(names, syms)})
    grad = [sp.diff(f, s) for s in syms]
    want = [s for s in sp.solve(grad, syms, dict=True) if all(s[v].is_real for v in syms)]
    got = part["result"]
    assert len(got) == len(want)
    hess = sp.hessian(f, syms)
    for w in want:
        match = [g for g in got if all(sp.simplify(sp.sympify(g["point"][n]) - w[s]) == 0 for n, s in zip(names, syms))]
        assert len(match) == 1, w
        g = match[0]
        assert set(g) == {"point", "value", "hessian", "kind"}
        assert sp.simplify(sp.sympify(g["value"]) - f.subs(w)) == 0
        h = hess.subs(w)
        assert [[sp.sympify(e) for e in row] for row in g["hessian"]] == h.tolist()
        assert g["kind"] == kind_by_eigenvalues(h), (w, g["kind"])


def test_the_contract_example() -> None:
    doc = solved_json(problem({"f": "x^3 + y^3 - 3*x*y"}, ["{id: a, ask: critical, of: f}"]))
    result = doc["parts"][0]["result"]
    assert {"point": {"x": "1", "y": "1"}, "value": "-1", "hessian": [["6", "-3"], ["-3", "6"]], "kind": "minimum"} in result


def test_assume_positive_keeps_positive_points() -> None:
    doc = solved_json(problem({"f": "x^3 - 3*x"}, ["{id: a, ask: critical, of: f}"], "[x]", "assume: {x: positive}\n"))
    assert [p["point"] for p in doc["parts"][0]["result"]] == [{"x": "1"}]


def lagrange(f: sp.Expr, gs: list[sp.Expr], syms: list[sp.Symbol]) -> list[dict]:
    lams = sp.symbols(f"l0:{len(gs)}", real=True)
    eqs = [sp.diff(f, s) - sum(l * sp.diff(g, s) for l, g in zip(lams, gs)) for s in syms] + list(gs)
    return [s for s in sp.solve(eqs, [*syms, *lams], dict=True) if all(s[v].is_real for v in syms)], lams


@pytest.mark.parametrize(
    ("source", "constraints", "variables"),
    [
        ("x*y", ["x^2 + y^2 = 1"], "[x, y]"),
        ("x + y", ["x^2 + y^2 = 2"], "[x, y]"),
        ("x^2 + y^2", ["x + 2*y = 5"], "[x, y]"),
        ("x + 2*y + 3*z", ["x - y + z = 1", "x^2 + y^2 = 1"], "[x, y, z]"),
    ],
)
def test_lagrange_points_multipliers_and_extremes_agree_with_sympy(source: str, constraints: list[str], variables: str) -> None:
    subject = json.dumps(constraints if len(constraints) > 1 else constraints[0])
    doc = solved_json(problem({"f": source}, [f"{{id: a, ask: critical, of: f, subject_to: {subject}}}"], variables))
    names = [v.strip() for v in variables.strip("[]").split(",")]
    syms = [sp.Symbol(n, real=True) for n in names]
    loc = {n: s for n, s in zip(names, syms)}
    f = sp.sympify(source.replace("^", "**"), locals=loc)
    gs = [sp.sympify(c.split("=")[0].replace("^", "**"), locals=loc) - sp.sympify(c.split("=")[1], locals=loc)
          for c in constraints]
    want, lams = lagrange(f, gs, syms)
    got = doc["parts"][0]["result"]
    assert len(got) == len(want)
    values = [f.subs(w) for w in want]
    for w, value in zip(want, values):
        (g,) = [g for g in got if all(sp.simplify(sp.sympify(g["point"][n]) - w[s]) == 0 for n, s in zip(names, syms))]
        assert sp.simplify(sp.sympify(g["value"]) - value) == 0
        mult = [sp.sympify(v) for v in g["multipliers"].values()]
        assert len(mult) == len(lams) and all(sp.simplify(m - w[l]) == 0 for m, l in zip(mult, lams))
        if len(set(values)) > 1 and value == max(values):
            assert g["kind"] == "maximum"
        if len(set(values)) > 1 and value == min(values):
            assert g["kind"] == "minimum"
    if len(constraints) == 1:
        assert list(got[0]["multipliers"]) == ["lambda"]


def test_the_box() -> None:
    text = problem({"V": "x*y*z"}, ['{id: a, ask: critical, of: V, subject_to: "x*y + 2*x*z + 2*y*z = 12"}'], "[x, y, z]",
                   "assume: {x: positive, y: positive, z: positive}\n")
    (point,) = solved_json(text)["parts"][0]["result"]
    assert point["point"] == {"x": "2", "y": "2", "z": "1"} and point["value"] == "4" and point["kind"] == "maximum"
    assert point["multipliers"] == {"lambda": "1/2"}


def newton_by_hand(f: sp.Expr, syms: list[sp.Symbol], start: list[sp.Expr], steps: int) -> list[list[sp.Expr]]:
    point = sp.Matrix(start)
    out = [list(point)]
    g, h = sp.Matrix([sp.diff(f, s) for s in syms]), sp.hessian(f, syms)
    for _ in range(steps):
        at = dict(zip(syms, point))
        point = point - h.subs(at).inv() * g.subs(at)
        out.append(list(point))
    return out


def test_newton_iterates_on_rosenbrock() -> None:
    doc = solved_json(problem({"f": "100*(y - x^2)^2 + (1 - x)^2"},
                              ["{id: a, ask: newton, of: f, at: {x: -1.2, y: 1}, steps: 3, decimals: 4}"]))
    result = doc["parts"][0]["result"]
    assert set(result) == {"iterates"}
    assert result["iterates"][0] == {"x": "-1.2", "y": "1"}
    want = newton_by_hand(100 * (y - x**2) ** 2 + (1 - x) ** 2, [x, y], [sp.Rational(-6, 5), sp.Integer(1)], 3)
    got = [[sp.Rational(p["x"]), sp.Rational(p["y"])] for p in result["iterates"]]
    assert got == want
    assert doc["parts"][0]["rounded"][1] == {"x": "-1.1753", "y": "1.3807"}


def test_descent_iterates() -> None:
    doc = solved_json(problem({"f": "x^2 + 10*y^2 + x*y"}, ['{id: a, ask: descent, of: f, at: {x: 1, y: 1}, rate: "1/20", steps: 4}']))
    got = doc["parts"][0]["result"]["iterates"]
    f = x**2 + 10 * y**2 + x * y
    point = sp.Matrix([1, 1])
    g = sp.Matrix([sp.diff(f, x), sp.diff(f, y)])
    for k in range(5):
        assert [sp.sympify(got[k]["x"]), sp.sympify(got[k]["y"])] == list(point)
        point = point - sp.Rational(1, 20) * g.subs({x: point[0], y: point[1]})


def test_a_singular_hessian_is_said_at_its_iterate() -> None:
    text = problem({"f": "x^3 + y^2"}, ["{id: a, ask: newton, of: f, at: {x: 1, y: 1}, steps: 5}",
                                        "{id: b, ask: newton, of: f, at: {x: 0, y: 1}, steps: 2}"])
    doc = solved_json(text)
    a, b = doc["parts"]
    assert "singular_at" not in a and len(a["result"]["iterates"]) == 6
    assert b["singular_at"] == 0 and b["result"]["iterates"] == [{"x": "0", "y": "1"}]
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    tex = render(build_view(solve(parse_problem(text))), "tex")
    assert "singular" in tex


@pytest.mark.parametrize(
    ("functions", "part", "message"),
    [
        ({"f": "(x - y)^2"}, "{id: a, ask: critical, of: f}", "infinitely many"),
        ({"f": "sin(x) + y^2"}, "{id: a, ask: critical, of: f}", "infinitely many"),
        ({"f": "x*y"}, '{id: a, ask: critical, of: f, subject_to: "x^2 + y^2"}', "one '='"),
        ({"f": "x*y"}, '{id: a, ask: critical, of: f, subject_to: "x^2 + q = 1"}', "constraint"),
        ({"f": "x*y"}, "{id: a, ask: newton, of: f, steps: 2}", "needs a point"),
        ({"f": "x*y"}, "{id: a, ask: newton, of: f, at: {x: 1, y: 1}, steps: 11}", "steps must be"),
        ({"f": "x*y"}, "{id: a, ask: descent, of: f, at: {x: 1, y: 1}}", "rate"),
        ({"f": "x*y"}, "{id: a, ask: descent, of: f, at: {x: 1, y: 1}, rate: -1}", "positive"),
    ],
)
def test_bad_input_is_an_error_at_the_part(tmp_path, functions, part, message) -> None:
    src = tmp_path / "p.yaml"
    src.write_text(problem(functions, [part], extra="constants: [a]\n"), encoding="utf-8")
    out = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--out", str(tmp_path / "out")])
    assert out.exit_code == 1
    line = len(problem(functions, [part], extra="constants: [a]\n").splitlines())
    assert f"{src}:{line}: error:" in out.output and message in out.output, out.output
    assert "Traceback" not in out.output and not (tmp_path / "out" / "t.json").exists()


def test_errors_are_solgen_errors() -> None:
    with pytest.raises(DeriveError, match="infinitely many"):
        solve(parse_problem(problem({"f": "(x - y)^2"}, ["{id: a, ask: critical, of: f}"])))
    with pytest.raises(SpecError):
        parse_problem(problem({"f": "x*y"}, ['{id: a, ask: critical, of: f, subject_to: ["x = 1", 3]}']))


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("fmt", ["tex", "md", "html"])
def test_every_format_shows_the_points_and_iterates(lang: str, fmt: str) -> None:
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    text = problem({"f": "x^3 + y^3 - 3*x*y"}, ["{id: a, ask: critical, of: f}",
                                                "{id: b, ask: newton, of: f, at: {x: 2, y: 2}, steps: 1}",
                                                '{id: c, ask: critical, of: f, subject_to: "x + y = 2"}',
                                                "{id: d, ask: descent, of: f, at: {x: 2, y: 2}, rate: 0.1}"],
                   extra=f"lang: {lang}\n")
    view = build_view(solve(parse_problem(text)))
    verdict = "is a saddle point" if lang == "en" else "ein Sattelpunkt"
    short = "\\text{(saddle point)}" if lang == "en" else "\\text{(Sattelpunkt)}"
    for kind in ("handout", "slides", "worksheet"):
        out = render(view, fmt, kind)
        if kind == "worksheet":  # the questions only
            assert verdict not in out and short not in out and "x_{1}" not in out
            continue
        assert (verdict if kind == "handout" else short) in out
        assert "x_{1}" in out  # the first Newton iterate


def test_a_system_too_hard_to_solve_in_time_is_an_error_at_the_part(monkeypatch) -> None:
    from solgen.asks import solving

    monkeypatch.setattr(solving, "SOLVE_SECONDS", 1)
    text = problem({"f": "x^6*y^5 + y^6*x^4 + x^3*y^4 - 3*x*y^7 + x^2*y + 7*x*y^3"}, ["{id: a, ask: critical, of: f}"])
    with pytest.raises(DeriveError) as err:
        solve(parse_problem(text))
    assert err.value.line == 6 and "within 1 s" in str(err.value)


def test_a_constant_named_E_is_not_eulers_number() -> None:
    text = problem({"f": "E*x^2 + e^y"}, ["{id: a, ask: gradient, of: f}"], extra="constants: [E]\n")
    doc = solved_json(text)
    grad = [sp.sympify(g) for g in doc["parts"][0]["result"]]
    E, X, Y = sp.symbols("E x y")
    assert grad == [2 * E * X, sp.exp(Y)] and E in grad[0].free_symbols


@pytest.mark.parametrize(("source", "order"), [("exp(x)*sin(y)", 3), ("log(1 + x + 2*y)", 4), ("x^3*y^2 + x*y", 6)])
def test_taylor_of_higher_order_in_two_variables_agrees_with_sympy(source: str, order: int) -> None:
    text = problem({"f": source}, [f"{{id: a, ask: taylor, of: f, order: {order}, at: {{x: 0, y: 0}}}}"])
    doc = solved_json(text)
    got = sp.sympify(doc["parts"][0]["result"])
    X, Y, t = sp.symbols("x y t")  # plain symbols, as sympify reads the JSON
    f = sp.sympify(source.replace("^", "**"))
    want = sp.series(f.subs({X: t * X, Y: t * Y}), t, 0, order + 1).removeO().subs(t, 1)
    assert sp.expand(got - want) == 0


def test_taylor_order_7_is_an_error() -> None:
    with pytest.raises(SpecError, match="from 1 to 6"):
        parse_problem(problem({"f": "x*y"}, ["{id: a, ask: taylor, of: f, order: 7, at: {x: 0, y: 0}}"]))


def test_directional_without_a_point_is_a_function() -> None:
    doc = solved_json(problem({"f": "x^2*y + exp(x*y)"}, ["{id: a, ask: directional, of: f, directions: {u: [3, 4]}}"]))
    reading = doc["parts"][0]["result"]["u"]
    f = x**2 * y + sp.exp(x * y)
    want = (3 * sp.diff(f, x) + 4 * sp.diff(f, y)) / 5
    assert sp.simplify(sp.sympify(reading["unit_slope"], locals={"x": x, "y": y}) - want) == 0
    assert sp.simplify(sp.sympify(reading["slope"], locals={"x": x, "y": y}) - 5 * want) == 0


SHEET = """id: sheet
title: "Three problems"
course: "Math 2210"
problems:
  - id: "1"
    title: "Two variables"
    variables: [x, y]
    functions: {f: "x^3 + y^3 - 3*x*y"}
    parts: [{id: a, ask: critical, of: f}]
  - id: "2"
    variables: [u, v, w]
    functions: {f: "u^2 + v^2 + w^2 - u*v + u - 2*w"}
    parts: [{id: a, ask: gradient, of: f}, {id: b, ask: critical, of: f}]
  - id: "3"
    variables: [x]
    constants: [E]
    functions: {f: "E*x^2 - x"}
    parts: [{id: a, ask: newton, of: f, at: {x: 1}}]
"""


def test_a_file_with_several_problems(tmp_path) -> None:
    src = tmp_path / "s.yaml"
    src.write_text(SHEET, encoding="utf-8")
    out = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--format", "md", "--format", "tex", "--all",
                                    "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "sheet.json" in names and "sheet-slides.tex" in names and "sheet-worksheet.md" in names
    doc = json.loads((tmp_path / "out" / "sheet.json").read_text())
    assert set(doc) == {"schema_version", "id", "title", "problems"} and doc["id"] == "sheet"
    assert [p["id"] for p in doc["problems"]] == ["1", "2", "3"]
    assert [p["variables"] for p in doc["problems"]] == [["x", "y"], ["u", "v", "w"], ["x"]]
    for p in doc["problems"]:
        assert {"id", "title", "variables", "functions", "parts"} <= set(p)
    u, v, w = sp.symbols("u v w")
    grad = [sp.sympify(g) for g in doc["problems"][1]["parts"][0]["result"]]
    assert grad == [2 * u - v + 1, 2 * v - u, 2 * w - 2]
    (point,) = doc["problems"][1]["parts"][1]["result"]
    assert point["point"] == {"u": "-2/3", "v": "-1/3", "w": "1"} and point["kind"] == "minimum"
    E = sp.Symbol("E")
    newton = doc["problems"][2]["parts"][0]["result"]["iterates"]
    assert sp.simplify(sp.sympify(newton[1]["x"]) - 1 / (2 * E)) == 0
    md = (tmp_path / "out" / "sheet.md").read_text()
    assert md.index("Problem 1: Two variables") < md.index("(1a)") < md.index("Problem 2") < md.index("(2b)") < md.index("(3a)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SHEET.replace('course: "Math 2210"', "variables: [x]"), "inside each problem"),
        (SHEET.replace('id: "2"', 'id: "1"'), "two problems have the id"),
        (SHEET.replace("    variables: [u, v, w]", "    varables: [u, v, w]"), "did you mean 'variables'"),
        (SHEET.replace('functions: {f: "E*x^2 - x"}', 'functions: {f: "E*x^2 - q"}'), "q"),
    ],
)
def test_a_bad_file_with_several_problems_is_an_error_at_its_line(text: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_problem(text)
    assert message in str(err.value) and err.value.line is not None


def test_newton_iterates_that_grow_go_on_in_decimals_or_are_an_error() -> None:
    rounded = solved_json(problem({"f": "exp(x) + x^2"}, ["{id: a, ask: newton, of: f, at: {x: 0}, steps: 5, decimals: 6}"], "[x]"))
    part = rounded["parts"][0]
    X = sp.Symbol("x")
    g, h = sp.exp(X) + 2 * X, sp.exp(X) + 2
    value = sp.Float(0, 50)
    for k in range(6):  # Newton in 50 digits, by hand
        assert abs(sp.sympify(part["result"]["iterates"][k]["x"]).evalf(50) - value) < 1e-30
        value = value - (g / h).subs(X, value).evalf(50)
    assert part["rounded"][-1] == {"x": "-0.351734"}
    with pytest.raises(DeriveError, match="add decimals"):
        solve(parse_problem(problem({"f": "exp(x) + x^2"}, ["{id: a, ask: newton, of: f, at: {x: 0}, steps: 5}"], "[x]")))
