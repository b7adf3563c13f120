"""Shaped expressions on concrete sizes and values, in plain Python complex arithmetic.

A value is a list of rows of complex numbers (a scalar is ``[[z]]``). Complex values let
the checker take complex-step derivatives, exact to rounding; the norm is written
sqrt(sum v_i^2) (no conjugate) so it stays analytic. No text from a file is evaluated: the
tree is walked node by node.
"""

from __future__ import annotations

import cmath
import random
from typing import Any

import sympy as sp

from solgen.math.shaped import Add, Call, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref, Sum, Sym, T

Mat = list[list[complex]]


class Undefined(ArithmeticError):
    """A value outside a function's domain (log of 0, a singular inverse)."""


def size(s: sp.Expr, sizes: dict[str, int]) -> int:
    if s.is_Integer:
        return int(s)
    return sizes[str(s)]


def matmul(a: Mat, b: Mat) -> Mat:
    if len(a) == 1 and len(a[0]) == 1:
        return [[a[0][0] * x for x in row] for row in b]
    if len(b) == 1 and len(b[0]) == 1:
        return [[x * b[0][0] for x in row] for row in a]
    bt = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) for col in bt] for row in a]


def transpose(a: Mat) -> Mat:
    return [list(r) for r in zip(*a)]


def add(a: Mat, b: Mat) -> Mat:
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _sigmoid(z: complex) -> complex:
    return 1 / (1 + cmath.exp(-z))


def _log(z: complex) -> complex:
    """log |x| continued analytically (d/dx log|x| = 1/x on both sides of 0), so a complex
    step never crosses the branch cut."""
    if z == 0:
        raise Undefined("log of 0")
    return cmath.log(z) if z.real > 0 else cmath.log(-z)


def _abs(z: complex) -> complex:
    """|x| continued analytically on each side of 0 (its derivative sign(x) there)."""
    if z == 0:
        raise Undefined("|x| has no derivative at 0")
    return z if z.real > 0 else -z


def _sign(z: complex) -> complex:
    if z.real == 0:
        raise Undefined("sign(0)")
    return complex(1 if z.real > 0 else -1)


def _sqrt(z: complex) -> complex:
    if z.real <= 0:
        raise Undefined("sqrt of a number that is not positive")
    return cmath.sqrt(z)


def _softplus(z: complex) -> complex:
    return cmath.log(1 + cmath.exp(z)) if z.real < 30 else z + cmath.log(1 + cmath.exp(-z))


ENTRYWISE = {"exp": cmath.exp, "log": _log, "sigmoid": _sigmoid, "tanh": cmath.tanh, "sin": cmath.sin, "cos": cmath.cos,
             "sqrt": _sqrt, "abs": _abs, "sign": _sign, "softplus": _softplus}


def det(a: Mat) -> complex:
    n = len(a)
    m = [list(r) for r in a]
    out: complex = 1
    for i in range(n):
        piv = max(range(i, n), key=lambda r: abs(m[r][i]))
        if abs(m[piv][i]) < 1e-12:
            return 0
        if piv != i:
            m[i], m[piv] = m[piv], m[i]
            out = -out
        out *= m[i][i]
        for r in range(i + 1, n):
            f = m[r][i] / m[i][i]
            for c in range(i, n):
                m[r][c] -= f * m[i][c]
    return out


def inv(a: Mat) -> Mat:
    n = len(a)
    m = [list(r) + [complex(i == j) for j in range(n)] for i, r in enumerate(a)]
    for i in range(n):
        piv = max(range(i, n), key=lambda r: abs(m[r][i]))
        if abs(m[piv][i]) < 1e-9:
            raise Undefined("a singular matrix has no inverse")
        m[i], m[piv] = m[piv], m[i]
        p = m[i][i]
        m[i] = [x / p for x in m[i]]
        for r in range(n):
            if r != i:
                f = m[r][i]
                m[r] = [x - f * y for x, y in zip(m[r], m[i])]
    return [row[n:] for row in m]


def evaluate(node: Node, env: dict[str, Any], sizes: dict[str, int]) -> Mat:  # noqa: C901
    """``node`` with names from ``env`` (name -> Mat) and sizes from ``sizes``."""
    if isinstance(node, Sym):
        if node.kind == "size":
            return [[complex(sizes[node.name])]]
        return env[node.name]
    if isinstance(node, Num):
        if node.shape != (1, 1):  # a zero vector or matrix
            return [[complex(node.value)] * size(node.shape[1], sizes) for _ in range(size(node.shape[0], sizes))]
        return [[complex(node.value)]]
    if isinstance(node, Ones):
        return [[1 + 0j] for _ in range(size(node.shape[0], sizes))]
    if isinstance(node, Ident):
        n = size(node.shape[0], sizes)
        return [[complex(i == j) for j in range(n)] for i in range(n)]
    if isinstance(node, Ref):
        if node.name not in env:
            env[node.name] = evaluate(node.body, env, sizes)
        return env[node.name]
    if isinstance(node, Add):
        vals = [evaluate(t, env, sizes) for t in node.terms]
        out = vals[0]
        for v in vals[1:]:
            out = add(out, v)
        return out
    if isinstance(node, Mul):
        vals = [evaluate(f, env, sizes) for f in node.factors]
        scalar: complex = 1
        chain = []
        for f, v in zip(node.factors, vals):
            if f.is_scalar:
                scalar *= v[0][0]
            else:
                chain.append(v)
        out = chain[0] if chain else [[1 + 0j]]
        for v in chain[1:]:
            out = matmul(out, v)
        return [[scalar * x for x in row] for row in out]
    if isinstance(node, Pow):
        b = evaluate(node.base, env, sizes)[0][0]
        if b == 0 and node.exp < 0:
            raise Undefined("division by 0")
        e = node.exp
        return [[b ** int(e) if e.is_Integer else cmath.exp(complex(e) * cmath.log(b))]]
    if isinstance(node, T):
        return transpose(evaluate(node.arg, env, sizes))
    if isinstance(node, Had):
        a, b = evaluate(node.a, env, sizes), evaluate(node.b, env, sizes)
        return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
    if isinstance(node, Call):
        a = evaluate(node.arg, env, sizes)
        fn = node.fn
        if fn in ENTRYWISE:
            f = ENTRYWISE[fn]
            return [[f(x) for x in row] for row in a]
        if fn == "norm":
            return [[cmath.sqrt(sum(r[0] * r[0] for r in a))]]
        if fn in ("softmax", "logsumexp"):
            top = max(r[0].real for r in a)
            ex = [cmath.exp(r[0] - top) for r in a]
            tot = sum(ex)
            if fn == "softmax":
                return [[e / tot] for e in ex]
            return [[top + cmath.log(tot)]]
        if fn == "trace":
            return [[sum(a[i][i] for i in range(len(a)))]]
        if fn == "det":
            return [[det(a)]]
        if fn == "inv":
            return inv(a)
        if fn == "diag":
            n = len(a)
            return [[a[i][0] if i == j else 0j for j in range(n)] for i in range(n)]
        raise ValueError(fn)
    if isinstance(node, Sum):
        total: Mat | None = None
        for i in range(int(node.lo), size(node.hi, sizes) + 1):
            inner = dict(env)
            inner[node.index] = i
            term = evaluate(node.body, inner, sizes)
            total = term if total is None else add(total, term)
        if total is None:  # an empty sum
            return [[0j] * size(node.shape[1], sizes) for _ in range(size(node.shape[0], sizes))]
        return total
    if isinstance(node, Index):
        base = evaluate(node.base, env, sizes)
        i = (int(node.index) if node.index.isdigit() else env[node.index]) - 1
        if i >= len(base):
            raise Undefined(f"index {i + 1} is past the last entry")
        if node.base.is_vector:
            return [[base[i][0]]]
        return [[x] for x in base[i]]
    raise TypeError(type(node).__name__)


def random_value(shape: tuple[sp.Expr, sp.Expr], sizes: dict[str, int], rng: random.Random, kind: str = "") -> Mat:
    """Random entries in [-1, 1] (kept away from 0), shaped by ``shape``; an assumption
    (symmetric, positive_definite, onehot, probability) is honoured."""
    r, c = size(shape[0], sizes), size(shape[1], sizes)

    def entry() -> complex:
        v = rng.uniform(0.2, 1.0)
        return complex(v if rng.random() < 0.5 else -v)

    a = [[entry() for _ in range(c)] for _ in range(r)]
    if kind == "symmetric":
        a = [[(a[i][j] + a[j][i]) / 2 for j in range(c)] for i in range(r)]
    elif kind == "positive_definite":
        a = add(matmul(transpose(a), a), [[complex(i == j) for j in range(c)] for i in range(r)])
    elif kind == "onehot":
        k = rng.randrange(r)
        a = [[complex(i == k)] for i in range(r)]
    elif kind == "probability":
        raw = [rng.uniform(0.1, 1.0) for _ in range(r)]
        a = [[complex(x / sum(raw))] for x in raw]
    return a
