"""Is a step right? ``equal(a, b)`` decides whether two expressions agree, and
``verify(tree)`` checks every node of a step tree against ``sympy.diff``.

Cheap tests come first (structural, then ``expand``); then exact evaluation at a few
rational points (a difference that vanishes at random points and is built from
elementary functions is zero with overwhelming probability, and one that does not
vanish at some point is certainly non-zero); ``simplify`` is the last resort.
"""

from __future__ import annotations

import random
from typing import Iterable

import sympy as sp

from . import numeric
from .rules import Rule

_POINTS = 4


def _sample_points(symbols: Iterable[sp.Symbol], seed: int) -> list[dict[sp.Symbol, sp.Expr]]:
    rng = random.Random(seed)
    syms = sorted(symbols, key=lambda s: s.name)
    # values in (0.1, 0.9): inside the domain of log, sqrt, asin, acos, atanh, ...
    return [{s: sp.Rational(rng.randint(11, 89), 100) for s in syms} for _ in range(_POINTS)]


def _numeric(expr: sp.Expr, point: dict[sp.Symbol, sp.Expr]) -> complex | None:
    try:
        return numeric.value(expr, point)
    except numeric.NotNumeric:
        return None


def matches_slope(result: sp.Expr, expr: sp.Expr, var: sp.Symbol) -> bool | None:
    """Does ``result`` agree with a high-precision central difference of ``expr`` in ``var``
    at two sample points? None when no point gave a number (then check exactly)."""
    free = (expr.free_symbols | result.free_symbols | {var})
    checked = 0
    for point in _sample_points(free, seed=len(free))[:2]:
        try:
            want = numeric.slope(expr, var, point)
            got = numeric.value(result, point)
        except numeric.NotNumeric:
            continue
        if abs(got - want) > 1e-12 * max(1.0, abs(want)):
            return False
        checked += 1
    return True if checked else None


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    """True when ``a`` and ``b`` are the same function (on the sampled domain)."""
    if a == b:
        return True
    diff = a - b
    if diff == 0:
        return True
    free = diff.free_symbols
    if free:
        checked = 0
        for point in _sample_points(free, seed=len(free))[:2]:
            value = _numeric(diff, point)
            if value is None:
                continue
            scale = max(1.0, abs(_numeric(a, point) or 0))
            if abs(value) > 1e-12 * scale:
                return False
            checked += 1
        if checked == 2:
            return True
    try:
        if sp.expand(diff) == 0:
            return True
    except Exception:  # noqa: BLE001 - expand can fail on exotic functions; fall through
        pass
    return sp.simplify(diff) == 0


def verify(tree: Rule) -> list[Rule]:
    """The nodes of ``tree`` whose result is not d(expr)/d(var) (empty when all check)."""
    return [node for node in tree.walk() if not equal(node.result, sp.diff(node.expr, node.var))]
