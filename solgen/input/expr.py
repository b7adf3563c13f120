"""Expression text -> SymPy, without eval.

This module owns the only way problem-file text becomes a SymPy expression: a small
tokenizer and a precedence-climbing parser of our own. Nothing here (or anywhere in
solgen) hands file text to ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

Grammar (loosest binding first)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/" | implicit) unary)*     implicit: 2x, 3x1, 2(x+1)
    unary   := ("+" | "-") unary | power
    power   := atom (("^" | "**") unary)?                 right-associative
    atom    := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Sums keep the order the author wrote them in (``Add(..., evaluate=False)``) because the
handouts reproduce the source term order. Products are built with numbers not
distributed over sums, so ``2(x + 1)`` stays as written.

To add a function: add it to the table in ``math/functions.py``.
"""

from __future__ import annotations

import re
import unicodedata

import sympy as sp
from solgen.math.record import record
from solgen.math.functions import FUNCTIONS as KNOWN
from solgen.math.named import used as named_used
from solgen.math.numeric import MAX_PERIODIC_ARG
from solgen.math.tidy import tmul

# Budgets, checked before SymPy evaluates anything.
MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_NODES = 400
MAX_INT_DIGITS = 12
MAX_EXPONENT = 100
# Constant arguments of these functions are bounded by value: SymPy evaluates constants
# even just to decide a sign (abs, log, +1), and exp(exp(exp(99))) has a value with
# 10^43 digits in its exponent, while sin(exp(exp(99))) needs 10^43 digits of pi: it
# would hang or overflow. (The checker refuses such values at its sample points too.)
MAX_EXP_ARG = 10**6
_EXP_LIKE = {n for k in KNOWN for n in k.names if k.family in ("exp", "hyperbolic")} | {"sigmoid"}
_PERIODIC = {n for k in KNOWN for n in k.names if k.periodic}

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?\Z")

# name -> (SymPy constructor, arity): the known functions (math/functions.py), plus sqrt,
# which is written as a power: sqrt(u) = u^(1/2).
FUNCTIONS: dict[str, tuple[object, int]] = {
    **{name: (k.sympy, 1) for k in KNOWN for name in k.names},
    "sqrt": (sp.sqrt, 1),
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}  # only e is Euler's number: E may be a constant (energy, a size)
RESERVED = set(FUNCTIONS) | set(CONSTANTS)


class ParseError(ValueError):
    """Bad expression text; ``column`` is 1-based within the expression, when known."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@record
class Token:
    kind: str  # NUM NAME OP END
    text: str
    pos: int


_TOKEN_RE = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(\*\*|[-+*/^(),]))")


_MATH_CHARS = {"\u2212": "-", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*"}


def normalize(text: str) -> str:
    """Map the typographic minus and times signs to ASCII; refuse every other non-ASCII or
    control character (lookalikes such as Cyrillic 'х', zero-width spaces, direction
    overrides), so two names that look alike can never silently be different symbols,
    or the same one."""
    for src, dst in _MATH_CHARS.items():
        text = text.replace(src, dst)
    for i, ch in enumerate(text):
        if ch in " \t":
            continue
        if ord(ch) > 126 or ord(ch) < 32:
            name = unicodedata.name(ch, "control character")
            raise ParseError(f"character U+{ord(ch):04X} ({name}) is not allowed in an expression; use ASCII", i + 1)
    return text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"unexpected character {text[pos]!r}", pos + 1)
        start = m.start(m.lastindex)
        kind = {1: "NUM", 2: "NAME", 3: "OP"}[m.lastindex]
        tokens.append(Token(kind, m.group(m.lastindex), start))
        pos = m.end()
    tokens.append(Token("END", "", len(text)))
    return tokens


class _Parser:
    def __init__(
        self,
        text: str,
        symbols: dict[str, sp.Symbol],
        functions: dict[str, sp.Expr],
        constants: dict[str, sp.Symbol] | None,
        closed: bool = False,
    ):
        self.text = text
        self.constants = constants
        self.closed = closed
        self.toks = tokenize(text)
        self.i = 0
        self.symbols = symbols
        self.functions = functions
        self.depth = 0
        self.nodes = 0

    # -- helpers
    def peek(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.peek()
        if tok.text != text or tok.kind != "OP":
            if text == ")":
                self._juxtaposed(tok)
            found = "end of expression" if tok.kind == "END" else repr(tok.text)
            raise ParseError(f"expected {text!r}, found {found}", tok.pos + 1)
        return self.take()

    def constant(self, tok: Token) -> sp.Expr:
        """Any name that is not a variable or function is a symbolic constant, unless it
        looks like a misspelt variable (x3 when the variables are x1, x2)."""
        name = tok.text
        if not NAME_RE.match(name):
            raise ParseError(f"{name!r} is not a valid name (letters, digits, one '_')", tok.pos + 1)
        stem = re.match(r"[A-Za-z]+", name).group(0)  # type: ignore[union-attr]
        for var in self.symbols:
            if var != name and re.match(r"[A-Za-z]+", var).group(0) == stem and name[len(stem):].lstrip("_").isdigit():  # type: ignore[union-attr]
                raise ParseError(f"{name!r} is not one of the variables ({', '.join(self.symbols)})", tok.pos + 1)
        pieces = _run_together(name, list(self.symbols))
        if pieces:  # x1x2, xy: variables written without '*'
            raise ParseError(f"{name!r} reads as variables run together: write {'*'.join(pieces)}", tok.pos + 1)
        if self.constants is None:
            raise ParseError(f"unknown name {name!r}", tok.pos + 1)
        if name not in self.constants:
            if self.closed:
                known = ", ".join(self.constants) or "none"
                raise ParseError(f"unknown name {name!r}: not a variable, a function or a declared constant "
                                 f"(constants: {known}); add it to 'constants' or check the spelling", tok.pos + 1)
            self.constants[name] = sp.Symbol(name, real=True)
        return self.constants[name]

    def count(self, tok: Token) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ParseError(f"expression too large (more than {MAX_NODES} parts)", tok.pos + 1)

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", tok.pos + 1)

    # -- grammar
    def parse(self) -> sp.Expr:
        if self.peek().kind == "END":
            raise ParseError("empty expression", 1)
        expr = self.expr()
        tok = self.peek()
        if tok.kind != "END":
            self._juxtaposed(tok)
            raise ParseError(f"unexpected {tok.text!r}", tok.pos + 1)
        return expr

    def _juxtaposed(self, tok: Token) -> None:
        """Two factors side by side (x y, 2x sqrt(y), a12 x1) are refused with the fix."""
        if tok.kind in ("NAME", "NUM") or tok.text == "(":
            before = self.text[: tok.pos].rstrip()
            raise ParseError(f"unexpected {tok.text!r}: put '*' between factors "
                             f"({before[-12:]}*{self.text[tok.pos:tok.pos + 12].split()[0]})", tok.pos + 1)

    def expr(self) -> sp.Expr:
        self.enter(self.peek())
        terms = [self.term()]
        while self.peek().kind == "OP" and self.peek().text in "+-":
            op = self.take()
            term = self.term()
            terms.append(term if op.text == "+" else _neg(term))
        self.depth -= 1
        if len(terms) > 1 and all(t == 0 for t in terms):
            return sp.Integer(0)  # an unevaluated 0 + 0 breaks SymPy (ZeroDivisionError in primitive())
        if len(terms) > 1 and all(t.is_Number for t in terms):
            return sp.Add(*terms)  # numbers alone (a variant's a - 2 with a = 3): one number, as a TA writes it
        return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)

    def _starts_atom(self) -> bool:
        tok = self.peek()
        return tok.kind in ("NUM", "NAME") or (tok.kind == "OP" and tok.text == "(")

    def term(self) -> sp.Expr:
        factors = [self.unary()]
        while True:
            tok = self.peek()
            if tok.kind == "OP" and tok.text in ("*", "/"):
                self.take()
                rhs = self.unary()
                factors.append(rhs if tok.text == "*" else _pow(rhs, sp.Integer(-1), tok))
            elif self._starts_atom() and self.toks[self.i - 1].kind == "NUM":
                factors.append(self.unary())  # implicit: 2x, 2(x+1)
            else:
                break
        if len(factors) == 1:
            return factors[0]
        return tmul(*factors)

    def unary(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "OP" and tok.text in "+-":
            self.take()
            self.enter(tok)
            inner = self.unary()
            self.depth -= 1
            return inner if tok.text == "+" else _neg(inner)
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        tok = self.peek()
        if tok.kind == "OP" and tok.text in ("^", "**"):
            self.take()
            self.enter(tok)
            exponent = self.unary()
            self.depth -= 1
            return _pow(base, exponent, tok)
        return base

    def atom(self) -> sp.Expr:
        tok = self.take()
        self.count(tok)
        if tok.kind == "NUM":
            return _number(tok)
        if tok.kind == "NAME":
            nxt = self.peek()
            if nxt.kind == "OP" and nxt.text == "(":
                return self.call(tok)
            if tok.text in self.symbols:
                return self.symbols[tok.text]
            if tok.text in CONSTANTS:
                return CONSTANTS[tok.text]
            if tok.text in self.functions:
                return named_used(self.functions[tok.text])  # p in L: kept by name
            if tok.text in FUNCTIONS:
                raise ParseError(f"function {tok.text!r} needs an argument: {tok.text}(...)", tok.pos + 1)
            return self.constant(tok)
        if tok.kind == "OP" and tok.text == "(":
            self.enter(tok)
            inner = self.expr()
            self.depth -= 1
            self.expect(")")
            return inner
        found = "end of expression" if tok.kind == "END" else repr(tok.text)
        raise ParseError(f"expected a number, name or '(', found {found}", tok.pos + 1)

    def call(self, name: Token) -> sp.Expr:
        if name.text not in FUNCTIONS:
            raise ParseError(f"unknown function {name.text!r}", name.pos + 1)
        ctor, arity = FUNCTIONS[name.text]
        open_ = self.expect("(")
        self.enter(open_)
        args = [self.expr()]
        while self.peek().kind == "OP" and self.peek().text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        self.depth -= 1
        if len(args) != arity:
            raise ParseError(f"{name.text}() takes {arity} argument(s), got {len(args)}", name.pos + 1)
        limit = MAX_EXP_ARG if name.text in _EXP_LIKE else MAX_PERIODIC_ARG if name.text in _PERIODIC else None
        if limit is not None and any(not a.free_symbols and _size(a) > limit for a in args):
            raise ParseError(f"the argument of {name.text}() is too large (at most {limit:.0e} in size)", name.pos + 1)
        if name.text in ("log", "ln") and args[0].free_symbols and args[0].doit() == 0:  # log(x1 - x1)
            raise ParseError(f"{name.text}() of 0 is undefined: its argument is 0 everywhere", name.pos + 1)
        return _defined(ctor(*args), f"{name.text}() is undefined here", name)  # type: ignore[operator]


def _run_together(name: str, variables: list[str]) -> list[str] | None:
    """``name`` as two or more variable names written one after the other, if it is one.
    A table over the positions of ``name`` (no backtracking: a hostile name such as
    ``xxxx...xy`` with variables x and xx stays linear)."""
    if name in variables:
        return None
    ends: dict[int, list[str]] = {len(name): []}  # position -> the variables that spell name[position:]
    for pos in range(len(name) - 1, -1, -1):
        for var in variables:
            rest = ends.get(pos + len(var))
            if rest is not None and name.startswith(var, pos):
                ends[pos] = [var, *rest]
                break
    pieces = ends.get(0)
    return pieces if pieces and len(pieces) > 1 else None


_UNDEFINED = (sp.nan, sp.zoo, sp.oo, -sp.oo)


def _defined(expr: sp.Expr, message: str, tok: Token) -> sp.Expr:
    """``expr``, unless it is or holds nan or an infinity (1/0, log(0), atanh(1)) or is a
    constant that is not real (acos(2)): SymPy cannot derive the first (an unevaluated
    x + nan sends its assumptions into endless recursion), solgen's functions are real,
    and both are the author's mistake."""
    if expr.has(*_UNDEFINED):
        raise ParseError(f"{message} (infinite or not a number)", tok.pos + 1)
    if not expr.free_symbols and expr.is_extended_real is False:  # acos(2), sqrt(-1), log(-3)
        what = f"{tok.text}() here" if tok.kind == "NAME" else "this quotient" if tok.text == "/" else "this power"
        raise ParseError(f"{what} is not a real number", tok.pos + 1)
    return expr


def _size(expr: sp.Expr) -> float:
    """|value| of a constant expression (inf when it cannot be had; nan for nan)."""
    try:
        return abs(complex(sp.N(expr, 15)))
    except (TypeError, ValueError, ArithmeticError):
        return float("inf")


def _number(tok: Token) -> sp.Expr:
    text = tok.text
    digits = len(text.replace(".", "").lstrip("0"))
    if digits > MAX_INT_DIGITS:
        raise ParseError(f"number {text[:20]}... has too many digits (at most {MAX_INT_DIGITS})", tok.pos + 1)
    if "." in text:
        return sp.Rational(text)  # exact: 0.5 -> 1/2
    return sp.Integer(int(text))


def _neg(expr: sp.Expr) -> sp.Expr:
    if isinstance(expr, sp.Number):
        return -expr
    return tmul(sp.Integer(-1), expr)


def _pow(base: sp.Expr, exponent: sp.Expr, tok: Token) -> sp.Expr:
    if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
        raise ParseError(f"exponent {exponent} is too large (at most {MAX_EXPONENT})", tok.pos + 1)
    if base.is_Number and exponent.is_Number and abs(base) > 10**6:
        raise ParseError("number raised to a power is too large", tok.pos + 1)
    if exponent.free_symbols and base.is_Number and abs(base) > 10**6:
        raise ParseError("base of a symbolic power is too large", tok.pos + 1)
    if exponent.free_symbols and not base.free_symbols and base.is_extended_nonpositive:
        # 0^x is 0 or undefined, (-2)^x real only at whole x: no differentiable real function
        raise ParseError("a base of 0 or less raised to a variable power is not a real function (use a positive base)", tok.pos + 1)
    if not exponent.is_Number and not exponent.free_symbols:
        # constant expression as exponent such as 2^(2^(2^...)): bound its value
        value = _size(exponent)
        if value > MAX_EXPONENT:
            raise ParseError(f"exponent is too large (at most {MAX_EXPONENT})", tok.pos + 1)
    return _defined(sp.Pow(base, exponent), "division by zero" if tok.text == "/" else "power is undefined", tok)


def parse_expression(
    text: str,
    symbols: dict[str, sp.Symbol],
    functions: dict[str, sp.Expr] | None = None,
    constants: dict[str, sp.Symbol] | None = None,
    closed: bool = False,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression over ``symbols``.

    ``functions`` maps names of already-defined problem functions (scalar) to their
    expressions, so ``g: "f + x1"`` may refer to ``f``.
    """
    if not isinstance(text, str):
        text = str(text)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is {len(text)} characters long (at most {MAX_LENGTH})", None)
    text = normalize(text)
    return _Parser(text, symbols, functions or {}, constants, closed).parse()


def parse_exact(text: str | int | float, params: dict[str, sp.Expr] | None = None) -> sp.Expr:
    """A point coordinate or direction entry: a number (``2``, ``0.5``, ``"1/2"``) or an
    exact constant expression (``"2/sqrt(14)"``, ``"pi/4"``, ``"e^2"``, with ``params`` a
    variant's parameters: ``"a/2"``); it must be real."""
    try:
        return parse_number(text)
    except ParseError:
        if isinstance(text, (bool, int, float)):
            raise
    value = parse_expression(str(text), {}, {}, dict(params) if params else None, closed=bool(params))
    if value.free_symbols or value.is_real is not True or not value.is_finite:
        raise ParseError(f"expected a real number such as 2, 0.5, 1/2 or 2/sqrt(14), found {str(text)[:40]!r}")
    return value


def parse_number(text: str | int | float) -> sp.Rational:
    """A point coordinate or direction entry: integer, decimal or a fraction "1/2" (or -1/2)."""
    if isinstance(text, bool):
        raise ParseError("expected a number, found a boolean")
    if isinstance(text, int):
        if abs(text) > 10**MAX_INT_DIGITS:
            raise ParseError("number is too large")
        return sp.Integer(text)
    if isinstance(text, float):
        if text != text or abs(text) > 10**MAX_INT_DIGITS:
            raise ParseError("number is not finite or too large")
        return sp.Rational(repr(text))
    s = normalize(str(text)).strip()
    m = re.fullmatch(r"([-+]?)(\d+(?:\.\d+)?)(?:\s*/\s*(\d+))?", s)
    if not m:
        raise ParseError(f"expected a number such as 2, 0.5 or 1/2, found {s!r}")
    if len(m.group(2)) > MAX_INT_DIGITS + 1 or (m.group(3) and len(m.group(3)) > MAX_INT_DIGITS):
        raise ParseError("number has too many digits")
    value = sp.Rational(m.group(2))
    if m.group(3):
        if int(m.group(3)) == 0:
            raise ParseError("division by zero in a number")
        value = value / sp.Integer(int(m.group(3)))
    return -value if m.group(1) == "-" else value
