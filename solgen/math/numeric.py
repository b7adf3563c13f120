"""Fast exact-enough numbers: evaluate an expression at a point with mpmath, by walking it.

``value(expr, point)`` is what ``expr.xreplace(point).evalf()`` gives on the real domain
(a point where any part of the expression is not real raises ``NotNumeric``: solgen's
functions are real functions, and |u| or sign(u) rules hold for real u only), ten to a hundred
times faster on the expressions derivations produce, because it neither rebuilds nor
simplifies anything. ``slope(expr, var, point)`` is a central difference at high precision,
an independent check of a symbolic derivative that needs no ``sympy.diff``.

Unknown node types fall back to SymPy's own ``evalf``. To support a function natively,
add it to the table in ``math/functions.py``.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable, Mapping

import mpmath
import sympy as sp

from solgen.math import functions
from solgen.math.named import Named

PREC = 60  # decimal digits used for checks

_FUNCS: dict[type, Callable] = {**{k.sympy: k.numeric for k in functions.FUNCTIONS}, **functions.INTERNAL}


class NotNumeric(ValueError):
    """The expression has no finite value at the point (or none we can trust)."""


class TooLargeValue(NotNumeric):
    """The value (or a part of it) is beyond MAX_MAG: refused, not computed."""


# Values beyond these bounds are refused (TooLargeValue) rather than computed: no course
# function reaches them, and computing them can take unbounded time and memory
# (exp(exp(exp(exp(2)))) has a 10^(10^70)-sized exponent; sin of a 10^70000-sized number
# needs 70000 digits of pi, and at 60 digits its value is noise anyway).
MAX_MAG = 4000  # bits: |value| < 2^4000, about 10^1200
MAX_PERIODIC_ARG = 10**12  # |u| in sin(u), cos(u), ... : beyond, 60 digits leave < 48 for the value
_PERIODIC = tuple(k.sympy for k in functions.FUNCTIONS if k.periodic)
_EXPLIKE = tuple(k.sympy for k in functions.FUNCTIONS if k.grows)


def _guard_arg(func: type, arg: object) -> None:
    if func in _PERIODIC and abs(arg) > MAX_PERIODIC_ARG:
        raise TooLargeValue("argument too large to evaluate accurately")
    if func in _EXPLIKE and abs(arg) > MAX_MAG:
        raise TooLargeValue("value too large")


def _check_size(out: object) -> None:
    """NotNumeric unless ``out`` is finite and below 2^MAX_MAG. Reads an mpf's raw
    (sign, mantissa, exponent, bitcount): this runs on every node of every check."""
    raw = getattr(out, "_mpf_", None)
    if raw is None:  # mpc, when parts may be complex
        if not mpmath.isfinite(out):
            raise NotNumeric("not finite")
        if out and mpmath.mag(out) > MAX_MAG:
            raise TooLargeValue("value too large")
    elif not raw[1]:  # zero, or inf / nan (mantissa 0, exponent not 0)
        if raw[2]:
            raise NotNumeric("not finite")
    elif raw[2] + raw[3] > MAX_MAG:
        raise TooLargeValue("value too large")


def _guard_power(base: object, exp: object) -> None:
    """Refuse b**e when |b**e| would pass 2^MAX_MAG (cheaply: from the exponent of b)."""
    if base == 0:
        return
    if abs(exp) * (abs(mpmath.mag(base)) + 1) > 4 * MAX_MAG:
        raise TooLargeValue("value too large")


def _walk(expr: sp.Expr, point: Mapping[sp.Symbol, object], memo: dict, real_parts: bool = True,
          near: tuple | None = None) -> object:
    """``expr`` at ``point``. With ``real_parts`` every part must be real (solgen's reading:
    sqrt(-1) has no value); without, parts may be complex (SymPy's re/im forms of a real
    derivative pass through I) and only the caller looks at the final value.

    ``near`` is (var, base point, its memo) when ``point`` is the base point moved in var
    alone: a part that does not depend on var has its value at the base point, the very
    same number, so it is taken from there (computed there once for every check)."""
    if expr in memo:
        return memo[expr]
    if near is not None and near[0] not in _depends(expr):
        out = memo[expr] = _walk(expr, near[1], near[2], real_parts)
        return out
    if expr.is_Symbol:
        if expr not in point:
            raise NotNumeric(f"no value for {expr}")
        out = point[expr]
    elif expr.is_Integer:
        out = mpmath.mpf(int(expr))
    elif expr.is_Rational:
        out = mpmath.mpf(int(expr.p)) / int(expr.q)
    elif expr.is_Float:
        out = mpmath.mpf(str(expr))
    elif isinstance(expr, sp.Add):
        out = mpmath.fsum(_walk(a, point, memo, real_parts, near) for a in expr.args)
    elif isinstance(expr, sp.Mul):
        out = mpmath.fprod(_walk(a, point, memo, real_parts, near) for a in expr.args)
    elif isinstance(expr, sp.Pow):
        base, exp = expr.args
        if exp.is_Integer:
            b = _walk(base, point, memo, real_parts, near)
            if b == 0 and exp < 0:
                raise NotNumeric("division by zero")
            _guard_power(b, int(exp))
            out = b ** int(exp)
        else:
            b, e = _walk(base, point, memo, real_parts, near), _walk(exp, point, memo, real_parts, near)
            _guard_power(b, e)
            out = mpmath.power(b, e)
    elif isinstance(expr, sp.Derivative) and len(expr.variable_count) == 1 and expr.variable_count[0][1] == 1:
        # what sympy.diff leaves unevaluated (d/dx re(sqrt(-x)), say): a central difference
        var = expr.variable_count[0][0]
        h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 3))
        at = point[var]
        up = _walk(expr.expr, {**point, var: at + h}, {}, real_parts)
        down = _walk(expr.expr, {**point, var: at - h}, {}, real_parts)
        out = (up - down) / (2 * h)
    elif isinstance(expr, Named):  # a function of the file kept by name: its definition
        out = _walk(expr.opened(), point, memo, real_parts, near)
    elif type(expr) in _FUNCS and len(expr.args) == 1:
        arg = _walk(expr.args[0], point, memo, real_parts, near)
        _guard_arg(type(expr), arg)
        out = _FUNCS[type(expr)](arg)
    elif expr.is_number:
        out = mpmath.mpmathify(complex(expr.evalf(mpmath.mp.dps)))
    else:
        sub = expr.xreplace({s: sp.Float(str(point[s]), mpmath.mp.dps) for s in expr.free_symbols if s in point})
        out = mpmath.mpmathify(complex(sub.evalf(mpmath.mp.dps)))
    if isinstance(out, mpmath.mpc) and not out.imag:
        out = out.real
    if isinstance(out, mpmath.mpc) and real_parts:
        raise NotNumeric("outside the real domain")  # sqrt(-1), log(-2), asin(3), ...
    _check_size(out)
    memo[expr] = out
    return out


def value(expr: sp.Expr, point: Mapping[sp.Symbol, object], prec: int = PREC, real_parts: bool = True) -> complex:
    """``expr`` at ``point`` as a (possibly complex) number; NotNumeric when undefined.
    ``real_parts=False`` lets parts be complex (see ``_walk``)."""
    with mpmath.workdps(prec):
        try:
            key, at = _at(point)
            out = _walk(expr, at, _memo((key, mpmath.mp.prec, real_parts)), real_parts)
            result = complex(out)
        except NotNumeric:
            raise
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise NotNumeric(str(exc)) from None
    if result != result or abs(result) == float("inf"):
        raise NotNumeric("not finite")
    return result


# Values already computed, by point: the checker evaluates many expressions that share
# parts (a gradient's entries, the Hessian built on them) at the same few points, and a
# value depends on nothing but the part, the point, the precision and real_parts. Bounded:
# past about _MEMO_MAX values in all (counted every _MEMO_EVERY lookups), every memo is dropped.
_MEMOS: dict[tuple, dict] = {}
_MEMO_MAX = 50_000
_MEMO_EVERY = 256
_lookups = itertools.count()
_POINT_IDS = itertools.count()


def _memo(key: tuple) -> dict:
    """The memo of values at one point: ``key`` is (the point's name, the working
    precision, real_parts), and for a point moved by a central difference's step, the
    variable moved and the direction."""
    if not next(_lookups) % _MEMO_EVERY and sum(map(len, _MEMOS.values())) > _MEMO_MAX:
        _MEMOS.clear()
    memo = _MEMOS.get(key)
    if memo is None:
        memo = _MEMOS[key] = {}
    return memo


_DEPENDS: dict[sp.Basic, frozenset] = {}


def _depends(expr: sp.Basic) -> frozenset:
    """The symbols ``expr``'s value may depend on (a superset of its free symbols: a
    function of the file adds those of its definition), kept for every part seen."""
    out = _DEPENDS.get(expr)
    if out is None:
        if expr.is_Symbol:
            out = frozenset((expr,))
        elif not expr.args:
            out = frozenset()
        else:
            out = frozenset().union(*(_depends(a) for a in expr.args))
            if isinstance(expr, Named):
                out |= _depends(expr.opened())
        if len(_DEPENDS) > _MEMO_MAX:
            _DEPENDS.clear()
        _DEPENDS[expr] = out
    return out


class Point(dict):
    """A point the checker uses again and again (its coordinates, SymPy numbers; not to be
    changed): named in the memos by a number of its own, its mpmath coordinates made once
    per precision."""

    def __init__(self, coords: Mapping[sp.Symbol, object]):
        super().__init__(coords)
        self.key = ("point", next(_POINT_IDS))
        self.mp: dict[int, dict] = {}


def _at(point: Mapping[sp.Symbol, object]) -> tuple[tuple, dict]:
    """(the point's name in the memos, its coordinates as mpmath numbers at the working
    precision)."""
    prec = mpmath.mp.prec
    if isinstance(point, Point):
        coords = point.mp.get(prec)
        if coords is None:
            coords = point.mp[prec] = dict(_mp_items(tuple(point.items()), prec))
        return point.key, coords
    items = tuple(point.items())
    return items, dict(_mp_items(items, prec))


@lru_cache(maxsize=4096)
def _mp_items(items: tuple, prec: int) -> tuple:
    """The point's coordinates as mpmath numbers at the working precision (the checker
    asks for the same few points again and again: converted once)."""
    return tuple((s, mpmath.mpf(int(v.p)) / int(v.q) if isinstance(v, sp.Rational) else mpmath.mpmathify(v)) for s, v in items)


def slope(expr: sp.Expr, var: sp.Symbol, point: Mapping[sp.Symbol, object], prec: int = PREC) -> complex:
    """d(expr)/d(var) at ``point`` by a central difference at ``prec`` digits."""
    with mpmath.workdps(prec):
        h = mpmath.mpf(10) ** (-(prec // 3))
        key, base = _at(point)
        key = (key, mpmath.mp.prec, True)
        near = (var, base, _memo(key))
        try:
            up = _walk(expr, {**base, var: base[var] + h}, _memo(key + (var, 1)), True, near)
            down = _walk(expr, {**base, var: base[var] - h}, _memo(key + (var, -1)), True, near)
            result = complex((up - down) / (2 * h))
        except NotNumeric:
            raise
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise NotNumeric(str(exc)) from None
    if result != result or abs(result) == float("inf"):
        raise NotNumeric("not finite")
    return result
