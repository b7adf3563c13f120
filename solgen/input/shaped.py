"""The shaped expression grammar: a hand-written tokenizer and recursive-descent parser
(no eval, no sympify) that builds ``matrix.ast`` trees with every shape checked.

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/' | juxtaposition) unary)*
    unary   := '-' unary | power
    power   := postfix ('^' ('T' | number | '(' number ')'))*
    postfix := atom ('[' index ']')?
    atom    := number | name | name '(' args ')' | '(' expr ')'

Names: the declared shaped names (``shapes:``), the size symbols (scalars), constants
(scalars), the file's functions (by name), ``I`` (the identity, sized by what it meets),
``ones(n)``, ``eye(n)``; functions ``exp log sigmoid tanh`` (entrywise), ``softmax``,
``logsumexp``, ``norm``, ``trace``, ``det``, ``inv``, ``diag``, ``hadamard(a, b)``,
``sum(i, 1, n, body)`` with ``x[i]`` (row i of ``X``, a column) and ``y[i]`` (entry i).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from solgen.math import shaped_build as b
from solgen.input.expr import FUNCTIONS as SCALAR_FUNCTIONS
from solgen.math.shaped import (ELEMENTWISE, ONE, SCALAR, Ident, Index, Node, Num, Ones, Ref, Sum, Sym, shape_text, children)

MAX_TEXT = 2000
MAX_DEPTH = 60
MAX_EXPONENT = 64
MAX_LITERAL_INDEX = 12
CALLS = ELEMENTWISE + ("softmax", "logsumexp", "norm", "trace", "det", "inv", "diag")
SPECIAL = CALLS + ("hadamard", "sum", "ones", "eye", "I", "T")
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/^()\[\],]))")
_UNSIZED = b.UNSIZED


class ParseError(ValueError):
    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass
class Scope:
    """What names mean in one problem file."""

    shapes: dict[str, tuple[sp.Expr, sp.Expr]]
    variable: str
    sizes: set[str]
    constants: set[str] | None  # None: any undeclared name is a scalar constant
    functions: dict[str, Node] = field(default_factory=dict)
    symmetric: frozenset[str] = frozenset()
    indices: frozenset[str] = frozenset()  # indices usable outside a sum (reading back a step inside one)
    literal_indices: set[int] = field(default_factory=set)  # x[3] written: draws give sizes of at least 3
    variables: frozenset[str] = frozenset()  # all the variables (``variable`` is the first)


def _tokens(src: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(src):
        if src[pos:].strip() == "":
            break
        m = _TOKEN.match(src, pos)
        if not m:
            ch = src[pos:].lstrip()[0]
            raise ParseError(f"unexpected character {ch!r}", pos + 1 + len(src[pos:]) - len(src[pos:].lstrip()))
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    out.append(("end", "", len(src) + 1))
    return out


class _Parser:
    def __init__(self, src: str, scope: Scope):
        self.toks = _tokens(src)
        self.i = 0
        self.scope = scope
        self.depth = 0
        self.indices: set[str] = set(scope.indices)

    # -- token helpers
    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, val, col = self.take()
        if val != value:
            got = "the end" if kind == "end" else repr(val)
            raise ParseError(f"expected {value!r}, found {got}", col)

    def guard(self, fn, col: int):  # type: ignore[no-untyped-def]
        try:
            return fn()
        except b.ShapeError as exc:
            raise ParseError(str(exc), col) from None

    # -- grammar
    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nested more than {MAX_DEPTH} deep", self.peek()[2])
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            _, op, col = self.take()
            rhs = self.term()
            node = self.guard(lambda: b.add(node, rhs) if op == "+" else b.add(node, b.neg(rhs)), col)
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            kind, val, col = self.peek()
            if val in ("*", "/"):
                self.take()
                rhs = self.unary()
                if val == "/":
                    if not rhs.is_scalar:
                        raise ParseError(f"cannot divide by {rhs} ({shape_text(rhs.shape)}); use inv(A) for a matrix", col)
                    rhs = self.guard(lambda: b.power(rhs, sp.Integer(-1)), col)
                node = self.guard(lambda: b.mul(node, rhs), col)
            elif kind in ("num", "name") or val == "(":
                rhs = self.unary()
                node = self.guard(lambda: b.mul(node, rhs), col)
            else:
                return node

    def unary(self) -> Node:
        if self.peek()[1] == "-":
            col = self.take()[2]
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ParseError(f"nested more than {MAX_DEPTH} deep", col)
            inner = self.unary()
            self.depth -= 1
            return self.guard(lambda: b.neg(inner), col)
        if self.peek()[1] == "+":
            raise ParseError("a '+' with nothing before it", self.peek()[2])
        return self.power()

    def power(self) -> Node:
        node = self.postfix()
        while self.peek()[1] in ("^", "**"):
            col = self.take()[2]
            kind, val, tcol = self.peek()
            if val == "T":
                self.take()
                if isinstance(node, Num):
                    raise ParseError("a number has no transpose; write ones(m)^T for the vector of ones", tcol)
                node = b.transpose(node)
                continue
            neg = False
            paren = False
            if val == "(":
                self.take()
                paren = True
            if self.peek()[1] == "-":
                self.take()
                neg = True
            kind, val, ncol = self.take()
            if kind != "num" or "." in val:
                raise ParseError("an exponent is T (transpose) or an integer such as 2 or (-1)", ncol)
            if paren:
                self.expect(")")
            e = int(val) * (-1 if neg else 1)
            if abs(e) > MAX_EXPONENT:
                raise ParseError(f"exponent {e} is larger than {MAX_EXPONENT}", ncol)
            base = node
            node = self.guard(lambda: b.power(base, sp.Integer(e)), col)
        return node

    def postfix(self) -> Node:
        col = self.peek()[2]
        node = self.atom()
        if self.peek()[1] == "[":
            self.take()
            kind, idx, icol = self.take()
            if not node.is_vector:
                raise ParseError(f"only a vector has entries; {node} is {shape_text(node.shape)}", col)
            idx = self.index(kind, idx, icol, node.shape[0], "sum(i, 1, m, y[i]^2)")
            self.expect("]")
            node = Index(node, idx, SCALAR)
        return node

    def number(self, val: str) -> Num:
        if len(val) > 30:
            raise ParseError("number has too many digits")
        frac = Fraction(val)  # digits and one '.', by the tokenizer
        return Num(sp.Rational(frac.numerator, frac.denominator), SCALAR, "." in val)

    def atom(self) -> Node:
        kind, val, col = self.take()
        if kind == "num":
            return self.number(val)
        if val == "(":
            node = self.expr()
            self.expect(")")
            return node
        if kind != "name":
            got = "the end of the expression" if kind == "end" else repr(val)
            raise ParseError(f"expected a name, a number or '(', found {got}", col)
        if self.peek()[1] == "(" and val in SPECIAL:
            return self.call(val, col)
        if val in CALLS + ("hadamard", "sum", "ones", "eye"):
            raise ParseError(f"{val} needs its argument in parentheses: {val}(...)", col)
        if val in SCALAR_FUNCTIONS and val not in self.scope.shapes and val not in self.scope.functions:
            # never a constant: sin(A x + b) is not the constant sin times A x + b
            raise ParseError(f"{val} is not one of the functions of vectors and matrices; entrywise: "
                             f"{', '.join(ELEMENTWISE)}; also softmax, logsumexp, norm, trace, det, inv, diag", col)
        if self.peek()[1] == "[" and val in self.scope.shapes and len(self.scope.shapes[val]) and not self.scope.shapes[val][1] == ONE:
            raise ParseError(f"{val} is a matrix; its i-th row is written {val.lower()}[i]", col)
        if self.peek()[1] == "[" and val not in self.scope.shapes and val.upper() in self.scope.shapes:
            return self.row(val, col)
        return self.name(val, col)

    def row(self, val: str, col: int) -> Node:
        mat = self.scope.shapes[val.upper()]
        if mat[1] == ONE:
            raise ParseError(f"{val}[i] reads as a row of {val.upper()}, but {val.upper()} is a vector", col)
        self.take()
        kind, idx, icol = self.take()
        idx = self.index(kind, idx, icol, mat[0], "sum(i, 1, m, x[i]^T w)")
        self.expect("]")
        return Index(Sym(val.upper(), mat), idx, (mat[1], ONE), lower=True)

    def index(self, kind: str, idx: str, col: int, size: sp.Expr, example: str) -> str:
        """A sum's index, or a literal one (x[1], 1-based, within the size when it is a number)."""
        if kind == "num" and "." not in idx and len(idx) <= 2 and 1 <= int(idx) <= MAX_LITERAL_INDEX:
            if size.is_Integer and int(idx) > int(size):
                raise ParseError(f"index {idx} is past the last entry ({size})", col)
            self.scope.literal_indices.add(int(idx))
            return str(int(idx))
        if kind != "name" or idx not in self.indices:
            raise ParseError(f"an index is the name of a sum's index, as in {example}, or a number from 1 to "
                             f"{MAX_LITERAL_INDEX}", col)
        return idx

    def name(self, val: str, col: int) -> Node:
        s = self.scope
        if val == "I" and "I" not in s.shapes and (s.constants is None or "I" not in s.constants):
            return Ident((_UNSIZED, _UNSIZED))
        if val == "T":
            raise ParseError("T is the transpose: write A^T", col)
        if val in s.shapes:
            kind = "var" if val == s.variable or val in s.variables else "const"
            return Sym(val, s.shapes[val], kind)
        if val in s.functions:
            body = s.functions[val]
            return Ref(val, body, body.shape)
        if val in s.sizes:
            return Sym(val, SCALAR, "size")
        if val in self.indices:
            raise ParseError(f"the index {val} is used as x[{val}] or y[{val}], not alone", col)
        if s.constants is not None and val not in s.constants:
            declared = ", ".join(sorted(s.constants | set(s.shapes))) or "none"
            raise ParseError(f"unknown name {val!r} (declared: {declared}; a vector or matrix goes in 'shapes')", col)
        return Sym(val, SCALAR, "const")

    def args(self, count: int, fname: str, col: int) -> list[Node]:
        self.expect("(")
        out = [self.expr()]
        while self.peek()[1] == ",":
            self.take()
            out.append(self.expr())
        self.expect(")")
        if len(out) != count:
            raise ParseError(f"{fname} takes {count} argument{'s' if count > 1 else ''}, not {len(out)}", col)
        return out

    def size_arg(self) -> sp.Expr:
        kind, val, col = self.take()
        if kind == "num" and "." not in val and 0 < int(val) <= 10000:
            return sp.Integer(int(val))
        if kind == "name" and val in self.scope.sizes:
            return sp.Symbol(val)
        raise ParseError("a size is a size symbol from 'shapes' (such as m) or a positive integer", col)

    def call(self, fn: str, col: int) -> Node:
        if fn == "sum":
            return self.sum(col)
        if fn in ("ones", "eye"):
            self.expect("(")
            n = self.size_arg()
            self.expect(")")
            return Ones((n, ONE)) if fn == "ones" else Ident((n, n))
        if fn == "hadamard":
            x, y = self.args(2, fn, col)
            return self.guard(lambda: b.hadamard(x, y), col)
        if fn in ("I", "T"):
            raise ParseError(f"{fn} is not a function", col)
        (x,) = self.args(1, fn, col)
        return self.guard(lambda: b.call(fn, x), col)

    def sum(self, col: int) -> Node:
        self.expect("(")
        kind, idx, icol = self.take()
        if kind != "name" or idx in SPECIAL or idx in self.scope.shapes or idx in self.scope.sizes or idx in self.scope.functions \
                or (self.scope.constants and idx in self.scope.constants) \
                or (idx in self.indices and idx not in self.scope.indices):
            raise ParseError("sum(i, 1, m, ...) starts with a new index name", icol)
        self.expect(",")
        kind, lo, lcol = self.take()
        if lo != "1":
            raise ParseError("indices start at 1: sum(i, 1, m, ...)", lcol)
        self.expect(",")
        hi = self.size_arg()
        self.expect(",")
        self.indices.add(idx)
        body = self.expr()
        if idx not in self.scope.indices:
            self.indices.discard(idx)
        self.expect(")")
        _check_range(body, idx, hi, col)
        return Sum(idx, sp.Integer(1), hi, body, body.shape)  # a sum of scalars, vectors or matrices


def _check_range(body: Node, idx: str, hi: sp.Expr, col: int) -> None:
    """Each ``v[idx]`` in a sum's body must exist for idx = 1..hi: the bound is the entries'
    (rows') count, or, both being numbers, at most it."""
    stack = [body]
    while stack:
        node = stack.pop()
        stack.extend(children(node))
        if not isinstance(node, Index) or node.index != idx:
            continue
        rows = node.base.shape[0]
        if sp.simplify(rows - hi) == 0 or (rows.is_Integer and hi.is_Integer and hi <= rows):
            continue
        base = getattr(node.base, "name", None)
        shown = f"{base.lower() if node.lower else base}[{idx}]" if base else f"(...)[{idx}]"
        what = f"a row of {base}, which has {rows} rows" if node.lower and base else \
            f"an entry of {base or 'a vector'}, which has {rows} entries"
        raise ParseError(f"sum({idx}, 1, {hi}, ...) runs {idx} up to {hi}, but {shown} is {what}: "
                         f"write sum({idx}, 1, {rows}, ...)", col)


def parse(src: str, scope: Scope) -> Node:
    if len(src) > MAX_TEXT:
        raise ParseError(f"expression is longer than {MAX_TEXT} characters")
    p = _Parser(src, scope)
    try:
        node = p.expr()
    except RecursionError:
        raise ParseError("expression nested too deeply") from None
    kind, val, col = p.peek()
    if kind != "end":
        raise ParseError(f"unexpected {val!r}", col)
    if _has_unsized(node):
        raise ParseError("cannot tell the size of I here; write eye(n)")
    return node


def _has_unsized(node: Node) -> bool:
    if isinstance(node, Ident) and node.shape[0] == _UNSIZED:
        return True
    return any(_has_unsized(c) for c in children(node))
