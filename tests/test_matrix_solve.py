"""Closed forms of grad L = 0 for affine gradients (solgen/matrix/solve.py): the normal
equations and w* = H^{-1} c, checked here with SymPy on random concrete sizes (the expanded
gradient vanishes at w*), independent of the engine's own checker."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from solgen.input.problem import parse_problem
from solgen.matrix.asks import MatrixEngine
from solgen.matrix.ast import Ref, text
from solgen.matrix.solve import NotAffine, solve_affine_gradient
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
