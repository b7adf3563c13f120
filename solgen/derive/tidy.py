"""Keep results clean and in source term order.

SymPy's evaluated ``Add`` sorts its terms; the handouts must keep the order in which
terms arose from the source (the seed writes ``2 + x_2^2 e^{x_1 x_2}``). Results are
therefore built as unevaluated sums and passed through ``tidy``, which flattens nested
sums, drops zero terms, and merges like terms at the place of their first occurrence.
Products are ordinary evaluated ``Mul``s (numbers first, then powers, then functions,
which is how a TA writes ``x_2 e^{x_1 x_2}``), but numbers are not distributed over sums.
"""

from __future__ import annotations

import sympy as sp


def tmul(*factors: sp.Expr) -> sp.Expr:
    """Product of ``factors``: 1s vanish, powers merge, numbers are not distributed over
    sums (SymPy turns ``2*(x + y)`` into ``2*x + 2*y``; a TA keeps ``2(x + y)``).

    Done without SymPy's ``distribute(False)`` switch, which clears SymPy's whole cache
    each time it is set."""
    flat = [a for f in factors for a in sp.Mul.make_args(f)]
    sums = [a for a in flat if isinstance(a, sp.Add)]
    others = sp.Mul(*[a for a in flat if not isinstance(a, sp.Add)])
    if not sums:
        return others
    if others == 0:
        return sp.Integer(0)
    prod = sp.Mul(*sums)
    if others == 1:
        return prod
    if others.is_Number and isinstance(prod, sp.Add):
        return sp.Mul(others, prod, evaluate=False)
    return sp.Mul(others, prod)


def _terms(expr: sp.Expr) -> list[sp.Expr]:
    if isinstance(expr, sp.Add):
        out: list[sp.Expr] = []
        for arg in expr.args:
            out.extend(_terms(arg))
        return out
    return [expr]


def tidy(expr: sp.Expr) -> sp.Expr:
    """Flatten, drop zeros, merge like terms in first-seen order; leaves products as they are."""
    if not isinstance(expr, sp.Add):
        return expr
    order: list[sp.Expr] = []
    coeffs: dict[sp.Expr, sp.Expr] = {}
    for term in _terms(expr):
        if term == 0:
            continue
        coeff, rest = term.as_coeff_Mul()
        if rest not in coeffs:
            order.append(rest)
            coeffs[rest] = coeff
        else:
            coeffs[rest] += coeff
    kept = [tmul(coeffs[rest], rest) for rest in order if coeffs[rest] != 0]
    if not kept:
        return sp.Integer(0)
    if len(kept) == 1:
        return kept[0]
    return sp.Add(*kept, evaluate=False)


def _powers(term: sp.Expr) -> dict[sp.Expr, sp.Expr]:
    out: dict[sp.Expr, sp.Expr] = {}
    for f in sp.Mul.make_args(term):
        base, exp = (f.base, f.exp) if isinstance(f, sp.Pow) and f.exp.is_Integer else (f, sp.Integer(1))
        out[base] = out.get(base, 0) + exp
    return out


def factor_common(expr: sp.Expr) -> sp.Expr:
    """Pull the factor common to every term out of a sum, keeping the terms' order:
    ``e^{x_1 x_2} + x_1 x_2 e^{x_1 x_2}`` -> ``e^{x_1 x_2} (1 + x_1 x_2)``.
    Returns ``expr`` unchanged when the terms share nothing but 1."""
    if not isinstance(expr, sp.Add):
        return expr
    terms = list(expr.args)
    coeffs = [t.as_coeff_Mul()[0] for t in terms]
    number = sp.Integer(1)
    if all(c.is_Integer for c in coeffs):
        number = sp.Integer(sp.igcd(*[int(c) for c in coeffs])) if len(coeffs) > 1 else sp.Integer(1)
    powers = [_powers(t.as_coeff_Mul()[1]) for t in terms]
    common: dict[sp.Expr, sp.Expr] = {}
    for base in powers[0]:
        exps = [p.get(base) for p in powers]
        if all(e is not None and e.is_Integer and e > 0 for e in exps):
            common[base] = min(exps)  # type: ignore[type-var]
    if not common and number == 1:
        return expr
    factor = tmul(number, *[sp.Pow(b, e) for b, e in common.items()])
    rest = tidy(sp.Add(*[tmul(t, sp.Pow(factor, -1)) for t in terms], evaluate=False))
    return sp.Mul(factor, rest, evaluate=False)
