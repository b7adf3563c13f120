"""diff_steps(expr, var) -> a tree of Rule nodes whose root result is d(expr)/d(var).

Finders are small functions keyed by expression class in ``DISPATCH`` (looked up along
the MRO, like SymPy's printers). Each returns a Rule or None; when every finder for a
class says None, the ``FallbackRule`` computes the derivative with ``sympy.diff`` so the
engine never crashes, and the fallback is reported wherever it appears.

To support a new kind of expression: write ``_find_<thing>(expr, var, ctx)`` and register
it in ``DISPATCH`` under the SymPy class it handles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import sympy as sp
from sympy.core.function import AppliedUndef

from solgen.derive import rules as R
from solgen.math.functions import sigmoid
from solgen.math import named
from solgen.math.named import Named, fold, names_in, softmax_derivative
from solgen.math.tidy import compact, tidy, tmul

CHAIN_NAMES = ("u", "v", "w", "s", "t", "z", "p", "q")


@dataclass
class Context:
    """What a finder needs to know beyond the expression: the problem's variables (to say
    which are held constant) and the names taken, so chain-rule letters do not clash."""

    variables: tuple[sp.Symbol, ...] = ()
    taken: set[str] = field(default_factory=set)
    depth: int = 0

    def chain_symbol(self) -> sp.Symbol:
        """The letter for the inner function of a chain at this nesting depth: u, then v
        inside it, then w, ...; siblings reuse the same letter, names in use are skipped."""
        free = [n for n in CHAIN_NAMES if n not in self.taken]
        free += [f"u_{i}" for i in range(1, 100) if f"u_{i}" not in self.taken]
        return sp.Symbol(free[min(self.depth, len(free) - 1)], real=True)

    def inner(self) -> Context:
        return Context(variables=self.variables, taken=self.taken, depth=self.depth + 1)

    def held(self, expr: sp.Expr, var: sp.Symbol) -> tuple[sp.Symbol, ...]:
        free = expr.free_symbols
        return tuple(v for v in self.variables if v != var and v in free)


Finder = Callable[[sp.Expr, sp.Symbol, Context], Optional[R.Rule]]


def diff_steps(expr: sp.Expr, var: sp.Symbol, variables: tuple[sp.Symbol, ...] = ()) -> R.Rule:
    """The step tree of d(expr)/d(var). ``variables`` are the problem's variables."""
    ctx = Context(variables=tuple(variables) or (var,))
    ctx.taken = {s.name for s in expr.free_symbols} | {v.name for v in ctx.variables}
    ctx.taken |= {f.source_name for f in names_in(expr)}  # p of the file is not a chain letter
    tree = _steps(expr, var, ctx)
    if named.USED and tree.result.has(Named):  # the answer in terms of p, shortened: (p - y) x, not -(x y (1 - p) - x (1 - y) p)
        tree.__dict__["result"] = _shortened(tree)  # the cached result (a frozen dataclass)
    return tree


def _shortened(tree: R.Rule) -> sp.Expr:
    """The root's result multiplied out and regrouped when that is shorter; a sum of the
    source's terms (one per example of a loss) shortened term by term, so the answer keeps
    one group per example: p_1 - y_1 - 2 (p_2 - y_2), not p_1 - y_1 + 2 y_2 - 2 p_2."""
    whole = compact(tree.result)
    if not isinstance(tree, R.SumRule):
        return whole
    by_term = tidy(sp.Add(*[compact(s.result) for s in tree.steps], evaluate=False))
    return by_term if sp.count_ops(by_term) <= sp.count_ops(whole) + 2 else whole  # a sign or a product more


def _steps(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule:
    if var not in expr.free_symbols:
        return R.ConstantRule(expr, var, held=ctx.held(expr, var))
    if expr == var:
        return R.VariableRule(expr, var)
    for cls in type(expr).__mro__:
        for finder in DISPATCH.get(cls, ()):
            rule = finder(expr, var, ctx)
            if rule is not None:
                return rule
    return R.FallbackRule(expr, var, derivative=sp.diff(expr, var))


def _chain(expr: sp.Expr, var: sp.Symbol, ctx: Context, inner: sp.Expr, outer: Callable[[sp.Symbol], sp.Expr]) -> R.Rule:
    """f(g(x)) with g != x: name u = g(x), differentiate f(u) in u and g(x) in x."""
    u = ctx.chain_symbol()
    outer_expr = outer(u)
    outer_step = _steps(outer_expr, u, Context(variables=(u,), taken=ctx.taken | {u.name}, depth=ctx.depth + 1))
    inner_step = _steps(inner, var, ctx.inner())
    return R.ChainRule(expr, var, u=u, inner=inner, outer_step=outer_step, inner_step=inner_step)


# -- finders -----------------------------------------------------------------------------

def _find_add(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule:
    return R.SumRule(expr, var, steps=tuple(_steps(arg, var, ctx) for arg in expr.args))


def _find_mul(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule:
    consts = [a for a in expr.args if var not in a.free_symbols]
    deps = [a for a in expr.args if var in a.free_symbols]
    if consts:
        const, other = tmul(*consts), tmul(*deps)
        return R.ConstantMultipleRule(
            expr, var, constant=const, other=other, step=_steps(other, var, ctx), held=ctx.held(const, var)
        )
    numer = [a for a in deps if not _is_reciprocal(a)]
    denom = [1 / a for a in deps if _is_reciprocal(a)]
    if numer and denom:
        n, d = tmul(*numer), tmul(*denom)
        return R.QuotientRule(
            expr, var, numerator=n, denominator=d, num_step=_steps(n, var, ctx), den_step=_steps(d, var, ctx)
        )
    return R.ProductRule(expr, var, factors=tuple(deps), steps=tuple(_steps(f, var, ctx) for f in deps))


def _is_reciprocal(expr: sp.Expr) -> bool:
    return isinstance(expr, sp.Pow) and expr.exp.is_Number and expr.exp < 0


def _find_pow(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule:
    base, exponent = expr.args
    in_base, in_exp = var in base.free_symbols, var in exponent.free_symbols
    if in_base and not in_exp:
        if base == var:
            return R.PowerRule(expr, var, exponent=exponent)
        return _chain(expr, var, ctx, base, lambda u: sp.Pow(u, exponent))
    if in_exp and not in_base:
        if exponent == var:
            return R.ExponentialRule(expr, var, base=base)
        return _chain(expr, var, ctx, exponent, lambda u: sp.Pow(base, u))
    inner = tmul(exponent, sp.log(base))
    return R.LogDiffRule(expr, var, base=base, exponent=exponent, step=_steps(inner, var, ctx))


def _unary(rule: Callable[..., R.Rule], **extra: object) -> Finder:
    def find(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule | None:
        if len(expr.args) != 1:
            return None
        (arg,) = expr.args
        fields = {k: (type(expr) if v is type else v) for k, v in extra.items()}
        if arg == var:
            return rule(expr, var, **fields)
        return _chain(expr, var, ctx, arg, lambda u: expr.func(u))

    return find


def _find_known(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule | None:
    """Any single-argument SymPy function whose derivative SymPy knows (erf, gamma, ...)."""
    if len(expr.args) != 1 or isinstance(expr, AppliedUndef):
        return None
    (arg,) = expr.args
    if arg != var:
        return _chain(expr, var, ctx, arg, lambda u: expr.func(u))
    try:
        formula = expr.fdiff(1)
    except Exception:  # noqa: BLE001 - SymPy raises several kinds for "no formula"
        return None
    if formula.has(sp.Derivative, sp.Subs):
        return None
    return R.KnownDerivativeRule(expr, var, formula=formula)


def _find_named(expr: sp.Expr, var: sp.Symbol, ctx: Context) -> R.Rule:
    """A function of the file used by name (``p`` in ``L``): differentiate its definition,
    then say the result in terms of the names again (``p (1 - p) x``, ``s_1 (1 - s_1)``)."""
    definition = expr.opened()
    step = _steps(definition, var, ctx)
    named, kind = softmax_derivative(expr, var), "softmax"
    if named is None:
        folded, kind = fold(step.result, expr.family), "definition"
        named = folded if sp.count_ops(folded) < sp.count_ops(step.result) else step.result
    return R.NamedRule(expr, var, definition=definition, step=step, named=named, kind=kind)


def _table(rule: Callable[..., R.Rule], table: dict) -> dict[type, list[Finder]]:
    return {func: [_unary(rule, func=type)] for func in table}


DISPATCH: dict[type, list[Finder]] = {
    sp.Add: [_find_add],
    sp.Mul: [_find_mul],
    sp.Pow: [_find_pow],
    sp.exp: [_unary(R.ExpRule)],
    sp.log: [_unary(R.LogRule)],
    sp.Abs: [_unary(R.AbsRule)],
    sigmoid: [_unary(R.SigmoidRule)],
    sp.sign: [_unary(R.SignRule)],
    Named: [_find_named],
    **_table(R.TrigRule, R.TRIG),
    **_table(R.InverseTrigRule, R.INVERSE_TRIG),
    **_table(R.HyperbolicRule, R.HYPERBOLIC),
    **_table(R.InverseHyperbolicRule, R.INVERSE_HYPERBOLIC),
    sp.Function: [_find_known],
}
