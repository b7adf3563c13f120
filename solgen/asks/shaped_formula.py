"""Displayed formulas of a matrix document: the sides are shaped trees (``matrix.ast``), a
differential ``d(u)`` a ``D`` node, a gradient or Jacobian a ``Grad`` node, and every ``=``
is checked on the engine's random concrete sizes, as every step is (``matrix.check``).

    mchain(ctx, (r"dL", D(L)), "=", (r"2 r^T \\, d(r)", middle), "=", (..., result))

gives a ``present.formula.Formula`` whose text is the sides' LaTeX joined by `` = `` (so the
text and the forms come from the same pieces), with

- ``checker``: the index of the first ``=`` whose sides differ on a draw (``present.formula.check``
  raises CheckError on it before anything is written);
- ``sympy``: each side as SymPy source (``matrix.sympytext``), for a reader with SymPy alone.

A side is evaluated on each draw (every name random, the sizes small and different): ``d(u)``
as the derivative of u along a random direction ``dw`` (the direction is also the value of
``dw`` in the other side), ``Grad`` entry by entry along unit directions. ``where``
(``{"w": node or sp.Matrix}``) reads every side at a point: the variable takes that value (a
tree evaluated on the draw, or numbers). A side that is a SymPy number or matrix is compared
with the other entry by entry. A word is ``None`` (not checked).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Mapping

import sympy as sp

from solgen.derive.check import false_relation as scalar_false
from solgen.math.text import expr_text
from solgen.asks import shaped as _asks  # a cycle: the asks build formulas, a formula's context is an asks engine
from solgen.math.shaped import D, Grad, Node, Sum, Sym, children, latex
from solgen.derive.shaped_diff import rebuild
from solgen.math.shaped_sympy import sympy_text
from solgen.derive.shaped_check import Draw, free_indices
from solgen.math.shaped_numeric import Mat, Undefined, add, evaluate, random_value, size
from solgen.present.formula import Formula, Side, chain

H_COMPLEX = 1e-20
H_CENTRAL = 1e-5
TOL = 1e-6


@dataclass
class Context:
    """What a matrix document's formulas are checked with: the draws, the variable (``Sym``)
    its differential and its shapes."""

    draws: list[Draw]
    var: Sym
    shapes: Mapping[str, Any] = field(default_factory=dict)
    assume: Mapping[str, str] = field(default_factory=dict)

    @property
    def dvar(self) -> str:
        return "d" + self.var.name


_ENGINES: dict[int, tuple[Any, Any]] = {}  # id(problem.shapes) -> (shapes, its MatrixEngine), for the presenters


def context(problem: Any, var: str | None = None) -> Context:
    """The context of a problem with ``shapes:`` (``var``: the variable the formulas are in,
    the first by default): the draws its engine checks every step on."""
    shaped = problem.shapes
    found = _ENGINES.get(id(shaped))
    if found is None or found[0] is not shaped:
        if len(_ENGINES) > 64:
            _ENGINES.clear()
        found = _ENGINES[id(shaped)] = (shaped, _asks.MatrixEngine(shaped))
    m = found[1]
    differ = m.differs[var] if var else m.differ
    return Context(m.draws, differ.var, dict(shaped.shapes), dict(shaped.assume))


# -- evaluating a side -------------------------------------------------------------------------

def _has_derivative(node: Node) -> bool:
    return isinstance(node, (D, Grad)) or any(_has_derivative(c) for c in children(node))


def _direction(shape: Mat, rng: random.Random) -> Mat:
    return [[complex(rng.uniform(-1, 1)) for _ in row] for row in shape]


def _deriv(node: Node, env: dict[str, Any], sizes: dict[str, int], var: str, direction: Mat, pick: int) -> Mat:
    """The derivative of ``node`` along ``direction`` in ``var``: a complex step (exact to
    rounding), or central differences when the node holds derivatives itself."""
    w = env[var]
    if not _has_derivative(node):
        moved = [[x + 1j * H_COMPLEX * dx for x, dx in zip(rw, rd)] for rw, rd in zip(w, direction)]
        val = value(node, {**env, var: moved}, sizes, pick)
        return [[complex(x.imag / H_COMPLEX) for x in row] for row in val]
    plus = [[x + H_CENTRAL * dx for x, dx in zip(rw, rd)] for rw, rd in zip(w, direction)]
    minus = [[x - H_CENTRAL * dx for x, dx in zip(rw, rd)] for rw, rd in zip(w, direction)]
    a, b = value(node, {**env, var: plus}, sizes, pick), value(node, {**env, var: minus}, sizes, pick)
    return [[(x - y) / (2 * H_CENTRAL) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _grad(node: Grad, env: dict[str, Any], sizes: dict[str, int], pick: int) -> Mat:
    var = node.var.name  # type: ignore[attr-defined]
    if node.at is not None:
        env = {**env, var: value(node.at, env, sizes, pick)}
    w = env[var]
    rows, cols = len(w), len(w[0])
    columns = []
    for j in range(rows * cols):
        unit = [[complex(r * cols + c == j) for c in range(cols)] for r in range(rows)]
        columns.append(_deriv(node.arg, env, sizes, var, unit, pick))
    if node.jacobian:  # rows are the entries of arg, columns the entries of var
        return [[columns[j][i][0] for j in range(rows * cols)] for i in range(len(columns[0]))]
    return [[columns[r * cols + c][0][0] for c in range(cols)] for r in range(rows)]


def value(node: Node, env: dict[str, Any], sizes: dict[str, int], pick: int = 0, var: str = "",
          direction: Mat | None = None) -> Mat:
    """``node`` on one draw: every ``d(u)`` along ``direction`` in ``var``, every ``Grad``
    worked out numerically, the rest by ``numeric.evaluate``."""
    env = dict(env)
    count = [0]

    def swap(n: Node) -> Node | None:
        if isinstance(n, D):
            if direction is None:
                raise ValueError("a differential needs a direction")
            val = _deriv(n.arg, env, sizes, var, direction, pick)
        elif isinstance(n, Grad):
            val = _grad(n, env, sizes, pick)
        elif isinstance(n, Sum) and _has_derivative(n.body):  # the body's derivatives at each index
            val = None
            for i in range(int(n.lo), size(n.hi, sizes) + 1):
                term = value(n.body, {**env, n.index: i}, sizes, pick, var, direction)
                val = term if val is None else add(val, term)
            if val is None:
                val = [[0j] * size(n.shape[1], sizes) for _ in range(size(n.shape[0], sizes))]
        else:
            return None
        count[0] += 1
        name = f"_side{count[0]}"
        env[name] = val
        return Sym(name, n.shape, "const")

    node = rebuild(node, swap) if _has_derivative(node) else node
    for index, base in free_indices(node).items():  # a term of a sum: read at an index drawn with the sizes
        if index not in env:
            env[index] = 1 + pick % len(evaluate(base, dict(env), sizes))
    return evaluate(node, env, sizes)


def _names(node: Any, out: dict[str, Node]) -> None:
    if isinstance(node, Sym):
        out.setdefault(node.name, node)
    if isinstance(node, Node):
        body = getattr(node, "body", None)
        if isinstance(body, Node):
            _names(body, out)
        for c in children(node):
            _names(c, out)
        if isinstance(node, Grad):
            _names(node.var, out)


def _close(a: complex, b: complex) -> bool:
    return abs(a - b) <= TOL * (1 + abs(a) + abs(b))


def _same(a: Mat, b: Mat) -> bool:
    return len(a) == len(b) and all(len(ra) == len(rb) and all(_close(x, y) for x, y in zip(ra, rb))
                                    for ra, rb in zip(a, b))


def _numbers(m: Any) -> Mat:
    m = sp.Matrix(m) if not isinstance(m, sp.MatrixBase) else m
    return [[complex(sp.N(m[i, j], 30)) for j in range(m.cols)] for i in range(m.rows)]


def _point(where: Mapping[str, Any], sizes_of: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """A point of numbers (``{"w": Matrix}``): the names' values and the sizes they fix."""
    env: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    for name, v in where.items():
        m = sp.Matrix(v) if not isinstance(v, sp.MatrixBase) else v
        env[str(name)] = _numbers(m)
        shape = sizes_of.get(str(name))
        if shape is not None:
            for s, n in zip(shape, (m.rows, m.cols)):
                if not (isinstance(s, int) or getattr(s, "is_Integer", False)):
                    sizes[str(s)] = n
    return env, sizes


def false_relation(f: Formula, ctx: Context) -> int | None:
    """The index of the first ``=`` of ``f`` whose sides differ, or None."""
    where = {str(k): v for k, v in f.where.items()}
    numeric_point = bool(where) and all(not isinstance(v, Node) for v in where.values())
    for i, rel in enumerate(f.relations):
        a, b = f.forms[i], f.forms[i + 1]
        if rel != "=" or a is None or b is None:
            continue
        if not isinstance(a, Node) and not isinstance(b, Node):
            if scalar_false([a, b], ["="], {}) is not None:
                return i
            continue
        if numeric_point:
            if not _equal_at_point(a, b, where, ctx):
                return i
        elif not _equal_on_draws(a, b, where, ctx):
            return i
    return None


def _side(form: Any, env: dict[str, Any], sizes: dict[str, int], pick: int, var: str, direction: Mat | None) -> Mat:
    if isinstance(form, Node):
        return value(form, env, sizes, pick, var, direction)
    if isinstance(form, sp.MatrixBase):
        return _numbers(form)
    return [[complex(sp.N(form, 30))]]


def _equal_at_point(a: Any, b: Any, where: Mapping[str, Any], ctx: Context) -> bool:
    env, sizes = _point(where, ctx.shapes)
    try:
        return _same(_side(a, env, sizes, 0, ctx.var.name, None), _side(b, env, sizes, 0, ctx.var.name, None))
    except (Undefined, ZeroDivisionError, OverflowError, KeyError):
        return False


def _equal_on_draws(a: Any, b: Any, where: Mapping[str, Any], ctx: Context) -> bool:
    """a = b on every draw where both are defined (at least one decides)."""
    names: dict[str, Node] = {}
    _names(a, names)
    _names(b, names)
    for v in where.values():
        _names(v, names)
    decided = False
    for k, draw in enumerate(ctx.draws):
        rng = random.Random(1000 + k)
        env = dict(draw.env)
        for name, sym in names.items():  # a name the problem's draws do not have (w_0): drawn like the others
            if name not in env and sym.kind not in ("dvar", "size"):
                env[name] = random_value(sym.shape, draw.sizes, rng, ctx.assume.get(name, ""))
        var = ctx.var.name
        direction = _direction(env[var], rng) if var in env else None
        if direction is not None:
            env[ctx.dvar] = direction
        try:
            for name, v in where.items():
                env[str(name)] = value(v, env, draw.sizes, draw.pick) if isinstance(v, Node) else _numbers(v)
            ok = _same(_side(a, env, draw.sizes, draw.pick, var, direction),
                       _side(b, env, draw.sizes, draw.pick, var, direction))
        except (Undefined, ZeroDivisionError, OverflowError):
            continue
        if not ok:
            return False
        decided = True
    return decided


# -- building ----------------------------------------------------------------------------------

def _sympy_side(form: Any, var: Sym) -> str | None:
    if form is None:
        return None
    if isinstance(form, Node):
        try:
            return sympy_text(form, var, strict=True)
        except ValueError:  # a side SymPy cannot spell (the inverse of an unevaluated Hessian, a sum of vectors): none
            return None
    return expr_text(form) if isinstance(form, sp.Basic) else str(form)


def mchain(ctx: Context, *items: Any, where: Mapping[str, Any] | None = None) -> Formula:
    """``chain`` for a matrix document: the sides' forms are trees (or SymPy numbers), checked
    on ``ctx``'s draws."""
    where = {sp.Symbol(str(k)): v for k, v in (where or {}).items()}
    names: dict[str, Node] = {}
    for item in items[::2]:
        _names(item.form if isinstance(item, Side) else item[1], names)
    for v in where.values():
        _names(v, names)
    shapes = {k: [str(x) for x in v] for k, v in ctx.shapes.items()}
    for name, sym in names.items():  # names the document introduces (w_0): their shapes too
        if name not in shapes and sym.kind == "const" and not sym.is_scalar and not name.startswith("_"):
            shapes[name] = [str(x) for x in sym.shape]
    f = chain(*items, where=where, shapes=shapes)
    return shaped(f, ctx)


def shaped(f: Formula, ctx: Context) -> Formula:
    """``f`` checked on ``ctx``'s draws, with its SymPy mirror."""
    f.matrix_context = ctx  # type: ignore[attr-defined]
    f.checker = lambda g: false_relation(g, ctx)  # type: ignore[attr-defined]
    f.sympy = [_sympy_side(x, ctx.var) for x in f.forms]  # type: ignore[attr-defined]
    if any(s is not None and ctx.dvar in s for s in f.sympy) and ctx.dvar not in f.shapes:
        f.shapes[ctx.dvar] = [str(x) for x in ctx.var.shape]  # the direction of a differential: the variable's shape
    f.sympy_where = {str(k): _sympy_side(v, ctx.var) for k, v in f.where.items()}  # type: ignore[attr-defined]
    return f


def retex(f: Any, tex: str) -> Any:
    """``f`` written as ``tex`` (its checker and mirror kept); a plain string stays one."""
    if not isinstance(f, Formula):
        return tex
    g = f.retex(tex)
    for attr in ("checker", "sympy"):
        if hasattr(f, attr):
            setattr(g, attr, getattr(f, attr))
    return g


__all__ = ["Context", "context", "mchain", "shaped", "Side", "value", "false_relation"]


def proof_formulas(problem: object, order: list[Node], rewrites: list[Any]) -> tuple[list[object], object]:
    """The proof's displayed lines as formulas: each ``= after`` (its left side the form
    before it, not written again), and the whole ``lhs = rhs \\qquad \\blacksquare``; every
    ``=`` checked on the problem's draws. For ``asks/identity.py``'s
    ``present``: ``lines[k]`` is the equation of rewrite k, ``answer`` the answer line."""
    ctx = context(problem)
    shapes = {k: [str(x) for x in v] for k, v in ctx.shapes.items()}
    lines = [shaped(Formula(f"= {latex(s.after)}", [s.before, s.after], ["="], shapes=shapes), ctx) for s in rewrites]
    lhs, rhs = order[0], order[-1]
    answer = shaped(Formula(f"{latex(lhs)} = {latex(rhs)} \\qquad \\blacksquare", [lhs, rhs], ["="], shapes=shapes), ctx)
    return lines, answer
