"""The one table of the functions solgen knows: how a problem file names them, their
SymPy class, their derivative (for the step rule of their family), how to evaluate them
numerically, how the printer names them, and the guards on their arguments. The parser,
the rules, the numeric checker and the words ("derivative of sin") all read it.

To add a function: add a ``Known`` row (and, for a new family, its rule in
``derive/rules.py`` and its sentence in the words catalogs).
"""

from __future__ import annotations

from typing import Callable

import mpmath
import sympy as sp
from solgen.math.record import record


class sigmoid(sp.Function):  # noqa: N801 - named as written in problem files and by SymPy's printers
    """The logistic function σ(u) = 1/(1 + e^{-u}), kept by name so its derivative reads as an
    ML course writes it, σ'(u) = σ(u)(1 - σ(u)), not as exponentials."""

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if arg.is_Number:  # a constant argument: its value
            return 1 / (1 + sp.exp(-arg))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return self * (1 - self)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_exp(self, arg: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-arg))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)


@record
class Known:
    names: tuple[str, ...]  # as written in a problem file (none: met only in SymPy's results)
    sympy: type  # SymPy class
    family: str  # the step rule: trig, inverse_trig, hyperbolic, inverse_hyperbolic, exp, log, abs, known
    numeric: Callable  # mpmath (or Python) function of one value
    tex: str  # how the printer names it
    derivative: Callable[[sp.Expr], sp.Expr] | None = None  # d/dx f(x), for the family's rule
    periodic: bool = False  # sin(u) for a huge u needs that many digits of pi: guarded
    grows: bool = False  # exp-like: a huge argument has a value too large to compute


FUNCTIONS: tuple[Known, ...] = (
    Known(("exp",), sp.exp, "exp", mpmath.exp, r"\exp", grows=True),
    Known(("log", "ln"), sp.log, "log", mpmath.log, r"\log"),
    Known(("sin",), sp.sin, "trig", mpmath.sin, r"\sin", lambda x: sp.cos(x), periodic=True),
    Known(("cos",), sp.cos, "trig", mpmath.cos, r"\cos", lambda x: -sp.sin(x), periodic=True),
    Known(("tan",), sp.tan, "trig", mpmath.tan, r"\tan", lambda x: sp.sec(x) ** 2, periodic=True),
    Known(("sec",), sp.sec, "trig", mpmath.sec, r"\sec", lambda x: sp.sec(x) * sp.tan(x), periodic=True),
    Known(("csc",), sp.csc, "trig", mpmath.csc, r"\csc", lambda x: -sp.csc(x) * sp.cot(x), periodic=True),
    Known(("cot",), sp.cot, "trig", mpmath.cot, r"\cot", lambda x: -sp.csc(x) ** 2, periodic=True),
    Known(("asin", "arcsin"), sp.asin, "inverse_trig", mpmath.asin, r"\arcsin", lambda x: 1 / sp.sqrt(1 - x**2)),
    Known(("acos", "arccos"), sp.acos, "inverse_trig", mpmath.acos, r"\arccos", lambda x: -1 / sp.sqrt(1 - x**2)),
    Known(("atan", "arctan"), sp.atan, "inverse_trig", mpmath.atan, r"\arctan", lambda x: 1 / (1 + x**2)),
    Known(("acot",), sp.acot, "inverse_trig", mpmath.acot, r"\operatorname{arccot}", lambda x: -1 / (1 + x**2)),
    Known(("asec",), sp.asec, "inverse_trig", mpmath.asec, r"\operatorname{arcsec}",
          lambda x: 1 / (x**2 * sp.sqrt(1 - 1 / x**2))),
    Known(("acsc",), sp.acsc, "inverse_trig", mpmath.acsc, r"\operatorname{arccsc}",
          lambda x: -1 / (x**2 * sp.sqrt(1 - 1 / x**2))),
    Known(("sinh",), sp.sinh, "hyperbolic", mpmath.sinh, r"\sinh", lambda x: sp.cosh(x), grows=True),
    Known(("cosh",), sp.cosh, "hyperbolic", mpmath.cosh, r"\cosh", lambda x: sp.sinh(x), grows=True),
    Known(("tanh",), sp.tanh, "hyperbolic", mpmath.tanh, r"\tanh", lambda x: 1 - sp.tanh(x) ** 2),
    Known(("sech",), sp.sech, "hyperbolic", mpmath.sech, r"\operatorname{sech}", lambda x: -sp.tanh(x) * sp.sech(x), grows=True),
    Known(("csch",), sp.csch, "hyperbolic", mpmath.csch, r"\operatorname{csch}", lambda x: -sp.coth(x) * sp.csch(x), grows=True),
    Known(("coth",), sp.coth, "hyperbolic", mpmath.coth, r"\coth", lambda x: -1 / sp.sinh(x) ** 2),
    Known(("asinh",), sp.asinh, "inverse_hyperbolic", mpmath.asinh, r"\operatorname{arsinh}", lambda x: 1 / sp.sqrt(x**2 + 1)),
    Known(("acosh",), sp.acosh, "inverse_hyperbolic", mpmath.acosh, r"\operatorname{arcosh}", lambda x: 1 / sp.sqrt(x**2 - 1)),
    Known(("atanh",), sp.atanh, "inverse_hyperbolic", mpmath.atanh, r"\operatorname{artanh}", lambda x: 1 / (1 - x**2)),
    Known((), sp.acoth, "inverse_hyperbolic", mpmath.acoth, r"\operatorname{arcoth}", lambda x: 1 / (1 - x**2)),
    Known(("abs", "Abs"), sp.Abs, "abs", abs, r"\left|\cdot\right|"),
    Known(("sigmoid",), sigmoid, "sigmoid", lambda v: 1 / (1 + mpmath.exp(-v)), r"\sigma",
          lambda x: sigmoid(x) * (1 - sigmoid(x))),
    Known(("erf",), sp.erf, "known", mpmath.erf, r"\operatorname{erf}"),
    Known(("erfc",), sp.erfc, "known", mpmath.erfc, r"\operatorname{erfc}"),
)

# Functions the checker meets in SymPy's own results, never written in a problem file.
INTERNAL: dict[type, Callable] = {sp.sign: lambda v: mpmath.sign(v), sp.re: mpmath.re, sp.im: mpmath.im}

BY_CLASS: dict[type, Known] = {k.sympy: k for k in FUNCTIONS}
BY_NAME: dict[str, Known] = {name: k for k in FUNCTIONS for name in k.names}


def family(name: str) -> dict[type, Callable[[sp.Expr], sp.Expr]]:
    """class -> derivative for one family (the table of its step rule)."""
    return {k.sympy: k.derivative for k in FUNCTIONS if k.family == name and k.derivative is not None}


def tex_name(func: type) -> str:
    """How the printer names ``func`` (``\\sin``, ``\\operatorname{artanh}``)."""
    return BY_CLASS[func].tex
