"""Checks on random concrete sizes: every step and every result of the matrix engine.

For each of several draws, every size symbol gets a small integer (different sizes where
possible, so a missing transpose cannot pass), every declared name random entries (the
assumptions honoured), and then

* a step ``d(expr) = result`` must give, for a random direction dw, the directional
  derivative of expr (a complex step: Im expr(w + i h dw) / h, exact to rounding);
* a gradient g must give, entry by entry, dL/dw_j of the expanded scalar expression;
* a Hessian or Jacobian H must give, column by column, d(g)/dw_j.

A failure is a bug in solgen (``CheckError``), never the user's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from solgen.math.shaped import Node, Index, Sum, children
from solgen.math.shaped_numeric import Mat, Undefined, evaluate, random_value

DRAWS = 3
H = 1e-20


class Mismatch(ArithmeticError):
    pass


@dataclass
class Draw:
    sizes: dict[str, int]
    env: dict[str, Mat]
    pick: int = 0  # which term of a sum a step inside it is checked on


def draws(shapes: dict[str, tuple[sp.Expr, sp.Expr]], scalars: list[str], sizes: list[str], kinds: dict[str, str],
          count: int = DRAWS, seed: int = 446, low: int = 2) -> list[Draw]:
    rng = random.Random(seed)
    out = []
    for k in range(count):
        pool = list(range(low, low + max(3, len(sizes) + 1)))
        rng.shuffle(pool)
        concrete = {s: pool[i] for i, s in enumerate(sizes)}
        env: dict[str, Mat] = {}
        for name, shape in shapes.items():
            env[name] = random_value(shape, concrete, rng, kinds.get(name, ""))
        for name in scalars:
            env[name] = [[complex(rng.uniform(0.3, 1.5))]]
        out.append(Draw(concrete, env, rng.randrange(1000)))
    return out


def close(a: complex, b: complex) -> bool:
    return abs(a - b) <= 1e-7 * (1 + abs(a) + abs(b))


def free_indices(node: Node, bound: frozenset[str] = frozenset()) -> dict[str, Node]:
    """The sum indices used outside their sum (a step inside sum_i works on one term):
    index -> the vector or matrix it indexes."""
    out: dict[str, Node] = {}
    if isinstance(node, Index) and node.index not in bound and not node.index.isdigit():
        out[node.index] = node.base
    inner = bound | {node.index} if isinstance(node, Sum) else bound
    for c in children(node):
        out.update(free_indices(c, inner))
    return out


def _value(node: Node, draw: Draw, extra: dict[str, Mat] | None = None) -> Mat:
    env = dict(draw.env)
    for index, base in free_indices(node).items():  # a term of a sum: checked at an index drawn with the sizes
        env[index] = 1 + draw.pick % len(evaluate(base, dict(draw.env), draw.sizes))
    if extra:
        env.update(extra)
    return evaluate(node, env, draw.sizes)


def _stepped(node: Node, var: str, draw: Draw, direction: Mat) -> Mat:
    """Im node(w + i h direction) / h: the directional derivative, entry by entry."""
    w = draw.env[var]
    moved = [[x + 1j * H * dx for x, dx in zip(rw, rd)] for rw, rd in zip(w, direction)]
    val = _value(node, draw, {var: moved})
    return [[x.imag / H for x in row] for row in val]


def _same(a: Mat, b: Mat) -> bool:
    return len(a) == len(b) and all(len(ra) == len(rb) and all(close(x, y) for x, y in zip(ra, rb)) for ra, rb in zip(a, b))


def _real(m: Mat) -> Mat:
    return [[complex(x.real) for x in row] for row in m]


def _attempt(fn: Callable[[], bool]) -> bool | None:
    try:
        return fn()
    except (Undefined, ZeroDivisionError, OverflowError):
        return None


def check_step(expr: Node, result: Node, var: str, dvar: str, all_draws: list[Draw]) -> bool:
    """d(expr) = result, linear in dvar, on every draw (a draw where expr is undefined is
    skipped; at least one must decide)."""
    decided = False
    for k, draw in enumerate(all_draws):
        rng = random.Random(k)
        shape = draw.env[var]
        direction = [[complex(rng.uniform(-1, 1)) for _ in row] for row in shape]

        def one() -> bool:
            want = _stepped(expr, var, draw, direction)
            got = _real(_value(result, draw, {dvar: direction}))
            return _same(want, got)
        ok = _attempt(one)
        if ok is False:
            return False
        decided = decided or ok is True
    return decided


def check_coefficient(expr: Node, coefficient: Node, var: str, all_draws: list[Draw], gradient: bool) -> bool:
    """Column j of the Jacobian of expr (or entry j of the gradient) against the derivative
    of expr along the j-th unit vector, for every j."""
    decided = False
    for draw in all_draws:
        rows, cols = len(draw.env[var]), len(draw.env[var][0])

        def one() -> bool:
            coef = _real(_value(coefficient, draw))
            if gradient and (len(coef) != rows or len(coef[0]) != cols):
                return False
            for j in range(rows * cols):  # the j-th entry of the variable (row by row)
                unit = [[complex(r * cols + c == j) for c in range(cols)] for r in range(rows)]
                want = _stepped(expr, var, draw, unit)
                got = [[coef[j // cols][j % cols]]] if gradient else [[row[j]] for row in coef]
                if not _same(want, got):
                    return False
            return True
        ok = _attempt(one)
        if ok is False:
            return False
        decided = decided or ok is True
    return decided


def check_equal(a: Node, b: Node, all_draws: list[Draw]) -> bool:
    """a = b on every draw (at least one decides)."""
    decided = False
    for draw in all_draws:
        ok = _attempt(lambda: _same(_value(a, draw), _value(b, draw)))
        if ok is False:
            return False
        decided = decided or ok is True
    return decided
