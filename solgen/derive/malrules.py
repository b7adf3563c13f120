"""Mal-rules: the typical wrong steps, made into multiple-choice distractors.

A mal-rule is a wrong ``eval()`` for one rule kind (the chain rule without the inner
derivative, the product rule as u'v', ...) or a wrong last step of one ask (a directional
slope without 1/||d||, the Taylor polynomial without the 1/2). ``distractors(problem, part,
n)`` derives the part as usual, then for each node of its checked step trees where a
mal-rule applies, rebuilds that tree with the one node wrong (every node above it re-evaluated
by its own ``eval()``), and derives the part again through an engine that serves the wrong
tree: so the Hessian, the value at the point or the Taylor polynomial built on a wrong
derivative are re-derived upward by the ask's own code. A candidate equal to the key or to
an earlier distractor (numerically, at random points) is dropped; the others are taken in
the order of ``MALRULES``, one per mal-rule first.

To add a mal-rule: a function ``(node) -> wrong result or None`` in ``NODE_MALRULES`` (or
``(engine, result) -> wrong answer or None`` in ``ASK_MALRULES``), and its feedback sentence
``malrule.<name>`` in every catalog of ``templates/words/``.
"""

from __future__ import annotations

import random
from dataclasses import fields, replace
from typing import Any, Callable

import sympy as sp

from solgen.math.record import record
from solgen.derive.calculus import Engine
from solgen.derive.rules import (ChainRule, ExponentialRule, ExpRule, NamedRule, PowerRule, ProductRule, QuotientRule,
                                 Rule, TrigRule)
from solgen.math import numeric, lazy
from solgen.math.named import unfold
from solgen.math.tidy import tidy, tmul

# -- node mal-rules: a wrong result for one step -------------------------------------------

def _chain_inner(node: Rule) -> sp.Expr | None:
    """f'(g(x)), the inner derivative g'(x) forgotten."""
    if isinstance(node, ChainRule) and node.inner_step.result != 1:
        return node.outer_at_inner
    return None


def _product_uv(node: Rule) -> sp.Expr | None:
    """(uv)' = u'v'."""
    if isinstance(node, ProductRule):
        return tmul(*[s.result for s in node.steps])
    return None


def _product_one_term(node: Rule) -> sp.Expr | None:
    """(uv)' = u'v, the term u v' forgotten."""
    if isinstance(node, ProductRule):
        terms = [t for t in node.terms() if t != 0]
        if len(terms) >= 2:
            return terms[0]
    return None


def _quotient_sign(node: Rule) -> sp.Expr | None:
    """(u/v)' = (u v' - u' v)/v^2."""
    if isinstance(node, QuotientRule):
        top = sp.Add(tmul(node.numerator, node.den_step.result), tmul(sp.Integer(-1), node.num_step.result, node.denominator))
        return tmul(top, sp.Pow(node.denominator, -2))
    return None


def _quotient_square(node: Rule) -> sp.Expr | None:
    """(u/v)' = (u'v - u v')/v, the square of the denominator forgotten."""
    if isinstance(node, QuotientRule):
        top = sp.Add(tmul(node.num_step.result, node.denominator), tmul(sp.Integer(-1), node.numerator, node.den_step.result))
        return tmul(top, sp.Pow(node.denominator, -1))
    return None


def _power_not_lowered(node: Rule) -> sp.Expr | None:
    """(x^n)' = n x^n, the exponent not lowered."""
    if isinstance(node, PowerRule) and node.exponent != 0:
        return tmul(node.exponent, sp.Pow(node.var, node.exponent))
    return None


def _trig_sign(node: Rule) -> sp.Expr | None:
    """(cos x)' = sin x, (sin x)' = -cos x: the sign of a trig derivative flipped."""
    if isinstance(node, TrigRule) and node.func in (sp.sin, sp.cos):
        return -node.result
    return None


def _power_on_exponential(node: Rule) -> sp.Expr | None:
    """(a^x)' = x a^(x-1): the power rule used on an exponential."""
    if isinstance(node, ExponentialRule):
        return tmul(node.var, sp.Pow(node.base, node.var - 1))
    if isinstance(node, ExpRule):
        return tmul(node.var, sp.exp(node.var - 1))
    return None


NODE_MALRULES: dict[str, Callable[[Rule], sp.Expr | None]] = {
    "chain_inner": _chain_inner,
    "product_uv": _product_uv,
    "product_one_term": _product_one_term,
    "quotient_sign": _quotient_sign,
    "quotient_square": _quotient_square,
    "power_not_lowered": _power_not_lowered,
    "trig_sign": _trig_sign,
    "power_on_exponential": _power_on_exponential,
}


# -- ask mal-rules: a wrong last step of the part --------------------------------------------

def _quadratic_form(engine: Engine, expr: sp.Expr) -> tuple[list[list[sp.Expr]], list[sp.Expr]] | None:
    """f = x^T A x + b^T x + c with A read off upper-triangular (A_ij the coefficient of
    x_i x_j, i <= j): (A, b), when f is such a polynomial with a cross term."""
    xs = engine.vars
    expr = unfold(expr)
    if _degree_bound(expr, set(xs)) != 2:  # decided on the tree: never expand a large product to find out
        return None
    try:
        poly = sp.Poly(expr, *xs)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.total_degree() != 2:
        return None
    n = len(xs)
    a = [[sp.Integer(0)] * n for _ in range(n)]
    b = [sp.Integer(0)] * n
    cross = False
    for monom, coeff in poly.terms():
        idx = [i for i, k in enumerate(monom) for _ in range(k)]
        if len(idx) == 2:
            a[idx[0]][idx[1]] += coeff
            cross = cross or idx[0] != idx[1]
        elif len(idx) == 1:
            b[idx[0]] += coeff
    return (a, b) if cross else None


def _degree_bound(expr: sp.Expr, xs: set[sp.Symbol]) -> int | None:
    """An upper bound on the polynomial degree of ``expr`` in ``xs`` read off its tree, or
    None when it is not a polynomial in them (a function of a variable, a negative power)."""
    if not expr.free_symbols & xs:
        return 0
    if expr in xs:
        return 1
    if isinstance(expr, sp.Add):
        bounds = [_degree_bound(a, xs) for a in expr.args]
        return None if None in bounds else max(bounds)  # type: ignore[type-var]
    if isinstance(expr, sp.Mul):
        bounds = [_degree_bound(a, xs) for a in expr.args]
        return None if None in bounds else sum(bounds)  # type: ignore[arg-type]
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        base = _degree_bound(expr.base, xs)
        return None if base is None else base * int(expr.exp)
    return None


def _sym_2ax(engine: Engine, result: Any) -> Any:
    """grad (x^T A x) = 2 A x for an A that is not symmetric (the right one: (A + A^T) x)."""
    part = result.part
    if part.ask not in ("gradient", "hessian"):
        return None
    (expr,) = engine.function(part)
    form = _quadratic_form(engine, expr)
    if form is None:
        return None
    a, b = form
    xs, n = engine.vars, len(engine.vars)
    if part.ask == "hessian":
        wrong: Any = [[2 * a[i][j] for j in range(n)] for i in range(n)]
    else:
        wrong = [tidy(sp.Add(*[2 * a[i][j] * xs[j] for j in range(n)], b[i])) for i in range(n)]
    return _at(engine, part, wrong)


def _missing_transpose(engine: Engine, result: Any) -> Any:
    """The Jacobian with rows and columns swapped (the gradient layout for a vector function)."""
    if result.part.ask != "jacobian":
        return None
    key = graded(result)
    return [list(col) for col in zip(*key)]


def _directional_norm(engine: Engine, result: Any) -> Any:
    """D_u f = grad f . d, the division by ||d|| forgotten."""
    if result.part.ask != "directional" or all(r.norm == 1 for r in result.readings):
        return None
    return [r.slope for r in result.readings]


def _taylor_half(engine: Engine, result: Any) -> Any:
    """The quadratic term of the Taylor polynomial without its 1/2."""
    part = result.part
    if part.ask != "taylor" or result.order < 2 or result.polynomial is None:
        return None
    shifts = [tidy(sp.Add(v, -a, evaluate=False)) for v, a in part.at]
    if result.hessian_at is not None:
        seconds = [result.hessian_at[i][i] for i in range(len(shifts))]
    elif result.derivatives_at:
        seconds = [result.derivatives_at[0]]
    else:
        return None
    swap = {tmul(h / 2, sp.Pow(s, 2)): tmul(h, sp.Pow(s, 2)) for h, s in zip(seconds, shifts) if h != 0}
    terms = sp.Add.make_args(result.polynomial)
    if not any(t in swap for t in terms):
        return None
    return tidy(sp.Add(*[swap.get(t, t) for t in terms], evaluate=False))


ASK_MALRULES: dict[str, Callable[[Engine, Any], Any]] = {
    "sym_2Ax": _sym_2ax,
    "missing_transpose": _missing_transpose,
    "directional_norm": _directional_norm,
    "taylor_half": _taylor_half,
}

MALRULES = (*NODE_MALRULES, *ASK_MALRULES)


# -- building distractors --------------------------------------------------------------------

@record
class Distractor:
    malrule: str
    answer: Any  # shaped as the key (graded(result))


def graded(result: Any) -> Any:
    """What a student's choice answers: the value at the point when the part has one, the
    slopes D_u f for directional derivatives, else the part's result."""
    ask = result.part.ask
    if ask == "directional":
        return [r.unit_slope for r in result.readings]
    if ask == "taylor":
        return result.polynomial if result.polynomial is not None else result.answer
    value = getattr(result, "value", None)
    if value is not None and ask != "evaluate":
        if isinstance(value, (list, tuple)):
            return [list(r) for r in value] if value and isinstance(value[0], (list, tuple)) else list(value)
        return value
    answer = result.answer
    if isinstance(answer, list) and answer and isinstance(answer[0], (list, tuple)):
        return [list(r) for r in answer]
    return answer


def _at(engine: Engine, part: Any, wrong: Any) -> Any:
    if not part.at:
        return wrong
    point = dict(part.at)
    if isinstance(wrong, list):
        return [_at(engine, part, w) for w in wrong]
    return sp.nsimplify(wrong.xreplace(point)) if wrong.xreplace(point).is_Float else wrong.xreplace(point)


def _with_node(tree: Rule, target: Rule, wrong: sp.Expr) -> Rule:
    """``tree`` with ``target`` giving ``wrong``, every node above it rebuilt (its result
    re-evaluated from its substeps by its own ``eval()``)."""
    if tree is target:
        copy = replace(tree)
        copy.__dict__["result"] = tidy(wrong)  # the cached result of a frozen dataclass
        return copy
    changes: dict[str, Any] = {}
    for f in fields(tree):
        value = getattr(tree, f.name)
        if isinstance(value, Rule):
            new = _with_node(value, target, wrong)
            if new is not value:
                changes[f.name] = new
        elif isinstance(value, tuple) and value and all(isinstance(v, Rule) for v in value):
            new_items = tuple(_with_node(v, target, wrong) for v in value)
            if any(a is not b for a, b in zip(new_items, value)):
                changes[f.name] = new_items
    return replace(tree, **changes) if changes else tree


def _nodes(tree: Rule) -> list[Rule]:
    """The nodes a mal-rule may change: not inside a derivative said by name (NamedRule
    gives its named form, whatever its substeps say)."""
    out = [tree]
    if not isinstance(tree, NamedRule):
        for sub in tree.substeps:
            out += _nodes(sub)
    return out


def _flat(answer: Any) -> list[sp.Expr]:
    if isinstance(answer, (list, tuple)):
        return [x for a in answer for x in _flat(a)]
    return [answer]


def _samples(symbols: list[sp.Symbol], count: int = 4) -> list[dict[sp.Symbol, sp.Expr]]:
    rng = random.Random(1729)
    return [{s: sp.Rational(rng.randint(30, 170), 100) for s in symbols} for _ in range(count)]


def same(a: Any, b: Any, symbols: list[sp.Symbol]) -> bool:
    """Equal shapes and equal numbers at a few random points (exact when constant)."""
    fa, fb = _flat(a), _flat(b)
    if len(fa) != len(fb) or _shape(a) != _shape(b):
        return False
    free = sorted({s for e in fa + fb if isinstance(e, sp.Basic) for s in e.free_symbols}, key=str)
    points = _samples(free) if free else [{}]
    for point in points:
        for x, y in zip(fa, fb):
            try:
                vx = numeric.value(unfold(_expr(x)), point, 30)
                vy = numeric.value(unfold(_expr(y)), point, 30)
            except (numeric.NotNumeric, ZeroDivisionError, ValueError, TypeError):
                continue  # no value here: decided at the other points
            if abs(vx - vy) > 1e-12 * (1 + abs(vx) + abs(vy)):
                return False
    return True


def _expr(value: Any) -> sp.Expr:
    """A SymPy number or expression (answers are; a plain int or float from a list becomes one)."""
    if isinstance(value, sp.Basic):
        return value
    return sp.Integer(value) if isinstance(value, int) else sp.Float(value)


def _shape(a: Any) -> Any:
    if isinstance(a, (list, tuple)):
        return (len(a), tuple(_shape(x) for x in a))
    return ()


class _MalEngine(Engine):
    """An engine whose step tree for one (expression, variable) is the wrong one; it
    checks nothing (the point is a wrong answer)."""

    def __init__(self, problem: Any, key: tuple[sp.Expr, sp.Symbol], tree: Rule):
        super().__init__(problem, check=False)
        self._trees[key] = tree


def candidates(problem: Any, part: Any, want: int | None = None) -> tuple[Any, Any, list[Distractor]]:
    """(the key's result, its graded answer, the distinct distractors in MALRULES order:
    one per mal-rule first, then the second of each, ...). Each candidate is derived only
    when its turn comes, and the search stops at ``want`` distractors (None: all)."""
    engine = Engine(problem)
    result = engine.derive(part)
    if problem.shapes:  # vectors and matrices: the mistakes of matrix calculus, on the result's tree
        matrix_candidates = lazy.load('malrules_matrix').matrix_candidates

        return result, result.answer, matrix_candidates(engine, result, want)
    key = graded(result)
    symbols = list(problem.variables)
    pending: dict[str, list[Callable[[], Any]]] = {name: [] for name in MALRULES}

    def node_candidate(tree_key: tuple, tree: Rule, node: Rule, wrong: sp.Expr) -> Callable[[], Any]:
        return lambda: graded(_MalEngine(problem, tree_key, _with_node(tree, node, wrong)).derive(part))

    for tree_key, tree in list(engine._trees.items()):
        for node in _nodes(tree):
            for name, rule in NODE_MALRULES.items():
                wrong = rule(node)  # cheap: the wrong step alone; the part is re-derived on its turn
                if wrong is not None:
                    pending[name].append(node_candidate(tree_key, tree, node, wrong))
    for name, ask_rule in ASK_MALRULES.items():
        pending[name].append(lambda ask_rule=ask_rule: ask_rule(engine, result))
    kept: list[Distractor] = []
    rounds = max((len(v) for v in pending.values()), default=0)
    for r in range(rounds):
        for name in MALRULES:
            if r >= len(pending[name]):
                continue
            try:
                answer = pending[name][r]()
            except Exception:  # noqa: BLE001 - a wrong step that cannot be carried upward is no distractor
                continue
            if answer is None or same(answer, key, symbols) or any(same(answer, k.answer, symbols) for k in kept):
                continue
            kept.append(Distractor(name, answer))
            if want is not None and len(kept) >= want:
                return result, key, kept
    return result, key, kept


def distractors(problem: Any, part: Any, count: int | None = None) -> list[Distractor]:
    """``count`` (default: the part's choices - 1) distractors for ``part``."""
    n = (part.choices or 1) - 1 if count is None else count
    _, _, kept = candidates(problem, part, n)
    return kept[:n]
