"""The house LaTeX printer: the seed's notation, source term order, clean .tex.

``HousePrinter`` subclasses SymPy's ``LatexPrinter`` (``_print_<Class>`` methods chosen
along the MRO; settings checked against ``_default_settings``). It prints sums in the
order their terms were built (``order="none"``), single-character sub- and superscripts
without braces (``x_1^2``), and plain parentheses instead of ``\\left( \\right)`` where
the contents are not tall (``\\log(x_2)``), so the .tex reads like one a TA wrote.

To change notation: add a setting to ``_default_settings`` or a ``_print_<Class>``.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from decimal import Decimal
from solgen.math.functions import sigmoid
from solgen.math.named import Named
import functools

_TALL = ("\\frac", "\\begin", "\\sum", "\\int", "\\prod", "\\dfrac")


def terminating_decimal(number: sp.Expr) -> str | None:
    """A rational whose decimal expansion ends, as that decimal (69/10 -> "6.9"); None for
    integers, other rationals (1/3) and anything else."""
    if not isinstance(number, sp.Rational) or number.is_Integer:
        return None
    q = number.q
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return None

    return format(Decimal(number.p) / Decimal(number.q), "f")


def _sigmoid_first(expr: sp.Expr) -> sp.Expr:
    """σ(u)(1 - σ(u)), as an ML course writes the logistic derivative, not SymPy's (1 - σ(u)) σ(u)."""
    kinds = (sigmoid, Named)  # sigma(u)(1 - sigma(u)); p (1 - p) for a function p of the file
    args = list(expr.args)
    sig = [a for a in args if isinstance(a, kinds)]
    if not sig or not any(isinstance(a, sp.Add) and a.has(*kinds) for a in args):
        return expr
    rest = [a for a in args if not isinstance(a, kinds)]
    numbers = [a for a in rest if a.is_Number]
    others = [a for a in rest if not a.is_Number and not isinstance(a, sp.Add)]
    sums = [a for a in rest if isinstance(a, sp.Add)]
    return sp.Mul(*numbers, *others, *sig, *sums, evaluate=False)


class HousePrinter(LatexPrinter):
    _default_settings = {
        **LatexPrinter._default_settings,
        "order": "none",
        "ln_notation": False,
        "inv_trig_style": "full",
        "variable_order": (),  # the problem's variables: w b, not SymPy's alphabetical b w
        "decimals": False,  # the problem writes decimals (0.5 w^2): print 0.5, not \frac{1}{2}
        # the names of the source in the order written, each call with the first name inside
        # its parentheses (``exp(x)*cos(y)``: (exp, x), (x, None), (cos, y), (y, None)):
        # functions in a product print in that order (e^x \cos y, \rho \sin\phi \cos\theta)
        "source_names": (),
    }

    def _decimal(self, number: sp.Rational) -> str | None:
        """``number`` as a decimal, when the problem writes decimals and it terminates."""
        return terminating_decimal(number) if self._settings["decimals"] else None

    def _print_Rational(self, expr: sp.Rational) -> str:
        decimal = self._decimal(expr)
        return decimal if decimal is not None else super()._print_Rational(expr)

    def _print_sigmoid(self, expr: sp.Expr, exp: str | None = None) -> str:
        tex = r"\sigma" + f"({self._print(expr.args[0])})"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_sign(self, expr: sp.Expr, exp: str | None = None) -> str:
        tex = r"\operatorname{sign}" + f"({self._print(expr.args[0])})"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _trig(self, name: str, expr: sp.Expr, exp: str | None) -> str:
        """``\\sin\\phi``, ``\\cos x``, ``\\sin^2 x``: a trigonometric function of one
        name without parentheses, as books write it; ``\\cos(y - x)`` keeps them."""
        arg = expr.args[0]
        if name == "cos":  # even: cos(x - y) is the source's cos(y - x)
            arg = self._as_written("cos", arg) or arg
        tex = self._print(arg)
        head = f"\\{name}^{{{exp}}}" if exp else f"\\{name}"
        if not isinstance(arg, sp.Symbol):  # as SymPy writes it; clean() drops \\left( \\right) when short
            return f"{head}{{\\left({tex} \\right)}}"
        return f"{head}{'' if tex.startswith(chr(92)) else ' '}{tex}"

    def _print_sin(self, expr: sp.Expr, exp: str | None = None) -> str:
        if exp is None and self._settings["source_names"]:  # a lone sin(x - y) of the source's y - x
            flipped = self._print_sin_as_written(expr)
            if flipped is not None:
                return flipped
        return self._trig("sin", expr, exp)

    def _print_cos(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._trig("cos", expr, exp)

    def _print_tan(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._trig("tan", expr, exp)

    def _print_ExpBase(self, expr: sp.Expr, exp: str | None = None) -> str:
        tex = r"e^{%s}" % self._print(expr.args[0])
        return self._do_exponent(tex, exp)

    def _print_Mul(self, expr: sp.Expr) -> str:
        """A fractional coefficient goes in front: ``\\frac{3}{2} x_1^2``, not ``\\frac{3 x_1^2}{2}``;
        powers of the variables in the problem's order (``w b``, not ``b w``)."""
        expr = self._odd_as_written(expr)
        expr = self._in_variable_order(expr)
        expr = self._in_source_order(expr)
        expr = _sigmoid_first(expr)
        coeff, rest = expr.as_coeff_Mul()
        if isinstance(coeff, sp.Rational) and not coeff.is_Integer and rest != 1 and not _has_denominator(rest):
            sign = "-" if coeff < 0 else ""
            body = self._print(rest)
            if isinstance(rest, sp.Add):
                body = f"({body})"
            decimal = self._decimal(abs(coeff))
            if decimal is not None:
                return f"{sign}{decimal} {body}"
            return f"{sign}\\frac{{{abs(coeff.p)}}}{{{coeff.q}}} {body}"
        try:
            return super()._print_Mul(expr)
        except TypeError as exc:
            # SymPy 1.14 asks the assumptions system whether exponents are negative, and
            # that can raise "Invalid NaN comparison" (cosh(erf(cot(x)))**2 does):
            # split the product by the syntax of its exponents instead.
            if str(exc) != "Invalid NaN comparison":
                raise
            return self._print_Mul_by_syntax(expr)

    def __init__(self, settings: dict | None = None):
        super().__init__(settings)
        self._rank = {v: i for i, v in enumerate(self._settings["variable_order"])}

    def _in_variable_order(self, expr: sp.Expr) -> sp.Expr:
        order = self._rank
        if not order:
            return expr
        args = list(expr.args)

        def variable(a: sp.Expr) -> sp.Expr | None:
            base = a.base if isinstance(a, sp.Pow) and a.exp.is_positive else a
            return base if base in order else None

        slots = [i for i, a in enumerate(args) if variable(a) is not None]
        ranked = sorted((args[i] for i in slots), key=lambda a: order[variable(a)])
        if ranked == [args[i] for i in slots]:
            return expr
        for i, a in zip(slots, ranked):
            args[i] = a
        return sp.Mul(*args, evaluate=False)

    def _call(self, factor: sp.Expr) -> tuple[tuple[str, ...], set[str]] | None:
        """A factor's function names (``log`` is also ``ln``) and the names in its argument."""
        call = factor.base if isinstance(factor, sp.Pow) else factor
        if not isinstance(call, sp.Function) or not call.free_symbols:
            return None
        fname = type(call).__name__.lower()
        return {"log": ("log", "ln")}.get(fname, (fname,)), {s.name for s in call.free_symbols}  # type: ignore[attr-defined]

    def _places(self, factor: sp.Expr) -> tuple[dict[int, float], dict[int, float], float] | None:
        """Where ``factor`` stands in the source: in each term that calls the same function on
        the same names, its place there; and where its first name is first written (a
        derivative's \\cos\\phi stands where \\phi does)."""
        call = self._call(factor)
        if call is None:
            return None
        aliases, names = call
        seq = self._settings["source_names"]
        exact: dict[int, float] = {}
        named: dict[int, float] = {}
        for i, (name, first, inside, term) in enumerate(seq):
            if name in aliases and set(inside) == names:
                exact.setdefault(term, float(i))
            if first is None and name in names:
                named.setdefault(term, i + 0.5)
        bare = min(named.values()) if named else (min(exact.values()) if exact else 1e9)
        return exact, named, bare

    def _in_source_order(self, expr: sp.Expr) -> sp.Expr:
        """Functions in a product in the order written: as in a term of the source that has
        both (e^x \\cos y), else by where their names are first written (\\cos\\phi \\cos\\theta)."""
        if not self._settings["source_names"]:
            return expr

        args = list(expr.args)
        places = {i: self._places(a) for i, a in enumerate(args)}
        slots = [i for i, p in places.items() if p is not None]
        if len(slots) < 2:
            return expr

        def cmp(i: int, j: int) -> int:
            (ei, ni, bi), (ej, nj, bj) = places[i], places[j]  # type: ignore[misc]
            shared = sorted(set(ei) & set(ej))
            one = sorted(set(ei) & set(nj)) or None
            other = sorted(set(ni) & set(ej)) or None
            if shared:
                a, b = ei[shared[0]], ej[shared[0]]
            elif one:  # i is called in a term where j's name stands
                a, b = ei[one[0]], nj[one[0]]
            elif other:
                a, b = ni[other[0]], ej[other[0]]
            else:
                a, b = bi, bj
            return -1 if a < b else 1 if a > b else 0

        ranked = sorted(slots, key=functools.cmp_to_key(cmp))
        if ranked == slots:
            return expr
        new = list(args)
        for i, j in zip(slots, ranked):
            new[i] = args[j]
        return sp.Mul(*new, evaluate=False)

    def _odd_as_written(self, expr: sp.Expr) -> sp.Expr:
        """-sin(x - y) as sin(y - x) when the source writes y - x (sin is odd)."""
        if not self._settings["source_names"]:
            return expr
        args, flips = list(expr.args), 0
        for i, a in enumerate(args):
            if isinstance(a, sp.sin):
                written = self._as_written("cos", a.args[0]) or self._as_written("sin", a.args[0])
                if written is not None:
                    args[i] = sp.sin(written, evaluate=False)
                    flips += 1
        if not flips:
            return expr
        if flips % 2:
            args.append(sp.Integer(-1))
        coeff = sp.Mul(*[a for a in args if a.is_Number])
        rest = [a for a in args if not a.is_Number]
        return sp.Mul(coeff, *rest, evaluate=False) if coeff != 1 else sp.Mul(*rest, evaluate=False)

    def _print_sin_as_written(self, expr: sp.Expr) -> str | None:
        written = self._as_written("cos", expr.args[0]) or self._as_written("sin", expr.args[0])
        return None if written is None else "-" + self._trig("sin", sp.sin(written, evaluate=False), None)

    def _as_written(self, name: str, arg: sp.Expr) -> sp.Expr | None:
        """``-arg`` with its terms in the order the source writes them, when the source calls
        ``name`` on the same names written the other way round (``cos(y - x)``, which SymPy
        keeps as ``cos(x - y)``); None when the source has no such call or agrees already."""
        if not isinstance(arg, sp.Add) or len(arg.args) != 2:
            return None
        names = {str(v) for v in arg.free_symbols}
        for fname, first, inside, _ in self._settings["source_names"]:
            if fname != name or set(inside) != names or first is None:
                continue
            lead = [t for t in arg.args if any(str(v) == first for v in t.free_symbols)]
            shown = self._print(arg).lstrip("-")
            if not lead or shown.startswith(self._print(sp.Symbol(first))):
                return None
            flipped = [-t for t in arg.args]
            flipped.sort(key=lambda t: 0 if any(str(v) == first for v in t.free_symbols) else 1)
            return sp.Add(*flipped, evaluate=False)
        return None

    def _print_Add(self, expr: sp.Expr, order: str | None = None) -> str:
        """A sum as written, without the zero terms a source can leave in it (``C + D*0 - 6``
        prints ``C - 6``)."""
        if len(expr.args) > 1 and any(a == 0 for a in expr.args):
            kept = [a for a in expr.args if a != 0]
            if len(kept) == 1:
                return self._print(kept[0])
            expr = sp.Add(*kept, evaluate=False)
        return super()._print_Add(expr, order)

    def _print_Mul_by_syntax(self, expr: sp.Expr) -> str:
        coeff, rest = expr.as_coeff_Mul()
        sign = "-" if coeff.is_negative else ""
        numer, denom = [abs(coeff)] if abs(coeff) != 1 else [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                denom.append(sp.Pow(f.base, -f.exp, evaluate=False) if f.exp != -1 else f.base)
            else:
                numer.append(f)

        def product(factors: list) -> str:
            if not factors:
                return "1"
            return " ".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in factors)

        body = product(numer)
        return f"{sign}\\frac{{{body}}}{{{product(denom)}}}" if denom else f"{sign}{body}"

    def doprint(self, expr: Any) -> str:
        return clean(super().doprint(expr))


def _has_denominator(expr: sp.Expr) -> bool:
    factors = expr.args if isinstance(expr, sp.Mul) else (expr,)
    return any(isinstance(f, sp.Pow) and f.exp.is_negative for f in factors)


def clean(tex: str) -> str:
    """Post-process SymPy's LaTeX into house style (idempotent)."""
    tex = _unleft(tex)
    tex = re.sub(r"([_^])\{([A-Za-z0-9])\}", r"\1\2", tex)
    tex = re.sub(r"\s+\)", ")", tex)
    tex = re.sub(r"\(\s+", "(", tex)
    tex = re.sub(r"(^|[(&{=]\s?)- ", r"\1-", tex)
    return tex


def _matching(tex: str, start: int, open_: str, close: str) -> int:
    """Index of the ``close`` that balances the ``open_`` starting at ``start``, or -1."""
    depth, i = 0, start
    while i < len(tex):
        if tex.startswith(open_, i):
            depth += 1
            i += len(open_)
        elif tex.startswith(close, i):
            depth -= 1
            if depth == 0:
                return i
            i += len(close)
        else:
            i += 1
    return -1


def _unleft(tex: str) -> str:
    r"""Turn ``{\left(a \right)}`` and ``\left(a\right)`` into ``(a)`` unless a is tall."""
    out, i = [], 0
    while True:
        j = tex.find("\\left(", i)
        if j < 0:
            out.append(tex[i:])
            return "".join(out)
        k = _matching(tex, j, "\\left(", "\\right)")
        if k < 0:
            out.append(tex[i:])
            return "".join(out)
        inner = _unleft(tex[j + 6 : k])
        tall = any(t in inner for t in _TALL)
        braced = j > 0 and tex[j - 1] == "{" and tex.startswith("}", k + 7)
        prefix = tex[i : j - 1] if braced else tex[i:j]
        body = f"\\left({inner.strip()}\\right)" if tall else f"({inner.strip()})"
        out.append(prefix + body)
        i = k + 7 + (1 if braced else 0)


def latex(expr: Any, **settings: Any) -> str:
    """House LaTeX of one expression."""
    return HousePrinter(settings).doprint(expr)


def matrix(rows: Sequence[Sequence[Any]], env: str = "bmatrix", **settings: Any) -> str:
    """``rows`` (expressions or ready LaTeX strings) as a ``bmatrix``."""
    body = r" \\ ".join(" & ".join(c if isinstance(c, str) else latex(c, **settings) for c in row) for row in rows)
    return f"\\begin{{{env}}} {body} \\end{{{env}}}"


def column(entries: Sequence[Any], **settings: Any) -> str:
    return matrix([[e] for e in entries], **settings)
