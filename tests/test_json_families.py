"""JSON carries every step tree in the DESIGN.md contract, for every family of rule:
each node {rule, expr, var, result, substeps} reads back with sympify and result = d(expr)/d(var)."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from click.testing import CliRunner

from solgen.cli import main

FAMILIES = {
    "power": "x^5 - 3x^-2 + x^(3/2)",
    "root": "sqrt(x^2 + 1) + (x + 2)^(1/3)",
    "product": "x*exp(x)*sin(x)",
    "quotient": "(x^2 + 1)/(x - 3)",
    "chain": "sin(cos(exp(x^2)))",
    "exp_base": "2^x + 3^(x^2)",
    "log": "log(x^2 + 1) + log(x)/log(10)",
    "trig": "sin(x) + cos(x) + tan(x) + sec(x) + csc(x) + cot(x)",
    "inverse_trig": "asin(x/2) + acos(x/3) + atan(x) + acot(x)",
    "hyperbolic": "sinh(x) + cosh(x) + tanh(x) + asinh(x) + atanh(x/2)",
    "abs": "abs(x^2 - 1)",
    "log_diff": "x^x + (x + 1)^sin(x)",
    "special": "erf(2*x) + erfc(x)",
}

RULE = {  # the rule each family must be derived with
    "power": "power", "root": "power", "product": "product", "quotient": "quotient", "chain": "chain",
    "exp_base": "exponential", "log": "log", "trig": "trig", "inverse_trig": "inverse_trig",
    "hyperbolic": "hyperbolic", "abs": "abs", "log_diff": "log_diff", "special": "known_derivative",
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("families")
    lines = ["id: fam", "variables: [x]", "functions:"]
    lines += [f'  f_{name.replace("_", "")}: "{text}"' for name, text in FAMILIES.items()]
    lines += ["parts:"] + [
        f"  - {{id: {chr(97 + i)}, ask: gradient, of: f_{name.replace('_', '')}}}" for i, name in enumerate(FAMILIES)
    ]
    (tmp / "fam.yaml").write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["render", str(tmp / "fam.yaml"), "--format", "json", "--out", str(tmp / "out")])
    assert res.exit_code == 0, res.output
    return json.loads((tmp / "out" / "fam.json").read_text())


def _read(text: str) -> sp.Expr:
    names = {n: sp.Symbol(n, real=True) for n in ("x", "u", "v", "w", "s", "t", "z", "p", "q")}
    return sp.sympify(text, locals=names)  # solgen's own output, read back as a grader would


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_node_reads_back_and_checks(doc, family):
    part = next(p for p in doc["parts"] if p["of"] == f"f_{family.replace('_', '')}")
    (tree,) = part["steps"]
    rules = set()

    def walk(node):
        assert set(node) >= {"rule", "expr", "var", "result", "substeps"}
        rules.add(node["rule"])
        expr, var, result = _read(node["expr"]), _read(node["var"]), _read(node["result"])
        expected = sp.diff(expr, var)
        point = {s: sp.Rational(3, 10) for s in expr.free_symbols | result.free_symbols}
        assert abs(complex((result - expected).subs(point).evalf())) < 1e-12, node
        for sub in node["substeps"]:
            walk(sub)

    walk(tree)
    assert "fallback" not in rules
    assert RULE[family] in rules
    assert part["result"] == [tree["result"]]


NAMES = ["lambda", "gamma", "beta", "I", "S", "N", "Q", "O", "zeta", "test", "x"]  # E and e are the constant e


def test_json_reads_back_with_sympify_whatever_the_names(tmp_path):
    """A grader's sympify must read every expression back to the same value, even for names
    SymPy would read as something else (I is not the imaginary unit here)."""
    names = NAMES
    f = " + ".join(f"{n}^2*{names[(i + 1) % len(names)]}" for i, n in enumerate(names))
    src = tmp_path / "n.yaml"
    src.write_text(f'id: "n"\nvariables: [{", ".join(names)}]\nfunctions:\n  f: "{f}"\n'
                   "parts:\n  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f, detail: answer}\n",
                   encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "out" / "n.json").read_text())
    symbols = {n: sp.Symbol(n) for n in names}
    point = {symbols[n]: sp.Rational(i + 2, 7) for i, n in enumerate(names)}

    def value(text):
        expr = sp.sympify(text)  # as a grader would: no locals, no hints
        assert {s.name for s in expr.free_symbols} <= set(names), text
        return expr.subs(point)

    reference = sum(symbols[n] ** 2 * symbols[names[(i + 1) % len(names)]] for i, n in enumerate(names))
    grad = [sp.diff(reference, symbols[n]) for n in names]
    got = [value(t) for t in doc["parts"][0]["result"]]
    assert got == [g.subs(point) for g in grad]
    for node in doc["parts"][0]["steps"]:
        value(node["expr"]), value(node["result"])
    hess = doc["parts"][1]["result"]
    assert value(hess[0][1]) == sp.diff(grad[0], symbols[names[1]]).subs(point)
