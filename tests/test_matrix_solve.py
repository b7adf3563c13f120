"""Closed forms of grad L = 0 for affine gradients (solgen/derive/shaped_solve.py): the normal
equations and w* = H^{-1} c, checked here with SymPy on random concrete sizes (the expanded
gradient vanishes at w*), independent of the engine's own checker."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from solgen.input.problem import parse_problem
from solgen.asks.shaped import MatrixEngine
from solgen.math.shaped import Ref, text
from solgen.derive.shaped_solve import NotAffine, solve_affine_gradient
from test_matrix import expand

HEAD = "id: s\nvariables: [w]\nshapes: {w: [d], X: [m, d], y: [m], A: [d, d], b: [d]}\n"


def _solve(loss: str, constants: str = ""):  # noqa: ANN202
    problem = parse_problem(HEAD + constants + f"functions:\n  L: \"{loss}\"\nparts:\n  - {{id: a, ask: gradient, of: L}}\n",
                            "s.yaml")
    engine = MatrixEngine(problem.shapes)
    body = problem.functions["L"].exprs[0]
    _, grad = engine.gradient(Ref("L", body, body.shape))
    return problem, engine, solve_affine_gradient(engine.differ, grad, engine.draws)


@pytest.mark.parametrize(("loss", "constants", "matrix", "solution"), [
    ("norm(X w - y)^2 + lambda * w^T w", "constants: [lambda]\n", "X^T X + lambda eye(d)", "inv(X^T X + lambda eye(d)) X^T y"),
    ("norm(X w - y)^2", "", "X^T X", "inv(X^T X) X^T y"),
    ("1/m * norm(X w - y)^2", "", "X^T X", "inv(X^T X) X^T y"),
    ("w^T A w + b^T w + c", "constants: [c]\n", "A + A^T", "-inv(A + A^T) b"),
])
def test_the_closed_form_solves_the_gradient_entrywise(loss, constants, matrix, solution):
    problem, _, sol = _solve(loss, constants)
    assert text(sol.matrix) == matrix and text(sol.solution) == solution
    for k in range(2):
        rng = random.Random(k)
        sizes = {"m": 4 + k, "d": 2 + k}
        env = {}
        for name, (r, c) in problem.shapes.shapes.items():
            rows, cols = (int(s) if s.is_Integer else sizes[str(s)] for s in (r, c))
            env[name] = sp.Matrix(rows, cols, lambda i, j: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)))
        env["lambda"] = env["c"] = sp.Matrix([[sp.Rational(3, 2)]])
        w_star = expand(sol.solution, sizes, env)
        grad_at = expand(sol.gradient, sizes, {**env, "w": w_star})
        assert grad_at.applyfunc(sp.simplify) == sp.zeros(*grad_at.shape)


def test_the_tas_lines_and_the_condition():
    _, engine, sol = _solve("norm(X w - y)^2 + lambda * w^T w", "constants: [lambda]\n")
    assert sol.equations(engine.var)[1:] == [r"(X^T X + \lambda I) w = X^T y", r"w^* = (X^T X + \lambda I)^{-1} X^T y"]
    assert sol.condition() == "X^T X + lambda eye(d)"


@pytest.mark.parametrize("loss", ["sum(i, 1, m, log(1 + exp(x[i]^T w)) - y[i] x[i]^T w)", "norm(w)^2 * norm(w)^2"])
def test_a_gradient_that_is_not_affine_has_no_closed_form(loss):
    with pytest.raises(NotAffine, match="not affine"):
        _solve(loss)


# -- ask: critical in a file with shapes: the closed form through the whole pipeline ------------

import json  # noqa: E402

import numpy as np  # noqa: E402

from solgen.derive.calculus import solve  # noqa: E402
from solgen.errors import DeriveError, SpecError  # noqa: E402
from solgen.formats.json import to_json  # noqa: E402
from solgen.input.shaped_problem import read_back  # noqa: E402

SHAPES = "shapes: {w: [d], X: [m, d], y: [m], A: [d, d], b: [d]}\n"


def _critical_file(loss: str, constants: str = "", extra: str = "") -> str:
    return (f"id: s\nvariables: [w]\n{SHAPES}{constants}functions:\n  L: \"{loss}\"\nparts:\n"
            f"  - {{id: a, ask: critical, of: L{extra}}}\n")


@pytest.mark.parametrize(("loss", "constants"), [
    ("norm(X w - y)^2 + lambda * w^T w", "constants: [lambda]\n"),
    ("1/m * norm(X w - y)^2", ""),
    ("sum(i, 1, m, (y[i] - x[i]^T w)^2)", ""),
    ("1/2 * w^T A w - b^T w + c", "constants: [c]\n"),
])
def test_critical_closed_form_equals_numpys_solve_of_the_entrywise_gradient(loss, constants):
    problem = parse_problem(_critical_file(loss, constants), "s.yaml")
    doc = json.loads(to_json(solve(problem)))
    part = doc["parts"][0]
    w_star_tree = read_back(part["result"], problem.shapes, doc["symbols"])  # the JSON result, in solgen's grammar
    body = problem.functions["L"].exprs[0]
    for k in range(3):
        rng = random.Random(100 + k)
        sizes = {"m": rng.randint(4, 7), "d": rng.randint(2, 4)}
        env = {}
        for name, (r, c) in problem.shapes.shapes.items():
            rows, cols = (int(s) if s.is_Integer else sizes[str(s)] for s in (r, c))
            env[name] = sp.Matrix(rows, cols, lambda i, j: sp.Integer(rng.randint(-9, 9)))
        env["lambda"] = env["c"] = sp.Matrix([[sp.Rational(rng.randint(1, 9), 2)]])
        ws = sp.symbols(f"w1:{sizes['d'] + 1}")
        loss_value = expand(body, sizes, {**env, "w": sp.Matrix(ws)})[0, 0]  # L in the entries of w
        grad = [sp.diff(loss_value, v) for v in ws]  # the gradient entry by entry
        a, rhs = sp.linear_eq_to_matrix(grad, ws)  # affine: grad = A w - rhs
        expected = np.linalg.solve(np.array(a.tolist(), dtype=float), np.array(rhs.tolist(), dtype=float))
        got = expand(w_star_tree, sizes, env)
        assert np.allclose(np.array(got.tolist(), dtype=float), expected), (loss, sizes)


def test_critical_in_matrix_form_reads_as_a_ta_writes_it():
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    problem = parse_problem(_critical_file("norm(X w - y)^2 + lambda * w^T w", "constants: [lambda]\n"), "s.yaml")
    md = render(build_view(solve(problem)), "md", "handout")
    lines = [r"2 X^T (X w - y) + 2 \lambda w = 0", r"2 X^T X w + 2 \lambda w = 2 X^T y",
             r"(X^T X + \lambda I) w = X^T y", r"w^* = (X^T X + \lambda I)^{-1} X^T y"]
    at = [md.index(line) for line in lines]
    assert at == sorted(at)  # in the order a TA writes them
    assert r"If $X^T X + \lambda I$ is invertible" in md and "Divide by $2$" in md
    doc = json.loads(to_json(solve(problem)))
    assert doc["parts"][0]["result"] == "inv(X^T X + lamda eye(d)) X^T y"
    assert doc["parts"][0]["invertible"] == "X^T X + lamda eye(d)"
    sheet = render(build_view(solve(problem)), "md", "worksheet")
    assert "w^*" not in sheet and r"\nabla L = 0" in sheet  # the worksheet asks, without the answer


def test_critical_of_a_non_affine_gradient_is_an_error_at_the_part():
    problem = parse_problem(_critical_file("sum(i, 1, m, log(1 + exp(x[i]^T w)) - y[i] x[i]^T w)"), "s.yaml")
    with pytest.raises(DeriveError, match="not affine") as err:
        solve(problem)
    assert err.value.line == 7  # the part's line


def test_critical_with_vectors_refuses_a_constraint():
    with pytest.raises(SpecError, match="subject_to") as err:
        parse_problem(_critical_file("norm(X w - y)^2", extra=', subject_to: "w^T w = 1"'), "s.yaml")
    assert err.value.line == 7


@pytest.mark.parametrize(("loss", "constants"), [
    ("norm(X w - y)^2 + lambda * w^T w", "constants: [lambda]\n"),
    ("1/2 * w^T A w - b^T w + c", "constants: [c]\n"),
])
def test_newton_with_vectors_lands_on_numpys_minimiser_from_any_start(loss, constants):
    text_ = _critical_file(loss, constants).replace("ask: critical", "ask: newton")
    problem = parse_problem(text_, "s.yaml")
    doc = json.loads(to_json(solve(problem)))
    part = doc["parts"][0]
    start, landed = part["result"]["iterates"]
    assert start == {"w": "w_0"}
    landed_tree = read_back(landed["w"], problem.shapes, doc["symbols"])
    body = problem.functions["L"].exprs[0]
    rng = random.Random(7)
    sizes = {"m": 5, "d": 3}
    env = {}
    for name, (r, c) in problem.shapes.shapes.items():
        rows, cols = (int(s) if s.is_Integer else sizes[str(s)] for s in (r, c))
        env[name] = sp.Matrix(rows, cols, lambda i, j: sp.Integer(rng.randint(-9, 9)))
    env["lambda"] = env["c"] = sp.Matrix([[sp.Rational(5, 2)]])
    ws = sp.symbols("w1:4")
    loss_value = expand(body, sizes, {**env, "w": sp.Matrix(ws)})[0, 0]
    grad = sp.Matrix([sp.diff(loss_value, v) for v in ws])
    hess = grad.jacobian(ws)
    w0 = sp.Matrix([rng.randint(-5, 5) for _ in ws])  # one Newton step from a random start, entry by entry
    newton = w0 - hess.inv() * grad.subs(dict(zip(ws, w0)))
    got = expand(landed_tree, sizes, env)
    assert np.allclose(np.array(got.tolist(), dtype=float), np.array(newton.tolist(), dtype=float))


def test_newton_with_vectors_refuses_a_start_and_a_non_quadratic():
    with pytest.raises(SpecError, match="drop 'at'"):
        parse_problem(_critical_file("norm(X w - y)^2").replace("ask: critical", "ask: newton").replace(
            "of: L}", "of: L, at: {w: [1, 2]}}"), "s.yaml")
    problem = parse_problem(_critical_file("sum(i, 1, m, log(1 + exp(x[i]^T w)))").replace("ask: critical", "ask: newton"),
                            "s.yaml")
    with pytest.raises(DeriveError, match="not affine") as err:
        solve(problem)
    assert err.value.line == 7
