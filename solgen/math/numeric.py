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


def _walk(expr: sp.Expr, point: Mapping[sp.Symbol, object], memo: dict, real_parts: bool = True) -> object:
    """``expr`` at ``point``. With ``real_parts`` every part must be real (solgen's reading:
    sqrt(-1) has no value); without, parts may be complex (SymPy's re/im forms of a real
    derivative pass through I) and only the caller looks at the final value."""
    if expr in memo:
        return memo[expr]
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
        out = mpmath.fsum(_walk(a, point, memo, real_parts) for a in expr.args)
    elif isinstance(expr, sp.Mul):
        out = mpmath.fprod(_walk(a, point, memo, real_parts) for a in expr.args)
    elif isinstance(expr, sp.Pow):
        base, exp = expr.args
        if exp.is_Integer:
            b = _walk(base, point, memo, real_parts)
            if b == 0 and exp < 0:
                raise NotNumeric("division by zero")
            _guard_power(b, int(exp))
            out = b ** int(exp)
        else:
            b, e = _walk(base, point, memo, real_parts), _walk(exp, point, memo, real_parts)
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
        out = _walk(expr.opened(), point, memo, real_parts)
    elif type(expr) in _FUNCS and len(expr.args) == 1:
        arg = _walk(expr.args[0], point, memo, real_parts)
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
            out = _walk(expr, _mp_point(point), {}, real_parts)
            result = complex(out)
        except NotNumeric:
            raise
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise NotNumeric(str(exc)) from None
    if result != result or abs(result) == float("inf"):
        raise NotNumeric("not finite")
    return result


def _mp_point(point: Mapping[sp.Symbol, object]) -> dict:
    """The point's coordinates as mpmath numbers at the working precision (the checker
    asks for the same few points again and again: converted once)."""
    return dict(_mp_items(tuple(point.items()), mpmath.mp.prec))


@lru_cache(maxsize=4096)
def _mp_items(items: tuple, prec: int) -> tuple:
    return tuple((s, mpmath.mpf(int(v.p)) / int(v.q) if isinstance(v, sp.Rational) else mpmath.mpmathify(v)) for s, v in items)


def slope(expr: sp.Expr, var: sp.Symbol, point: Mapping[sp.Symbol, object], prec: int = PREC) -> complex:
    """d(expr)/d(var) at ``point`` by a central difference at ``prec`` digits."""
    with mpmath.workdps(prec):
        h = mpmath.mpf(10) ** (-(prec // 3))
        base = _mp_point(point)
        try:
            up = _walk(expr, {**base, var: base[var] + h}, {})
            down = _walk(expr, {**base, var: base[var] - h}, {})
            result = complex((up - down) / (2 * h))
        except NotNumeric:
            raise
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise NotNumeric(str(exc)) from None
    if result != result or abs(result) == float("inf"):
        raise NotNumeric("not finite")
    return result
