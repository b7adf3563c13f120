"""Differentiation rules: one frozen dataclass per rule, each able to rebuild its result.

A rule node records what a reader needs to follow one step (the expression, the
variable, the pieces it split the expression into, its substeps) and ``eval()``
rebuilds d(expr)/d(var) from its substeps alone. ``result`` is ``eval()`` tidied
(see ``math/tidy.py``) and cached. Child steps and pieces are required fields. No English
lives here: the words catalogs word each rule, keyed ``rule.<Rule.name>`` (the class name
without "Rule", in snake case).

To add a rule: subclass ``Rule`` here with a docstring that states the math, add a
finder in ``diff.py`` that returns it, and add its ``rule.<name>`` sentence to every
catalog in ``templates/words/`` (and, if its step shows a middle form, to
``present/view.py``'s ``_equation``).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Iterator

import sympy as sp

from solgen.math.record import record
from solgen.math import functions

from solgen.math.tidy import _powers, distribute, factor_common, positive_first, replace_kept, tidy, tmul


@record
class Rule:
    """A step (``@record``: a frozen dataclass, every rule class cheap to define)."""

    expr: sp.Expr
    var: sp.Symbol

    def eval(self) -> sp.Expr:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return ()

    @cached_property
    def result(self) -> sp.Expr:
        return tidy(self.eval())

    @classmethod
    def name(cls) -> str:
        base = cls.__name__.removesuffix("Rule")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()

    def walk(self) -> Iterator[Rule]:
        yield self
        for sub in self.substeps:
            yield from sub.walk()

    def contains_fallback(self) -> bool:
        return any(isinstance(node, FallbackRule) for node in self.walk())


@record
class ConstantRule(Rule):
    """d/dx c = 0, where c does not depend on x (``held`` lists the other variables in c)."""

    held: tuple[sp.Symbol, ...] = ()

    def eval(self) -> sp.Expr:
        return sp.Integer(0)


@record
class VariableRule(Rule):
    """d/dx x = 1"""

    def eval(self) -> sp.Expr:
        return sp.Integer(1)


@record
class ConstantMultipleRule(Rule):
    """d/dx (c*u) = c*u'"""

    constant: sp.Expr
    other: sp.Expr
    step: Rule
    held: tuple[sp.Symbol, ...] = ()

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return (self.step,) if self.step else ()

    def eval(self) -> sp.Expr:
        assert self.step is not None
        return tmul(self.constant, self.step.result)


@record
class SumRule(Rule):
    """d/dx (u + v + ...) = u' + v' + ..."""

    steps: tuple[Rule, ...]

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return self.steps

    def eval(self) -> sp.Expr:
        return sp.Add(*[s.result for s in self.steps], evaluate=False)


@record
class PowerRule(Rule):
    """d/dx x^n = n*x^(n-1), for any exponent n not depending on x (roots are x^(1/n))"""

    exponent: sp.Expr

    def eval(self) -> sp.Expr:
        return tmul(self.exponent, sp.Pow(self.var, self.exponent - 1))


@record
class ProductRule(Rule):
    """d/dx (u*v*w) = u'*v*w + u*v'*w + u*v*w'"""

    factors: tuple[sp.Expr, ...]
    steps: tuple[Rule, ...]

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return self.steps

    def terms(self) -> list[sp.Expr]:
        out = []
        for i, step in enumerate(self.steps):
            others = [f for j, f in enumerate(self.factors) if j != i]
            out.append(tmul(step.result, *others))
        return out

    def eval(self) -> sp.Expr:
        return sp.Add(*self.terms(), evaluate=False)


@record
class QuotientRule(Rule):
    """d/dx (u/v) = (u'*v - u*v')/v^2"""

    numerator: sp.Expr
    denominator: sp.Expr
    num_step: Rule
    den_step: Rule

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return tuple(s for s in (self.num_step, self.den_step) if s)

    def eval(self) -> sp.Expr:
        assert self.num_step and self.den_step
        top = tidy(sp.Add(
            tmul(self.num_step.result, self.denominator),
            tmul(sp.Integer(-1), self.numerator, self.den_step.result),
            evaluate=False,
        ))
        multiplied = distribute(top)  # as a TA does: -3e(1 + e) + 3e^2 = -3e
        if multiplied is not None and sp.count_ops(multiplied) < sp.count_ops(top):
            top = multiplied
        return _cancel_common(positive_first(top), self.denominator)


def _cancel_common(top: sp.Expr, den: sp.Expr) -> sp.Expr:
    """top / den^2 with a factor common to top's terms and den cancelled, as a TA does:
    ((1 + x^2)^2 - 4 x^2 (1 + x^2)) / (1 + x^2)^4 = (1 - 3 x^2) / (1 + x^2)^3."""
    square = sp.Pow(den, 2)
    factored = factor_common(top)
    if factored is top or not isinstance(factored, sp.Mul) or len(factored.args) != 2:
        return tmul(top, sp.Pow(square, -1))
    common, rest = factored.args
    below = _powers(square)
    kept, cancelled = [], False
    for piece in sp.Mul.make_args(common):
        base, exp = (piece.base, piece.exp) if isinstance(piece, sp.Pow) and piece.exp.is_Integer else (piece, sp.Integer(1))
        if base in below and not base.is_Number and exp > 0:
            take = min(exp, below[base])
            below[base] -= take
            exp -= take
            cancelled = True
        if exp != 0:
            kept.append(sp.Pow(base, exp))
    if not cancelled:
        return tmul(top, sp.Pow(square, -1))
    rest = distribute(rest) or rest
    return tmul(*kept, rest, *[sp.Pow(b, -e) for b, e in below.items() if e != 0])


@record
class ChainRule(Rule):
    """d/dx f(g(x)) = f'(u)|_{u=g(x)} * g'(x), with u = g(x)"""

    u: sp.Symbol
    inner: sp.Expr
    outer_step: Rule
    inner_step: Rule

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return tuple(s for s in (self.outer_step, self.inner_step) if s)

    @property
    def outer_at_inner(self) -> sp.Expr:
        assert self.outer_step
        return tidy(replace_kept(self.outer_step.result, {self.u: self.inner}))

    def eval(self) -> sp.Expr:
        assert self.inner_step
        return tmul(self.inner_step.result, self.outer_at_inner)


@record
class ExpRule(Rule):
    """d/dx e^x = e^x"""

    def eval(self) -> sp.Expr:
        return sp.exp(self.var)


@record
class ExponentialRule(Rule):
    """d/dx a^x = a^x*ln(a)"""

    base: sp.Expr

    def eval(self) -> sp.Expr:
        return tmul(sp.Pow(self.base, self.var), sp.log(self.base))


@record
class LogRule(Rule):
    """d/dx log(x) = 1/x"""

    def eval(self) -> sp.Expr:
        return 1 / self.var


def _formula(table: dict[type, object], func: type, x: sp.Symbol) -> sp.Expr:
    return table[func](x)  # type: ignore[operator]


TRIG = functions.family("trig")
INVERSE_TRIG = functions.family("inverse_trig")
HYPERBOLIC = functions.family("hyperbolic")
INVERSE_HYPERBOLIC = functions.family("inverse_hyperbolic")


@record
class TrigRule(Rule):
    """d/dx sin x = cos x, cos -> -sin, tan -> sec^2, sec -> sec tan, csc -> -csc cot, cot -> -csc^2"""

    func: type

    def eval(self) -> sp.Expr:
        return _formula(TRIG, self.func, self.var)


@record
class InverseTrigRule(Rule):
    """d/dx asin x = 1/sqrt(1-x^2), acos -> -1/sqrt(1-x^2), atan -> 1/(1+x^2), ..."""

    func: type

    def eval(self) -> sp.Expr:
        return _formula(INVERSE_TRIG, self.func, self.var)


@record
class HyperbolicRule(Rule):
    """d/dx sinh x = cosh x, cosh -> sinh, tanh -> 1 - tanh^2, ..."""

    func: type

    def eval(self) -> sp.Expr:
        return _formula(HYPERBOLIC, self.func, self.var)


@record
class InverseHyperbolicRule(Rule):
    """d/dx asinh x = 1/sqrt(x^2+1), acosh -> 1/sqrt(x^2-1), atanh -> 1/(1-x^2)"""

    func: type

    def eval(self) -> sp.Expr:
        return _formula(INVERSE_HYPERBOLIC, self.func, self.var)


@record
class SigmoidRule(Rule):
    """d/dx σ(x) = σ(x)(1 - σ(x)), σ(x) = 1/(1 + e^{-x}) the logistic function"""

    def eval(self) -> sp.Expr:
        return functions.BY_NAME["sigmoid"].derivative(self.var)  # type: ignore[misc]


@record
class AbsRule(Rule):
    """d/dx |x| = sign(x), for x != 0"""

    def eval(self) -> sp.Expr:
        return sp.sign(self.var)


@record
class SignRule(Rule):
    """d/dx sign(x) = 0, for x != 0 (sign is constant on each side of 0)"""

    def eval(self) -> sp.Expr:
        return sp.Integer(0)


@record
class LogDiffRule(Rule):
    """d/dx f^g = f^g * d/dx (g*log f)   (logarithmic differentiation)"""

    base: sp.Expr
    exponent: sp.Expr
    step: Rule  # d/dx (g*log f)

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return (self.step,) if self.step else ()

    def eval(self) -> sp.Expr:
        assert self.step
        return tmul(self.expr, self.step.result)


@record
class NamedRule(Rule):
    """d/dx p = d/dx (p's definition), written back in terms of p and the file's other
    named functions (sigma' = sigma(1 - sigma) gives p(1 - p); softmax gives s_i(delta_ij - s_j))"""

    definition: sp.Expr
    step: Rule  # d/dx of the definition
    named: sp.Expr  # the same derivative, in terms of the named functions
    kind: str = "definition"  # or "softmax": which known form gave ``named``

    @property
    def substeps(self) -> tuple[Rule, ...]:
        return (self.step,) if self.step else ()

    def eval(self) -> sp.Expr:
        return self.named


@record
class KnownDerivativeRule(Rule):
    """d/dx F(x) = F'(x) from SymPy's table of known derivatives (erf, gamma, ...)"""

    formula: sp.Expr

    def eval(self) -> sp.Expr:
        return self.formula


@record
class FallbackRule(Rule):
    """d/dx expr computed by SymPy without steps; counted and reported."""

    derivative: sp.Expr

    def eval(self) -> sp.Expr:
        return self.derivative
