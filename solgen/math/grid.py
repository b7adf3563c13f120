"""An expression on a numpy grid, by walking its SymPy tree with a fixed table of numpy
functions: no ``lambdify``, no ``eval``, no text from a problem file is ever executed.

``values(expr, {x: X, y: Y})`` gives an array of ``expr``'s real values; where it has none
(``log`` of a negative number, a pole, an overflow) the entry is NaN: the figure shows a
gap there, never a crash. Unknown node types raise ``NotDrawable``. To support a function,
add its class to ``_FUNCS`` (and to ``math/functions.py``, the one table of known functions).
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Mapping

# numpy's OpenBLAS starts a thread per core at import, and they spin: a figure needs no
# parallel linear algebra, and one thread saves a tenth of a second of CPU per render.
# Set before numpy is first imported (here or in grid.py/figure.py); a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402 - after the thread setting above
import sympy as sp

from solgen.math.named import Named

from solgen.math.functions import sigmoid


class NotDrawable(ValueError):
    """The expression has a node the grid evaluator has no numpy function for."""


def _erf(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[float])(a)


def _erfc(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erfc, otypes=[float])(a)


def _acot(a: np.ndarray) -> np.ndarray:
    return np.arctan(1.0 / a)


_FUNCS: dict[type, Callable[[np.ndarray], np.ndarray]] = {
    sp.exp: np.exp,
    sp.log: np.log,
    sp.sin: np.sin,
    sp.cos: np.cos,
    sp.tan: np.tan,
    sp.sec: lambda a: 1.0 / np.cos(a),
    sp.csc: lambda a: 1.0 / np.sin(a),
    sp.cot: lambda a: np.cos(a) / np.sin(a),
    sp.asin: np.arcsin,
    sp.acos: np.arccos,
    sp.atan: np.arctan,
    sp.acot: _acot,
    sp.asec: lambda a: np.arccos(1.0 / a),
    sp.acsc: lambda a: np.arcsin(1.0 / a),
    sp.sinh: np.sinh,
    sp.cosh: np.cosh,
    sp.tanh: np.tanh,
    sp.sech: lambda a: 1.0 / np.cosh(a),
    sp.csch: lambda a: 1.0 / np.sinh(a),
    sp.coth: lambda a: 1.0 / np.tanh(a),
    sp.asinh: np.arcsinh,
    sp.acosh: np.arccosh,
    sp.atanh: np.arctanh,
    sp.acoth: lambda a: np.arctanh(1.0 / a),
    sp.Abs: np.abs,
    sp.sign: np.sign,
    sigmoid: lambda a: 1.0 / (1.0 + np.exp(-a)),
    sp.erf: _erf,
    sp.erfc: _erfc,
}


def values(expr: sp.Expr, grid: Mapping[sp.Symbol, np.ndarray]) -> np.ndarray:
    """``expr`` at every grid point (arrays of one shape), NaN where it has no finite real
    value."""
    shape = next(iter(grid.values())).shape
    with np.errstate(all="ignore"):
        out = np.asarray(_walk(expr, grid, {}), dtype=float)
        out = np.broadcast_to(out, shape).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def _walk(expr: sp.Basic, grid: Mapping[sp.Symbol, np.ndarray], memo: dict) -> Any:
    if expr in memo:
        return memo[expr]
    if expr.is_Symbol:
        if expr not in grid:
            raise NotDrawable(f"{expr} is not a variable of the figure (a constant needs a value to draw)")
        out: Any = grid[expr]
    elif expr.is_Number or expr.is_NumberSymbol:
        if expr.is_real is False:
            raise NotDrawable(f"{expr} is not real")
        out = float(expr)
    elif isinstance(expr, sp.Add):
        out = 0.0
        for a in expr.args:
            out = out + _walk(a, grid, memo)
    elif isinstance(expr, sp.Mul):
        out = 1.0
        for a in expr.args:
            out = out * _walk(a, grid, memo)
    elif isinstance(expr, sp.Pow):
        out = _power(_walk(expr.base, grid, memo), expr.exp, grid, memo)
    elif type(expr) in _FUNCS and len(expr.args) == 1:
        out = _FUNCS[type(expr)](np.asarray(_walk(expr.args[0], grid, memo), dtype=float))
    elif isinstance(expr, Named):  # a function of the file kept by name (p in L): its definition
        out = _walk(expr.opened(), grid, memo)
    else:
        raise NotDrawable(f"cannot draw {type(expr).__name__} on a grid")
    memo[expr] = out
    return out


def _power(base: Any, exp: sp.Expr, grid: Mapping[sp.Symbol, np.ndarray], memo: dict) -> Any:
    """base**exp on the real line: an odd root of a negative number is real (cbrt), any
    other fractional power of one is NaN."""
    base = np.asarray(base, dtype=float)
    if exp.is_Integer:
        return np.power(base, float(exp)) if exp < 0 else np.power(base, int(exp))
    if exp.is_Rational and exp.q % 2 == 1:  # x^(1/3), x^(2/3): real for negative x too
        root = np.cbrt(base) if exp.q == 3 else np.sign(base) * np.abs(base) ** (1.0 / exp.q)
        return np.power(root, float(exp.p))
    e = np.asarray(_walk(exp, grid, memo), dtype=float)
    return np.where(base >= 0, np.power(np.abs(base), e), np.nan)
