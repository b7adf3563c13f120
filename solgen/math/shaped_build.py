"""Constructors that check shapes and keep trees in a normal form (flat sums and products,
one numeric coefficient first, ``(A^T)^T = A``). The parser and the differential engine
both build trees through them, so a wrong shape is caught wherever it arises.
"""

from __future__ import annotations

import sympy as sp

from solgen.math.shaped import (ELEMENTWISE, ONE, SCALAR, Add, Call, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref,
                               Sum, Sym, T, shape_text, text)


class ShapeError(ValueError):
    """Shapes that do not fit; the message names both."""


ZERO = Num(sp.Integer(0))
UNSIZED = sp.Symbol("_unsized")  # the size of an I not yet met with a matrix


def unsized(node: Node) -> bool:
    if isinstance(node, Ident):
        return node.shape[0] == UNSIZED
    return isinstance(node, Mul) and any(unsized(f) for f in node.factors)


def _resize(node: Node, shape: tuple[sp.Expr, sp.Expr]) -> Node:
    if isinstance(node, Ident):
        return Ident(shape)
    assert isinstance(node, Mul)
    return mul(*(_resize(f, shape) if unsized(f) else f for f in node.factors))


def zeros(shape: tuple[sp.Expr, sp.Expr]) -> Num:
    """The zero of a shape (printed 0): a constant's differential, a gradient that vanishes."""
    return Num(sp.Integer(0), shape)


def num(v: int | sp.Rational) -> Num:
    return Num(sp.Rational(v))


def is_zero(node: Node) -> bool:
    return isinstance(node, Num) and node.value == 0


def _name(node: Node) -> str:
    s = text(node)
    return s if len(s) <= 40 else s[:37] + "..."


def add(*terms: Node) -> Node:
    flat: list[Node] = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, Add) else [t])
    shaped = [t for t in flat if not t.is_scalar and not unsized(t)] or [t for t in flat if not t.is_scalar]
    shape = shaped[0].shape if shaped else SCALAR
    if shape[0] != UNSIZED and any(unsized(t) for t in flat):
        if shape[0] != shape[1]:
            raise ShapeError(f"I is square; it cannot be added to {_name(shaped[0])} ({shape_text(shape)})")
        flat = [_resize(t, shape) if unsized(t) else t for t in flat]
    out: list[Node] = []
    for t in flat:
        if is_zero(t):
            continue
        if t.shape != shape:
            if t.is_scalar and isinstance(t, Num) and shape[1] == ONE:
                t = Ones((shape[0], ONE)) if t.value == 1 else mul(t, Ones((shape[0], ONE)))
            else:
                raise ShapeError(f"cannot add {_name(shaped[0])} ({shape_text(shape)}) and {_name(t)} ({shape_text(t.shape)})")
        out.append(t)
    if not out:
        return Num(sp.Integer(0)) if shape == SCALAR else zeros(shape)
    if len(out) == 1:
        return out[0]
    return Add(tuple(out), shape)


def mul(*factors: Node) -> Node:
    flat: list[Node] = []
    chains = [f for f in factors if isinstance(f, Mul) and f.is_scalar and any(not g.is_scalar for g in f.factors)]
    lone = len(chains) == 1 and all(isinstance(f, Num) or f in chains for f in factors)  # -(x^T w): the rest numbers
    for f in factors:
        if isinstance(f, Mul) and (lone or f not in chains):
            flat.extend(f.factors)
        else:
            flat.append(f)
    if any(not f.is_scalar and not unsized(f) for f in flat):
        flat = [f for f in flat if not (isinstance(f, Ident) and unsized(f))]
    if any(isinstance(f, Num) and not f.is_scalar for f in flat):  # a zero vector or matrix in a product: zeros
        shaped = [f for f in flat if not f.is_scalar]
        shape = shaped[0].shape
        for f in shaped[1:]:
            if shape[1] != f.shape[0]:
                raise ShapeError(f"cannot multiply {shape_text(shape)} by {_name(f)} ({shape_text(f.shape)})")
            shape = (shape[0], f.shape[1])
        return zeros(shape)
    coeff = sp.Integer(1)
    decimal = any(isinstance(f, Num) and f.decimal for f in flat)
    scalars: list[Node] = []
    chain: list[Node] = []
    shape = None
    for f in flat:
        if isinstance(f, Num):
            coeff *= f.value
            continue
        if f.is_scalar:
            scalars.append(f)
            continue
        if shape is None or shape == SCALAR:
            shape = f.shape
        elif shape[1] == f.shape[0]:
            shape = (shape[0], f.shape[1])
        else:
            left = chain[0] if len(chain) == 1 else Mul(tuple(chain), shape)
            raise ShapeError(f"cannot multiply {_name(left)} ({shape_text(shape)}) by {_name(f)} ({shape_text(f.shape)}): "
                             f"the inner sizes {shape[1]} and {f.shape[0]} differ")
        chain.append(f)
    shape = shape or SCALAR
    if coeff == 0:
        return ZERO if shape == SCALAR else Mul((ZERO, *chain), shape)
    # I in a chain of other factors is dropped: A I = A
    if len(chain) > 1:
        chain = [f for f in chain if not isinstance(f, Ident)] or chain[:1]
    scalars = _powers(scalars)
    out = ([Num(coeff, SCALAR, decimal and not coeff.is_Integer)] if coeff != 1 else []) + scalars + chain
    if not out:
        return Num(coeff, SCALAR, decimal and not coeff.is_Integer)
    if len(out) == 1:
        return out[0]
    return Mul(tuple(out), shape)


def _powers(scalars: list[Node]) -> list[Node]:
    """Equal bases multiplied: ||r||^(-2) ||r||^(-1) = ||r||^(-3)."""
    order: list[Node] = []
    exps: dict[Node, sp.Rational] = {}
    for f in scalars:
        base, e = (f.base, f.exp) if isinstance(f, Pow) else (f, sp.Integer(1))
        if base not in exps:
            order.append(base)
            exps[base] = sp.Integer(0)
        exps[base] += e
    return [base if exps[base] == 1 else Pow(base, exps[base]) for base in order if exps[base] != 0]


def neg(node: Node) -> Node:
    return mul(num(-1), node)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def transpose(node: Node, symmetric: frozenset[str] = frozenset()) -> Node:
    """A^T, pushed through what it can: scalars and I are their own transposes, (A^T)^T = A,
    a symmetric matrix is its transpose."""
    if node.is_scalar or isinstance(node, (Ident,)):
        return node
    if isinstance(node, T):
        return node.arg
    if isinstance(node, Sym) and node.name in symmetric:
        return node
    if isinstance(node, Call) and node.fn == "diag":
        return node
    if isinstance(node, Sum):  # (sum_i c_i a_i^T)^T = sum_i c_i a_i, term by term
        return summation(node.index, node.lo, node.hi, _pushed(node.body, symmetric))
    return T(node, (node.shape[1], node.shape[0]))


def _pushed(node: Node, symmetric: frozenset[str]) -> Node:
    """node^T with the transpose taken into sums and products: (a^T + c b^T)^T = a + c b."""
    if isinstance(node, Add):
        return add(*(_pushed(t, symmetric) for t in node.terms))
    if isinstance(node, Mul):
        return mul(*(transpose(f, symmetric) for f in reversed(node.factors)))
    return transpose(node, symmetric)


def summation(index: str, lo: sp.Expr, hi: sp.Expr, body: Node) -> Node:
    """sum_i body, with a numeric factor of the body written in front: -2 sum_i (...) x_i."""
    if isinstance(body, Mul) and isinstance(body.factors[0], Num):
        rest = mul(*body.factors[1:])
        return mul(body.factors[0], Sum(index, lo, hi, rest, rest.shape))
    if is_zero(body):
        return body
    return Sum(index, lo, hi, body, body.shape)


def power(base: Node, exp: sp.Rational) -> Node:
    if not base.is_scalar:
        hint = " (use hadamard(v, v) for entrywise squares, norm(v)^2 for v^T v)" if base.is_vector else \
            " (write A A, or inv(A) for the inverse)"
        raise ShapeError(f"cannot raise {_name(base)} ({shape_text(base.shape)}) to a power{hint}")
    if exp == 1:
        return base
    if isinstance(base, Num):
        return Num(base.value ** exp, SCALAR, base.decimal)
    return Pow(base, sp.Rational(exp))


def call(fn: str, arg: Node) -> Node:
    r, c = arg.shape
    if fn in ELEMENTWISE:
        return Call(fn, arg, arg.shape)
    if fn in ("softmax", "logsumexp", "norm", "diag"):
        if c != ONE:
            raise ShapeError(f"{fn} takes a vector; {_name(arg)} is {shape_text(arg.shape)}")
        shape = {"softmax": arg.shape, "logsumexp": SCALAR, "norm": SCALAR, "diag": (r, r)}[fn]
        return Call(fn, arg, shape)
    if fn in ("trace", "det", "inv"):
        if r != c:
            raise ShapeError(f"{fn} takes a square matrix; {_name(arg)} is {shape_text(arg.shape)}")
        if arg.is_scalar:
            raise ShapeError(f"{fn} takes a square matrix; {_name(arg)} is a scalar")
        return Call(fn, arg, SCALAR if fn != "inv" else arg.shape)
    raise ShapeError(f"unknown function {fn}")


def hadamard(a: Node, b: Node) -> Node:
    if a.shape != b.shape:
        raise ShapeError(f"hadamard needs equal shapes; {_name(a)} is {shape_text(a.shape)}, {_name(b)} is {shape_text(b.shape)}")
    return Had(a, b, a.shape)


def diag(v: Node) -> Node:
    return call("diag", v)


__all__ = ["Add", "Call", "Had", "Ident", "Index", "Mul", "Node", "Num", "Ones", "Pow", "Ref", "Sum", "Sym", "T",
           "ShapeError", "add", "mul", "neg", "sub", "transpose", "power", "call", "hadamard", "diag", "num", "is_zero",
           "ZERO"]
