"""Shared by the asks that solve or step (critical, newton, descent): exact signs, exact
solutions of a system over the reals, and the second-derivative test. Not an ask itself
(no ``ASK`` here); it holds math only, no wording.

``solve_real`` solves a system exactly and refuses, rather than returning part of the
answer, when the solution set is infinite (a free parameter, a periodic function) or
when SymPy cannot solve it; ``classify`` is the second-derivative test for n variables
(the discriminant for two, Sylvester's leading minors for more, the eigenvalues when the
Hessian is singular); ``classify_bordered`` the bordered-Hessian test with constraints.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import sympy as sp

from solgen.errors import DeriveError
from solgen.math.named import unfold

MAX_SOLUTIONS = 24
SOLVE_SECONDS = 8  # below the default per-file --timeout (20 s), so the error names the part


class _OutOfTime(BaseException):
    """The solve's time budget ran out (a BaseException: SymPy's ``except Exception`` lets it by)."""


@contextmanager
def budget(seconds: int, what: str) -> Iterator[None]:
    """Raise DeriveError when the block takes longer than ``seconds`` (SIGALRM, main thread;
    an alarm set outside is re-armed with what is left of it). Elsewhere: no limit."""
    def fire(signum: int, frame: Any) -> None:
        raise _OutOfTime()

    try:
        previous = signal.signal(signal.SIGALRM, fire)
    except (AttributeError, ValueError):  # no SIGALRM, or not the main thread
        yield
        return
    started = time.monotonic()
    outer = signal.alarm(seconds)
    try:
        yield
    except _OutOfTime:
        raise DeriveError(f"solgen cannot solve {what} exactly within {seconds} s; simplify the function") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.alarm(max(1, outer - int(time.monotonic() - started)))
_PERIODIC = (sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc)


def _basic(value: object) -> sp.Expr:
    """A SymPy value (a Python int from a determinant or a solver becomes an Integer); never
    text: nothing here parses."""
    if isinstance(value, sp.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, int):
        return sp.Integer(value)
    raise TypeError(f"not a SymPy value: {type(value).__name__}")


def sign(expr: sp.Expr) -> int | None:
    """+1, -1 or 0 for a real number (exactly when it is 0), None when it depends on
    constants or cannot be decided."""
    expr = _basic(expr)
    if expr.free_symbols:
        return None
    if expr == 0:
        return 0
    value = sp.N(expr, 60)
    re, im = value.as_real_imag()
    if abs(im) > sp.Float("1e-40"):
        return None
    if abs(re) < sp.Float("1e-45"):
        return 0 if sp.simplify(expr) == 0 else None
    return 1 if re > 0 else -1


def exact(expr: sp.Expr) -> sp.Expr:
    """A value as a TA writes it: radicals out of denominators, small forms."""
    expr = _basic(expr)
    if expr.is_Rational or expr.has(sp.Float) or sp.count_ops(expr) > 60:  # decimals stay decimals; long stays
        return expr
    if expr.atoms(sp.Function):  # e^{-1/3}: radsimp is for radicals (and slow on the rest)
        return expr
    simpler = sp.radsimp(expr)
    candidates = [expr, simpler]
    if sp.count_ops(simpler) <= 30:  # simplify is slow on long expressions (an exact Newton iterate)
        candidates.append(sp.simplify(simpler))
    return min(candidates, key=lambda e: (sp.count_ops(e), len(str(e))))


def _is_real(value: sp.Expr) -> bool:
    """Real, or real for some values of the file's constants (sqrt(a/2)): kept, never
    dropped as if it could not be."""
    if value.is_real is not None:
        return bool(value.is_real)
    if value.free_symbols:
        return True
    return sign(sp.im(value)) == 0


def solve_real(equations: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], what: str) -> list[dict[sp.Symbol, sp.Expr]]:
    """Every real solution of ``equations = 0`` in ``unknowns`` (respecting their
    assumptions: a positive variable keeps positive solutions), each checked by
    substitution. ``what`` names the system in errors."""
    eqs = [unfold(e) for e in equations]
    eqs = [e for e in eqs if e != 0]
    for e in eqs:
        periodic = [a for a in e.atoms(sp.Function) if isinstance(a, _PERIODIC) and a.free_symbols & set(unknowns)]
        if periodic:
            raise DeriveError(f"{what} has infinitely many solutions or none solgen can list "
                              f"({periodic[0]} repeats with its period); ask for a point instead")
    if not eqs:
        raise DeriveError(f"{what} holds everywhere: every point is a solution")
    with budget(SOLVE_SECONDS, what):
        try:
            found = sp.solve(eqs, list(unknowns), dict=True)
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise DeriveError(f"solgen cannot solve {what} exactly ({str(exc)[:80]})") from None
    out: list[dict[sp.Symbol, sp.Expr]] = []
    for sol in found:
        missing = [u for u in unknowns if u not in sol]
        free = set().union(*(_basic(v).free_symbols for v in sol.values())) & set(unknowns)
        if missing or free:
            said = ", ".join(f"{k} = {v}" for k, v in sol.items()) or "every point"
            raise DeriveError(f"{what} has infinitely many solutions ({said}); no list of points is the answer")
        if not all(_is_real(_basic(sol[u])) for u in unknowns):
            continue
        point = {u: exact(sp.re(sol[u]) if sol[u].is_real is not True and not sol[u].free_symbols else sol[u])
                 for u in unknowns}
        if any(u.is_positive and sign(v) not in (1, None) for u, v in point.items()):
            continue
        if any(u.is_nonnegative and sign(v) not in (0, 1, None) for u, v in point.items()):
            continue
        for e in eqs:
            if sp.simplify(e.xreplace(point)) != 0:
                raise DeriveError(f"solgen cannot solve {what} exactly (a solution SymPy gave does not check)")
        if point not in out:
            out.append(point)
    if len(out) > MAX_SOLUTIONS:
        raise DeriveError(f"{what} has {len(out)} real solutions; at most {MAX_SOLUTIONS} fit a handout")
    return sorted(out, key=lambda p: tuple(_order_key(p[u]) for u in unknowns))


def _order_key(value: sp.Expr) -> tuple[int, float]:
    try:
        return (0, float(sp.N(value)))
    except TypeError:
        return (1, 0.0)


def minors(matrix: sp.Matrix) -> list[sp.Expr]:
    """The leading principal minors Δ1, ..., Δn."""
    return [exact(sp.expand(matrix[:k, :k].det())) for k in range(1, matrix.rows + 1)]


def classify(hessian: sp.Matrix) -> tuple[str, dict]:
    """The second-derivative test at a critical point: (kind, the facts it rests on).
    kind is minimum | maximum | saddle | inconclusive; the facts say which test decided:
    ``{"test": "second", "value": f''}`` (one variable), ``{"test": "discriminant", "det": D,
    "first": f_11}`` (two), ``{"test": "minors", "minors": [...]}`` (more), plus
    ``"eigenvalues"`` when the Hessian is singular, and ``"unknown": True`` when a sign
    depends on the constants."""
    n = hessian.rows
    ms = minors(hessian)
    signs = [sign(m) for m in ms]
    if n == 1:
        facts: dict = {"test": "second", "value": ms[0]}
    elif n == 2:
        facts = {"test": "discriminant", "det": ms[1], "first": ms[0]}
    else:
        facts = {"test": "minors", "minors": ms}
    if None in signs:
        return "inconclusive", {**facts, "unknown": True}
    if all(s == 1 for s in signs):
        return "minimum", facts
    if all(s == (-1) ** k for k, s in enumerate(signs, start=1)):
        return "maximum", facts
    if signs[-1] != 0:
        return "saddle", facts
    values = [exact(v) for v, mult in hessian.eigenvals().items() for _ in range(mult)]
    eig = [sign(v) for v in values]
    facts = {**facts, "eigenvalues": values}
    if None in eig:
        return "inconclusive", {**facts, "unknown": True}
    if 1 in eig and -1 in eig:
        return "saddle", facts
    return "inconclusive", facts


def bordered(jacobian: sp.Matrix, hessian_l: sp.Matrix) -> sp.Matrix:
    """[[0, J], [J^T, H_L]]: the bordered Hessian of the Lagrangian."""
    m = jacobian.rows
    return sp.Matrix(sp.BlockMatrix([[sp.zeros(m, m), jacobian], [jacobian.T, hessian_l]]))


def classify_bordered(matrix: sp.Matrix, m: int, n: int) -> tuple[str, list[sp.Expr]]:
    """The bordered-Hessian test with m constraints in n variables: of the leading principal
    minors of order 2m+1, ..., m+n, a minimum when all have the sign (-1)^m, a maximum when
    the one of order m+j has the sign (-1)^j; a saddle when none is 0 and neither pattern
    holds; else inconclusive."""
    ms = [exact(sp.expand(matrix[:k, :k].det())) for k in range(2 * m + 1, m + n + 1)]
    signs = [sign(v) for v in ms]
    if not ms or None in signs:
        return "inconclusive", ms
    if all(s == (-1) ** m for s in signs):
        return "minimum", ms
    if all(s == (-1) ** (k - m) for k, s in zip(range(2 * m + 1, m + n + 1), signs)):
        return "maximum", ms
    if 0 not in signs:
        return "saddle", ms
    return "inconclusive", ms


def eliminate(equations: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol]) -> dict:
    """How a TA solves the system by hand, as far as substitution goes: while an equation
    is linear in one unknown with a constant coefficient, solve it for that unknown and
    substitute into the rest. Returns ``{"solved": [(equation, unknown, expression)],
    "rest": [equations left], "factored": expr or None, "roots": [...] or None}``, the
    last two when one equation in one unknown is left (its factored form, real roots)."""
    eqs = [sp.expand(unfold(e)) for e in equations]
    eqs = [e for e in eqs if e != 0]
    solved: list[tuple[sp.Expr, sp.Symbol, sp.Expr]] = []
    left = list(unknowns)
    while len(eqs) > 1:
        best = None  # the simplest substitution: fewest unknowns in the value, then shortest
        for i, e in enumerate(eqs):
            for u in left:
                if not e.has(u) or not e.is_polynomial(u):
                    continue
                poly = sp.Poly(e, u)
                if poly.degree() != 1:
                    continue
                coeff, rest = poly.all_coeffs()
                if coeff.free_symbols & set(unknowns) or coeff == 0:
                    continue
                value = sp.expand(-rest / coeff)
                key = (len(value.free_symbols & set(unknowns)), sp.count_ops(value))
                if best is None or key < best[0]:
                    best = (key, i, e, u, value)
        if best is None:
            break
        _, i, e, u, value = best
        solved.append((e, u, value))
        eqs = [sp.expand(o.xreplace({u: value})) for j, o in enumerate(eqs) if j != i]
        eqs = [o for o in eqs if o != 0]
        left.remove(u)
    out: dict = {"solved": solved, "rest": eqs, "factored": None, "roots": None}
    if solved and len(eqs) == 1 and len(eqs[0].free_symbols & set(left)) == 1:
        (u,) = eqs[0].free_symbols & set(left)
        out["factored"] = sp.factor(eqs[0])
        try:
            roots = sp.solve(eqs[0], u)
        except NotImplementedError:
            roots = None
        if roots is not None:
            out["roots"] = (u, sorted({exact(r) for r in roots if _is_real(_basic(r)) and sign(sp.im(r)) in (0, None)
                                       and not (u.is_positive and sign(r) != 1)}, key=_order_key))
    return out
