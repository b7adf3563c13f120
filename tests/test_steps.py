"""Every node of every step tree equals sympy.diff of its expression."""

from __future__ import annotations

import pytest
import sympy as sp

from conftest import PROBLEMS, solved
from solgen.derive.check import equal
from solgen.math.named import unfold


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_node_of_every_tree_checks(path):
    solution = solved(str(path))
    if getattr(solution.problem, "shapes", None) is not None:
        pytest.skip("vectors and matrices: tests/test_matrix.py checks every node against the entrywise derivative")
    nodes = 0
    sheet = getattr(solution, "sheet", ())  # a file with problems: every problem's trees
    for d in [d for s in (solution, *sheet) for d in s.derivations]:
        for entry in d.entries:
            for node in entry.tree.walk():
                nodes += 1
                expected = sp.diff(node.expr, node.var)
                assert equal(node.result, expected), (type(node).__name__, node.expr, node.var, node.result)
                # a function of the file kept by name (p in L) stands for its definition
                assert sp.simplify(unfold(node.result) - unfold(expected)) == 0
    assert nodes > 0
    assert solution.fallbacks() == 0


def test_equal_is_not_trivially_true():
    x = sp.Symbol("x", real=True)
    assert not equal(sp.sin(x), sp.cos(x))
    assert not equal(x**2 + 1, x**2)
    assert equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1))


def test_second_derivatives_of_abs_have_steps():
    """|x1 - x2| differentiated twice meets sign(x1 - x2): a step rule, not the fallback."""
    from solgen.derive.diff import diff_steps

    x1, x2 = sp.symbols("x1 x2", real=True)
    first = diff_steps(sp.Abs(x1 - x2) + x1 * x2, x1, (x1, x2))
    assert first.result == sp.sign(x1 - x2) + x2
    for var in (x1, x2):
        tree = diff_steps(first.result, var, (x1, x2))
        assert not tree.contains_fallback()
        assert "SignRule" in {type(n).__name__ for n in tree.walk()}
        assert tree.result == (0 if var == x1 else 1)
        for node in tree.walk():  # sympy says 2*DiracDelta(x1 - x2): equal away from x1 = x2
            assert equal(node.result, sp.diff(node.expr, node.var)), node
