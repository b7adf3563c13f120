"""Computed prose: an inline code span that starts with ``=`` is derived and replaced by
the whole equation as math (DESIGN.md, "Sections and courses").

    `=diff(x^2 - x*y, x)`          \\frac{\\partial}{\\partial x}(x^2 - x y) = 2 x - y
    `=diff(x^3, x)`                \\frac{d}{dx}(x^3) = 3 x^2   (d when the expression has one symbol)
    `=diff(x^2 y, x, y)`           a mixed partial, x first
    `=grad(x^2 - x*y, [x, y])`     \\nabla(x^2 - x y) = [2x - y; -x]
    `=hessian(x^2 y, [x, y])`      \\nabla^2(...) = [[...]]
    `=jacobian([x*y, x + y], [x, y])`
    `=taylor(exp(x), x, 0, 2)`     T_2(x) = ..., around the point; [0, 1] for several variables

The call is split by a small bracket-aware reader here; every expression goes through
solgen's own parser (``input/expr.py``), never ``sympify``; every derivative is a step tree
of the checked engine (``derive/calculus.Engine``), so a computed equation is checked like
any step. Errors are ``SpecError`` with the message; the caller adds the file and line.

Each computation returns a ``Formula`` (its text the LaTeX shown, its forms the derivative
asked, as ``sp.Derivative``, and the result), so the view checks it again before anything is
written and the tree writer gives it to a reader; ``substitute`` collects them.

To add a function: an entry in ``COMPUTE`` and a ``_<name>`` that returns a ``Formula``
built with ``chain`` from the same pieces as its LaTeX.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import sympy as sp

from solgen.errors import SpecError
from solgen.derive.calculus import Engine
from solgen.input.expr import RESERVED, ParseError, parse_expression, parse_exact
from solgen.input.problem import Problem
from solgen.present.view import Tex
import difflib
from solgen.input.markdown import parse
from solgen.present.formula import Formula, Side, chain

SPAN_RE = re.compile(r"(?<!`)`=([^`\n]{1,400})`(?!`)")
NAME_OF = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)?\Z")
MAX_VARS = 6
MAX_ORDER = 3


def _split(text: str) -> list[str]:
    """Top-level comma-separated pieces of ``text`` (brackets and parentheses nest)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise SpecError(f"unbalanced {ch!r} in {text!r}")
        elif ch == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    if depth:
        raise SpecError(f"unclosed bracket in {text!r}")
    pieces.append(text[start:].strip())
    return pieces


def _list(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return _split(inner) if inner else []
    return [text]


class _Span:
    """One computed span: its variables, its engine and printer."""

    def __init__(self, names: list[str], words: Any):
        if not names or len(names) > MAX_VARS:
            raise SpecError(f"name 1 to {MAX_VARS} variables, such as [x, y]")
        for n in names:
            if not NAME_OF.match(n) or n in RESERVED:
                raise SpecError(f"{n!r} is not a variable name")
        if len(set(names)) != len(names):
            raise SpecError("a variable is named twice")
        self.vars = tuple(sp.Symbol(n, real=True) for n in names)
        self.constants: dict[str, sp.Symbol] = {}  # other names: constants, as in a problem file
        self.problem = Problem(id="computed", title=None, variables=self.vars, functions={}, parts=())
        self.engine = Engine(self.problem)
        self.tex = Tex(self.problem, words)

    def parse(self, text: str) -> sp.Expr:
        try:
            return parse_expression(text, {v.name: v for v in self.vars}, None, self.constants)
        except ParseError as exc:
            where = f" (column {exc.column})" if exc.column else ""
            raise SpecError(f"in expression {text[:60]!r}{where}: {exc}") from None

    def shown(self, expr: sp.Expr) -> str:
        return f"({self.tex(expr)})"

    def d(self, expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
        return self.engine.tree(expr, var).result


def _vars(text: str) -> list[str]:
    return [v.strip() for v in _list(text)]


def _diff(args: list[str], words: Any) -> str:
    if len(args) < 2 or len(args) > 1 + MAX_ORDER:
        raise SpecError("diff takes an expression and one to three variables: diff(x^2 - x*y, x)")
    span = _Span(list(dict.fromkeys(args[1:])), words)
    expr = span.parse(args[0])
    order = [sp.Symbol(a, real=True) for a in args[1:]]
    result = expr
    for v in order:
        result = span.d(result, v)
    names = {s.name for s in expr.free_symbols}
    ordinary = len(names) <= 1 and len(span.vars) == 1
    if len(order) == 1:
        op = f"\\frac{{d}}{{d{span.tex(order[0])}}}" if ordinary else f"\\frac{{\\partial}}{{\\partial {span.tex(order[0])}}}"
    else:
        den = " ".join(f"\\partial {span.tex(v)}" for v in reversed(order))
        if ordinary:
            op = f"\\frac{{d^{len(order)}}}{{d{span.tex(order[0])}^{len(order)}}}"
        else:
            op = f"\\frac{{\\partial^{len(order)}}}{{{den}}}"
    return chain(Side(f"{op}{span.shown(expr)}", sp.Derivative(expr, *order)), "=", Side(span.tex(result), result))


def _grad(args: list[str], words: Any) -> str:
    if len(args) != 2:
        raise SpecError("grad takes an expression and its variables: grad(x^2 - x*y, [x, y])")
    span = _Span(_vars(args[1]), words)
    expr = span.parse(args[0])
    grads = [span.d(expr, v) for v in span.vars]
    return chain(Side(f"\\nabla{span.shown(expr)}", sp.Matrix([sp.Derivative(expr, v) for v in span.vars])), "=",
                 Side(span.tex.col(grads), sp.Matrix(grads)))


def _hessian(args: list[str], words: Any) -> str:
    if len(args) != 2:
        raise SpecError("hessian takes an expression and its variables: hessian(x^2 y, [x, y])")
    span = _Span(_vars(args[1]), words)
    expr = span.parse(args[0])
    _, rows = span.engine.hessian(expr)
    return chain(Side(f"\\nabla^2{span.shown(expr)}",
                      sp.Matrix([[sp.Derivative(expr, u, v) for v in span.vars] for u in span.vars])), "=",
                 Side(span.tex.mat(rows), sp.Matrix(rows)))


def _jacobian(args: list[str], words: Any) -> str:
    if len(args) != 2:
        raise SpecError("jacobian takes a list of expressions and the variables: jacobian([x*y, x + y], [x, y])")
    span = _Span(_vars(args[1]), words)
    exprs = [span.parse(e) for e in _list(args[0])]
    if not exprs or len(exprs) > MAX_VARS:
        raise SpecError(f"jacobian takes 1 to {MAX_VARS} expressions in [...]")
    rows = [[span.d(e, v) for v in span.vars] for e in exprs]
    return chain(Side(f"\\mathbf{{J}}{span.tex.col(exprs)}",
                      sp.Matrix([[sp.Derivative(e, v) for v in span.vars] for e in exprs])), "=",
                 Side(span.tex.mat(rows), sp.Matrix(rows)))


def _taylor(args: list[str], words: Any) -> str:
    if len(args) not in (3, 4):
        raise SpecError("taylor takes an expression, its variables, the point and the order: taylor(exp(x), x, 0, 2)")
    span = _Span(_vars(args[1]), words)
    expr = span.parse(args[0])
    try:
        point = [parse_exact(p) for p in _list(args[2])]
    except ParseError as exc:
        raise SpecError(f"the point: {exc}") from None
    if len(point) != len(span.vars):
        raise SpecError(f"the point has {len(point)} coordinates for {len(span.vars)} variables")
    order = args[3] if len(args) == 4 else "1"
    if order not in ("1", "2"):
        raise SpecError("the order of taylor is 1 or 2")
    at = dict(zip(span.vars, point))

    def value(e: sp.Expr) -> sp.Expr:
        v = e.xreplace(at)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or v.is_real is False:
            raise SpecError(f"{e} is undefined at the point")
        return v

    shifts = [v if a == 0 else sp.Add(v, -a, evaluate=False) for v, a in zip(span.vars, point)]
    grad = [span.d(expr, v) for v in span.vars]
    def term(coeff: sp.Expr, *factors: sp.Expr) -> sp.Expr:
        if coeff == 0:
            return sp.Integer(0)
        return sp.Mul(coeff, *factors, evaluate=False) if coeff != 1 else sp.Mul(*factors, evaluate=False)

    terms = [value(expr)] + [term(value(g), s) for g, s in zip(grad, shifts)]
    if order == "2":
        _, rows = span.engine.hessian(expr)
        n = len(span.vars)
        for i in range(n):
            for j in range(i, n):
                c = value(rows[i][j]) * (1 if i != j else sp.Rational(1, 2))
                terms.append(term(c, sp.Pow(shifts[i], 2, evaluate=False)) if i == j else term(c, shifts[i], shifts[j]))
    poly = sp.Add(*[t for t in terms if t != 0], evaluate=False) if any(t != 0 for t in terms) else sp.Integer(0)
    if not equal_poly(poly, expr, span.vars, at, order):
        raise SpecError("internal check of the Taylor polynomial failed (please report this section)")
    return chain(Side(span.tex(expr), expr), "≈", Side(span.tex(poly), poly))


def equal_poly(poly: sp.Expr, expr: sp.Expr, vars: tuple, at: dict, order: str) -> bool:
    """The polynomial agrees with ``expr`` in value and derivatives at the point (checked
    against sympy.diff, as every step is)."""
    n = int(order)
    checks = [sp.Integer(0) + (poly - expr)]
    for v in vars:
        checks.append(sp.diff(poly - expr, v))
        if n == 2:
            checks += [sp.diff(poly - expr, v, w) for w in vars]
    return all(sp.simplify(c.xreplace(at)) == 0 for c in checks)


COMPUTE: dict[str, Callable[[list[str], Any], Formula]] = {
    "diff": _diff, "grad": _grad, "hessian": _hessian, "jacobian": _jacobian, "taylor": _taylor,
}


def compute(call: str, words: Any) -> Formula:
    """The LaTeX equation of one span's call (``diff(x^2, x)``, without the ``=``)."""
    m = re.fullmatch(r"\s*([a-z]+)\s*\((.*)\)\s*", call, re.S)
    if not m:
        raise SpecError(f"`={call}` is not a computation such as `=diff(x^2, x)` ({', '.join(COMPUTE)})")
    name, body = m.groups()
    if name not in COMPUTE:
        near = difflib.get_close_matches(name, list(COMPUTE), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f" (one of {', '.join(COMPUTE)})"
        raise SpecError(f"unknown computation {name!r}{hint}")
    try:
        return COMPUTE[name](_split(body), words)
    except SpecError as exc:
        if not str(exc).startswith(f"`={name}"):
            exc.args = (f"`={call.strip()}`: {exc.args[0]}",)
        raise
    except RecursionError:
        raise SpecError(f"`={call.strip()}`: expression too deeply nested") from None


def substitute(markdown: str, words: Any, line: int | None = None, file: str | None = None,
               found: list[Formula] | None = None) -> str:
    """``markdown`` with each computed span replaced by ``$equation$``. Spans in fenced or
    indented code stay code. Errors name ``file`` and the span's line (``line`` is the
    line of the text's first line). Each equation's ``Formula`` is appended to ``found``."""
    if "`=" not in markdown:
        return markdown

    code_lines: set[int] = set()
    for tok in parse(markdown):
        if tok.type in ("fence", "code_block") and tok.map:
            code_lines.update(range(tok.map[0], tok.map[1]))
    out = []
    for index, text in enumerate(markdown.split("\n")):
        if index not in code_lines:
            def one(m: re.Match) -> str:
                try:
                    formula = compute(m.group(1), words)
                    if found is not None:
                        found.append(formula)
                    return f"${formula.tex}$"
                except SpecError as exc:
                    exc.line = None if line is None else line + index
                    exc.file = file
                    raise
            alone = SPAN_RE.fullmatch(text.strip())
            text = SPAN_RE.sub(one, text)
            if alone:  # a span on a line of its own is displayed
                text = text.replace("$", "$$", 1)[::-1].replace("$", "$$", 1)[::-1]
        out.append(text)
    return "\n".join(out)
