"""Mal-rules for vector and matrix results (``shapes:``): the two mistakes of matrix
calculus a TA sees most, made on the key's expression tree (``matrix/ast.py``):

- ``sym_2Ax``: ``A + A^T`` read as ``2 A`` (the gradient of ``w^T A w`` as ``2 A w`` for an
  ``A`` not declared symmetric);
- ``missing_transpose``: one transpose left out (``X (X w - y)`` for ``X^T (X w - y)``; the
  result need not even have the right shape, as on a student's paper).

A candidate equal to the key or to an earlier one on solgen's random concrete sizes
(``matrix/check.py``) is dropped. To add one: a function ``(node, symmetric) -> [nodes]`` in
``RULES`` and its ``malrule.<name>`` sentence in the words catalogs.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, Callable, Iterator

import sympy as sp

from solgen.derive.malrules import Distractor
from solgen.math.shaped import Add, Mul, Node, Num, Sym, T
from solgen.math import lazy
from solgen.derive.shaped_check import check_equal
from solgen.derive.shaped_engine import engine_for


def _rebuilt(node: Node, change: Callable[[Node], Iterator[Node]]) -> Iterator[Node]:
    """Every tree that is ``node`` with one sub-node replaced as ``change`` offers."""
    yield from change(node)
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Node):
            for new in _rebuilt(value, change):
                yield replace(node, **{f.name: new})
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            for i, item in enumerate(value):
                for new in _rebuilt(item, change):
                    yield replace(node, **{f.name: value[:i] + (new,) + value[i + 1:]})


def _sym_2ax(symmetric: frozenset[str]) -> Callable[[Node], Iterator[Node]]:
    def change(node: Node) -> Iterator[Node]:
        if not isinstance(node, Add):
            return
        for i, a in enumerate(node.terms):
            for j, b in enumerate(node.terms):
                if isinstance(b, T) and b.arg == a and not (isinstance(a, Sym) and a.name in symmetric):
                    rest = [t for k, t in enumerate(node.terms) if k not in (i, j)]
                    doubled = Mul((Num(sp.Integer(2)), a), a.shape)
                    yield replace(node, terms=tuple([doubled] + rest)) if rest else doubled
                    return
    return change


def _missing_transpose(symmetric: frozenset[str]) -> Callable[[Node], Iterator[Node]]:
    def change(node: Node) -> Iterator[Node]:
        if isinstance(node, T) and not node.arg.is_scalar and not (isinstance(node.arg, Sym) and node.arg.name in symmetric):
            yield node.arg
    return change


RULES = {"sym_2Ax": _sym_2ax, "missing_transpose": _missing_transpose}


def _flat(node: Node) -> Node:
    """A product inside a product spliced into it (2 A w, not (2 A) w)."""
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Node):
            changes[f.name] = _flat(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            changes[f.name] = tuple(_flat(v) for v in value)
    node = replace(node, **changes) if changes else node
    if isinstance(node, Mul) and any(isinstance(f, Mul) for f in node.factors):
        spliced: list[Node] = []
        for f in node.factors:
            spliced.extend(f.factors if isinstance(f, Mul) else (f,))
        node = replace(node, factors=tuple(spliced))
    return node


def matrix_candidates(engine: Any, result: Any, want: int | None) -> list[Distractor]:

    key = result.answer
    if not isinstance(key, Node):
        return []
    symmetric = frozenset(getattr(engine.problem.shapes, "symmetric", frozenset()))
    draws = engine_for(engine).draws
    offered = {name: [_flat(n) for n in list(_rebuilt(key, rule(symmetric)))[:8]] for name, rule in RULES.items()}
    kept: list[Distractor] = []

    def equal(a: Node, b: Node) -> bool:
        try:
            return a == b or check_equal(a, b, draws)
        except Exception:  # noqa: BLE001 - a wrong shape evaluates to nothing: not equal
            return False

    for r in range(max((len(v) for v in offered.values()), default=0)):
        for name in RULES:
            if r < len(offered[name]):
                node = offered[name][r]
                if equal(node, key) or any(equal(node, k.answer) for k in kept):
                    continue
                kept.append(Distractor(name, node))
                if want is not None and len(kept) >= want:
                    return kept
    return kept
