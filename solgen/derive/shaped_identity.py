"""Identities as chains of named rewrites (the seed's "quick matrix proof"):

    ||X w - y||^2 = sum_i ((X w - y)_i)^2      definition of the norm
                  = sum_i (x_i^T w - y_i)^2    rows of X w - y
                  = sum_i (y_i - x_i^T w)^2    (a - b)^2 = (b - a)^2

``prove(forms)`` links each form to the next by a short search over the rewrites (each
applied wherever it fits); every step found is checked on random concrete sizes. Forms
that no rewrite links but that agree on every draw are linked by ``algebra`` (checked the
same way); forms that disagree are an error, never a proof.

To add a rewrite: a function node -> node or None in ``REWRITES`` and its sentence
``matrix.rewrite.<name>`` in every words catalog.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from solgen.math.record import record
from solgen.math import shaped_build as b
from solgen.math.shaped import ONE, SCALAR, Add, Call, Index, Mul, Node, Num, Pow, Sum, Sym, T, children, text
from solgen.derive.shaped_check import Draw, check_equal
from solgen.derive.shaped_diff import rebuild

MAX_DEPTH = 4


@record
class Rewrite:
    rule: str
    before: Node
    after: Node


def _norm_squared(node: Node) -> Node | None:
    if isinstance(node, Pow) and node.exp == 2 and isinstance(node.base, Call) and node.base.fn == "norm":
        v = node.base.arg
        return Sum("i", sp.Integer(1), v.shape[0], Pow(Index(v, "i", SCALAR), sp.Integer(2)))
    return None


def entry(v: Node, i: str) -> Node | None:
    """Entry i of a vector expression, pushed inside: (X w - y)_i = x_i^T w - y_i."""
    if isinstance(v, Sym):
        return Index(v, i, SCALAR)
    if isinstance(v, Add):
        parts = [entry(t, i) for t in v.terms]
        return None if any(p is None for p in parts) else b.add(*parts)  # type: ignore[arg-type]
    if isinstance(v, Mul):
        scalars = [f for f in v.factors if f.is_scalar]
        chain = [f for f in v.factors if not f.is_scalar]
        if len(chain) == 1:
            inner = entry(chain[0], i)
            return None if inner is None else b.mul(*scalars, inner)
        if len(chain) == 2 and isinstance(chain[0], Sym) and chain[1].is_vector:
            mat = chain[0]
            row = Index(mat, i, (mat.shape[1], ONE), lower=True)
            return b.mul(*scalars, b.transpose(row), chain[1])
    return None


def _rows(node: Node) -> Node | None:
    if isinstance(node, Index) and not isinstance(node.base, Sym) and node.base.is_vector:
        return entry(node.base, node.index)
    return None


def _flip_square(node: Node) -> Node | None:
    if isinstance(node, Pow) and node.exp % 2 == 0 and isinstance(node.base, Add) and len(node.base.terms) == 2:
        a, second = node.base.terms
        if isinstance(second, Mul) and isinstance(second.factors[0], Num) and second.factors[0].value < 0:
            return Pow(b.add(b.neg(second), b.neg(a)), node.exp)
    return None


def _transpose_product(node: Node) -> Node | None:
    if isinstance(node, T) and isinstance(node.arg, Mul) and not node.arg.is_scalar:
        return b.mul(*(b.transpose(f) for f in reversed(node.arg.factors)))
    return None


def _scalar_transpose(node: Node) -> Node | None:
    """u^T v = v^T u for vectors u, v (a scalar is its own transpose)."""
    if isinstance(node, Mul) and node.is_scalar:
        chain = [f for f in node.factors if not f.is_scalar]
        scalars = [f for f in node.factors if f.is_scalar]
        if len(chain) >= 2 and chain[0].shape[0] == ONE:
            flipped = [b.transpose(f) for f in reversed(chain)]
            return b.mul(*scalars, *flipped)
    return None


def _norm_def(node: Node) -> Node | None:
    if isinstance(node, Pow) and node.exp == 2 and isinstance(node.base, Call) and node.base.fn == "norm":
        v = node.base.arg
        return b.mul(b.transpose(v), v)
    return None


REWRITES: tuple[tuple[str, Callable[[Node], Node | None]], ...] = (
    ("norm_squared", _norm_squared),
    ("rows", _rows),
    ("flip_square", _flip_square),
    ("transpose_product", _transpose_product),
    ("scalar_transpose", _scalar_transpose),
    ("norm_def", _norm_def),
)


def _apply_everywhere(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """``fn`` applied at every place it fits (outermost first)."""
    def visit(n: Node) -> Node | None:
        new = fn(n)
        if new is not None:
            return new
        if isinstance(n, Sum):
            return Sum(n.index, n.lo, n.hi, rebuild_sum(n.body))
        return None

    def rebuild_sum(n: Node) -> Node:
        return rebuild(n, visit)

    return rebuild(node, visit)


def _key(node: Node) -> str:
    return text(node)


def _search(start: Node, goal: Node) -> list[Rewrite] | None:
    """The shortest chain of rewrites from start to goal (breadth first, bounded)."""
    target = _key(goal)
    frontier: list[tuple[Node, list[Rewrite]]] = [(start, [])]
    seen = {_key(start)}
    for _ in range(MAX_DEPTH):
        nxt = []
        for node, path in frontier:
            for rule, fn in REWRITES:
                try:
                    new = _apply_everywhere(node, fn)
                except b.ShapeError:
                    continue
                k = _key(new)
                if k in seen:
                    continue
                step = path + [Rewrite(rule, node, new)]
                if k == target:
                    return step
                seen.add(k)
                nxt.append((new, step))
        frontier = nxt
    return None


class NotEqual(ValueError):
    pass


def prove(forms: list[Node], all_draws: list[Draw]) -> list[Rewrite]:
    """Rewrites linking each form to the next, every one checked on random sizes."""
    steps: list[Rewrite] = []
    for a, goal in zip(forms, forms[1:]):
        if a.shape != goal.shape:
            raise NotEqual(f"{text(a)} and {text(goal)} have different shapes")
        found = _search(a, goal) if _key(a) != _key(goal) else []
        if found is None:
            found = [Rewrite("algebra", a, goal)]
        for step in found:
            if not check_equal(step.before, step.after, all_draws):
                if step.rule == "algebra":
                    raise NotEqual(f"{text(a)} and {text(goal)} differ on random sizes and values: the identity does "
                                   "not hold as written")
                raise ArithmeticError(f"the rewrite {step.rule} gave unequal forms")  # a bug, never the user's
        steps.extend(found)
    return steps


__all__ = ["Rewrite", "prove", "NotEqual", "REWRITES", "children", "Sym"]
