"""Is a step right? ``equal(a, b)`` decides whether two expressions agree, and
``verify(tree)`` checks every node of a step tree against ``sympy.diff``.

Cheap tests come first (structural); then 60-digit evaluation at a few rational points in
the real domain (two expressions built from elementary functions that agree at random
points are equal with overwhelming probability; one real point where they differ proves
them different); ``expand`` and ``simplify`` are the last resort, and only for
expressions whose expansion ``expansion_work`` estimates as small: past EXPAND_MAX_WORK
``equal`` raises ``TooLarge`` instead (multiplying out (x1 + x2 + 1)^60 (x1 - x2 + 3)^60
holds millions of terms at once, gigabytes).
"""

from __future__ import annotations

import itertools
import math
import random
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

import sympy as sp

from solgen.math import numeric
from solgen.math.named import unfold
from solgen.derive.rules import Rule

# Sample boxes, in hundredths: (0.11, 0.89) first (inside the domain of log, sqrt, asin,
# acos, atanh, ...), then negative values and values above 1 for functions defined there.
_BOXES = ((11, 89), (-89, -11), (111, 289))
# The extra points (drawn when the first ones are not real) also reach further out, for
# functions real only there: sqrt(x - 3), log(5 - x), (x + 4)^y.
_WIDE_BOXES = _BOXES + ((311, 989), (-989, -311), (-289, -111), (1011, 2989))
_POINTS = 8
_NEEDED = 2  # points in the real domain that must agree


def _sample_points(symbols: Iterable[sp.Symbol], seed: int) -> list[dict[sp.Symbol, sp.Expr]]:
    """Two points with every variable in (0.11, 0.89), then six that walk the variables
    through the boxes in shifted patterns: each box twice for one variable, and mixed
    signs (log(-x1*x2), say) for several."""
    return list(_sample_points_of(tuple(sorted(symbols, key=lambda s: s.name)), seed))


@lru_cache(maxsize=256)
def _sample_points_of(syms: tuple[sp.Symbol, ...], seed: int) -> tuple[numeric.Point, ...]:
    """The points, made once for each set of symbols (numeric.Point: values computed at
    a point are kept for the next check there)."""
    rng = random.Random(seed)
    points = []
    for k in range(_POINTS):
        point = {}
        for i, s in enumerate(syms):
            lo, hi = _BOXES[0] if k < 2 else _BOXES[(k + i * (k // 3)) % len(_BOXES)]
            point[s] = sp.Rational(rng.randint(lo, hi), 100)
        points.append(numeric.Point(point))
    return tuple(points)


def _extra_points(symbols: Iterable[sp.Symbol], seed: int, count: int = 48) -> list[dict[sp.Symbol, sp.Expr]]:
    return list(_extra_points_of(tuple(sorted(symbols, key=lambda s: s.name)), seed, count))


@lru_cache(maxsize=256)
def _extra_points_of(syms: tuple[sp.Symbol, ...], seed: int, count: int) -> tuple[numeric.Point, ...]:
    rng = random.Random(seed + 1)
    out = []
    for _ in range(count):
        out.append(numeric.Point({s: sp.Rational(rng.randint(*rng.choice(_WIDE_BOXES)), 100) for s in syms}))
    return tuple(out)


def _numeric(expr: sp.Expr, point: dict[sp.Symbol, sp.Expr], real_parts: bool = True, prec: int = numeric.PREC) -> complex | None:
    try:
        return numeric.value(expr, point, prec=prec, real_parts=real_parts)
    except numeric.NotNumeric:
        return None


def _agree(got: complex, want: complex) -> bool | None:
    """Do two values agree? None when either is not real: the point is outside the real
    domain (course functions are real; |u| and sign(u) are only right for real u)."""
    scale = max(1.0, abs(got), abs(want))
    if abs(got.imag) > 1e-9 * scale or abs(want.imag) > 1e-9 * scale:
        return None
    return abs(got - want) <= 1e-12 * scale


Pair = tuple[complex, complex]


def _numeric_verdict(points: Iterable[dict[sp.Symbol, sp.Expr]], evaluate: Callable[[dict, int], Pair | None]) -> bool | None:
    """Judge ``evaluate(point, digits)`` (two values, or None) over ``points``: False at a
    real point where the values differ; True when they agree at every real point and there
    are at least _NEEDED of them (the points span several boxes, so |x| and x are told
    apart), looking past the first _POINTS only when those had too few real points; None
    when there were not enough real points to say.

    A difference is confirmed at twice the digits: where both sides cancel to almost
    nothing (a derivative that is 0, times 10^100), 60 digits leave only noise. It counts
    only if it is still there and neither value moved; values that agree at twice the
    digits agree."""
    checked = 0
    todo = iter(points)
    for k in itertools.count():
        if k == _POINTS and checked >= _NEEDED:
            return True  # decided: the extra points are not even drawn
        point = next(todo, None)
        if point is None:
            break
        pair = evaluate(point, numeric.PREC)
        verdict = None if pair is None else _agree(*pair)
        if verdict is False:
            finer = evaluate(point, 2 * numeric.PREC)
            verdict = None if finer is None else _agree(*finer)
            if verdict is False:
                if _agree(pair[0], finer[0]) and _agree(pair[1], finer[1]):
                    return False
                continue  # the values moved: ill-conditioned here, no verdict from this point
        if verdict:
            checked += 1
    return True if checked >= _NEEDED else None


def _points(free: set[sp.Symbol]) -> Iterable[dict[sp.Symbol, sp.Expr]]:
    """The usual points, then (for functions real only on a small part of the plane) many
    more, with each variable's box drawn at random: one pool, judged together."""
    yield from _sample_points(free, seed=len(free))
    yield from _extra_points(free, seed=len(free))


def matches_slope(result: sp.Expr, expr: sp.Expr, var: sp.Symbol) -> bool | None:
    """Does ``result`` agree with a high-precision central difference of ``expr`` in ``var``
    at sample points in the real domain? None when it could not tell (then check exactly)."""
    free = expr.free_symbols | result.free_symbols | {var}

    def evaluate(point: dict, prec: int) -> Pair | None:
        try:
            return numeric.value(result, point, prec), numeric.slope(expr, var, point, prec)
        except numeric.NotNumeric:
            return None

    return _numeric_verdict(_points(free), evaluate)


def _pair(a: sp.Expr, b: sp.Expr, point: dict[sp.Symbol, sp.Expr], prec: int = numeric.PREC) -> Pair | None:
    """Both values at ``point``, every part real; when only one side is real part by part,
    the other may pass through complex parts as long as its value is real (SymPy writes
    d|erf(log x)|/dx with re, im and I*arg(x): right, and real, but not part by part)."""
    va, vb = _numeric(a, point, prec=prec), _numeric(b, point, prec=prec)
    if va is None and vb is not None:
        va = _numeric(a, point, real_parts=False, prec=prec)
    elif vb is None and va is not None:
        vb = _numeric(b, point, real_parts=False, prec=prec)
    return None if va is None or vb is None else (va, vb)


def has_real_points(expr: sp.Expr) -> bool:
    """Is ``expr`` real (every part of it) at _NEEDED or more of the sample points? When
    not, numeric checks cannot judge its derivative: it is not a real function anywhere
    near them ((-x)**y * sqrt(x), say, is real only where y is a whole number)."""
    free = expr.free_symbols
    if not free:
        return True
    real = 0
    for point in _points(free):
        real += _numeric(expr, point) is not None
        if real >= _NEEDED:
            return True
    return False


def has_huge_values(expr: sp.Expr) -> bool:
    """Are ``expr``'s values (or values of its parts) too large to compute (numeric.MAX_MAG)
    at _NEEDED or more of the first sample points? Then numeric checks cannot judge it."""
    free = expr.free_symbols
    huge = 0
    for point in _sample_points(free, seed=len(free)):
        try:
            numeric.value(expr, point)
        except numeric.TooLargeValue:
            huge += 1
        except numeric.NotNumeric:
            pass
    return huge >= _NEEDED


class TooLarge(ValueError):
    """An exact check would multiply out too much (see ``expansion_work``)."""


# Estimated terms made while multiplying out (see expansion_work) up to which the exact
# fallback may call expand() or simplify(): about a second and some 50 MB at most.
EXPAND_MAX_WORK = 20_000
_CAP = 1e15  # estimates are floats clipped here: past the limit, how far past does not matter


def _comb(n: float, k: float) -> float:
    """C(n, k) as a float, clipped at _CAP."""
    if k <= 0 or n <= k:
        return 1.0
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return _CAP if log > math.log(_CAP) else min(_CAP, math.exp(log))


def expansion_work(expr: sp.Expr, dense: bool = False) -> float:
    """About how many terms ``sympy.expand(expr)`` makes on the way (an upper bound, as a
    float clipped at 1e15), computed from the tree without expanding anything: a product
    of sums makes the product of their sizes before like terms merge, a power of a sum of
    t terms C(n + t - 1, t - 1), and no result has more terms than there are monomials of
    its degree in its generators. Function arguments, non-integer powers and denominators
    are expanded on their own and add their work.

    ``dense``: the work of putting ``expr`` over one denominator and multiplying out
    numerator and denominator, as ``simplify`` (through ``together`` and ``cancel``) may."""
    work: list[float] = []
    if dense:
        _dense(expr, {}, work)
    else:
        _shape(expr, {}, work)
    return min(_CAP, math.fsum(work))


def _shape(expr: sp.Expr, memo: dict, work: list[float]) -> tuple[float, float, frozenset]:
    """(terms, degree, generators) of ``expr`` multiplied out; ``work`` gets the terms made."""
    if expr in memo:
        return memo[expr]
    if not expr.args or expr.is_Number:
        out = (1.0, 0.0, frozenset()) if expr.is_number else (1.0, 1.0, frozenset([expr]))
    elif isinstance(expr, (sp.Add, sp.Mul)):
        shapes = [_shape(a, memo, work) for a in expr.args]
        gens = frozenset().union(*(g for _, _, g in shapes))
        if isinstance(expr, sp.Add):
            terms, degree = math.fsum(t for t, _, _ in shapes), max(d for _, d, _ in shapes)
        else:
            terms, degree = min(_CAP, math.prod(t for t, _, _ in shapes)), math.fsum(d for _, d, _ in shapes)
        work.append(terms)
        out = (min(terms, _comb(degree + len(gens), len(gens))), degree, gens)
    elif isinstance(expr, sp.Pow) and expr.exp.is_Rational and expr.exp >= 1:
        n = int(math.floor(expr.exp))
        terms, degree, gens = _shape(expr.base, memo, work)
        if not expr.exp.is_Integer:  # (x + y)^(5/2) = (x + y)^2 sqrt(x + y)
            gens = gens | {expr}
        made = _comb(n + terms - 1, terms - 1)
        work.append(made)
        degree = min(_CAP, n * degree + (not expr.exp.is_Integer))
        out = (min(made, _comb(degree + len(gens), len(gens))), degree, gens)
    else:  # a function, a denominator, a root: its arguments multiplied out on their own
        for arg in expr.args:
            _shape(arg, memo, work)
        out = (1.0, 1.0, frozenset([expr]))
    memo[expr] = out
    return out


def _dense(expr: sp.Expr, memo: dict, work: list[float]) -> tuple[float, float]:
    """(terms of the numerator, terms of the denominator) of ``expr`` over one denominator,
    multiplied out (no monomial bound: a rough upper bound, for ``simplify`` only)."""
    if expr in memo:
        return memo[expr]
    if not expr.args or expr.is_Number:
        out = (1.0, 1.0)
    elif isinstance(expr, sp.Add):
        parts = [_dense(a, memo, work) for a in expr.args]
        den = min(_CAP, math.prod(d for _, d in parts))
        out = (min(_CAP, math.fsum(n * den / d for n, d in parts)), den)
    elif isinstance(expr, sp.Mul):
        parts = [_dense(a, memo, work) for a in expr.args]
        out = (min(_CAP, math.prod(n for n, _ in parts)), min(_CAP, math.prod(d for _, d in parts)))
    elif isinstance(expr, sp.Pow) and expr.exp.is_Rational and abs(expr.exp) >= 1:
        k = int(math.floor(abs(expr.exp)))
        num, den = _dense(expr.base, memo, work)
        num, den = _comb(k + num - 1, num - 1), _comb(k + den - 1, den - 1)
        out = (num, den) if expr.exp > 0 else (den, num)
    else:
        for arg in expr.args:
            _dense(arg, memo, work)
        out = (1.0, 1.0)
    work.append(out[0] + out[1])
    memo[expr] = out
    return out


def _expand_size_check(expr: sp.Expr, dense: bool = False) -> None:
    work = expansion_work(expr, dense)
    if work > EXPAND_MAX_WORK:
        raise TooLarge(f"multiplying it out would make about {_about(work)} terms")


def expand_guarded(expr: sp.Expr) -> sp.Expr:
    """``sympy.expand(expr)``, or TooLarge when that would multiply out too much."""
    _expand_size_check(expr)
    return sp.expand(expr)


def _about(count: float) -> str:
    return f"{count:.0f}" if count < 1e6 else f"10^{math.floor(math.log10(count))}"


# The exact fallback's simplify() is only tried on differences up to this size (operation
# count): past it, simplify can run for minutes, and "not proved equal" is the answer.
SIMPLIFY_MAX_OPS = 120


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    """True when ``a`` and ``b`` are the same function on the real domain. Raises TooLarge
    when only an exact check could tell and it would multiply out too much."""
    if a == b:
        return True
    a, b = unfold(a), unfold(b)  # p of the file: its definition
    diff = a - b
    if diff == 0:
        return True
    free = a.free_symbols | b.free_symbols  # not diff's: a symbol may cancel and still be needed
    if free:
        verdict = _numeric_verdict(_points(free), lambda point, prec: _pair(a, b, point, prec))
        if verdict is not None:
            return verdict
    _expand_size_check(diff)
    try:
        if sp.expand(diff) == 0:
            return True
    except Exception:  # noqa: BLE001 - expand can fail on exotic functions; fall through
        pass
    if sp.count_ops(diff) > SIMPLIFY_MAX_OPS:
        return False
    _expand_size_check(diff, dense=True)
    return sp.simplify(diff) == 0


def verify(tree: Rule) -> list[Rule]:
    """The nodes of ``tree`` whose result is not d(expr)/d(var) (empty when all check)."""
    return [node for node in tree.walk() if not equal(node.result, sp.diff(node.expr, node.var))]


_KNOWN: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}
_KNOWN_MAX = 8192


def known(expr: sp.Expr, var: sp.Symbol, result: sp.Expr) -> None:
    """Record ``result`` as d(expr)/d(var) once it is checked (the engine's step results,
    after their check): the displayed formulas' check reuses it instead of asking SymPy."""
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[(expr, var)] = result


def derivative(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d(expr)/d(var): a checked result already known, else ``sympy.diff`` (kept)."""
    got = _KNOWN.get((expr, var))
    if got is None:
        got = sp.diff(expr, var)
        known(expr, var, got)
    return got


def _plain(d: sp.Basic) -> bool:
    """A derivative of an expression without derivatives, in symbols, whole orders."""
    return isinstance(d, sp.Derivative) and not d.expr.has(sp.Derivative) and all(
        isinstance(v, sp.Symbol) and isinstance(n, (int, sp.Integer)) for v, n in d.variable_count)


def _worked(e: sp.Expr) -> sp.Expr:
    """``e.doit()`` for a displayed side: each plain derivative d^k f/dx.. dy.. in it through
    ``derivative``, one variable at a time (a sum of derivatives, as the sum rule's middle
    form shows, is the sum of theirs); anything else by ``doit``."""
    found = e.atoms(sp.Derivative)
    if not all(_plain(d) for d in found) or e.has(sp.Subs, sp.Integral, sp.Limit):
        return e.doit()
    done = {}
    for d in found:
        out = d.expr
        for v, n in d.variable_count:
            for _ in range(int(n)):
                out = derivative(out, v)
        done[d] = out
    return e.xreplace(done)


def _scalar_value(form: Any, where: Mapping[sp.Symbol, sp.Expr], memo: dict[Any, Any] | None = None) -> sp.Expr:
    """A displayed side as an expression: a derivative worked out, a point substituted.
    ``memo`` keeps worked-out derivatives across the formulas of one check (a handout
    shows the same ∂f/∂x₁ in many of them)."""
    expr = sp.Integer(form) if isinstance(form, int) else sp.Float(form) if isinstance(form, float) else form
    memo = {} if memo is None else memo

    def worked(e: sp.Expr) -> sp.Expr:
        if not e.has(sp.Derivative):
            return e
        if e not in memo:
            memo[e] = _worked(e)
        return memo[e]

    if isinstance(expr, sp.MatrixBase):
        expr = expr.applyfunc(worked) if expr.has(sp.Derivative) else expr
    else:
        expr = worked(expr)
    return expr.subs(dict(where)) if where else expr


def _holds(a: Any, b: Any, relation: str) -> bool | None:
    """Does ``a relation b`` hold (None: a relation the checker does not decide, ≈ and ⇒)?"""
    if relation in ("≈", "⇒"):
        return None
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            return False if relation == "=" else None
        same = all(equal(x, y) for x, y in zip(a, b))
        return same if relation == "=" else (not same if relation == "≠" else None)
    if relation == "=":
        return equal(a, b)
    if relation == "≠":
        return not equal(a, b)
    if a.free_symbols or b.free_symbols:
        return None  # an inequality between functions: said in words, not checked here
    va, vb = numeric.value(a, {}).real, numeric.value(b, {}).real
    return {"<": va < vb, ">": va > vb, "≤": va <= vb, "≥": va >= vb}[relation]


def false_relation(forms: Sequence[Any], relations: Sequence[str],
                   where: Mapping[sp.Symbol, sp.Expr] | None = None, memo: dict[Any, Any] | None = None) -> int | None:
    """The index of the first relation of a displayed chain that is false (``forms[i]
    relations[i] forms[i+1]``), or None when every one that can be checked holds. Sides
    that are ``None`` (words) are skipped; ``memo`` is _scalar_value's."""
    values = [None if f is None else _scalar_value(f, where or {}, memo) for f in forms]
    for i, relation in enumerate(relations):
        a, b = values[i], values[i + 1]
        if a is None or b is None:
            continue
        if _holds(a, b, relation) is False:
            return i
    return None
