"""Keep results clean and in source term order.

SymPy's evaluated ``Add`` sorts its terms; the handouts must keep the order in which
terms arose from the source (the seed writes ``2 + x_2^2 e^{x_1 x_2}``). Results are
therefore built as unevaluated sums and passed through ``tidy``, which flattens nested
sums, drops zero terms, and merges like terms at the place of their first occurrence.
Products are ordinary evaluated ``Mul``s (numbers first, then powers, then functions,
which is how a TA writes ``x_2 e^{x_1 x_2}``), but numbers are not distributed over sums.
"""

from __future__ import annotations

import itertools
import math

import sympy as sp
from solgen.math import named  # a cycle: named uses tidy; both by module, at call time


def tmul(*factors: sp.Expr) -> sp.Expr:
    """Product of ``factors``: 1s vanish, powers merge, numbers are not distributed over
    sums (SymPy turns ``2*(x + y)`` into ``2*x + 2*y``; a TA keeps ``2(x + y)``), and
    ``e^{-(3w + b)}`` keeps its exponent as written (see ``_merge_exps``).

    Done without SymPy's ``distribute(False)`` switch, which clears SymPy's whole cache
    each time it is set."""
    flat = [a for f in factors for a in sp.Mul.make_args(f)]
    if not any(isinstance(a, sp.exp) and _undistributed(a.args[0]) for a in flat):
        return _tmul(flat)
    merged, back = _merge_exps(flat)
    result = _unshield(_tmul(merged), back)
    if result.has(*back):  # a form _unshield does not know: let SymPy have its way
        return _tmul(flat)
    return result


def _tmul(flat: list[sp.Expr]) -> sp.Expr:
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
        cancelled = _cancel_number(others, prod)
        return cancelled if cancelled is not None else sp.Mul(others, prod, evaluate=False)
    return sp.Mul(others, prod)


def _cancel_number(number: sp.Expr, total: sp.Add) -> sp.Expr | None:
    """A fraction times a sum whose coefficients it cancels, multiplied out as a TA does:
    1/2 (2 a x + 2 b) -> a x + b. None when some coefficient would stay a fraction (or the
    number is whole: 2 (x + y) stays)."""
    if not number.is_Rational or number.is_Integer:
        return None
    terms = []
    for term in _terms(total):
        coeff, rest = term.as_coeff_Mul()
        product = number * coeff
        if not product.is_Integer:
            return None
        terms.append(tmul(product, rest))
    return tidy(sp.Add(*terms, evaluate=False))


def replace_kept(expr: sp.Expr, mapping: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """``expr`` with ``mapping`` put in, keeping the pieces as written: SymPy's
    ``xreplace`` rebuilds 2u at u = x_2 - x_1^2 as -2 x_1^2 + 2 x_2; this keeps
    2 (x_2 - x_1^2), as the chain rule's step shows it."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args or not any(expr.has(key) for key in mapping):
        return expr
    args = [replace_kept(a, mapping) for a in expr.args]
    if isinstance(expr, sp.Mul):
        return tmul(*args)
    if isinstance(expr, sp.Add):
        return tidy(sp.Add(*args, evaluate=False))
    return expr.func(*args)


def _undistributed(expr: sp.Expr) -> bool:
    """A number times a sum, kept as written: -(3w + b), 2(x + y)."""
    return isinstance(expr, sp.Mul) and len(expr.args) == 2 and expr.args[0].is_Number and isinstance(expr.args[1], sp.Add)


def _merge_exps(flat: list[sp.Expr]) -> tuple[list[sp.Expr], dict[sp.Expr, tuple[sp.Expr, sp.Expr]]]:
    """In a product SymPy merges the powers of e, and so distributes the -1 of
    e^{-(3w + b)} over the sum and sorts it (e^{-b - 3w}). Instead, powers of e whose
    exponents are multiples of one sum are merged here, into c times the sum as first
    written (e^{-(3w + b)} e^{-(3w + b)} = e^{-2 (3w + b)}; e^{-(3w + b)} e^{3w + b} = 1),
    and stand in the product as placeholders for ``_unshield``."""
    groups: dict[sp.Expr, list] = {}  # sum, evaluated -> [placeholder, coefficient, sum as written]
    out = []
    for a in flat:
        arg = a.args[0] if isinstance(a, sp.exp) else None
        if arg is not None and (_undistributed(arg) or isinstance(arg, sp.Add)):
            c, written = arg.args if _undistributed(arg) else (sp.Integer(1), arg)
            key = sp.Add(*written.args)
            if key not in groups:
                groups[key] = [sp.Dummy(), sp.Integer(0), written]
                out.append(groups[key][0])
            groups[key][1] += c
        else:
            out.append(a)
    back = {d: (c, written) for d, c, written in groups.values()}
    return [a for a in out if not (a in back and back[a][0] == 0)], back


def _unshield(expr: sp.Expr, back: dict[sp.Expr, tuple[sp.Expr, sp.Expr]]) -> sp.Expr:
    """Put the merged powers of e back without letting SymPy evaluate the product again."""
    if expr in back:
        c, written = back[expr]
        return sp.exp(written if c == 1 else sp.Mul(c, written, evaluate=False))
    if isinstance(expr, sp.Mul):
        return sp.Mul(*[_unshield(a, back) for a in expr.args], evaluate=False)
    return expr


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


def distribute(expr: sp.Expr, limit: int = 64) -> sp.Expr | None:
    """Multiply out the products of sums in ``expr`` (one level: not inside function
    arguments or powers) and merge like terms in first-seen order:
    ``2 x (x - 1) - (x^2 + 1)`` -> ``x^2 - 2 x - 1``. None when that makes more than
    ``limit`` terms."""
    terms: list[sp.Expr] = []
    for term in _terms(expr):
        choices = [_terms(f) for f in sp.Mul.make_args(term)]
        if math.prod(len(c) for c in choices) + len(terms) > limit:
            return None
        terms.extend(tmul(*combo) for combo in itertools.product(*choices))
    return tidy(sp.Add(*terms, evaluate=False)) if len(terms) > 1 else (terms[0] if terms else sp.Integer(0))


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
    if rest == 1:
        return factor
    return sp.Mul(factor, rest, evaluate=False)


def positive_first(top: sp.Expr) -> sp.Expr:
    """A multiplied-out numerator led by a positive term, as a TA writes it: y^2 - x^2,
    not -x^2 + y^2 (the other terms keep their order)."""
    if not isinstance(top, sp.Add) or not top.args[0].could_extract_minus_sign():
        return top
    terms = list(top.args)
    for i, t in enumerate(terms):
        if not t.could_extract_minus_sign():
            return sp.Add(t, *terms[:i], *terms[i + 1:], evaluate=False)
    return top


def compact(expr: sp.Expr) -> sp.Expr:
    """The shortest of ``expr``, ``expr`` multiplied out, and that with the common factor
    pulled out: -(x y (1 - p) - x (1 - y) p) -> x (p - y)."""
    candidates = [expr]
    multiplied: sp.Expr | None = expr
    for _ in range(4):  # products of sums inside products of sums: a few levels
        again = distribute(multiplied)
        if again is None or again == multiplied:
            break
        multiplied = again
    if multiplied is not None and multiplied != expr:
        multiplied = positive_first(multiplied)
        common = factor_common(multiplied)
        if isinstance(common, sp.Mul) and len(common.args) == 2 and isinstance(common.args[1], sp.Add):
            sign, rest = _oriented(common.args[1])
            common = tmul(sign * common.args[0], rest)
        candidates += [common, multiplied]
    factored = _factored_polynomial(expr)
    if factored is not None:
        candidates.append(factored)
    # the factored form wins a tie and a sign: p (1 - p), not p - p^2; -2 (p - y), not 2 y - 2 p
    bonus = {id(candidates[1]): 1} if len(candidates) > 1 else {}
    return min(candidates, key=lambda e: (sp.count_ops(e) - bonus.get(id(e), 0), len(str(e))))


def _oriented(total: sp.Add) -> tuple[int, sp.Expr]:
    """(sign, sum) with sign * sum = ``total``, the sum turned the way a TA writes it: a
    number first and positive (1 - p, not p - 1), else a function of the file first and
    positive (p - y, not y - p), else a positive term first."""
    terms = list(total.args)
    lead = next((t for t in terms if t.is_Number), None)
    if lead is None:
        lead = next((t for t in terms if t.has(named.Named)), None)
    if lead is None:
        return 1, positive_first(total)
    sign = -1 if lead.could_extract_minus_sign() else 1
    turned = [tmul(sign, t) for t in terms]
    first = turned[terms.index(lead)]
    return sign, sp.Add(first, *[t for t in turned if t is not first], evaluate=False)


def _factored_polynomial(expr: sp.Expr) -> sp.Expr | None:
    """A polynomial in the file's named functions (and variables) fully factored, each sum
    turned as a TA writes it: x_2^2 p (1 - p)(1 - 2 p), not x_2^2 p (p^2 - p + (1 - p)^2).
    None when it is not a polynomial there, or too big to factor quickly."""
    names = sorted(expr.atoms(named.Named), key=str)
    if not names or sp.count_ops(expr) > 60:
        return None
    stand = {n: sp.Dummy(n.source_name) for n in names}
    plain = expr.xreplace(stand)
    if not plain.is_polynomial(*stand.values()) or any(a.func not in (sp.Add, sp.Mul, sp.Pow) for a in plain.atoms(sp.Function)):
        return None
    try:
        done = sp.factor(plain)
    except Exception:  # noqa: BLE001 - factoring is an option, never a failure
        return None
    back = {d: n for n, d in stand.items()}
    sign, pieces = 1, []
    for f in sp.Mul.make_args(done):
        base, exp = (f.base, f.exp) if isinstance(f, sp.Pow) and f.exp.is_Integer else (f, sp.Integer(1))
        base = base.xreplace(back)
        if isinstance(base, sp.Add):
            turn, base = _oriented(base)
            sign *= turn ** int(exp)
        pieces.append(base if exp == 1 else sp.Pow(base, exp))
    numbers = [x for x in pieces if x.is_Number]
    rest = [x for x in pieces if not x.is_Number]
    return tmul(sign, *numbers, *rest)
