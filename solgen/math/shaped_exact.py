"""Shaped expressions at a point, exactly: a tree on integer sizes with given values
(``at: {w: [1, 2, 0], A: [[1, 0], [0, 2]]}``) to a SymPy matrix. The tree is walked node by
node; no text is evaluated. A value outside a function's domain (log of 0, a singular
inverse) is ``Undefined``.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from solgen.math.shaped import Add, Call, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref, Sum, Sym, T
from solgen.math.shaped_numeric import Undefined

_ENTRYWISE: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sin": sp.sin, "cos": sp.cos, "sqrt": sp.sqrt, "abs": sp.Abs,
    "sign": sp.sign, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)), "softplus": lambda x: sp.log(1 + sp.exp(x)),
}


def _size(s: sp.Expr) -> int:
    if not s.is_Integer:
        raise Undefined(f"the size {s} has no number")
    return int(s)


def value(node: Node, env: dict[str, sp.Matrix], index: dict[str, int] | None = None) -> sp.Matrix:  # noqa: C901
    """``node`` with every name's value from ``env`` (1x1 matrices for scalars)."""
    index = index or {}
    if isinstance(node, Sym):
        if node.name not in env:
            raise Undefined(f"no value for {node.name}")
        return env[node.name]
    if isinstance(node, Num):
        if not node.is_scalar:  # a zero vector or matrix
            return sp.zeros(_size(node.shape[0]), _size(node.shape[1]))
        return sp.Matrix([[node.value]])
    if isinstance(node, Ones):
        return sp.ones(_size(node.shape[0]), 1)
    if isinstance(node, Ident):
        return sp.eye(_size(node.shape[0]))
    if isinstance(node, Ref):
        return value(node.body, env, index)
    if isinstance(node, Add):
        out = value(node.terms[0], env, index)
        for t in node.terms[1:]:
            out = out + value(t, env, index)
        return out
    if isinstance(node, Mul):
        scalar, chain = sp.Integer(1), []
        for f in node.factors:
            v = value(f, env, index)
            if f.is_scalar:
                scalar *= v[0, 0]
            else:
                chain.append(v)
        out = chain[0] if chain else sp.Matrix([[1]])
        for v in chain[1:]:
            out = out * v
        return (scalar * out).applyfunc(sp.expand_mul) if scalar != 1 else out
    if isinstance(node, Pow):
        base = value(node.base, env, index)[0, 0]
        if base == 0 and node.exp < 0:
            raise Undefined("division by 0")
        return sp.Matrix([[base ** node.exp]])
    if isinstance(node, T):
        return value(node.arg, env, index).T
    if isinstance(node, Had):
        return value(node.a, env, index).multiply_elementwise(value(node.b, env, index))
    if isinstance(node, Call):
        a = value(node.arg, env, index)
        fn = node.fn
        if fn in _ENTRYWISE:
            if fn == "log" and any(x == 0 for x in a):
                raise Undefined("log of 0")
            return a.applyfunc(_ENTRYWISE[fn])
        if fn == "norm":
            return sp.Matrix([[sp.sqrt(sum(x**2 for x in a))]])
        if fn == "softmax":
            tot = sum(sp.exp(x) for x in a)
            return a.applyfunc(lambda x: sp.exp(x) / tot)
        if fn == "logsumexp":
            return sp.Matrix([[sp.log(sum(sp.exp(x) for x in a))]])
        if fn == "trace":
            return sp.Matrix([[a.trace()]])
        if fn == "det":
            return sp.Matrix([[a.det()]])
        if fn == "inv":
            if a.det() == 0:
                raise Undefined("a singular matrix has no inverse")
            return a.inv()
        if fn == "diag":
            return sp.diag(*list(a))
        raise Undefined(fn)
    if isinstance(node, Sum):
        total = sp.zeros(_size(node.shape[0]), _size(node.shape[1]))
        for i in range(1, _size(node.hi) + 1):
            total += value(node.body, env, {**index, node.index: i})
        return total
    if isinstance(node, Index):
        base = value(node.base, env, index)
        i = (int(node.index) if node.index.isdigit() else index[node.index]) - 1
        return sp.Matrix([[base[i, 0]]]) if node.base.is_vector else base[i, :].T
    raise TypeError(type(node).__name__)


def tidy(m: sp.Matrix) -> sp.Matrix:
    """Entries simplified as a TA leaves them (exact), or Undefined when one is not finite."""
    out = m.applyfunc(lambda x: x if x.is_Rational else sp.factor(sp.simplify(x)))
    if any(x.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for x in out):
        raise Undefined("not finite")
    return out
