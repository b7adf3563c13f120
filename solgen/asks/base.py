"""What every ask has: a typed ``Result`` (``derive/result.py``: the writers and JSON read
it by attribute) and an ``Ask`` entry (``input/askspec.py``: its keys, how to read them,
derive, present), with helpers the asks share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import sympy as sp

from solgen.derive.result import Entry, Result
from solgen.errors import SpecError
from solgen.input.askspec import COMMON_KEYS, Ask
from solgen.math.named import unfold

if TYPE_CHECKING:
    from solgen.derive.calculus import Engine
    from solgen.input.problem import Part

__all__ = ["COMMON_KEYS", "Ask", "Entry", "Result", "at_point", "derivative", "factored", "matrix_form", "no_wrt"]


def at_point(engine: "Engine", part: "Part", result: Any) -> Any:
    """``result`` (an expression, a list or a matrix) at the part's point ``at``, exactly;
    None when the part has no point."""
    if not part.at:
        return None
    if isinstance(result, (list, tuple)):
        return [at_point(engine, part, r) for r in result]
    return engine.at(result, part)


def factored(result: Any, factor: Callable[[sp.Expr], sp.Expr]) -> Any:
    """``simplify: factor``: the result with common factors pulled out, or None if that
    changes nothing (a list, a matrix or one expression)."""
    if isinstance(result, list) and result and isinstance(result[0], list):
        rows = [[factor(e) for e in row] for row in result]
        return rows if rows != [list(r) for r in result] else None
    if isinstance(result, list):
        out = [factor(e) for e in result]
        return out if out != list(result) else None
    out1 = factor(result)
    return out1 if out1 != result else None


def no_wrt(data: Any, pid: str) -> None:
    """``wrt:`` names one of several vector or matrix variables; a scalar problem has none."""
    if "wrt" in data:
        raise SpecError(f"part ({pid}): 'wrt' picks one of several vector or matrix variables (a file with 'shapes'); "
                        "here every partial is taken, or ask for one with ask: partial", data.key_lines["wrt"])


def derivative(expr: Any, *variables: Any) -> Any:
    """What a derivative's symbol means, as a ``Formula`` side: d(expr)/d(variables),
    unevaluated, with the file's named functions opened (sympify reads it back)."""

    return sp.Derivative(unfold(expr), *variables)


def matrix_form(rows: Any) -> Any:
    """A list (a column) or a list of rows as a SymPy Matrix, named functions opened."""

    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
    return sp.Matrix([[unfold(e) for e in row] for row in rows])

