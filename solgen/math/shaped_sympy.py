"""A vector or matrix expression as SymPy source, for the JSON's ``sympy`` mirror: a grader
reads it with nothing but SymPy and the JSON (``shapes`` makes each name a ``MatrixSymbol``,
each size a ``Symbol``; ``symbols`` maps ``lamda`` back to ``lambda``):

    2*X.T*(X*w - y) + 2*lamda*w          for   2 X^T (X w - y) + 2 lamda w
    ((w).T*(A)*(w))[0, 0] + c             for   w^T A w + c  (a 1x1 product is a scalar)

Functions of the file used by name are written out (the mirror stands alone); entrywise
functions of a vector are ``applyfunc``; ``norm(v)`` is ``sqrt((v.T*v)[0, 0])``; ``x[i]``
(row i of X) is ``X[i - 1, :].T`` and ``y[i]`` is ``y[i - 1, 0]``. The solgen grammar stays
the contract of the other fields; this is only a second spelling of the same tree.

To add a node or a function: one branch in ``_p`` / one entry in ``ENTRYWISE``.
"""

from __future__ import annotations

import sympy as sp

from solgen.math.shaped import (PY_NAMES, Add, Call, D, Grad, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref, Sum, Sym,
                               T, children)

# scalar functions as SymPy source, of an argument written {a}
ENTRYWISE = {
    "exp": "exp({a})", "log": "log({a})", "tanh": "tanh({a})", "sin": "sin({a})", "cos": "cos({a})",
    "sqrt": "sqrt({a})", "abs": "Abs({a})", "sigmoid": "1/(1 + exp(-({a})))", "softplus": "log(1 + exp({a}))",
}


def _name(name: str) -> str:
    return PY_NAMES.get(name, name)


def _size(size: sp.Expr) -> str:
    return _name(str(size))


_SUBS: dict[str, str] = {}  # names written as something else (the variable moved along a direction)
_VAR: list[Sym] = []  # the variable a differential d(...) is taken in
_STRICT: list[bool] = [False]  # only what SymPy reads back (a displayed formula's mirror)


def sympy_text(node: Node, var: Sym | None = None, strict: bool = False) -> str:
    """``node`` as SymPy source: a scalar for a 1x1 node, a matrix expression otherwise.
    A differential ``d(u)`` in the variable ``var`` (with its direction ``dw``) is the
    derivative along the direction, ``diff(u(w + h_*dw), h_).subs(h_, 0)``; a gradient is
    ``Derivative(u, w)``, left unevaluated (a Jacobian its transpose, rows the entries of u)."""
    _VAR[:] = [var] if var is not None else []
    _STRICT[0] = strict
    try:
        return _p(node)
    finally:
        _VAR.clear()
        _SUBS.clear()
        _STRICT[0] = False


def _w(node: Node) -> str:
    """``node`` in parentheses unless it is an atom."""
    text = _p(node)
    atom = isinstance(node, (Sym, Ones, Ident)) or (isinstance(node, Num) and node.value.is_Integer and node.value >= 0) \
        or (isinstance(node, Ref) and isinstance(node.body, (Sym, Ones, Ident)))
    return text if atom else f"({text})"


def _has_sum(node: Node) -> bool:
    return isinstance(node, Sum) or any(_has_sum(c) for c in children(node)) or \
        (isinstance(node, Ref) and _has_sum(node.body))


def _has_grad(node: Node) -> bool:
    return isinstance(node, Grad) or any(_has_grad(c) for c in children(node))


def _p(node: Node) -> str:  # noqa: C901 - one branch per node type
    if isinstance(node, Sym):
        if node.name in _SUBS:
            return _SUBS[node.name]
        return _name(node.name) if node.kind != "dvar" else "d" + _name(node.name[1:])
    if isinstance(node, Num):
        v = node.value
        if v.is_Integer:
            return str(v)
        return f"Rational({v.p}, {v.q})"
    if isinstance(node, Ones):
        return f"OneMatrix({_size(node.shape[0])}, {_size(node.shape[1])})"
    if isinstance(node, Ident):
        return f"Identity({_size(node.shape[0])})"
    if isinstance(node, Ref):
        return _p(node.body)
    if isinstance(node, Add):
        return " + ".join(_w(t) for t in node.terms)
    if isinstance(node, Mul):
        body = "*".join(_w(f) for f in node.factors)
        if node.is_scalar and any(not f.is_scalar for f in node.factors):
            return f"({body})[0, 0]"
        return body
    if isinstance(node, Pow):
        return f"{_w(node.base)}**({node.exp})"
    if isinstance(node, T):
        return _p(node.arg) if node.arg.is_scalar else f"{_w(node.arg)}.T"
    if isinstance(node, Call):
        a, wa = _p(node.arg), _w(node.arg)
        if node.fn in ENTRYWISE:
            if node.arg.is_scalar:
                return ENTRYWISE[node.fn].format(a=a)
            return f"{wa}.applyfunc(Lambda(t_, {ENTRYWISE[node.fn].format(a='t_')}))"
        if node.fn == "norm":
            return f"sqrt(({wa}.T*{wa})[0, 0])"
        if node.fn in ("softmax", "logsumexp"):
            k = _size(node.arg.shape[0])
            total = f"(OneMatrix(1, {k})*{wa}.applyfunc(exp))[0, 0]"
            return f"{wa}.applyfunc(exp)/{total}" if node.fn == "softmax" else f"log({total})"
        if node.fn == "inv" and _has_grad(node.arg):
            raise ValueError("SymPy has no inverse of an unevaluated matrix derivative")
        fn = {"trace": "Trace", "det": "Determinant", "inv": "Inverse", "diag": "DiagMatrix"}.get(node.fn)
        if fn is None:
            raise ValueError(f"no SymPy spelling for {node.fn}")
        return f"{fn}({a})"
    if isinstance(node, Had):
        return f"HadamardProduct({_p(node.a)}, {_p(node.b)})"
    if isinstance(node, Sum):
        if _STRICT[0] and not node.body.is_scalar:
            raise ValueError("SymPy has no sum over i of vectors or matrices of symbolic size")
        return f"Sum({_p(node.body)}, ({node.index}, {node.lo}, {_size(node.hi)}))"
    if isinstance(node, Index):
        i = node.index
        if isinstance(node.base, Sym) and node.lower:
            return f"({_name(node.base.name)}[{i} - 1, :]).T"
        return f"{_w(node.base)}[{i} - 1, 0]"
    if isinstance(node, D):
        if not _VAR or _SUBS:
            raise ValueError("a differential has no SymPy spelling without its variable")
        if _STRICT[0] and _has_sum(node.arg):
            raise ValueError("a differential of a sum: SymPy's expansion of it takes minutes")
        w = _name(_VAR[0].name)
        _SUBS[_VAR[0].name] = f"({w} + h_*d{w})"
        try:
            return f"diff({_p(node.arg)}, h_).subs(h_, 0)"
        finally:
            _SUBS.clear()
    if isinstance(node, Grad):
        # unevaluated: SymPy's matrix calculus loses a 1x1 product's [0, 0] (its diff is 0); a reader
        # works it out entry by entry. SymPy's layout gives a Jacobian transposed.
        out = f"Derivative({_p(node.arg)}, {_p(node.var)})"
        if node.jacobian:
            out = f"transpose({out})"
        return out if node.at is None else f"Subs({out}, {_p(node.var)}, {_p(node.at)})"
    raise TypeError(type(node).__name__)
